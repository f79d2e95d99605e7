"""Hostile text round-trips exactly or is refused cleanly, through the API and the CLI.

Names with quotes, SQL fragments, LIKE wildcards, right-to-left marks, emoji and
combining characters must come back byte for byte and be found by `?q=`; a NUL byte or
a name over its limit (10,000 characters) must be a 422 (or the CLI's one-line error) that
writes nothing. Every statement takes its values as parameters, so none of these can change
a query.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable

import pytest

from .conftest import Secured

HOSTILE = [
    'O\'Brien "Bob"',
    "Robert'); DROP TABLE users; --",
    "100% _done_ \\ back\\slash",
    "名前 Zoë 😀 مرحبا \u200f end",
    "e\u0301\u0301 combining",
    "$1 %s %(name)s {name} :name ?",
]
LONG = 10_000
NAME_LIMIT = 200
DESCRIPTION_LIMIT = 10_000
CLI = [sys.executable, "-c", "from handoff.cli.main import main; main()"]


def _rotation_body(name: str, **fields: object) -> dict[str, object]:
    return {
        "name": name,
        "type": "weekly",
        "start": "2026-03-02T09:00:00Z",
        "time_zone": "Europe/Berlin",
    } | fields


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_names_round_trip_and_are_found(
    secured: Secured, unique: Callable[[str], str], text: str
) -> None:
    name = unique(text)
    with secured.admin as admin:
        user = admin.post("/api/v1/users", json={"name": name})
        assert user.status_code == 201, user.text
        assert admin.get(f"/api/v1/users/{user.json()['id']}").json()["name"] == name
        created = admin.post("/api/v1/rotations", json=_rotation_body(name, description=text * 3))
        assert created.status_code == 201, created.text
        found = admin.get("/api/v1/rotations", params={"q": name}).json()["items"]
    assert [(r["name"], r["description"]) for r in found] == [(name, text * 3)]
    rows = secured.sql("SELECT name FROM users WHERE id = %s", user.json()["id"])
    assert rows == [(name,)]


def test_wildcards_in_a_search_match_only_themselves(
    secured: Secured, unique: Callable[[str], str]
) -> None:
    plain = unique("wild")
    with secured.admin as admin:
        assert admin.post("/api/v1/rotations", json=_rotation_body(plain)).status_code == 201
        for pattern in ("%", "_", "\\", "'", "%wild%"):
            got = admin.get("/api/v1/rotations", params={"q": pattern, "limit": 500})
            assert got.status_code == 200
            assert all(pattern in r["name"] for r in got.json()["items"]), pattern


def test_a_ten_thousand_character_description_round_trips(
    secured: Secured, unique: Callable[[str], str]
) -> None:
    description = ("ß'😀" * LONG)[:DESCRIPTION_LIMIT]
    with secured.admin as admin:
        created = admin.post(
            "/api/v1/rotations", json=_rotation_body(unique("long"), description=description)
        )
        assert created.status_code == 201, created.text
        shown = admin.get(f"/api/v1/rotations/{created.json()['id']}").json()
    assert shown["description"] == description


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/users", {"name": "x" * LONG}),
        ("/api/v1/users", {"name": "nul\x00byte"}),
        ("/api/v1/users", {"name": "ok", "email": "@" * LONG}),
        ("/api/v1/rotations", _rotation_body("x" * LONG)),
        ("/api/v1/rotations", _rotation_body("nul\x00rotation")),
        ("/api/v1/rotations", _rotation_body("long text", description="d" * (LONG + 1))),
        ("/api/v1/rotations", _rotation_body("zone", time_zone="../../etc/passwd")),
        ("/api/v1/rotations", _rotation_body("zone", time_zone="x" * LONG)),
        (
            "/api/v1/rotations/preview",
            {
                "type": "daily",
                "shift_length": 1,
                "count": 5,
                "start": "2026-03-02T09:00:00Z",
                "time_zone": "\x00",
            },
        ),
    ],
)
def test_oversized_and_nul_values_are_refused_cleanly(
    secured: Secured, path: str, body: dict[str, object]
) -> None:
    before = secured.counts()
    with secured.admin as admin:
        response = admin.post(path, json=body)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["status"] == 422 and problem["errors"]
    assert len(response.text) < LONG, "the error echoes the whole value back"
    assert secured.counts() == before


def _cli(secured: Secured, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ) | {"HANDOFF_DATABASE_URL": secured.url}
    return subprocess.run([*CLI, *args], env=env, capture_output=True, text=True)


def test_cli_round_trips_hostile_names(secured: Secured, unique: Callable[[str], str]) -> None:
    name = unique(HOSTILE[1] + HOSTILE[3])
    assert _cli(secured, "user", "create", name).returncode == 0
    listed = json.loads(_cli(secured, "user", "list", "--json").stdout)
    assert name in [u["name"] for u in listed]


@pytest.mark.parametrize(
    "args",
    [
        ["user", "create", "x" * LONG],
        ["user", "create", ""],
        ["user", "create", "ok", "--email", "@" * LONG],
        [
            "rotation",
            "create",
            "r",
            "--type",
            "fortnightly",
            "--start",
            "2026-03-02T09:00Z",
            "--zone",
            "UTC",
        ],
        ["rotation", "create", "r", "--type", "daily", "--start", "yesterday", "--zone", "UTC"],
        [
            "rotation",
            "create",
            "r",
            "--type",
            "daily",
            "--start",
            "2026-03-02T09:00Z",
            "--zone",
            "../../etc/passwd",
        ],
        [
            "rotation",
            "create",
            "r",
            "--type",
            "daily",
            "--start",
            "2026-03-02T09:00Z",
            "--zone",
            "UTC",
            "--length",
            "0",
        ],
        [
            "rotation",
            "create",
            "r" * LONG,
            "--type",
            "daily",
            "--start",
            "2026-03-02T09:00Z",
            "--zone",
            "UTC",
        ],
        [
            "rotation",
            "create",
            "r",
            "--type",
            "daily",
            "--start",
            "2026-03-02T09:00Z",
            "--zone",
            "UTC",
            "--participant",
            "nobody by this name 'quoted'",
        ],
        ["rotation", "show", "' OR 1=1 --"],
        ["token", "create", "--name", "t" * LONG, "--role", "admin"],
        ["token", "create", "--name", "t", "--role", "root"],
    ],
)
def test_cli_refuses_malformed_values_and_writes_nothing(secured: Secured, args: list[str]) -> None:
    before = secured.counts()
    result = _cli(secured, *args)
    assert result.returncode == 2, (result.stdout, result.stderr[-500:])
    # Refused as a value by handoff (one line), not as a command line Typer could not parse.
    assert result.stderr.startswith("error:"), result.stderr[-500:]
    assert "Traceback" not in result.stderr
    assert len(result.stderr) < LONG, "the error echoes the whole value back"
    assert secured.password not in result.stdout + result.stderr
    assert secured.counts() == before


CONTROL_NAMES = [
    "red \x1b[31m text",
    "carriage\rreturn",
    "line\nfeed",
    "tab\there",
    "bell\x07",
    "delete\x7f",
    "c1 \x9b31m csi",
    "next line \x85",
]
NOT_ZONES = ["localtime", "posixrules", "Factory", "right/UTC", "posix/Europe/Berlin"]


@pytest.mark.parametrize("name", CONTROL_NAMES)
def test_names_with_control_characters_are_refused(secured: Secured, name: str) -> None:
    before = secured.counts()
    with secured.admin as admin:
        refused = [
            admin.post("/api/v1/users", json={"name": name}),
            admin.post("/api/v1/users", json={"name": "ok", "email": f"a{name}@example.com"}),
            admin.post("/api/v1/rotations", json=_rotation_body(name)),
        ]
    for response in refused:
        assert response.status_code == 422, response.text
        (error,) = response.json()["errors"]
        assert error["field"] in ("name", "email")
        assert "control characters" in error["message"]
    assert secured.counts() == before


def test_a_description_keeps_lines_and_tabs_but_no_other_control_character(
    secured: Secured, unique: Callable[[str], str]
) -> None:
    with secured.admin as admin:
        kept = admin.post(
            "/api/v1/rotations",
            json=_rotation_body(unique("described"), description="one\r\ntwo\n\tindented"),
        )
        refused = admin.post(
            "/api/v1/rotations",
            json=_rotation_body(unique("escaped"), description="one\x1b[2Jtwo"),
        )
    assert kept.status_code == 201, kept.text
    assert kept.json()["description"] == "one\ntwo\n\tindented"
    assert refused.status_code == 422
    assert [e["field"] for e in refused.json()["errors"]] == ["description"]


@pytest.mark.parametrize("zone", NOT_ZONES)
def test_only_iana_zone_names_are_time_zones(
    secured: Secured, unique: Callable[[str], str], zone: str
) -> None:
    before = secured.counts()
    with secured.admin as admin:
        created = admin.post("/api/v1/rotations", json=_rotation_body(unique("z"), time_zone=zone))
        previewed = admin.post(
            "/api/v1/rotations/preview",
            json={"type": "daily", "start": "2026-03-02T09:00:00Z", "time_zone": zone, "count": 2},
        )
        existing = admin.post("/api/v1/rotations", json=_rotation_body(unique("z ok")))
        patched = admin.patch(
            f"/api/v1/rotations/{existing.json()['id']}", json={"time_zone": zone}
        )
    for response in (created, previewed, patched):
        assert response.status_code == 422, response.text
        assert [e["field"] for e in response.json()["errors"]] == ["time_zone"]
    after = secured.counts()
    assert after["rotations"] == before["rotations"] + 1  # only the valid one


@pytest.mark.parametrize(
    "zone", ["UTC", "US/Eastern", "Etc/GMT+5", "America/Argentina/Buenos_Aires"]
)
def test_canonical_names_and_legacy_aliases_are_time_zones(
    secured: Secured, unique: Callable[[str], str], zone: str
) -> None:
    with secured.admin as admin:
        created = admin.post("/api/v1/rotations", json=_rotation_body(unique("z"), time_zone=zone))
    assert created.status_code == 201, created.text


@pytest.mark.parametrize(
    "args",
    [
        ["user", "create", "red \x1b[31m"],
        ["user", "create", "two\nlines"],
        ["token", "create", "--name", "t\x07", "--role", "reader"],
        ["rotation", "create", "r\r", "--type", "daily", "--start", "2026-03-02T09:00Z",
         "--zone", "UTC"],
        ["rotation", "create", "r", "--type", "daily", "--start", "2026-03-02T09:00Z",
         "--zone", "localtime"],
        ["preview", "--type", "daily", "--start", "2026-03-02T09:00Z", "--zone", "right/UTC"],
    ],
)  # fmt: skip
def test_cli_refuses_control_characters_and_non_zones(secured: Secured, args: list[str]) -> None:
    before = secured.counts()
    result = _cli(secured, *args)
    assert result.returncode == 2, (result.stdout, result.stderr[-500:])
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:"), result.stderr[-500:]
    assert "\x1b" not in result.stderr and "\x07" not in result.stderr
    assert secured.counts() == before


def test_cli_names_every_field_at_fault(secured: Secured) -> None:
    result = _cli(
        secured, "rotation", "create", "bad\x1b", "--type", "yearly",
        "--start", "2026-03-02T09:00Z", "--zone", "UTC", "--length", "0",
    )  # fmt: skip
    assert result.returncode == 2
    for field in ("type:", "shift_length:", "name:"):
        assert field in result.stderr, result.stderr


def test_cli_names_a_users_every_field_at_fault(secured: Secured) -> None:
    before = secured.counts()
    result = _cli(secured, "user", "create", "bad\x1b", "--email", "nope")
    assert result.returncode == 2
    assert "name:" in result.stderr and "email:" in result.stderr, result.stderr
    assert secured.counts() == before
