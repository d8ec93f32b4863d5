"""Ctrl-C and SIGTERM stop a run between two requests, never inside one.

A create whose answer the interrupt cuts off leaves a record the run cannot journal, and so
cannot delete: the workspace made it, but its id never arrived. Once the run's records exist,
the first Ctrl-C (or SIGTERM) therefore only asks to stop; the run stops with
KeyboardInterrupt before its next request (`Target.send_with_retries`), when everything it
created is journalled, and its cleanup (exempt requests) then deletes it all. A second signal
stops at once.
"""

from __future__ import annotations

import os
import signal
import threading

_REQUESTED = threading.Event()


def _on_signal(signum: int, frame: object) -> None:
    if _REQUESTED.is_set():  # asked twice: stop now
        raise KeyboardInterrupt
    _REQUESTED.set()
    os.write(2, b"\nflexie: stopping before the next request, then deleting what the run "
                b"created (once more to stop at once)\n")


def install() -> None:
    """Handle SIGINT and SIGTERM as above (only the main thread may: elsewhere, nothing)."""
    for signum in (signal.SIGINT, signal.SIGTERM):
        try:
            signal.signal(signum, _on_signal)
        except ValueError:
            return


def request() -> None:
    """Ask every thread to stop before its next request (the run is ending early)."""
    _REQUESTED.set()


def stop_if_requested() -> None:
    """Raise KeyboardInterrupt if a stop was asked for: called before each request."""
    if _REQUESTED.is_set():
        raise KeyboardInterrupt
