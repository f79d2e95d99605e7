"""Import from GoAlert (shared/spec/import.md): read its database, map, report.

- `source`: reads GoAlert's tables in one read-only, repeatable-read snapshot (never writes);
- `model`: GoAlert's rows as read;
- `plan`: pure: what each GoAlert rotation becomes in handoff (create, update, unchanged,
  conflict, invalid), and where GoAlert's own time math would hand off at another instant;
- `timemath`: GoAlert's time math, ported, for that comparison only;
- `write`: one planned rotation written into handoff's database, in one transaction, through
  handoff's write path (its SQL is `handoff.store.goalert`'s, which knows nothing of GoAlert's
  model: imports point from here to the store, never back);
- `report`: the report as a table or JSON.
"""
