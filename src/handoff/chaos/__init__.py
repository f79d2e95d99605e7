"""The fault suite behind `handoff chaos` (issue 6): no handoff lost or doubled, whatever fails.

- `server`: the PostgreSQL the suite runs on, a fresh database on it, and restarting it.
- `population`: rotations whose boundaries fall where a fault needs them, with a baseline.
- `workers`: real `handoff worker` subprocesses, supervised, killed with SIGKILL.
- `invariants`: the checks made from the database after each fault, with the pure core.
- `faults/`: one module per fault.
- `runner`, `report`: the profiles, the run, and the table it prints.
"""
