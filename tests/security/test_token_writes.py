"""A token check writes the token's row at most once a minute (issues 24.6 and 25): the
requests of a busy client read the row and leave it alone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from psycopg import AsyncConnection

from handoff.store import tokens


async def _version(conn: AsyncConnection[object], token_id: object) -> tuple[str, object]:
    """The row's version (xmin: the transaction that wrote it last) and its last use."""
    cur = await conn.execute(
        "SELECT xmin::text, last_used_at FROM api_tokens WHERE id = %s", (token_id,)
    )
    row = await cur.fetchone()
    assert row is not None
    return row[0], row[1]


async def test_last_use_is_written_at_most_once_a_minute(db_url: str) -> None:
    now = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    async with await AsyncConnection.connect(db_url, autocommit=True) as conn:
        token, secret = await tokens.create(conn, "busy", "reader", now=now)
        first = await tokens.authenticate(conn, secret, now=now)
        assert first is not None and first.last_used_at == now
        written = await _version(conn, token.id)
        for seconds in (1, 30, 59):
            again = await tokens.authenticate(conn, secret, now=now + timedelta(seconds=seconds))
            assert again is not None and again.last_used_at == now
        assert await _version(conn, token.id) == written  # not one new row version
        later = now + timedelta(seconds=61)
        touched = await tokens.authenticate(conn, secret, now=later)
        assert touched is not None and touched.last_used_at == later
        version, last_used = await _version(conn, token.id)
        assert version != written[0] and last_used == later
        assert await tokens.authenticate(conn, secret + "x", now=later) is None
        await tokens.revoke(conn, "busy", now=later)
        assert await tokens.authenticate(conn, secret, now=later + timedelta(minutes=5)) is None
