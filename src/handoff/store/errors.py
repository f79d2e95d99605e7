"""Errors the store raises for things a caller asked for, so the API and the CLI report them alike.

The API turns them into problem+json (404, 409, 422), the CLI into one line and exit code 2; a
store function never lets a client's mistake surface as a database error.
"""

from __future__ import annotations

from dataclasses import dataclass


class StoreError(Exception):
    """A request the store refuses; the message is meant for the user as is."""


class NotFound(StoreError):
    def __init__(self, what: str, ident: object) -> None:
        super().__init__(f"no {what} {ident}")
        self.what = what


class Conflict(StoreError):
    """The request clashes with existing data (a name taken, a job in the wrong state)."""


@dataclass(frozen=True, slots=True)
class FieldError:
    field: str
    message: str


class Invalid(StoreError):
    """One or more fields fail validation."""

    def __init__(self, *errors: FieldError) -> None:
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in errors))
        self.errors = list(errors)


def invalid(field: str, message: str) -> Invalid:
    return Invalid(FieldError(field, message))
