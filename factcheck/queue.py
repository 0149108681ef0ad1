"""The one place that hands work to the Celery workers: messages are published by task name.

Services never import a tasks module (tasks import services): they call ``tasks_send`` with the
task's registered name, which Celery routes like any other message (``CELERY_TASK_ROUTES``).
A broker outage is not an error here: nothing is sent, the caller's periodic sweep sends the
work later, and a breaker keeps the next requests from waiting out a dead broker's timeouts.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable

from factcheck.celery import app

logger = logging.getLogger(__name__)


class BrokerBreaker:
    """After a failed publish, leave new work to the sweeps for a while instead of trying again at once.

    A broker that refuses connections fails fast, but one that hangs costs a publish its socket
    timeouts; without this, every web request of an outage would pay them.
    """

    def __init__(self, pause: float) -> None:
        self.pause = pause
        self._open_until = 0.0

    def open(self) -> bool:
        return time.monotonic() < self._open_until

    def trip(self) -> None:
        self._open_until = time.monotonic() + self.pause

    def reset(self) -> None:
        self._open_until = 0.0


broker_breaker = BrokerBreaker(pause=30.0)


def tasks_send(task_name: str, arguments: Iterable[tuple], *, what: str, countdown: float | None = None) -> int:
    """Publish one ``task_name`` message per argument tuple over one producer; return how many were sent."""
    arguments = list(arguments)
    if not arguments:
        return 0
    if broker_breaker.open():
        logger.info("broker recently unavailable; %d %s left for the sweep", len(arguments), what)
        return 0
    sent = 0
    try:
        # One producer (and broker connection) for the whole batch instead of one acquired per message.
        with app.producer_or_acquire() as producer:
            for args in arguments:
                app.send_task(task_name, args=args, countdown=countdown, producer=producer)
                sent += 1
    except Exception:  # broker down or unreachable
        logger.warning("broker unavailable; %d %s left for the sweep", len(arguments) - sent, what, exc_info=True)
        broker_breaker.trip()
    return sent


def broker_lost_its_queue(sweep: str) -> bool:
    """True when the broker no longer holds the mark this sweep left in it: every message sent before is lost.

    A Redis broker restarted without persistence (or flushed) comes back empty; the sweeps
    would otherwise wait out their re-send delay before sending the lost work again. Each
    sweep keeps its own mark (``SET NX``), so each learns of the loss once. The first call on a
    new broker also answers True: re-sending is safe, every task being idempotent. Brokers other
    than Redis, and a broker that cannot be reached, answer False.
    """
    if not str(app.conf.broker_url or "").startswith(("redis://", "rediss://")):
        return False
    try:
        with app.connection_for_write() as connection:
            client = connection.default_channel.client
            created = client.set(f"factcheck:broker-mark:{sweep}", "1", nx=True)
    except Exception:  # broker down: nothing can be sent now anyway
        logger.info("broker unreachable; cannot tell whether it lost its queue", exc_info=True)
        return False
    if created:
        logger.warning("the broker holds no mark for the %s sweep: its queue was lost; sending all pending work", sweep)
    return bool(created)
