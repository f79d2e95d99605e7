"""The UI's routes, one module per page family; `handoff.web.router` includes them all."""
