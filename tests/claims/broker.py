"""The in-process ``memory://`` broker the tests run with, read as a worker would read it.

Intake publishes one ``intake_followup`` message per store; a worker runs it, and it publishes the
``fetch_source`` messages and a ``match_claims`` message for the matcher. ``drain`` does the same with the real task,
so tests observe what reaches the workers in the end: the fetches and the matching.
"""

from __future__ import annotations

from dataclasses import dataclass

from factcheck.celery import app

FOLLOWUP = "claims.tasks.intake_followup"
QUEUES = ("celery", "matching")  # the worker's queue and the matcher's (settings.CELERY_TASK_ROUTES)


@dataclass(frozen=True)
class Message:
    task: str
    args: list
    eta: str | None


@dataclass
class Drained:
    followups: list[Message]  # intake follow-ups, run as a worker runs them
    others: list[Message]  # every other message, in the order sent (fan-outs included)

    def fetched_ids(self) -> list[int]:
        return [message.args[0] for message in self.others if message.task == "claims.tasks.fetch_source"]

    def followup_claim_ids(self) -> list[int]:
        return [claim_id for message in self.followups for claim_id in message.args[0]]


def drain(run_followups: bool = True) -> Drained:
    """Empty the queue; run the intake follow-ups found (they may publish more), and return what was in it."""
    from claims.tasks import intake_followup

    drained = Drained(followups=[], others=[])
    while True:
        batch = _take_all()
        if not batch:
            return drained
        for message in batch:
            if message.task != FOLLOWUP:
                drained.others.append(message)
                continue
            drained.followups.append(message)
            if run_followups:
                intake_followup(*message.args)


def _take_all() -> list[Message]:
    found = []
    with app.connection_for_write() as conn:
        for name in QUEUES:
            queue = conn.SimpleQueue(name)
            try:
                while True:
                    try:
                        message = queue.get(block=False)
                    except queue.Empty:
                        break
                    found.append(Message(message.headers["task"], message.payload[0], message.headers.get("eta")))
                    message.ack()
            finally:
                queue.close()
    return found
