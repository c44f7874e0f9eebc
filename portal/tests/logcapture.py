"""Capture every log record the portal emits during a test, for tests that no personal data reaches the logs.

What is captured: the records production would write (settings.LOGGING) plus everything at INFO and above
from every logger, even those production keeps at WARNING. Records are captured raw, before the production
handler's scrubbing filter, so a test shows that services never log the value in the first place.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []
        self._formatter = logging.Formatter("%(levelname)s %(name)s %(message)s")

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self._formatter.format(record))


@contextmanager
def all_logs(level: int = logging.INFO) -> Iterator[list[str]]:
    handler = _Collect()
    root = logging.getLogger()
    loggers = [logging.getLogger(name) for name in list(logging.root.manager.loggerDict)]
    saved = [(lg, lg.level, lg.disabled) for lg in loggers] + [(root, root.level, root.disabled)]
    for lg, lvl, _disabled in saved:
        lg.disabled = False
        if lvl == logging.NOTSET or lvl > level:
            lg.setLevel(level if lg is root or lvl != logging.NOTSET else logging.NOTSET)
    root.addHandler(handler)
    try:
        yield handler.lines
    finally:
        root.removeHandler(handler)
        for lg, lvl, disabled in saved:
            lg.setLevel(lvl)
            lg.disabled = disabled
