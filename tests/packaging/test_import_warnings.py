"""The service starts without a warning its operator cannot act on: loading the web app and
every route (single sign-on's authlib included) warns of nothing."""

from __future__ import annotations

import subprocess
import sys


def test_loading_the_service_warns_of_nothing() -> None:
    loaded = subprocess.run(
        [sys.executable, "-c", "import handoff.http.app, handoff.web.routes.oidc"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    # Not `-W error`: authlib files its own warnings under "always", past any -W option.
    assert loaded.returncode == 0 and loaded.stderr == "", loaded.stderr[-2000:]
