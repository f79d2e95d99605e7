"""One module per fault; each `run(context, profile)` returns a FaultResult."""
