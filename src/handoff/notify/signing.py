"""Standard Webhooks signatures (standardwebhooks.com): HMAC-SHA256 over "{id}.{ts}.{body}"."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

SECRET_PREFIX = "whsec_"
KEY_BYTES = 32


def new_key() -> bytes:
    return secrets.token_bytes(KEY_BYTES)


def secret_text(key: bytes) -> str:
    """The secret as shown to the user once (`whsec_<base64>`), as receivers' libraries take it."""
    return SECRET_PREFIX + base64.b64encode(key).decode()


def message_id(uuid_hex: str) -> str:
    return f"msg_{uuid_hex}"


def signature(key: bytes, msg_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers(key: bytes, msg_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(key, msg_id, timestamp, body),
        "content-type": "application/json",
    }
