"""Process-wide shutdown flag: set when the server is asked to stop (``orbit serve``/``run``
set it from uvicorn's signal handler), before uvicorn waits for open connections. Long-lived
responses (event streams) check it and end, so a stop is not held up by them for
``ORBIT_SHUTDOWN_TIMEOUT_SECONDS``."""

from __future__ import annotations

import threading

_stopping = threading.Event()


def begin_shutdown() -> None:
    _stopping.set()


def shutting_down() -> bool:
    return _stopping.is_set()


def reset() -> None:
    """For tests: a process that serves again after a stop."""
    _stopping.clear()
