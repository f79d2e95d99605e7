"""`handoff user ...` and `handoff token ...`."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from psycopg import AsyncConnection

from handoff.store import tokens

from .conftest import Cli


def test_user_create_list_delete(cli: Cli) -> None:
    created = cli.json("user", "create", "Ann", "--email", "ann@example.com")
    assert created["name"] == "Ann" and created["created_at"].endswith("Z")
    cli.ok("user", "create", "Bob")
    listed = cli.json("user", "list")
    assert [u["name"] for u in listed] == ["Ann", "Bob"]
    table = cli.ok("user", "list").stdout
    assert "Ann" in table and "ann@example.com" in table
    cli.ok("user", "delete", "Ann")
    cli.ok("user", "delete", listed[1]["id"])
    assert cli.json("user", "list") == []


def test_user_refusals_change_nothing(cli: Cli) -> None:
    cli.ok("user", "create", "Ann")
    cli.ok("user", "create", "Ann", "--allow-same-name")
    counts = cli.snapshot()
    before = counts()
    assert "no user 'Zed'" in cli.refused("user", "delete", "Zed")
    assert "more than one user is named 'Ann'" in cli.refused("user", "delete", "Ann")
    assert "email" in cli.refused("user", "create", "Cid", "--email", "nope")
    assert "name" in cli.refused("user", "create", "   ")
    assert "valid Unicode" in cli.refused("user", "create", "bad\udcffbyte")  # undecodable argv
    assert "valid Unicode" in cli.refused("user", "delete", "bad\udcffbyte")
    assert counts() == before


def test_token_create_list_revoke(cli: Cli) -> None:
    secret = cli.ok("token", "create", "--name", "ci", "--role", "reader", "--quiet").stdout
    assert secret.count("\n") == 1 and secret.startswith("hoff_")
    loud = cli.ok("token", "create", "--name", "ops", "--role", "admin").stdout
    assert "shown only this once" in loud

    async def check(secret: str) -> tokens.Token | None:
        async with await AsyncConnection.connect(cli.db_url, autocommit=True) as conn:
            return await tokens.authenticate(conn, secret, now=datetime.now(UTC))

    found = asyncio.run(check(secret.strip()))
    assert found is not None and found.role == "reader" and found.name == "ci"
    listed = cli.json("token", "list")
    assert [(t["name"], t["role"], t["revoked_at"]) for t in listed] == [
        ("ci", "reader", None),
        ("ops", "admin", None),
    ]
    assert secret.strip() not in cli.ok("token", "list", "--json").stdout
    cli.ok("token", "revoke", "ci")
    assert asyncio.run(check(secret.strip())) is None
    assert cli.json("token", "list")[0]["revoked_at"] is not None


def test_token_refusals_change_nothing(cli: Cli) -> None:
    cli.ok("token", "create", "--name", "ci", "--role", "reader")
    counts = cli.snapshot()
    before = counts()
    assert "--role" in cli.refused("token", "create", "--name", "x", "--role", "root")
    assert "already exists" in cli.refused("token", "create", "--name", "ci", "--role", "admin")
    assert "no live token" in cli.refused("token", "revoke", "nope")
    assert counts() == before
