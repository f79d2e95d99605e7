"""Errors the store raises for things a caller asked for, so the API and the CLI report them alike.

The API turns them into problem+json (404, 409, 422), the CLI into one line and exit code 2; a
store function never lets a client's mistake surface as a database error.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar


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


T = TypeVar("T")


class Errors:
    """The field errors of one request, gathered so that a refusal names every field at fault
    (not only the first one checked)."""

    def __init__(self) -> None:
        self.found: list[FieldError] = []

    def take(self, check: Callable[[], T]) -> T | None:
        """The value `check` returns, or None with its errors kept."""
        try:
            return check()
        except Invalid as exc:
            self.found.extend(exc.errors)
            return None

    def add(self, field: str, message: str) -> None:
        self.found.append(FieldError(field, message))

    def raise_any(self) -> None:
        if self.found:
            raise Invalid(*self.found)
