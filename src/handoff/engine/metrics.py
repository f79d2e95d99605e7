"""The engine's Prometheus metrics; their names are part of the contract (engine.md).

They live in prometheus_client's default registry, so a process that runs an engine (a
`handoff worker` with `--metrics-port`, or the API process of `handoff up` through
`asgi_app()`) exposes them together with the process metrics (RSS, CPU).
"""

from __future__ import annotations

from prometheus_client import (
    REGISTRY,
    Counter,
    Gauge,
    Histogram,
    make_asgi_app,
    start_http_server,
)

LAG_BUCKETS_SECONDS = (0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 300, 3600)
DURATION_BUCKETS_SECONDS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)

HANDOFFS = Counter("handoff_handoffs", "Handoffs recorded.", ["engine", "cause"], registry=REGISTRY)
LAG = Histogram(
    "handoff_lag_seconds",
    "Time from a boundary to its recorded handoff.",
    buckets=LAG_BUCKETS_SECONDS,
    registry=REGISTRY,
)
JOBS = Gauge("handoff_jobs", "Rotation jobs in the queue by state.", ["state"], registry=REGISTRY)
JOB_DURATION = Histogram(
    "handoff_job_duration_seconds",
    "Time to run one update_rotations job.",
    ["outcome"],
    buckets=DURATION_BUCKETS_SECONDS,
    registry=REGISTRY,
)
JOB_FAILURES = Counter(
    "handoff_job_failures", "Rotation updates that raised (each is retried).", registry=REGISTRY
)
BATCHED = Counter(
    "handoff_job_rotation_writes",
    "Rotations brought up to date by queue jobs, by path: batched (one read per job, guarded"
    " writes in one call) or locked (changed since read, or needing more than a state write).",
    ["path"],
    registry=REGISTRY,
)
DISPATCH_REPAIRS = Counter(
    "handoff_dispatch_repairs",
    "Missed updates found and enqueued again by the sweep.",
    registry=REGISTRY,
)
ROTATIONS_OVERDUE = Gauge(
    "handoff_rotations_overdue",
    "Rotations whose next run time passed more than the overdue threshold ago.",
    registry=REGISTRY,
)
BATCH_CYCLE = Histogram(
    "handoff_batch_cycle_seconds",
    "Duration of one batch engine cycle.",
    buckets=DURATION_BUCKETS_SECONDS,
    registry=REGISTRY,
)

# Notifications (notify.md).
DELIVERIES = Counter(
    "handoff_deliveries",
    "Delivery attempts of notification messages, by channel kind and outcome.",
    ["kind", "outcome"],
    registry=REGISTRY,
)
DELIVERY_LAG = Histogram(
    "handoff_delivery_lag_seconds",
    "Time from an on-call change to its message's 2xx answer.",
    buckets=LAG_BUCKETS_SECONDS,
    registry=REGISTRY,
)
DELIVERIES_PENDING = Gauge(
    "handoff_deliveries_pending", "Notification messages not yet delivered.", registry=REGISTRY
)


def serve(port: int, host: str = "0.0.0.0") -> int:
    """Serve /metrics on its own port from a background thread (`--metrics-port`); returns
    the port bound (the system's choice when `port` is 0)."""
    server, _ = start_http_server(port, addr=host, registry=REGISTRY)
    return int(server.server_port)


def asgi_app() -> object:
    """An ASGI app serving the same registry, for the API process to mount at /metrics."""
    return make_asgi_app(registry=REGISTRY)
