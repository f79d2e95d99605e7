"""Reading the create/edit form: wall-clock start in the chosen zone, a message per bad field."""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.datastructures import FormData

from handoff.web.rotation_form import RotationForm


def _form(**fields: str) -> RotationForm:
    values = {
        "name": " primary ",
        "description": "",
        "type": "weekly",
        "shift_length": "2",
        "start": "2026-07-06T09:00",
        "time_zone": "Europe/Berlin",
    } | fields
    return RotationForm.from_form(FormData(values))


def test_start_is_read_on_the_rotation_s_wall_clock() -> None:
    config = _form().config()
    assert config is not None
    assert config.start == datetime(2026, 7, 6, 7, 0, tzinfo=UTC)  # 09:00 CEST
    assert config.shift_length == 2
    assert config.name == "primary"


def test_every_bad_field_gets_its_own_message() -> None:
    form = _form(shift_length="two", start="", time_zone="Mars/Base")
    assert form.config() is None
    assert set(form.errors) == {"shift_length", "start", "time_zone"}
    assert "unknown time zone" in form.errors["time_zone"]


def test_an_unknown_type_is_reported_on_its_field() -> None:
    form = _form(type="yearly")
    assert form.config() is None
    assert form.errors["type"].startswith("must be one of hourly")


def test_the_grid_s_own_range_check_names_the_field() -> None:
    form = _form(shift_length="9001")
    assert form.grid() is None
    assert "shift_length" in form.errors
    assert set(form.errors) == {"shift_length"}
