"""Everything that talks SQL: connections, named queries, and the schema's migrations."""
