"""`--plot FILE.png`: the scaling curves, idle DB time against size and storm throughput."""

from __future__ import annotations

from pathlib import Path

from handoff.bench.results import Results

FIGURE_SIZE_INCHES = (12, 5)
DPI = 120


def draw(results: Results, path: Path) -> None:
    """Write a two-panel PNG; a panel whose scenario did not run says so."""
    import matplotlib

    matplotlib.use("Agg")  # files only: no display needed
    import matplotlib.pyplot as plt

    fig, (idle_ax, storm_ax) = plt.subplots(1, 2, figsize=FIGURE_SIZE_INCHES)
    per_engine = results.idle_db_ms_per_second()
    for engine, by_size in sorted(per_engine.items()):
        sizes = sorted(by_size)
        idle_ax.plot(sizes, [by_size[s] for s in sizes], marker="o", label=f"{engine} engine")
    idle_ax.set_xscale("log")
    idle_ax.set_yscale("log")
    idle_ax.set_xlabel("rotations")
    idle_ax.set_ylabel("DB time, ms per second idle")
    idle_ax.set_title("Idle cost vs size")
    if per_engine:
        idle_ax.legend()
    else:
        idle_ax.text(0.5, 0.5, "not run", ha="center", transform=idle_ax.transAxes)

    rates = results.storm_rates()
    for config, by_size in sorted(rates.items()):
        sizes = sorted(by_size)
        storm_ax.plot(sizes, [by_size[s] for s in sizes], marker="o", label=config)
    if results.ceiling is not None:
        storm_ax.axhline(
            results.ceiling.per_second,
            linestyle="--",
            color="grey",
            label=f"ceiling ({results.ceiling.source})",
        )
        if results.ceiling.pgbench is not None:
            storm_ax.axhline(
                results.ceiling.best.per_second,
                linestyle=":",
                color="grey",
                label="python client ceiling",
            )
    storm_ax.set_xscale("log")
    storm_ax.set_xlabel("rotations due at one instant")
    storm_ax.set_ylabel("handoffs per second")
    storm_ax.set_title("Storm throughput per engine configuration")
    if rates:
        storm_ax.legend()
    else:
        storm_ax.text(0.5, 0.5, "not run", ha="center", transform=storm_ax.transAxes)
    fig.suptitle(f"handoff bench ({results.profile}) on {results.server}")
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
