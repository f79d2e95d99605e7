"""What the command line writes, made safe: user errors as one line, text without raw control
characters.

Names are refused with control characters, but a row written by plain SQL (or before that rule)
may still hold an escape sequence; printed raw it would recolour or rewrite the user's terminal.
Light on purpose: `handoff --help` imports this module and nothing heavier.
"""

from __future__ import annotations

import re

USER_ERROR_EXIT_CODE = 2

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def visible(value: object) -> str:
    """`value` as text with every control character written as an escape, e.g. `\\x1b`."""
    return _CONTROL.sub(lambda found: f"\\x{ord(found[0]):02x}", str(value))


def one_line(message: str) -> str:
    """A message on one line: line breaks become spaces, other control characters escapes."""
    return visible(" ".join(message.split()))
