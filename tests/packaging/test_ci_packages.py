"""`.ci/run` installs the Debian packages the suite needs when they are missing (Chromium for
the browser tests, faketime for the clock-skew test, PgBouncer and iproute2 for the deployment
tests, which would otherwise be skipped, and prometheus for `promtool`, which checks the
alerting rules): one `apt-get update`, one install of all that is
missing. Its block runs here as CI runs it, with the paths moved into a temporary directory
and `apt-get` and `sudo` stubbed (installing for real needs root and the network); the stub
"installs" by creating the file a package provides."""

from __future__ import annotations

import stat
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
LIBFAKETIME = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"
PGBOUNCER = "/usr/sbin/pgbouncer"
IP = "/usr/sbin/ip"
PROMTOOL = "/usr/bin/promtool"
ALL = {"chromium", "faketime", "pgbouncer", "iproute2", "prometheus"}

APT_GET = """#!/bin/sh
echo "$*" >> "{log}"
if [ "$1" = install ]; then
  for package in "$@"; do
    case "$package" in
      chromium) {chromium} ;;
      faketime) {faketime} ;;
      pgbouncer) {pgbouncer} ;;
      iproute2) {iproute2} ;;
      prometheus) {prometheus} ;;
    esac
  done
fi
"""


def _block() -> str:
    text = (ROOT / ".ci" / "run").read_text()
    start = text.index("# >>> system packages")
    return text[start : text.index("# <<< system packages", start)]


def _run(tmp_path: Path, have: set[str], provides: set[str]) -> tuple[int, list[str]]:
    """Run the block with `have` already installed and an apt-get whose install provides the
    packages in `provides`; returns the exit code and the apt-get calls."""
    chromium, libfaketime = tmp_path / "chromium", tmp_path / "lib" / "libfaketime.so.1"
    pgbouncer, ip = tmp_path / "pgbouncer", tmp_path / "ip"
    promtool = tmp_path / "promtool"
    libfaketime.parent.mkdir()
    creates = {
        "chromium": f"touch '{chromium}' && chmod +x '{chromium}'",
        "faketime": f"touch '{libfaketime}'",
        "pgbouncer": f"touch '{pgbouncer}' && chmod +x '{pgbouncer}'",
        "iproute2": f"touch '{ip}' && chmod +x '{ip}'",
        "prometheus": f"touch '{promtool}' && chmod +x '{promtool}'",
    }
    for package in have:
        subprocess.run(["sh", "-c", creates[package]], check=True)
    log = tmp_path / "apt.log"
    stubs = tmp_path / "bin"
    stubs.mkdir()
    apt_get = APT_GET.format(
        log=log, **{name: creates[name] if name in provides else ":" for name in creates}
    )
    for name, body in (("apt-get", apt_get), ("sudo", '#!/bin/sh\nexec "$@"\n')):
        (stubs / name).write_text(body)
        (stubs / name).chmod(stat.S_IRWXU)
    script = (
        _block()
        .replace(f"CHROMIUM={CHROMIUM}", f"CHROMIUM='{chromium}'")
        .replace(f"LIBFAKETIME={LIBFAKETIME}", f"LIBFAKETIME='{libfaketime}'")
        .replace(f"PGBOUNCER={PGBOUNCER}", f"PGBOUNCER='{pgbouncer}'")
        .replace(f"IP={IP}", f"IP='{ip}'")
        .replace(f"PROMTOOL={PROMTOOL}", f"PROMTOOL='{promtool}'")
    )
    for path in (chromium, libfaketime, pgbouncer, ip, promtool):
        assert str(path) in script, "the block's paths moved"
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        env={"PATH": f"{stubs}:/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=30,
    )
    calls = log.read_text().splitlines() if log.exists() else []
    return done.returncode, calls


@pytest.mark.parametrize(
    ("have", "installed"),
    [
        (set(), "chromium faketime pgbouncer iproute2 prometheus"),
        (ALL - {"faketime"}, "faketime"),
        (ALL - {"chromium"}, "chromium"),
        (ALL - {"pgbouncer"}, "pgbouncer"),
        (ALL - {"iproute2"}, "iproute2"),
        (ALL - {"prometheus"}, "prometheus"),
    ],
)
def test_what_is_missing_is_installed_in_one_go(
    tmp_path: Path, have: set[str], installed: str
) -> None:
    code, calls = _run(tmp_path, have, provides=ALL)
    assert code == 0
    assert calls == ["update -qq", f"install -y -qq {installed}"]


def test_nothing_is_installed_when_all_are_there(tmp_path: Path) -> None:
    assert _run(tmp_path, ALL, provides=set()) == (0, [])


@pytest.mark.parametrize("package", ["faketime", "pgbouncer", "iproute2", "prometheus"])
def test_ci_stops_when_a_package_is_still_missing(tmp_path: Path, package: str) -> None:
    """Rather than run the suite with the clock-skew or pooler tests skipped."""
    code, calls = _run(tmp_path, ALL - {package}, provides=set())
    assert code == 1
    assert calls == ["update -qq", f"install -y -qq {package}"]
