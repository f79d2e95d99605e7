"""A bench run's figures, its headline ratios, and the goals of bench.md with verdicts.

Every headline is computed from figures measured in the same run. A headline whose scenario
did not run (`--scenario`) is present with the value null, so consumers of `--json` always
find every key.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from handoff.bench.ceiling import CeilingResult
from handoff.bench.grid import GridRates
from handoff.bench.idle import IdleRun
from handoff.bench.steady import SteadyResult
from handoff.bench.storm import StormRound

STORM_GOAL_PER_SECOND = 1_000.0
STORM_GOAL_SHARE_OF_CEILING = 0.40
STEADY_GOAL_P99_MS = 200.0
IDLE_GOAL_RATIO = 100.0
IDLE_GOAL_SIZE = 100_000
# "Flat in R": the queue engine's idle DB time at the largest size may be at most this many
# times that at the smallest, a margin for the noise of a shared machine.
IDLE_FLAT_TOLERANCE = 2.0
GRID_GOAL_PER_SECOND = 100_000.0
MEMORY_GOAL_MB = 150.0
HEADLINE_CONFIG = "queue_2"  # the storm goal is stated for the queue engine with 2 workers

HEADLINE_KEYS = (
    "idle_batch_over_queue_db_time",
    "storm_handoffs_per_second",
    "storm_queue_2_over_batch",
    "storm_queue_2_over_queue_1",
    "steady_p99_lag_ms",
    "ceiling_handoffs_per_second",
    "ceiling_source",
    "python_client_ceiling_handoffs_per_second",
    "engine_over_ceiling",
    "grid_end_time_calls_per_second",
    "worker_max_rss_mb",
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
    steady: SteadyResult | None = None
    ceiling: CeilingResult | None = None
    grid: GridRates | None = None

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
        """(N, rate) of the queue engine with 2 workers at the largest storm measured."""
        rates = self.storm_rates().get(HEADLINE_CONFIG)
        if not rates:
            return None
        size = max(rates)
        return size, rates[size]

    def engine_over_ceiling(self) -> float | None:
        """The storm headline over the ceiling (pgbench's when it ran: `ceiling.source`)."""
        headline = self.storm_headline_rate()
        if headline is None or self.ceiling is None or not self.ceiling.per_second:
            return None
        return headline[1] / self.ceiling.per_second

    def worker_rss(self) -> dict[str, list[float]]:
        """Largest resident memory of each worker process seen, in MiB, by engine."""
        rss: dict[str, list[float]] = {"queue": [], "batch": []}
        for run in self.idle:
            rss[run.engine] += run.rss_mb
        for r in self.storm:
            rss[r.config.split("_")[0]] += r.rss_mb
        if self.steady is not None:
            rss["queue"] += self.steady.rss_mb
        return rss

    def headlines(self) -> dict[str, object]:
        rss = self.worker_rss()
        ratio = self.engine_over_ceiling()
        return {
            "idle_batch_over_queue_db_time": {
                str(k): _round(v, 1) for k, v in self.idle_ratios().items()
            }
            or None,
            "storm_handoffs_per_second": {
                config: {str(n): round(v, 1) for n, v in by_n.items()}
                for config, by_n in self.storm_rates().items()
            }
            or None,
            "storm_queue_2_over_batch": {
                str(k): _round(v, 2) for k, v in self._storm_ratio("batch_1").items()
            }
            or None,
            "storm_queue_2_over_queue_1": {
                str(k): _round(v, 2) for k, v in self._storm_ratio("queue_1").items()
            }
            or None,
            "steady_p99_lag_ms": round(self.steady.lag.p99_ms, 1) if self.steady else None,
            "ceiling_handoffs_per_second": (
                round(self.ceiling.per_second, 1) if self.ceiling else None
            ),
            "ceiling_source": self.ceiling.source if self.ceiling else None,
            "python_client_ceiling_handoffs_per_second": (
                round(self.ceiling.best.per_second, 1) if self.ceiling else None
            ),
            "engine_over_ceiling": _round(ratio, 3),
            "grid_end_time_calls_per_second": (
                {k: round(v) for k, v in self.grid.end_time.items()} if self.grid else None
            ),
            "worker_max_rss_mb": {engine: max(mb) for engine, mb in rss.items() if mb} or None,
        }

    # --- goals ----------------------------------------------------------------------------

    def goals(self) -> list[Goal]:
        goals: list[Goal] = []
        headline = self.storm_headline_rate()
        if headline is None:
            goals.append(Goal("storm, queue engine x2", ">= 1,000 handoffs/s", "not run", None))
        else:
            size, rate = headline
            goals.append(
                Goal(
                    f"storm, queue engine x2, N={size:,}",
                    f">= {STORM_GOAL_PER_SECOND:,.0f} handoffs/s",
                    f"{rate:,.0f} handoffs/s",
                    rate >= STORM_GOAL_PER_SECOND,
                )
            )
        ratio = self.engine_over_ceiling()
        goals.append(
            Goal(
                "storm / ceiling",
                f">= {STORM_GOAL_SHARE_OF_CEILING:.0%} of the ceiling",
                "not run"
                if ratio is None or self.ceiling is None
                else (
                    f"{ratio:.0%} of the {self.ceiling.source} ceiling "
                    f"({self.ceiling.per_second:,.0f}/s)"
                ),
                None if ratio is None else ratio >= STORM_GOAL_SHARE_OF_CEILING,
            )
        )
        p99 = self.steady.lag.p99_ms if self.steady else None
        goals.append(
            Goal(
                "p99 lag, steady",
                f"<= {STEADY_GOAL_P99_MS:.0f} ms",
                "not run" if p99 is None else f"{p99:,.0f} ms",
                None if p99 is None else p99 <= STEADY_GOAL_P99_MS,
            )
        )
        goals += self._idle_goals()
        slowest = min(self.grid.end_time.items(), key=lambda kv: kv[1]) if self.grid else None
        goals.append(
            Goal(
                "grid end_time calls/s (slowest type)",
                f">= {GRID_GOAL_PER_SECOND:,.0f} per core",
                "not run" if slowest is None else f"{slowest[1]:,.0f} ({slowest[0]})",
                None if slowest is None else slowest[1] >= GRID_GOAL_PER_SECOND,
            )
        )
        for engine, rss in self.worker_rss().items():
            goals.append(
                Goal(
                    f"worker memory, {engine} engine (largest RSS)",
                    f"<= {MEMORY_GOAL_MB:.0f} MB per process",
                    "not run" if not rss else f"{max(rss):.0f} MB",
                    None if not rss else max(rss) <= MEMORY_GOAL_MB,
                )
            )
        return goals

    def _idle_goals(self) -> list[Goal]:
        ratios = {k: v for k, v in self.idle_ratios().items() if v is not None}
        queue = self.idle_db_ms_per_second().get("queue", {})
        if not ratios or not queue:
            return [
                Goal("idle DB time batch/queue", f">= {IDLE_GOAL_RATIO:.0f}x", "not run", None),
                Goal("idle DB time, queue, flat in R", "flat", "not run", None),
            ]
        size = IDLE_GOAL_SIZE if IDLE_GOAL_SIZE in ratios else max(ratios)
        note = "" if size == IDLE_GOAL_SIZE else f" (goal stated at {IDLE_GOAL_SIZE:,})"
        smallest, largest = min(queue), max(queue)
        growth = queue[largest] / queue[smallest] if queue[smallest] else float("inf")
        return [
            Goal(
                f"idle DB time batch/queue, R={size:,}{note}",
                f">= {IDLE_GOAL_RATIO:.0f}x",
                f"{ratios[size]:,.1f}x",
                # A verdict needs the size the goal is stated at; smaller runs only inform.
                ratios[size] >= IDLE_GOAL_RATIO if size == IDLE_GOAL_SIZE else None,
            ),
            Goal(
                f"idle DB time, queue, R={largest:,} vs R={smallest:,}",
                f"flat (<= {IDLE_FLAT_TOLERANCE:.0f}x)",
                f"{growth:.2f}x",
                growth <= IDLE_FLAT_TOLERANCE,
            ),
        ]

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
                "steady": self.steady.as_json() if self.steady else None,
                "ceiling": self.ceiling.as_json() if self.ceiling else None,
                "grid": self.grid.as_json() if self.grid else None,
            },
        }


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)
