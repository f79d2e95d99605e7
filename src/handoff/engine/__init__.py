"""The engines that keep rotations current (shared/spec/engine.md).

- `app`: the Procrastinate app and its one task, `update_rotations`.
- `process`: one rotation, one transaction: lock, apply the pure rules, save (state, history,
  next run time).
- `dispatcher`: moves due rotations from the schedule column into the queue.
- `sweep`: repairs missed updates and retries jobs of dead workers.
- `batch`: GoAlert's pre-queue rotation manager, the baseline and migration path.
- `runner`: runs all of the above in one process (`handoff worker`, `handoff up`).
- `metrics`: the Prometheus metrics named by the contract.
"""
