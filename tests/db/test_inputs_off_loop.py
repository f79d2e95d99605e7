"""Reading every rotation's inputs leaves the event loop free (issue 24's probe): the rows are
decoded in chunks with a turn of the loop between them, and the inputs built in a thread."""

from __future__ import annotations

import asyncio
from typing import Any

import psycopg
import pytest

from handoff.bench import population
from handoff.store import inputs

ROTATIONS = inputs.CHUNK_ROWS + 100


class _Chunks:
    """A cursor whose result is already decoded in three chunks: like psycopg's, its fetchmany
    needs no I/O, so it never lets the event loop run by itself."""

    def __init__(self, ticks: list[int], counter: list[int]) -> None:
        self.chunks: list[list[dict[str, Any]]] = [[{"n": i}] for i in range(3)]
        self.ticks, self.counter = ticks, counter

    async def fetchmany(self, size: int) -> list[dict[str, Any]]:
        self.ticks.append(self.counter[0])
        return self.chunks.pop(0) if self.chunks else []


def test_decoding_gives_the_event_loop_a_turn_between_chunks() -> None:
    async def main() -> tuple[list[dict[str, Any]], list[int]]:
        counter, ticks = [0], []
        done = asyncio.Event()

        async def ticker() -> None:
            while not done.is_set():
                counter[0] += 1
                await asyncio.sleep(0)

        task = asyncio.create_task(ticker())
        await asyncio.sleep(0)
        rows = await inputs.fetch_in_chunks(_Chunks(ticks, counter))  # type: ignore[arg-type]
        done.set()
        await task
        return rows, ticks

    rows, ticks = asyncio.run(main())
    assert rows == [{"n": 0}, {"n": 1}, {"n": 2}]
    assert ticks == sorted(set(ticks)) and len(ticks) == 4  # the ticker ran between each


def test_the_inputs_of_many_rotations_are_built_off_the_event_loop(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with psycopg.connect(db_url, autocommit=True) as conn:
        population.populate(conn, ROTATIONS, population.idle_layout(population.now()))
    built_on_loop: list[bool] = []
    build = inputs._readings

    def watched(rows: list[dict[str, Any]]) -> list[inputs.Reading]:
        try:
            asyncio.get_running_loop()
            built_on_loop.append(True)
        except RuntimeError:
            built_on_loop.append(False)
        return build(rows)

    monkeypatch.setattr(inputs, "_readings", watched)

    async def main() -> tuple[int, int]:
        async with await psycopg.AsyncConnection.connect(db_url) as conn:
            everything = await inputs.read(conn, None)
            one = await inputs.read(conn, [everything[0].rotation_id])
        return len(everything), len(one)

    assert asyncio.run(main()) == (ROTATIONS, 1)
    assert built_on_loop == [False, True]  # a few rotations: built where they are read
