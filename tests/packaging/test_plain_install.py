"""A plain `pip install .` (no dev extra) is a working install.

A fresh virtualenv gets the package and its runtime dependencies only (pip's cache makes the
second run quick); then every module of the package imports, `handoff --help` answers and
`handoff preview` computes a grid. A module importing something only the dev extra provides
(as the chaos package once imported httpx) fails here.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import venv
from pathlib import Path

import pytest

# It needs no database, so it runs once: in the suite's first pass, not again in .ci/run's
# pass against the machine's PostgreSQL (which leaves out e2e).
pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
INSTALL_TIMEOUT = 600

IMPORT_EVERY_MODULE = """
import importlib, pkgutil, handoff
names = [m.name for m in pkgutil.walk_packages(handoff.__path__, "handoff.")]
for name in names:
    importlib.import_module(name)
print(len(names), "modules")
"""


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A virtualenv with `pip install .` and nothing else; its bin directory."""
    home = tmp_path_factory.mktemp("plain-install")
    venv.EnvBuilder(with_pip=True).create(home / "venv")
    bin_dir = home / "venv" / "bin"
    # Built from a copy of what a clone has: a build in the work tree would leave build/ there,
    # and a stale build/ could install modules that no longer exist.
    source = home / "source"
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
    shutil.copytree(ROOT / "src", source / "src", ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    subprocess.run(
        [str(bin_dir / "pip"), "install", "--quiet", "--disable-pip-version-check", str(source)],
        check=True,
        timeout=INSTALL_TIMEOUT,
        env=_env(home),
    )
    return bin_dir


def _env(home: Path) -> dict[str, str]:
    """The environment without this virtualenv's traces, so nothing leaks in from the dev one."""
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env["HANDOFF_DATA_DIR"] = str(home / "data")
    return env


def _run(plain: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, capture_output=True, text=True, env=_env(plain.parent.parent), timeout=120
    )


def test_the_dev_extra_is_not_installed(plain: Path) -> None:
    listed = _run(plain, str(plain / "pip"), "list", "--format=freeze").stdout.lower()
    assert "pytest==" not in listed and "hypothesis==" not in listed
    assert "handoff==" in listed


def test_every_module_imports(plain: Path) -> None:
    result = _run(plain, str(plain / "python"), "-c", IMPORT_EVERY_MODULE)
    assert result.returncode == 0, result.stderr[-3000:]
    assert int(result.stdout.split()[0]) > 50  # the walk found the package, not an empty one


def test_handoff_help_and_preview_run(plain: Path) -> None:
    helped = _run(plain, str(plain / "handoff"), "--help")
    assert helped.returncode == 0, helped.stderr[-3000:]
    assert "preview" in helped.stdout and "rotation" in helped.stdout
    preview = _run(
        plain,
        str(plain / "handoff"),
        "preview",
        "--type", "hourly",
        "--start", "2027-03-28T00:00+01:00",
        "--zone", "Europe/Berlin",
        "--from", "2027-03-28T00:30+01:00",
        "--count", "3",
        "--json",
    )  # fmt: skip
    assert preview.returncode == 0, preview.stderr[-3000:]
    assert preview.stdout.split() == [
        "[",
        '"2027-03-28T00:00:00Z",',
        '"2027-03-28T01:00:00Z",',
        '"2027-03-28T02:00:00Z"',
        "]",
    ]
