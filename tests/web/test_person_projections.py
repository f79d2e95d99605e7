"""A person's page projects only the rotations that person may be in, each once for both
on-call summaries (issue 24: a person in 400 hourly rotations waited a minute for their page,
and every other rotation of the organisation was projected for it too). Counted, not timed."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

import pytest

from handoff import oncall
from handoff.web.routes.person import REPORTED, UPCOMING

from .client import Browser
from .conftest import Web


def test_a_person_page_projects_their_rotations_only_and_each_once_per_view(
    browser: Browser, web: Web, monkeypatch: pytest.MonkeyPatch
) -> None:
    ann, bo, cy = web.user("Ann"), web.user("Bo"), web.user("Cy")
    start = web.clock.now() - timedelta(days=2)
    mine = [web.rotation(f"mine {n}", "hourly", start, "UTC", [ann, bo]).id for n in range(3)]
    for n in range(3):
        web.rotation(f"theirs {n}", "hourly", start, "UTC", [bo, cy])
    long_views: Counter[bool] = Counter()  # projections of a week or more, by "Ann takes part"
    calls: list[Any] = []
    original = oncall.segments

    def counting(inputs: oncall.Inputs, since: Any, until: Any, **kwargs: Any) -> Any:
        found = original(inputs, since, until, **kwargs)
        calls.append(inputs)
        if until - since >= timedelta(days=7):
            long_views[any(p.user_id == ann for p in inputs.participants)] += 1
        return found

    browser.sign_in(web.reader_token)  # lands on the list of every rotation: not counted
    monkeypatch.setattr(oncall, "segments", counting)
    response = browser.client.get(f"/people/{ann}")
    assert response.status_code == 200
    assert all(f"mine {n}" in response.text for n in range(3))
    # No rotation without Ann is projected at all; each of hers once for the upcoming shifts
    # (UPCOMING) and once for both summaries (the last REPORTED days are the record's).
    assert not any(all(p.user_id != ann for p in i.participants) for i in calls), calls
    assert long_views == {True: 2 * len(mine)}, (long_views, UPCOMING, REPORTED)
