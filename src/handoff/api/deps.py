"""The API routes' per-request dependencies: the shared ones of `handoff.http.deps`."""

from handoff.http.deps import AppSettings, Conn, Now, connection, now, pool, settings

__all__ = ["AppSettings", "Conn", "Now", "connection", "now", "pool", "settings"]
