"""`handoff bench`: the queue engine against the batch engine and the machine's ceiling.

The contract is shared/spec/bench.md. Each scenario lives in its own module (`idle`, `storm`,
`steady`, `ceiling`, `grid`) and works in a fresh database it creates and drops
(`server.fresh_database`); `runner` sequences them, `results` turns figures into headline
ratios and goal verdicts, `report` and `plot` present them.
"""
