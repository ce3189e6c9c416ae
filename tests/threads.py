"""Run calls at the same moment, each in its own thread with its own database connection."""

from __future__ import annotations

import threading

from django.db import connections


def race(*calls):
    """Start every call at once (a barrier); return their results, or the exception each raised."""
    barrier = threading.Barrier(len(calls))
    outcomes = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait()
            outcomes[index] = call()
        except Exception as exc:  # the caller's assertions show it
            outcomes[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes
