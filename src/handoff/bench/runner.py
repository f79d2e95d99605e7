"""Run the chosen scenarios in order, each in its own fresh database, with a progress bar."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import psycopg
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from handoff.bench import (
    active,
    ceiling,
    dbwork,
    grid,
    idle,
    reads,
    schedule_storm,
    server,
    stall,
    steady,
    storm,
    subscribed,
)
from handoff.bench.profiles import Profile
from handoff.bench.results import Results

SCENARIOS = (
    "idle",
    "storm",
    "subscribed",
    "active",
    "schedules",
    "steady",
    "ceiling",
    "grid",
    "reads",
    "stall",
)
# Run only when named (--scenario stall): it attacks `handoff up` for a minute and more, a
# robustness check (issue 24) rather than a figure the engines are compared on.
ASKED_FOR_ONLY = ("stall",)
DEFAULT_SCENARIOS = tuple(name for name in SCENARIOS if name not in ASKED_FOR_ONLY)


@dataclass
class _Stepper:
    """Advances the progress bar as each unit of work starts (and the last one ends)."""

    progress: Progress
    task: TaskID
    started: bool = False

    def __call__(self, description: str) -> None:
        if self.started:
            self.progress.advance(self.task)
        self.started = True
        self.progress.update(self.task, description=description)

    def finish(self) -> None:
        if self.started:
            self.progress.advance(self.task)
        self.progress.update(self.task, description="done")


def _steps(name: str, profile: Profile) -> int:
    counters: dict[str, Callable[[Profile], int]] = {
        "idle": idle.steps,
        "storm": storm.steps,
        "subscribed": subscribed.steps,
        "active": active.steps,
        "steady": steady.steps,
        "ceiling": ceiling.steps,
        "grid": grid.steps,
        "reads": reads.steps,
        "schedules": schedule_storm.steps,
        "stall": stall.steps,
    }
    return counters[name](profile)


def _describe(server_info: server.Server) -> str:
    with psycopg.connect(server_info.url) as conn:
        row = conn.execute("SHOW /* bench */ server_version").fetchone()
    version = row[0] if row else "?"
    where = "embedded, temporary" if server_info.embedded else "HANDOFF_DATABASE_URL"
    return f"PostgreSQL {version} ({where})"


def run(
    profile: Profile,
    *,
    database_url: str | None,
    force: bool,
    scenarios: Sequence[str],
    console: Console,
) -> Results:
    """Run `scenarios` (names from SCENARIOS) and return their results.

    Raises server.RefusedError before doing anything when the user's database holds rotations
    and `force` is false.
    """
    if database_url:
        server.refuse_if_in_use(database_url, force=force)
    results = Results(profile=profile.name)
    began = time.monotonic()
    with server.bench_server(database_url) as bench_server:
        results.server = _describe(bench_server)
        progress = Progress(
            TextColumn("{task.description:<48}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
        )
        with progress:
            total = sum(_steps(name, profile) for name in scenarios)
            stepper = _Stepper(progress, progress.add_task("starting", total=total))
            for name in scenarios:
                if _steps(name, profile):  # none: the profile leaves it out (subscribed, quick)
                    _run_one(name, profile, bench_server.url, results, stepper)
            stepper.finish()
    results.seconds = time.monotonic() - began
    return results


def _run_one(
    name: str, profile: Profile, server_url: str, results: Results, step: _Stepper
) -> None:
    if name == "grid":
        results.grid = grid.run(profile, step)
        return
    with server.fresh_database(server_url) as url:
        source = dbwork.source_for(url)
        results.stats_source = results.stats_source or source
        if name == "idle":
            results.idle = idle.run(url, profile, source, step)
        elif name == "storm":
            rounds = storm.run(url, profile, source, step)
            results.storm = [r for r in rounds if not storm.is_monday(r, profile)]
            results.monday = next((r for r in rounds if storm.is_monday(r, profile)), None)
        elif name == "subscribed":
            results.subscribed = subscribed.run(url, profile, source, step)
        elif name == "active":
            results.active = active.run(url, profile, source, step)
        elif name == "schedules":
            results.schedule_storm = schedule_storm.run(url, profile, source, step)
        elif name == "steady":
            results.steady = steady.run(url, profile, source, step)
        elif name == "ceiling":
            results.ceiling = ceiling.run(url, profile, step)
        elif name == "reads":
            results.reads = reads.run(url, profile, step)
        elif name == "stall":
            results.stall = stall.run(url, profile, step)
        else:
            raise ValueError(f"unknown scenario {name!r}; expected one of {', '.join(SCENARIOS)}")
