"""The engines that keep rotations current (shared/spec/engine.md).

- `app`: the rotations' Procrastinate task, `update_rotations`.
- `process`: one rotation, one transaction: lock, apply the pure rules, save (state, history,
  next run time).
- `dispatcher`: moves due rotations from the schedule column into the queue.
- `sweep`: repairs missed updates and retries jobs of dead workers.
- `batch`: GoAlert's pre-queue rotation manager, the baseline and migration path.
- `runner`: a queue worker's supervision and its pool's connections; the process that runs
  all of the above with notify's worker and sweep is `handoff.worker` (above engine and notify).
- `metrics`: the Prometheus metrics named by the contract.
"""
