"""A real OpenID provider for the tests: `oidc-provider` from the npm registry, run on this
machine's Node (tests/web/idp/provider.mjs), installed once into a cache directory."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

IDP = Path(__file__).parent / "idp"
SCRIPT = IDP / "provider.mjs"
PACKAGE = (IDP / "package.txt").read_text().strip()  # .ci/run installs the same


def cache_dir() -> Path:
    root = os.environ.get("HANDOFF_TEST_NPM_CACHE") or Path.home() / ".cache" / "handoff-tests"
    return Path(root) / "oidc-provider"


def installed() -> Path:
    """The package's entry module, installed from the npm registry when missing."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        message = "node and npm are needed to run the OpenID provider"
        if os.environ.get("HANDOFF_REQUIRE_OIDC"):
            pytest.fail(message + " (HANDOFF_REQUIRE_OIDC is set, as in CI)")
        pytest.skip(message)
    target = cache_dir()
    module = target / "node_modules" / "oidc-provider" / "lib" / "index.js"
    if not module.exists():
        target.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            ["npm", "install", "--prefix", str(target), "--no-audit", "--no-fund", PACKAGE],
            check=True,
            capture_output=True,
            timeout=300,
        )
    return module


@contextlib.contextmanager
def provider(redirect_uri: str, client_id: str, secret: str) -> Iterator[str]:
    """Run the provider on a port it binds itself until the block ends; yield its issuer."""
    env = os.environ | {"OIDC_PROVIDER_MODULE": str(installed())}
    process = subprocess.Popen(
        ["node", str(SCRIPT), redirect_uri, client_id, secret],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert process.stdout is not None
        said = []
        while (line := process.stdout.readline()) and not line.startswith("ready "):
            said.append(line)  # its notices about development mode
        if not line:
            raise RuntimeError("the OpenID provider did not start: " + "".join(said))
        yield f"http://127.0.0.1:{int(line.split()[1])}"
    finally:
        process.terminate()
        process.wait(timeout=10)
