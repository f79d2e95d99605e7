"""The bench's output for people: tables of every figure, and the goals with verdicts."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from handoff.bench import reads, stall
from handoff.bench.results import Results

FALLBACK_NOTE = (
    "pg_stat_statements is not loaded on this server: idle figures are transactions and "
    "active time from pg_stat_database (published with a delay of up to ~10 s)"
)


def _verdict(passed: bool | None) -> str:
    if passed is None:
        return "[dim]not judged[/]"
    return "[green]met[/]" if passed else "[red]NOT met[/]"


def render(results: Results, console: Console) -> None:
    console.print(
        f"[bold]handoff bench[/] ({results.profile}) on {results.server}, "
        f"{results.seconds:.0f} s; DB work from {results.stats_source or '-'}"
    )
    if results.stats_source == "pg_stat_database":
        console.print(f"[yellow]note:[/] {FALLBACK_NOTE}")
    if results.idle:
        console.print(_idle_table(results))
    if results.storm:
        console.print(_storm_table(results))
    if results.subscribed:
        sub = results.subscribed
        console.print(
            f"[bold]Subscribed storm[/] (every rotation subscribed to a local webhook): "
            f"{sub.subscribed.handoffs_per_second:,.0f} handoffs/s vs "
            f"{sub.baseline.handoffs_per_second:,.0f}/s without; receiver got "
            f"{sub.received_messages:,} of {sub.rotations:,} messages ({sub.received_posts:,} "
            f"posts), outbox {sub.messages}, drained {sub.drain_seconds:,.1f} s after the storm"
        )
    if results.steady:
        s = results.steady
        console.print(
            f"[bold]Steady lag[/]: {s.lag.recorded:,}/{s.rotations:,} handoffs over "
            f"{s.window_seconds:.0f} s, lag p50 {s.lag.p50_ms:,.0f} ms, "
            f"p99 {s.lag.p99_ms:,.0f} ms, max {s.lag.max_ms:,.0f} ms"
        )
    if results.ceiling:
        console.print(_ceiling_table(results))
        if results.ceiling.pgbench_missing:
            console.print(f"[yellow]note:[/] {results.ceiling.pgbench_missing}")
        console.print(
            f"engine / ceiling is judged against the [bold]{results.ceiling.source}[/] ceiling "
            f"({results.ceiling.per_second:,.0f} handoffs/s)"
        )
    if results.grid:
        console.print(_grid_table(results))
    if results.reads:
        console.print(_reads_table(results))
    if results.stall:
        console.print(_stall_table(results))
    console.print(_goals_table(results))


def _idle_table(results: Results) -> Table:
    table = Table(title="Idle cost vs size (database work per second of idle engine)")
    for column in ("rotations", "engine", "statements/s", "DB ms/s", "batch/queue"):
        table.add_column(column, justify="right")
    ratios = results.idle_ratios()
    for run in results.idle:
        ratio = ratios.get(run.rotations) if run.engine == "queue" else None
        table.add_row(
            f"{run.rotations:,}",
            run.engine,
            f"{run.work.statements / run.work.seconds:,.1f}" if run.work.seconds else "-",
            f"{run.work.db_ms_per_second:,.3f}",
            "-" if ratio is None else f"{ratio:,.1f}x",
        )
    return table


def _storm_table(results: Results) -> Table:
    table = Table(title="Handoff storm (all due at one instant)")
    for column in (
        "engine",
        "N",
        "recorded",
        "to all recorded",
        "handoffs/s",
        "p50 lag",
        "p99 lag",
        "max lag",
        "stmts/handoff",
        "each once",
    ):
        table.add_column(column, justify="right")
    for r in [*results.storm, *([results.monday] if results.monday else [])]:
        total = f"{r.seconds:,.2f} s" if r.complete else f"~{r.projected_seconds:,.0f} s (proj.)"
        table.add_row(
            r.config,
            f"{r.rotations:,}",
            f"{r.lag.recorded:,}",
            total,
            f"{r.handoffs_per_second:,.0f}",
            f"{r.lag.p50_ms:,.0f} ms",
            f"{r.lag.p99_ms:,.0f} ms",
            f"{r.lag.max_ms:,.0f} ms",
            f"{r.work.statements / r.lag.recorded:.1f}" if r.lag.recorded else "-",
            "yes" if r.recorded_once else "no",
        )
    return table


def _ceiling_table(results: Results) -> Table:
    ceiling = results.ceiling
    assert ceiling is not None
    table = Table(title="Ceiling (the engine's transaction, no queue, no framework)")
    for column in ("client", "levels: handoffs/s", "best", "headline"):
        table.add_column(column, justify="right")
    if ceiling.pgbench is not None:
        sweep = ceiling.pgbench
        table.add_row(
            "pgbench",
            ", ".join(f"{lv.clients} clients: {lv.per_second:,.0f}" for lv in sweep.levels),
            f"{sweep.best.per_second:,.0f}",
            "ceiling" if ceiling.source == "pgbench" else "",
        )
    if ceiling.minimal is not None:
        minimal = ceiling.minimal
        table.add_row(
            "pgbench, minimal (1 statement)",
            ", ".join(f"{lv.clients} clients: {lv.per_second:,.0f}" for lv in minimal.levels),
            f"{minimal.best.per_second:,.0f}",
            "minimal ceiling",
        )
    table.add_row(
        "python client",
        ", ".join(
            f"{lv.processes} proc. x {lv.connections} conn.: {lv.per_second:,.0f}"
            for lv in ceiling.levels
        ),
        f"{ceiling.best.per_second:,.0f}",
        "ceiling" if ceiling.source == "python client" else "",
    )
    return table


def _grid_table(results: Results) -> Table:
    assert results.grid is not None
    table = Table(title="Grid math (calls per second, this process)")
    for column in ("type", "end_time", "next_handoffs(10)", "end_time / zone conversion"):
        table.add_column(column, justify="right")
    ratios = results.grid.over_zone_conversion()
    for grid_type, rate in results.grid.end_time.items():
        table.add_row(
            grid_type,
            f"{rate:,.0f}",
            f"{results.grid.next_handoffs[grid_type]:,.0f}",
            f"{ratios[grid_type]:.3f}" if grid_type in ratios else "-",
        )
    if results.grid.zone_conversion:
        table.caption = (
            f"datetime.fromtimestamp(t, ZoneInfo(zone)): {results.grid.zone_conversion:,.0f}/s"
        )
    return table


def _reads_table(results: Results) -> Table:
    assert results.reads is not None
    table = Table(title=f"Reads at {results.reads.rotations:,} rotations (scenario 6)")
    for column in ("figure", "measured"):
        table.add_column(column)
    for label, figure in reads.describe(results.reads):
        table.add_row(label, figure)
    return table


def _stall_table(results: Results) -> Table:
    assert results.stall is not None
    s = results.stall
    table = Table(
        title=f"Under attack: {s.rotations:,} rotations, `handoff up`, {s.slow_clients} slow "
        f"clients and {stall.HEAVY_CLIENTS} heavy for {s.seconds:.0f} s (issue 24)"
    )
    for column in ("figure", "measured"):
        table.add_column(column)
    for label, figure in stall.describe(s):
        table.add_row(label, figure)
    return table


def _goals_table(results: Results) -> Table:
    table = Table(title="Goals (shared/spec/bench.md)")
    for column in ("figure", "goal", "measured", ""):
        table.add_column(column)
    for goal in results.goals():
        table.add_row(goal.name, goal.goal, goal.measured, _verdict(goal.passed))
    return table
