"""The store's refusals shown beside the form fields they name."""

from __future__ import annotations

from collections.abc import Collection

from handoff.store.errors import Invalid


def add_field_errors(errors: dict[str, str], exc: Invalid, fields: Collection[str]) -> None:
    """Each refusal under its field when the form has that field, else under "form" (the
    form's own message); a field keeps the first message it gets."""
    for error in exc.errors:
        errors.setdefault(error.field if error.field in fields else "form", error.message)
