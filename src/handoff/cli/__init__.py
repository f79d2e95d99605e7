"""The `handoff` command line: thin Typer commands over the core and the store."""
