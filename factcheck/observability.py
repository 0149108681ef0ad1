"""Who and what a log line or a metric is about: the request id, carried from a request into its tasks.

- ``RequestContextMiddleware`` (first in ``MIDDLEWARE``) gives every request an id (the caller's
  ``X-Request-ID`` when it is a sane token, else a new one), returns it in ``X-Request-ID``, records
  the request's count and latency by view, and logs one ``request`` line with the user or API key
  and the claim the URL names.
- ``ContextFilter`` adds ``request_id``, ``user_id``, ``api_key_id`` and ``claim_id`` to every log
  record, so the JSON formatter (``LOG_FORMAT=json``) writes them as fields.
- Celery signals put the request id in the headers of every task a request sends, and back into the
  context while the worker runs it (with the task's ``claim_id`` or ``source_id`` argument); they also
  count tasks by outcome.
"""

from __future__ import annotations

import contextlib
import contextvars
import inspect
import logging
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

from celery import signals
from django.http import HttpRequest, HttpResponse

from factcheck import metrics

logger = logging.getLogger("factcheck.request")

HEADER = "X-Request-ID"
_SANE_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
_FIELDS = ("request_id", "user_id", "api_key_id", "claim_id", "source_id", "task_id")
_context: dict[str, contextvars.ContextVar] = {name: contextvars.ContextVar(name, default=None) for name in _FIELDS}


def context_set(**values: Any) -> list[contextvars.Token]:
    return [_context[name].set(value) for name, value in values.items()]


def context_reset(tokens: list[contextvars.Token]) -> None:
    for token in reversed(tokens):
        token.var.reset(token)


def current_request_id() -> str | None:
    return _context["request_id"].get()


class ContextFilter(logging.Filter):
    """Adds the current request's and task's ids to each record (``None`` where there is none)."""

    def filter(self, record: logging.LogRecord) -> bool:
        for name, var in _context.items():
            if not hasattr(record, name):
                setattr(record, name, var.get())
        return True


def _view_name(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "static" if request.path.startswith("/static/") else "unmatched"
    return match.view_name or match.func.__name__


def _claim_id(request: HttpRequest) -> int | None:
    match = getattr(request, "resolver_match", None)
    if match is None or "pk" not in match.kwargs or "claims/" not in (match.route or ""):
        return None
    return match.kwargs["pk"]


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        offered = request.headers.get(HEADER, "")
        request_id = offered if _SANE_ID.match(offered) else uuid.uuid4().hex
        request.request_id = request_id
        tokens = context_set(request_id=request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            seconds = time.perf_counter() - started
            response[HEADER] = request_id
            self._record(request, response.status_code, seconds)
            return response
        finally:
            context_reset(tokens)

    def _record(self, request: HttpRequest, status: int, seconds: float) -> None:
        view = _view_name(request)
        metrics.http_requests.labels(view, request.method, str(status)).inc()
        metrics.http_request_seconds.labels(view, request.method).observe(seconds)
        user = getattr(request, "user", None)
        key = getattr(request, "auth", None)
        logger.info(
            "%s %s %s %.0fms",
            request.method,
            request.path,
            status,
            seconds * 1000,
            extra={
                "request_id": request.request_id,
                "method": request.method,
                "path": request.path,
                "view": view,
                "status": status,
                "duration_ms": round(seconds * 1000, 1),
                "user_id": user.pk if user is not None and user.is_authenticated else None,
                "api_key_id": getattr(key, "pk", None),
                "claim_id": _claim_id(request),
            },
        )


# --- Celery: the request id travels with the task; tasks are counted by outcome ----------------------


@signals.before_task_publish.connect
def _request_id_into_headers(headers: dict | None = None, **_: Any) -> None:
    request_id = current_request_id()
    if request_id and headers is not None:
        headers.setdefault("request_id", request_id)


_task_tokens: dict[str, list[contextvars.Token]] = {}


def _task_ids(task: Any, args: Any, kwargs: Any) -> dict[str, Any]:
    """The claim and source a task is about, from its ``claim_id``/``claim_ids``/``source_id`` arguments."""
    try:
        bound = inspect.signature(task.run).bind_partial(*(args or ()), **(kwargs or {})).arguments
    except (TypeError, ValueError, AttributeError):
        return {}
    claim_ids = bound.get("claim_ids")
    claim_id = bound.get("claim_id")
    if claim_id is None and isinstance(claim_ids, list | tuple) and len(claim_ids) == 1:
        claim_id = claim_ids[0]
    return {"claim_id": claim_id, "source_id": bound.get("source_id")}


@signals.task_prerun.connect
def _task_context_enter(task_id: str | None = None, task: Any = None, args: Any = None, kwargs: Any = None, **_: Any):
    request = getattr(task, "request", None)
    request_id = getattr(request, "request_id", None) if request is not None else None
    _task_tokens[task_id or ""] = context_set(request_id=request_id, task_id=task_id, **_task_ids(task, args, kwargs))


@signals.task_postrun.connect
def _task_context_leave(task_id: str | None = None, task: Any = None, state: str | None = None, **_: Any) -> None:
    metrics.tasks.labels(getattr(task, "name", "?"), (state or "unknown").lower()).inc()
    tokens = _task_tokens.pop(task_id or "", None)
    if tokens:
        # entered in another context (a thread pool's worker): nothing to restore
        with contextlib.suppress(ValueError):
            context_reset(tokens)
