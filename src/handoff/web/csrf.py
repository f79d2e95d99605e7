"""Cross-site request forgery protection: a per-session token every form and htmx POST sends.

The token is an HMAC of the session's own secret (the server-side session's, or before sign-in
a random pre-session value), both kept in HttpOnly cookies. Another site can make the browser send
those cookies but cannot read them, so it cannot compute the token; and as the token is derived
rather than stored, every process serving the UI checks it the same way with no shared state.
"""

from __future__ import annotations

import hashlib
import hmac

_PURPOSE = b"handoff web csrf v1"
HEADER = "X-CSRF-Token"
FIELD = "csrf_token"


def csrf_token(session_secret: str) -> str:
    return hmac.new(session_secret.encode(), _PURPOSE, hashlib.sha256).hexdigest()


def check_csrf(session_secret: str | None, submitted: str | None) -> bool:
    """Whether `submitted` is this session's token (constant time); False without a session."""
    if not session_secret or not submitted:
        return False
    return hmac.compare_digest(csrf_token(session_secret), submitted)
