"""What the API and the web UI share: the app factory that mounts both, and per-request deps.

Imports point one way: `api` and `web` each import `handoff.http.deps`; only the factory
(`handoff.http.app`) imports `api` and `web`, to mount their routers.
"""
