"""A worker must survive losing Redis while it runs tasks.

Two paths of kombu's Redis transport raise when the broker connection dropped under a task
in flight, and Celery then stops the worker ("Unrecoverable error"):

* on the connection loss, putting the worker's unacknowledged messages back on their queue,
  over the very connection that just failed;
* when the task finishes after the worker reconnected, acknowledging its message on the old
  channel, whose connection is gone.

Neither needs to succeed: with Redis those messages also sit in the broker's ``unacked``
index and are handed out again once the visibility timeout passes
(``CELERY_VISIBILITY_TIMEOUT``), and every task of ours is idempotent, so that redelivery is
safe (and a broker restarted empty is covered by the sweeps). This makes both best effort.
Upstream: celery/kombu#582, celery/kombu#970.
"""

from __future__ import annotations

import logging

from kombu.transport import redis as kombu_redis

logger = logging.getLogger(__name__)

_restore_unacked = kombu_redis.QoS.restore_unacked
_ack = kombu_redis.QoS.ack
_reject = kombu_redis.QoS.reject


def _restore_unacked_best_effort(self, client=None):
    try:
        return _restore_unacked(self, client)
    except Exception:  # the connection is gone: redis-py, socket or kombu's half-closed channel errors
        logger.warning(
            "broker unreachable: %d unacknowledged message(s) stay in Redis and are redelivered "
            "after the visibility timeout",
            len(self._delivered),
        )
        self._delivered.clear()
        return None


def _channel_gone(qos) -> bool:
    return qos.channel.connection is None or getattr(qos.channel, "closed", False)


def _ack_best_effort(self, delivery_tag):
    try:
        return _ack(self, delivery_tag)
    except Exception:
        if not _channel_gone(self):
            raise  # a live channel's errors are Celery's to handle
        logger.warning("acknowledgement lost with the old broker connection: %s is redelivered later", delivery_tag)
        return None


def _reject_best_effort(self, delivery_tag, requeue=False):
    try:
        return _reject(self, delivery_tag, requeue=requeue)
    except Exception:
        if not _channel_gone(self):
            raise
        logger.warning("rejection lost with the old broker connection: %s is redelivered later", delivery_tag)
        return None


def make_broker_loss_survivable() -> None:
    """Install the best-effort restore, ack and reject (idempotent)."""
    kombu_redis.QoS.restore_unacked = _restore_unacked_best_effort
    kombu_redis.QoS.ack = _ack_best_effort
    kombu_redis.QoS.reject = _reject_best_effort
