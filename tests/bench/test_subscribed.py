"""The subscribed storm's receiver and set-based subscriptions, on a real socket and database."""

from __future__ import annotations

import httpx
import psycopg

from handoff.bench import population, server, subscribed


def test_receiver_answers_200_and_counts_messages_by_id() -> None:
    with subscribed.receiver() as (url, seen), httpx.Client() as client:
        for message_id in ("msg_a", "msg_b", "msg_a"):  # a retry reuses its id
            answer = client.post(url, content=b"{}", headers={"webhook-id": message_id})
            assert answer.status_code == 200
        assert (seen.posts, seen.distinct()) == (3, 2)


def test_subscribe_all_subscribes_every_rotation_to_one_webhook(server_url: str) -> None:
    with server.fresh_database(server_url) as url, psycopg.connect(url, autocommit=True) as conn:
        population.populate(conn, 25, population.storm_layout(population.now()))
        subscribed.subscribe_all(conn, "http://127.0.0.1:9/hook")
        row = conn.execute(
            """SELECT count(DISTINCT s.rotation_id), count(DISTINCT c.id), min(c.kind),
                      min(c.target), bool_and(c.secret IS NOT NULL)
               FROM notify_subscriptions s JOIN notify_channels c ON c.id = s.channel_id"""
        ).fetchone()
        assert row == (25, 1, "webhook", "http://127.0.0.1:9/hook", True)
        assert subscribed.outbox(conn) == {}
