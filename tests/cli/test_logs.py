"""Logging is configured by every command but structlog is loaded only when something logs
(issue 23, item 3): a module's logger and the standard library's records still come out as one
kind of line, whether structlog was loaded before the configuration or after it."""

from __future__ import annotations

import json
import os
import subprocess
import sys

CONFIGURE = (
    "import logging, sys\n"
    "from handoff import logs\n"
    "from handoff.config import load_settings\n"
    "log = logs.Logger('handoff.test')\n"
)


def _run(code: str) -> subprocess.CompletedProcess[str]:
    env = os.environ | {"HANDOFF_LOG_FORMAT": "json", "HANDOFF_LOG_LEVEL": "info"}
    return subprocess.run(
        [sys.executable, "-c", CONFIGURE + code],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=60,
    )


def _events(stderr: str) -> list[tuple[str, str]]:
    lines = [json.loads(line) for line in stderr.splitlines()]
    assert all("timestamp" in line for line in lines), stderr
    return [(line["level"], line["event"]) for line in lines]


def test_structlog_is_loaded_at_the_first_record_and_renders_both_kinds_of_record() -> None:
    result = _run(
        "logs.configure(load_settings())\n"
        "print('structlog' in sys.modules)\n"
        "log.debug('below the level')\n"
        "log.info('from structlog', n=1)\n"
        "logging.getLogger('a.library').warning('from %s', 'logging')\n"
        "print('structlog' in sys.modules)\n"
    )
    assert result.stdout.split() == ["False", "True"]
    assert _events(result.stderr) == [("info", "from structlog"), ("warning", "from logging")]
    assert json.loads(result.stderr.splitlines()[0])["n"] == 1


def test_a_logger_used_before_the_configuration_follows_it_afterwards() -> None:
    result = _run(
        "log.info('before')\n"
        "logs.configure(load_settings())\n"
        "log.info('after', n=2)\n"
        "logging.getLogger('a.library').warning('from logging')\n"
    )
    assert "before" in result.stdout  # structlog's own default, as without a configuration
    assert _events(result.stderr) == [("info", "after"), ("warning", "from logging")]


def test_records_go_to_stderr_as_it_is_when_written_not_as_it_was_at_configure() -> None:
    result = _run(
        "import io\n"
        "real = sys.stderr\n"
        "sys.stderr = io.StringIO()\n"  # a test runner's capture, say, during configure
        "logs.configure(load_settings())\n"
        "sys.stderr.close()\n"
        "sys.stderr = real\n"
        "log.info('after the stand-in closed')\n"
        "logging.getLogger('a.library').warning('from logging')\n"
    )
    assert "Logging error" not in result.stderr, result.stderr
    assert _events(result.stderr) == [
        ("info", "after the stand-in closed"),
        ("warning", "from logging"),
    ]
