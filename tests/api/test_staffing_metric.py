"""`handoff_rotation_unstaffed{rotation}` on /metrics (reports.md): 1 for each rotation with
nobody on call, absent for the others; and what a scrape costs at 100,000 rotations. And
`handoff_schedule_next_gap_seconds{schedule}`: the seconds until a schedule's next gap within
7 days, absent if none."""

from __future__ import annotations

import time
from datetime import timedelta

import psycopg
from prometheus_client.parser import text_string_to_metric_families

from handoff.bench import population
from handoff.store.db import connect
from handoff.store.reports import Q

from .conftest import T0, Api
from .test_active_hours import BUSINESS
from .test_overrides import _add, _z, oc, set_now
from .test_schedules import _schedule

__all__ = ["oc"]  # the fixture, used by name
H = timedelta(hours=1)


def _gauge(api: Api, name: str, label: str) -> dict[str, float]:
    response = api.anonymous.get("/metrics")
    assert response.status_code == 200
    families = {f.name: f for f in text_string_to_metric_families(response.text)}
    family = families[name]
    assert family.type == "gauge"
    return {s.labels[label]: s.value for s in family.samples}


def _unstaffed(api: Api) -> dict[str, float]:
    return _gauge(api, "handoff_rotation_unstaffed", "rotation")


def _next_gaps(api: Api) -> dict[str, float]:
    return _gauge(api, "handoff_schedule_next_gap_seconds", "schedule")


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


def test_each_schedule_says_how_far_its_next_gap_is_within_7_days(oc: Api) -> None:
    ann, bo = oc.user("Ann"), oc.user("Bo")
    staffed = oc.rotation("staffed", [ann])
    empty = oc.rotation("empty", [])
    always = _schedule(oc, "always", [staffed["id"]])
    gap_now = _schedule(oc, "gap now", [empty["id"]])
    # Bo's rotation has active hours: weekdays 09:00-17:00 Berlin. T0 is Monday 10:30 there,
    # so the first gap begins at 17:00 Berlin, 16:00 UTC: 6.5 hours on.
    office = oc.rotation("office", [bo], active_hours=BUSINESS)
    evenings = _schedule(oc, "evenings", [office["id"]])
    # A schedule override naming nobody, 3 days on: the schedule's gap, not a layer's.
    later = _schedule(oc, "later", [staffed["id"]])
    nobody = oc.admin.post(
        f"/api/v1/schedules/{later['id']}/overrides",
        json={"start": _z(T0 + 72 * H), "end": _z(T0 + 73 * H), "user_id": None},
    )
    assert nobody.status_code == 201, nobody.text
    # And one 8 days on: beyond the 7 days looked at.
    far = _schedule(oc, "far", [staffed["id"]])
    beyond = oc.admin.post(
        f"/api/v1/schedules/{far['id']}/overrides",
        json={"start": _z(T0 + 8 * 24 * H), "end": _z(T0 + 8 * 24 * H + H), "user_id": None},
    )
    assert beyond.status_code == 201, beyond.text
    assert _next_gaps(oc) == {
        gap_now["id"]: 0.0,
        evenings["id"]: 6.5 * 3600,
        later["id"]: 72 * 3600.0,
    }
    assert always["id"] not in _next_gaps(oc)
    # The gauge follows the engine's clock: an hour on, every gap is an hour nearer.
    set_now(oc, T0 + H)
    assert _next_gaps(oc) == {
        gap_now["id"]: 0.0,
        evenings["id"]: 5.5 * 3600,
        later["id"]: 71 * 3600.0,
    }


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
