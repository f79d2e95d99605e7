"""One result per fault, the table `handoff chaos` prints, and its JSON form."""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.console import Console
from rich.table import Table

from handoff.chaos.invariants import Check

TABLE_WIDTH = 100  # characters: the table stays readable when stdout is not a terminal


@dataclass
class FaultResult:
    """A fault's figures: the invariant check after it, and what the fault itself did.

    `load` says how the work was shaped; `events` holds the fault's own counts (kills,
    restarts, 503 answers, repairs...); `failures` lists every expectation that did not hold
    beyond the invariants (an API that hung, a poison job that was never retried...).
    """

    name: str
    load: str
    check: Check
    seconds: float
    events: dict[str, float | int | str] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.check.ok and not self.failures

    def as_json(self) -> dict[str, object]:
        c = self.check
        lag = c.max_lag_seconds
        return {
            "fault": self.name,
            "ok": self.ok,
            "load": self.load,
            "rotations": c.rotations,
            "boundaries_crossed": c.boundaries,
            "handoffs_recorded": c.recorded,
            "missing": c.missing,
            "duplicated": c.duplicated,
            "pending": c.pending,
            "unexpected": c.unexpected,
            "wrong_participants": c.wrong_participants,
            "state_mismatches": c.state_mismatches,
            "unscheduled": c.unscheduled,
            "broken": c.broken,
            "max_lag_seconds": None if lag is None else round(lag, 3),
            "seconds": round(self.seconds, 1),
            "events": self.events,
            "failures": self.failures,
        }


@dataclass
class Report:
    profile: str
    server: str = ""
    seconds: float = 0.0
    faults: list[FaultResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.faults) and all(f.ok for f in self.faults)

    def as_json(self) -> dict[str, object]:
        return {
            "profile": self.profile,
            "server": self.server,
            "seconds": round(self.seconds, 1),
            "ok": self.ok,
            "faults": [f.as_json() for f in self.faults],
        }


def _lag(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds:.2f} s"


def render(report: Report, console: Console) -> None:
    table = Table(title=f"handoff chaos ({report.profile}) on {report.server}")
    for column in (
        "fault",
        "rotations",
        "boundaries\ncrossed",
        "handoffs\nrecorded",
        "missing",
        "duplicated",
        "max lag",
        "result",
    ):
        table.add_column(column, justify="left" if column in ("fault", "result") else "right")
    for f in report.faults:
        c = f.check
        table.add_row(
            f.name,
            f"{c.rotations:,}",
            f"{c.boundaries:,}",
            f"{c.recorded:,}",
            str(c.missing),
            str(c.duplicated),
            _lag(c.max_lag_seconds),
            "ok" if f.ok else "FAILED",
        )
    if not console.is_terminal:
        console = Console(file=console.file, width=max(console.width, TABLE_WIDTH))
    console.print(table)
    for f in report.faults:
        console.print(f"[bold]{f.name}[/]: {f.load}", highlight=False)
        if f.events:
            details = ", ".join(f"{k} {v}" for k, v in f.events.items())
            console.print(f"  {details}", highlight=False)
        for problem in [*f.check.problems(), *f.failures]:
            console.print(f"  [bold red]failed:[/] {problem}", highlight=False)
    verdict = "every fault survived" if report.ok else "[bold red]FAILED[/]"
    console.print(f"{verdict} in {report.seconds:.0f} s")
