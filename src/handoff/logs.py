"""Structured logs: JSON lines in production, readable lines in a terminal.

Importing structlog (with the tracebacks, rich and pygments it loads) took about 0.05 s of the
0.41 s CPU of a `handoff rotation list`, and most commands log nothing. So it is imported
when something first logs: a module's `log = logs.Logger(...)` and the standard library's
root handler are both set up without it, and `configure`'s settings reach structlog at the
first record (at once if structlog is already loaded).
"""

from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    import structlog

    from handoff.config import Settings

_unapplied = False  # `configure` ran and structlog has not been configured since


def configure(settings: Settings) -> None:
    """Route structlog and the standard library's logging through one renderer."""
    global _unapplied
    json_output = settings.log_format == "json" or (
        settings.log_format == "auto" and not sys.stderr.isatty()
    )
    root = logging.getLogger()
    root.handlers[:] = [_Handler(json_output)]
    root.setLevel(settings.log_level.upper())
    # Third-party chatter stays at warning unless we debug.
    for noisy in ("procrastinate", "uvicorn.access", "alembic", "httpx"):
        logging.getLogger(noisy).setLevel(
            logging.DEBUG if settings.log_level == "debug" else logging.WARNING
        )
    _unapplied = True
    if "structlog" in sys.modules:
        _configured()


def _shared() -> list[structlog.typing.Processor]:
    """What every record goes through first, structlog's and the standard library's."""
    import structlog

    return [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]


def _configured() -> None:
    """Apply `configure`'s settings to structlog, unless that is done already."""
    global _unapplied
    import structlog

    if _unapplied:
        _unapplied = False
        structlog.configure(
            processors=[*_shared(), structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
            logger_factory=structlog.stdlib.LoggerFactory(),
            cache_logger_on_first_use=True,
        )


class _Handler(logging.StreamHandler[TextIO]):
    """stderr, through structlog's ProcessorFormatter, built at the first record.

    The stream is stderr as it is when each record is written, not as it was at `configure`:
    whatever swaps stderr for a while (a test runner's capture, click's CliRunner) closes its
    stand-in afterwards, and a handler holding that would fail on every later record."""

    def __init__(self, json_output: bool) -> None:
        super().__init__()
        self.json_output = json_output

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _: TextIO) -> None:
        """StreamHandler sets its stream; this handler has none of its own."""

    def format(self, record: logging.LogRecord) -> str:
        if self.formatter is None:
            import structlog

            _configured()
            renderer: structlog.typing.Processor = (
                structlog.processors.JSONRenderer()
                if self.json_output
                else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
            )
            self.setFormatter(
                structlog.stdlib.ProcessorFormatter(
                    foreign_pre_chain=_shared(),
                    processors=[
                        structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                        structlog.processors.format_exc_info,
                        renderer,
                    ],
                )
            )
        return super().format(record)


class Logger:
    """A module's structlog logger (`log.info("event", key=value)`), got from structlog at
    its first use."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._logger: Any = None

    def __getattr__(self, method: str) -> Any:
        if self._logger is None:
            import structlog

            _configured()
            self._logger = structlog.get_logger(self._name)
        return getattr(self._logger, method)
