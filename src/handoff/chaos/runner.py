"""Run the chosen faults in order on one fresh database, and collect their results.

Real-time faults (kill, outage, mixed) put their boundaries on coming whole minutes, so the
run's length depends on where in the minute each starts; `quick` stays under 5 minutes.
Rotations of earlier faults stay in the database (already handed off, next due an hour or
more later), so each fault also runs beside an idle population, as a deployment would.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from handoff.chaos import server
from handoff.chaos.context import Context, Profile
from handoff.chaos.faults import downtime, hosts, kill, mixed, outage, poison, restore
from handoff.chaos.report import FaultResult, Report

Fault = Callable[[Context, Profile], FaultResult]
# In run order: the faults that need no boundary to come (downtime, restore) run in the gap
# a real-time fault leaves before the next whole minute, so they cost no extra minute.
FAULTS: dict[str, Fault] = {
    kill.NAME: kill.run,
    downtime.NAME: downtime.run,
    outage.NAME: outage.run,
    restore.NAME: restore.run,
    mixed.NAME: mixed.run,
    poison.NAME: poison.run,
    hosts.NAME: hosts.run,
}
# Run when no fault is named: every fault but the namespaced hosts, which need root (network
# namespaces) and Debian's pgbouncer; `--fault hosts` runs it.
DEFAULT_FAULTS = tuple(name for name in FAULTS if name != hosts.NAME)


def run(
    profile: Profile,
    *,
    database_url: str | None,
    faults: Sequence[str],
    say: Callable[[str], None],
    log_dir: Path | None = None,
) -> Report:
    """Run `faults` (names from FAULTS, in that order) and return the report.

    Worker and API logs go to `log_dir` (a temporary directory, removed afterwards, when
    none is given).
    """
    report = Report(profile=profile.name)
    began = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="hochaos-logs-") as temp:
        logs = log_dir or Path(temp)
        logs.mkdir(parents=True, exist_ok=True)
        with server.chaos_server(database_url) as chaos, server.fresh_database(chaos) as url:
            report.server = chaos.describe()
            context = Context(chaos, url, logs, say)
            for name in FAULTS:
                if name in faults:
                    result = FAULTS[name](context, profile)
                    say(f"{name}: {'ok' if result.ok else 'FAILED'} in {result.seconds:.0f} s")
                    report.faults.append(result)
    report.seconds = time.monotonic() - began
    return report
