"""A bench run's figures, its headline ratios, and the goals of bench.md with verdicts.

Every headline is computed from figures measured in the same run. A headline whose scenario
did not run (`--scenario`) is present with the value null, so consumers of `--json` always
find every key.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from handoff.bench.active import ActiveResult
from handoff.bench.ceiling import CeilingResult
from handoff.bench.grid import GridRates
from handoff.bench.idle import IdleRun
from handoff.bench.reads import ReadsResult
from handoff.bench.schedule_storm import ScheduleStormResult
from handoff.bench.stall import GOAL_CANARY_MS, GOAL_LAG_MS, StallResult
from handoff.bench.steady import SteadyResult
from handoff.bench.storm import StormRound
from handoff.bench.subscribed import SubscribedResult

# The second-round goals of bench.md, each a ratio measured in one run.
STORM_SIZE = 10_000  # the storm the goals are stated for
STORM_GOAL_SHARE_OF_MINIMAL_CEILING = 0.50
MONDAY_SIZE = 100_000
MONDAY_GOAL_RATIO = 0.9  # the Monday storm's throughput over the 10,000 storm's
IDLE_GOAL_RATIO = 300.0
IDLE_GOAL_SIZE = 100_000
IDLE_FLAT_SMALL, IDLE_FLAT_LARGE = 1_000, 1_000_000
IDLE_FLAT_GOAL = 1.2  # queue idle DB time at 1,000,000 over at 1,000
STEADY_GOAL_P99_MS = 50.0
SUBSCRIBED_GOAL_RATIO = 0.8
ACTIVE_GOAL_RATIO = 0.9  # the active-hours storm over the plain storm (round three)
GRID_GOAL_OVER_ZONE_CONVERSION = 0.12
QUEUE_MEMORY_GOAL_MB = 120.0
BATCH_MEMORY_GOAL_MB = 150.0
BATCH_MEMORY_GOAL_SIZE = 1_000_000
READ_GOAL_THROUGHPUT = 0.5  # GET a rotation / the minimal endpoint
READ_GOAL_P99 = 2.0  # GET a rotation's p99 / the minimal endpoint's
FIRST_PAGE_GOAL_MS = {"api": 100.0, "web": 300.0}
FIRST_PAGE_GOAL_BYTES = 1_000_000
HEADLINE_CONFIG = "queue_2"  # the storm goals are stated for the queue engine with 2 workers

HEADLINE_KEYS = (
    "idle_batch_over_queue_db_time",
    "idle_queue_db_ms_per_second",
    "storm_handoffs_per_second",
    "storm_queue_2_over_batch",
    "storm_queue_2_over_queue_1",
    "monday_over_storm_10000",
    "monday_recorded_once",
    "subscribed_over_unsubscribed",
    "subscribed_all_delivered",
    "active_storm_over_storm",
    "active_storm_recorded_once",
    "schedule_storm_over_storm",
    "schedule_storm_every_change_once",
    "steady_p99_lag_ms",
    "ceiling_handoffs_per_second",
    "ceiling_source",
    "python_client_ceiling_handoffs_per_second",
    "engine_over_ceiling",
    "minimal_ceiling_handoffs_per_second",
    "engine_over_minimal_ceiling",
    "grid_end_time_calls_per_second",
    "grid_over_zone_conversion",
    "worker_max_rss_mb",
    "read_rotation_over_minimal",
    "read_rotation_p99_ms",
    "read_rotation_p99_over_minimal",
    "list_first_page_ms",
    "list_first_page_bytes",
    "statements_per_request",
    "stall_canary_max_ms",
    "stall_canary_p99_ms",
    "stall_handoff_lag_ms",
    "stall_server_errors",
)


@dataclass(frozen=True, slots=True)
class Goal:
    name: str
    goal: str
    measured: str
    passed: bool | None  # None: not measured in this run

    def as_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "goal": self.goal,
            "measured": self.measured,
            "passed": self.passed,
        }


@dataclass
class Results:
    profile: str
    stats_source: str | None = None
    server: str = ""
    seconds: float = 0.0
    idle: list[IdleRun] = field(default_factory=list)
    storm: list[StormRound] = field(default_factory=list)
    monday: StormRound | None = None  # the "Monday 09:00" storm (full run)
    subscribed: SubscribedResult | None = None
    active: ActiveResult | None = None  # the active-hours storm (round three)
    schedule_storm: ScheduleStormResult | None = None
    steady: SteadyResult | None = None
    ceiling: CeilingResult | None = None
    grid: GridRates | None = None
    reads: ReadsResult | None = None
    stall: StallResult | None = None  # issue 24's probe, only when asked for

    # --- headlines -------------------------------------------------------------------------

    def idle_db_ms_per_second(self) -> dict[str, dict[int, float]]:
        by_engine: dict[str, dict[int, float]] = {}
        for run in self.idle:
            by_engine.setdefault(run.engine, {})[run.rotations] = run.work.db_ms_per_second
        return by_engine

    def idle_ratios(self) -> dict[int, float | None]:
        per = self.idle_db_ms_per_second()
        batch, queue = per.get("batch", {}), per.get("queue", {})
        return {
            size: (batch[size] / queue[size] if queue.get(size) else None)
            for size in sorted(batch)
            if size in queue
        }

    def storm_rates(self) -> dict[str, dict[int, float]]:
        rates: dict[str, dict[int, float]] = {}
        for r in self.storm:
            rates.setdefault(r.config, {})[r.rotations] = r.handoffs_per_second
        return rates

    def _storm_ratio(self, over: str) -> dict[int, float | None]:
        rates = self.storm_rates()
        top, bottom = rates.get(HEADLINE_CONFIG, {}), rates.get(over, {})
        return {
            n: (top[n] / bottom[n] if bottom.get(n) else None) for n in sorted(top) if n in bottom
        }

    def storm_headline_rate(self) -> tuple[int, float] | None:
        """(N, rate) of the queue engine with 2 workers at 10,000 (else its largest storm)."""
        rates = self.storm_rates().get(HEADLINE_CONFIG)
        if not rates:
            return None
        size = STORM_SIZE if STORM_SIZE in rates else max(rates)
        return size, rates[size]

    def engine_over_ceiling(self) -> float | None:
        """The storm headline over the ceiling (pgbench's when it ran: `ceiling.source`)."""
        headline = self.storm_headline_rate()
        if headline is None or self.ceiling is None or not self.ceiling.per_second:
            return None
        return headline[1] / self.ceiling.per_second

    def engine_over_minimal_ceiling(self) -> float | None:
        headline = self.storm_headline_rate()
        minimal = self.ceiling.minimal_per_second if self.ceiling else None
        if headline is None or not minimal:
            return None
        return headline[1] / minimal

    def monday_ratio(self) -> float | None:
        """The Monday storm's throughput over the headline storm's (same engine, same workers)."""
        headline = self.storm_headline_rate()
        if self.monday is None or headline is None or not headline[1]:
            return None
        return self.monday.handoffs_per_second / headline[1]

    def idle_queue_growth(self) -> tuple[int, int, float] | None:
        """(small R, large R, queue idle DB time at large / at small), at the goal's sizes when
        measured, else at the smallest and largest sizes measured."""
        queue = self.idle_db_ms_per_second().get("queue", {})
        if len(queue) < 2:
            return None
        small = IDLE_FLAT_SMALL if IDLE_FLAT_SMALL in queue else min(queue)
        large = IDLE_FLAT_LARGE if IDLE_FLAT_LARGE in queue else max(queue)
        growth = queue[large] / queue[small] if queue[small] else float("inf")
        return small, large, growth

    def worker_rss(self) -> dict[str, list[float]]:
        """Largest resident memory of each worker process seen, in MiB, by engine."""
        rss: dict[str, list[float]] = {"queue": [], "batch": []}
        for run in self.idle:
            rss[run.engine] += run.rss_mb
        for r in [*self.storm, *([self.monday] if self.monday else [])]:
            rss[r.config.split("_")[0]] += r.rss_mb
        if self.subscribed is not None:
            rss["queue"] += self.subscribed.subscribed.rss_mb
        if self.active is not None:
            rss["queue"] += self.active.active.rss_mb
        if self.steady is not None:
            rss["queue"] += self.steady.rss_mb
        return rss

    def batch_rss_at_largest_idle(self) -> tuple[int, float] | None:
        """(R, largest RSS) of the batch engine at the largest idle size it ran."""
        batch = [run for run in self.idle if run.engine == "batch" and run.rss_mb]
        if not batch:
            return None
        largest = max(batch, key=lambda run: run.rotations)
        return largest.rotations, max(largest.rss_mb)

    def headlines(self) -> dict[str, object]:
        rss = self.worker_rss()
        sub = self.subscribed
        sub_ratio = sub.throughput_ratio if sub else None
        grid_ratio = self.grid.over_zone_conversion() if self.grid else {}
        return {
            "idle_batch_over_queue_db_time": {
                str(k): _round(v, 1) for k, v in self.idle_ratios().items()
            }
            or None,
            "idle_queue_db_ms_per_second": {
                str(k): round(v, 3)
                for k, v in sorted(self.idle_db_ms_per_second().get("queue", {}).items())
            }
            or None,
            "storm_handoffs_per_second": {
                config: {str(n): round(v, 1) for n, v in by_n.items()}
                for config, by_n in self.storm_rates().items()
            }
            | (
                {
                    "monday_queue_2": {
                        str(self.monday.rotations): round(self.monday.handoffs_per_second, 1)
                    }
                }
                if self.monday
                else {}
            )
            or None,
            "storm_queue_2_over_batch": {
                str(k): _round(v, 2) for k, v in self._storm_ratio("batch_1").items()
            }
            or None,
            "storm_queue_2_over_queue_1": {
                str(k): _round(v, 2) for k, v in self._storm_ratio("queue_1").items()
            }
            or None,
            "monday_over_storm_10000": _round(self.monday_ratio(), 3),
            "monday_recorded_once": self.monday.recorded_once if self.monday else None,
            "subscribed_over_unsubscribed": _round(sub_ratio, 3),
            "subscribed_all_delivered": sub.all_delivered if sub else None,
            "active_storm_over_storm": _round(
                self.active.throughput_ratio if self.active else None, 3
            ),
            "active_storm_recorded_once": self.active.active.recorded_once if self.active else None,
            "schedule_storm_over_storm": _round(
                self.schedule_storm.throughput_ratio if self.schedule_storm else None, 3
            ),
            "schedule_storm_every_change_once": (
                self.schedule_storm.every_change_once if self.schedule_storm else None
            ),
            "steady_p99_lag_ms": round(self.steady.lag.p99_ms, 1) if self.steady else None,
            "ceiling_handoffs_per_second": (
                round(self.ceiling.per_second, 1) if self.ceiling else None
            ),
            "ceiling_source": self.ceiling.source if self.ceiling else None,
            "python_client_ceiling_handoffs_per_second": (
                round(self.ceiling.best.per_second, 1) if self.ceiling else None
            ),
            "engine_over_ceiling": _round(self.engine_over_ceiling(), 3),
            "minimal_ceiling_handoffs_per_second": _round(
                self.ceiling.minimal_per_second if self.ceiling else None, 1
            ),
            "engine_over_minimal_ceiling": _round(self.engine_over_minimal_ceiling(), 3),
            "grid_end_time_calls_per_second": (
                {k: round(v) for k, v in self.grid.end_time.items()} if self.grid else None
            ),
            "grid_over_zone_conversion": {k: round(v, 3) for k, v in grid_ratio.items()} or None,
            "worker_max_rss_mb": {engine: max(mb) for engine, mb in rss.items() if mb} or None,
            **self._read_headlines(),
            **self._stall_headlines(),
        }

    def _stall_headlines(self) -> dict[str, object]:
        stall = self.stall
        if stall is None:
            return {key: None for key in HEADLINE_KEYS if key.startswith("stall_")}
        return {
            "stall_canary_max_ms": round(stall.canary_max_ms, 1),
            "stall_canary_p99_ms": round(stall.canary_p99_ms, 1),
            "stall_handoff_lag_ms": _round(stall.lag_ms, 1),
            "stall_server_errors": stall.server_errors,
        }

    def _read_headlines(self) -> dict[str, object]:
        reads = self.reads
        if reads is None:
            return {
                key: None
                for key in HEADLINE_KEYS
                if key.startswith(("read_", "list_", "statements_"))
            }
        return {
            "read_rotation_over_minimal": _round(reads.throughput_ratio, 3),
            "read_rotation_p99_ms": round(reads.rotation.p99_ms, 1),
            "read_rotation_p99_over_minimal": _round(reads.p99_ratio, 3),
            "list_first_page_ms": {p.route: round(p.ms, 1) for p in reads.first_pages},
            "list_first_page_bytes": {p.route: p.bytes for p in reads.first_pages},
            "statements_per_request": {
                route: {str(size): counts.get(route) for size, counts in reads.statements.items()}
                for route in reads.statements[min(reads.statements)]
            },
        }

    # --- goals ----------------------------------------------------------------------------

    def goals(self) -> list[Goal]:
        """Each goal of bench.md's second-round table, in its order, with a verdict."""
        return [
            self._minimal_ceiling_goal(),
            self._storm_goal(),
            self._batch_ratio_goal(),
            self._monday_goal(),
            *self._idle_goals(),
            self._steady_goal(),
            self._subscribed_goal(),
            self._active_goal(),
            self._grid_goal(),
            *self._memory_goals(),
            *self._read_goals(),
            *self._stall_goals(),
        ]

    def _stall_goals(self) -> list[Goal]:
        """Issue 24's: under slow clients and heavy requests, no request delays another (the
        canary) by more than a second, a due handoff keeps engine.md's lag, and nothing fails."""
        stall = self.stall
        names = (
            "under attack: a cheap request's slowest (canary)",
            "under attack: a due handoff's lag",
            "under attack: 5xx responses and failed canary requests",
        )
        goals = (f"<= {GOAL_CANARY_MS:,.0f} ms", f"<= {GOAL_LAG_MS:.0f} ms", "0")
        if stall is None:
            return [Goal(n, g, "not run", None) for n, g in zip(names, goals, strict=True)]
        where = f", R={stall.rotations:,}, {stall.slow_clients} slow clients"
        failures = stall.server_errors + stall.canary_failures
        return [
            Goal(
                names[0] + where,
                goals[0],
                f"{stall.canary_max_ms:,.0f} ms",
                stall.canary_max_ms <= GOAL_CANARY_MS,
            ),
            Goal(
                names[1] + where,
                goals[1],
                "not recorded" if stall.lag_ms is None else f"{stall.lag_ms:,.0f} ms",
                stall.lag_ms is not None and stall.lag_ms <= GOAL_LAG_MS,
            ),
            Goal(
                names[2] + where,
                goals[2],
                f"{failures:,}" + ("" if stall.service_alive else ", `handoff up` died"),
                failures == 0 and stall.service_alive,
            ),
        ]

    def _read_goals(self) -> list[Goal]:
        """Round three's reads (scenario 6)."""
        reads = self.reads
        names = (
            "GET a rotation / minimal endpoint, 20 clients (throughput)",
            "GET a rotation / minimal endpoint, 20 clients (p99)",
            "first page of every list, API / web",
            "statements per request, at R / at 1,000",
        )
        goals = (
            f">= {READ_GOAL_THROUGHPUT}",
            f"<= {READ_GOAL_P99:.0f}",
            f"<= {FIRST_PAGE_GOAL_MS['api']:.0f} ms / <= {FIRST_PAGE_GOAL_MS['web']:.0f} ms,"
            " <= 1 MB",
            "1.0",
        )
        if reads is None:
            return [Goal(n, g, "not run", None) for n, g in zip(names, goals, strict=True)]
        throughput, p99 = reads.throughput_ratio, reads.p99_ratio
        slow = [
            f"{p.route} {p.ms:,.0f} ms, {p.bytes:,} B"
            for p in reads.first_pages
            if p.ms > FIRST_PAGE_GOAL_MS["api" if p.route.startswith("/api/") else "web"]
            or p.bytes > FIRST_PAGE_GOAL_BYTES
        ]
        small, large = min(reads.statements), max(reads.statements)
        names = (*names[:3], f"statements per request, at R / at {small:,}")
        grew = [
            f"{route} {n} -> {reads.statements[large].get(route)}"
            for route, n in reads.statements[small].items()
            if reads.statements[large].get(route) != n
        ]
        worst = max(reads.first_pages, key=lambda p: p.ms)
        return [
            Goal(
                names[0],
                goals[0],
                "n/a" if throughput is None else f"{throughput:.2f}",
                None if throughput is None else throughput >= READ_GOAL_THROUGHPUT,
            ),
            Goal(
                names[1],
                goals[1],
                "n/a" if p99 is None else f"{p99:.2f}",
                None if p99 is None else p99 <= READ_GOAL_P99,
            ),
            Goal(
                f"{names[2]}, R={reads.rotations:,}",
                goals[2],
                "; ".join(slow) if slow else f"slowest {worst.route} {worst.ms:,.0f} ms",
                not slow,
            ),
            Goal(
                f"{names[3]}, R={large:,}",
                goals[3],
                "; ".join(grew) if grew else "equal on every list",
                not grew,
            ),
        ]

    def _minimal_ceiling_goal(self) -> Goal:
        minimal = self.ceiling.minimal_per_second if self.ceiling else None
        name, goal = "minimal ceiling (pgbench, one statement)", "measured beside the ceiling"
        if minimal is None or self.ceiling is None:
            return Goal(name, goal, "not run", None)
        return Goal(
            name,
            goal,
            f"{minimal:,.0f}/s; engine's statements {self.ceiling.per_second:,.0f}/s",
            True,
        )

    def _storm_goal(self) -> Goal:
        headline, ratio = self.storm_headline_rate(), self.engine_over_minimal_ceiling()
        goal = f">= {STORM_GOAL_SHARE_OF_MINIMAL_CEILING:.0%} of the minimal ceiling"
        if headline is None or ratio is None:
            return Goal("storm, queue engine x2 / minimal ceiling", goal, "not run", None)
        size, rate = headline
        return Goal(
            f"storm N={size:,}, queue engine x2 / minimal ceiling",
            goal,
            f"{ratio:.0%} ({rate:,.0f}/s)",
            ratio >= STORM_GOAL_SHARE_OF_MINIMAL_CEILING if size == STORM_SIZE else None,
        )

    def _batch_ratio_goal(self) -> Goal:
        ratios = self._storm_ratio("batch_1")
        name = "storm, queue engine x2 / batch engine"
        if not ratios:
            return Goal(name, "reported", "not run", None)
        size = STORM_SIZE if STORM_SIZE in ratios else max(ratios)
        ratio = ratios[size]
        if ratio is None:
            measured = "the batch engine recorded no handoff while observed"
            return Goal(f"{name}, N={size:,}", "reported", measured, False)
        return Goal(f"{name}, N={size:,}", "reported", f"{ratio:,.1f}x", True)

    def _monday_goal(self) -> Goal:
        ratio, goal = self.monday_ratio(), f">= {MONDAY_GOAL_RATIO} of the 10,000 storm, once each"
        if self.monday is None or ratio is None:
            return Goal("Monday 09:00 storm / storm of 10,000", goal, "not run (full run)", None)
        m = self.monday
        once = (
            "every handoff once"
            if m.recorded_once
            else (
                f"{m.lag.recorded:,} handoffs for {m.rotations_recorded:,} "
                f"of {m.rotations:,} rotations"
            )
        )
        return Goal(
            f"Monday 09:00 storm N={m.rotations:,} / storm",
            goal,
            f"{ratio:.2f} ({m.handoffs_per_second:,.0f}/s), {once}",
            ratio >= MONDAY_GOAL_RATIO and m.recorded_once if m.rotations == MONDAY_SIZE else None,
        )

    def _idle_goals(self) -> list[Goal]:
        ratios = {k: v for k, v in self.idle_ratios().items() if v is not None}
        growth = self.idle_queue_growth()
        goals: list[Goal] = []
        if not ratios:
            goals.append(
                Goal("idle DB time batch/queue", f">= {IDLE_GOAL_RATIO:.0f}x", "not run", None)
            )
        else:
            size = IDLE_GOAL_SIZE if IDLE_GOAL_SIZE in ratios else max(ratios)
            note = "" if size == IDLE_GOAL_SIZE else f" (goal stated at {IDLE_GOAL_SIZE:,})"
            goals.append(
                Goal(
                    f"idle DB time batch/queue, R={size:,}{note}",
                    f">= {IDLE_GOAL_RATIO:.0f}x",
                    f"{ratios[size]:,.1f}x",
                    # A verdict needs the size the goal is stated at; smaller runs only inform.
                    ratios[size] >= IDLE_GOAL_RATIO if size == IDLE_GOAL_SIZE else None,
                )
            )
        goal = f"<= {IDLE_FLAT_GOAL}x"
        if growth is None:
            goals.append(Goal("idle DB time, queue, R=1,000,000 / R=1,000", goal, "not run", None))
        else:
            small, large, value = growth
            stated = (small, large) == (IDLE_FLAT_SMALL, IDLE_FLAT_LARGE)
            note = "" if stated else " (goal stated at 1,000,000 / 1,000: full run)"
            goals.append(
                Goal(
                    f"idle DB time, queue, R={large:,} / R={small:,}{note}",
                    goal,
                    f"{value:.2f}x",
                    value <= IDLE_FLAT_GOAL if stated else None,
                )
            )
        return goals

    def _steady_goal(self) -> Goal:
        p99 = self.steady.lag.p99_ms if self.steady else None
        return Goal(
            "p99 lag, steady",
            f"<= {STEADY_GOAL_P99_MS:.0f} ms",
            "not run" if p99 is None else f"{p99:,.1f} ms",
            None if p99 is None else p99 <= STEADY_GOAL_P99_MS,
        )

    def _subscribed_goal(self) -> Goal:
        sub = self.subscribed
        goal = f">= {SUBSCRIBED_GOAL_RATIO} of the same storm without, every message delivered"
        ratio = sub.throughput_ratio if sub else None
        if sub is None or ratio is None:
            return Goal("subscribed storm / storm", goal, "not run", None)
        delivered = (
            f"all {sub.rotations:,} delivered"
            if sub.all_delivered
            else f"{sub.received_messages:,} of {sub.rotations:,} received, outbox {sub.messages}"
        )
        return Goal(
            f"subscribed storm N={sub.rotations:,} / storm",
            goal,
            f"{ratio:.2f} ({sub.subscribed.handoffs_per_second:,.0f}/s vs "
            f"{sub.baseline.handoffs_per_second:,.0f}/s), {delivered}",
            ratio >= SUBSCRIBED_GOAL_RATIO and sub.all_delivered,
        )

    def _active_goal(self) -> Goal:
        found = self.active
        goal = f">= {ACTIVE_GOAL_RATIO} of the plain storm, every change recorded once"
        ratio = found.throughput_ratio if found else None
        if found is None or ratio is None:
            return Goal("active-hours storm / storm", goal, "not run", None)
        once = found.active.recorded_once
        return Goal(
            f"active-hours storm N={found.rotations:,} / storm",
            goal,
            f"{ratio:.2f} ({found.active.handoffs_per_second:,.0f}/s vs "
            f"{found.baseline.handoffs_per_second:,.0f}/s), "
            + ("each recorded once" if once else f"{found.active.lag.recorded:,} rows recorded"),
            ratio >= ACTIVE_GOAL_RATIO and once,
        )

    def _grid_goal(self) -> Goal:
        ratios = self.grid.over_zone_conversion() if self.grid else {}
        goal = f">= {GRID_GOAL_OVER_ZONE_CONVERSION} of fromtimestamp(t, ZoneInfo)"
        if not ratios or self.grid is None:
            return Goal("grid end_time / zone conversion (slowest type)", goal, "not run", None)
        slowest = min(ratios, key=lambda k: ratios[k])
        return Goal(
            "grid end_time / zone conversion (slowest type)",
            goal,
            f"{ratios[slowest]:.3f} ({slowest}: {self.grid.end_time[slowest]:,.0f}/s)",
            ratios[slowest] >= GRID_GOAL_OVER_ZONE_CONVERSION,
        )

    def _memory_goals(self) -> list[Goal]:
        queue = self.worker_rss()["queue"]
        batch = self.batch_rss_at_largest_idle()
        goals = [
            Goal(
                "worker memory, queue engine (largest RSS)",
                f"<= {QUEUE_MEMORY_GOAL_MB:.0f} MB",
                "not run" if not queue else f"{max(queue):.0f} MB",
                None if not queue else max(queue) <= QUEUE_MEMORY_GOAL_MB,
            )
        ]
        goal = f"<= {BATCH_MEMORY_GOAL_MB:.0f} MB at {BATCH_MEMORY_GOAL_SIZE:,}"
        if batch is None:
            goals.append(Goal("worker memory, batch engine", goal, "not run", None))
        else:
            size, mb = batch
            stated = size == BATCH_MEMORY_GOAL_SIZE
            goals.append(
                Goal(
                    f"worker memory, batch engine, idle R={size:,}"
                    + ("" if stated else " (goal stated at 1,000,000: full run)"),
                    goal,
                    f"{mb:.0f} MB",
                    mb <= BATCH_MEMORY_GOAL_MB if stated else None,
                )
            )
        return goals

    def as_json(self) -> dict[str, object]:
        return {
            "profile": self.profile,
            "server": self.server,
            "stats_source": self.stats_source,
            "seconds": round(self.seconds, 1),
            "headlines": self.headlines(),
            "goals": [g.as_json() for g in self.goals()],
            "scenarios": {
                "idle": [r.as_json() for r in self.idle] or None,
                "storm": [r.as_json() for r in self.storm] or None,
                "monday": self.monday.as_json() if self.monday else None,
                "subscribed": self.subscribed.as_json() if self.subscribed else None,
                "active": self.active.as_json() if self.active else None,
                "schedule_storm": (self.schedule_storm.as_json() if self.schedule_storm else None),
                "steady": self.steady.as_json() if self.steady else None,
                "ceiling": self.ceiling.as_json() if self.ceiling else None,
                "grid": self.grid.as_json() if self.grid else None,
                "reads": self.reads.as_json() if self.reads else None,
                "stall": self.stall.as_json() if self.stall else None,
            },
        }


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)
