"""The README's command-line examples run exactly as shown, in order."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from .conftest import Cli

README = Path(__file__).resolve().parents[2] / "README.md"
CONSOLE_BLOCK = re.compile(r"```console\n(.*?)```", re.DOTALL)


def readme_commands() -> list[list[str]]:
    commands = []
    for block in CONSOLE_BLOCK.findall(README.read_text()):
        for line in block.splitlines():
            if line.startswith("$ handoff "):
                commands.append(shlex.split(line.removeprefix("$ handoff ")))
    return commands


def test_the_readme_shows_commands() -> None:
    assert len(readme_commands()) >= 5


def test_the_readme_commands_run_as_shown(cli: Cli) -> None:
    outputs = {command[0]: cli.ok(*command).stdout for command in readme_commands()}
    # The DST example: 02:00 does not exist that night, so 01:00 CET is followed by 03:00 CEST.
    preview = outputs["preview"]
    assert "01:00 CET" in preview and "03:00 CEST" in preview and "04:00 CEST" in preview
    assert "02:00 CE" not in preview
