"""The import's report: per rotation what happened, and where GoAlert would differ."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from handoff.goalert.plan import Difference, Item, Outcome, Plan, UserWrite
from handoff.store.goalert import Gone

OUTCOMES: tuple[Outcome, ...] = ("created", "updated", "unchanged", "conflict", "invalid")


@dataclass(frozen=True, slots=True)
class Line:
    id: UUID
    name: str
    outcome: Outcome
    message: str | None
    on_call: str | None  # the on-call user's name
    shift_start: datetime | None
    next_handoff: datetime | None
    stale_boundaries: int
    difference: Difference | None


@dataclass(frozen=True, slots=True)
class Report:
    dry_run: bool
    read_at: datetime  # GoAlert's time of the snapshot
    lines: tuple[Line, ...]
    users_created: int
    users_updated: int
    # New GoAlert users that are people handoff has (the same email, ignoring case).
    matched: tuple[UserWrite, ...]
    # Imported before, deleted in GoAlert since: handoff keeps them (and hands off on them)
    # until someone deletes them in handoff; every run lists them.
    gone: tuple[Gone, ...]

    @property
    def exit_code(self) -> int:
        """1 when a rotation was not imported (a conflict or a value handoff cannot hold)."""
        return 1 if any(line.outcome in ("conflict", "invalid") for line in self.lines) else 0

    def counts(self) -> dict[Outcome, int]:
        return {o: sum(1 for line in self.lines if line.outcome == o) for o in OUTCOMES}

    def as_json(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "read_at": self.read_at,
            "counts": self.counts(),
            "users": {"created": self.users_created, "updated": self.users_updated},
            "rotations": [
                {
                    "id": line.id,
                    "name": line.name,
                    "outcome": line.outcome,
                    "message": line.message,
                    "on_call": line.on_call,
                    "shift_start": line.shift_start,
                    "next_handoff": line.next_handoff,
                    "stale_boundaries": line.stale_boundaries,
                }
                for line in self.lines
            ],
            "matched_users": [
                {
                    "goalert_id": u.id,
                    "goalert_name": u.goalert_name,
                    "email": u.email,
                    "user_id": u.handoff_id,
                    "name": u.name,
                }
                for u in self.matched
            ],
            "gone_from_goalert": [{"id": g.id, "name": g.name} for g in self.gone],
            "differences": [
                {
                    "id": line.id,
                    "name": line.name,
                    "handoff": line.difference.handoff_next,
                    "goalert": line.difference.goalert_next,
                    "reason": line.difference.reason,
                }
                for line in self.lines
                if line.difference is not None
            ],
        }


def line(item: Item, outcome: Outcome, message: str | None) -> Line:
    names = {u.id: u.name for u in item.users}
    state = item.goalert.state
    return Line(
        id=item.goalert.id,
        name=item.goalert.name,
        outcome=outcome,
        message=message,
        on_call=names.get(item.on_call.user_id) if item.on_call else None,
        shift_start=state.shift_start if state else None,
        next_handoff=item.next_handoff,
        stale_boundaries=item.stale_boundaries,
        difference=item.difference,
    )


def report(
    plan: Plan, lines: list[Line], gone: list[Gone], read_at: datetime, *, dry_run: bool
) -> Report:
    return Report(
        dry_run=dry_run,
        read_at=read_at,
        lines=tuple(lines),
        users_created=sum(1 for u in plan.users.values() if u.action == "create"),
        users_updated=sum(1 for u in plan.users.values() if u.action == "update"),
        matched=tuple(u for u in plan.users.values() if u.action == "match"),
        gone=tuple(gone),
    )
