"""`handoff_rotation_unstaffed{rotation}` on /metrics (reports.md): 1 for each rotation with
nobody on call, absent for the others; and what a scrape costs at 100,000 rotations."""

from __future__ import annotations

import time
from datetime import timedelta

import psycopg
from prometheus_client.parser import text_string_to_metric_families

from handoff.bench import population
from handoff.store.db import connect
from handoff.store.reports import Q

from .conftest import T0, Api
from .test_overrides import _add, oc, set_now

__all__ = ["oc"]  # the fixture, used by name
H = timedelta(hours=1)


def _unstaffed(api: Api) -> dict[str, float]:
    response = api.anonymous.get("/metrics")
    assert response.status_code == 200
    families = {f.name: f for f in text_string_to_metric_families(response.text)}
    family = families["handoff_rotation_unstaffed"]
    assert family.type == "gauge"
    return {s.labels["rotation"]: s.value for s in family.samples}


def test_only_rotations_with_nobody_on_call_have_a_series(oc: Api) -> None:
    ann = oc.user("Ann")
    staffed = oc.rotation("staffed", [ann])
    empty = oc.rotation("empty", [])
    covered = oc.rotation("covered", [ann])
    assert _unstaffed(oc) == {empty["id"]: 1.0}
    # An override putting nobody on call, in force now: recorded when made.
    set_now(oc, T0 + H)
    _add(oc, covered, T0 + H, T0 + 3 * H, user_id=None)
    assert _unstaffed(oc) == {empty["id"]: 1.0, covered["id"]: 1.0}
    # A participant joins the empty rotation: staffed from then on.
    joined = oc.admin.post(f"/api/v1/rotations/{empty['id']}/participants", json={"user_id": ann})
    assert joined.status_code == 201, joined.text
    assert _unstaffed(oc) == {covered["id"]: 1.0}
    assert staffed["id"] not in _unstaffed(oc)


def test_a_scrape_at_100000_rotations_probes_only_the_candidates(
    api: Api,
) -> None:
    """100,000 rotations with a recorded history, 10 of them with nobody on call: the scrape
    sends 10 series, and the statement finds its candidates through the index of rows naming
    nobody (handoffs_nobody_idx) instead of probing every rotation's latest row."""
    rotations = 100_000
    with psycopg.connect(api.db_url, autocommit=True) as raw:
        population.populate(raw, rotations, population.idle_layout(T0))
    with connect(api.db_url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO handoffs (rotation_id, boundary_at, processed_at, cause, engine,"
            " to_participant_id, to_user_id, to_user_name, on_call_user_id)"
            " SELECT st.rotation_id, st.shift_start, st.shift_start, 'boundary', 'queue',"
            " st.participant_id, p.user_id, 'bench user', p.user_id"
            " FROM rotation_state st JOIN participants p ON p.id = st.participant_id"
        )
        conn.execute(
            "UPDATE handoffs SET on_call_user_id = NULL, on_call_override_id = NULL,"
            " to_user_id = NULL WHERE rotation_id IN"
            " (SELECT id FROM rotations ORDER BY id LIMIT 10)"
        )
        conn.execute("ANALYZE")
        explained = conn.execute("EXPLAIN (ANALYZE, TIMING OFF) " + Q["unstaffed"]).fetchall()
        plan = "\n".join(r["QUERY PLAN"] for r in explained)
    assert "handoffs_nobody_idx" in plan, plan
    started = time.perf_counter()
    found = _unstaffed(api)
    elapsed = time.perf_counter() - started
    assert len(found) == 10
    print(f"scrape at {rotations} rotations: {elapsed * 1000:.0f} ms")
