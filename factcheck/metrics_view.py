"""``GET /metrics``: the Prometheus text format, for a scraper holding ``METRICS_TOKEN``.

Without a token set the endpoint does not exist (404). A request without the right bearer token
gets 401; an address outside ``METRICS_ALLOWED_IPS`` (when set) gets 403. Events (requests, tasks,
fetches, deliveries, matching time) are added up from every process of this machine; state
(claims and sources by state, queue depths) is read from the database and the broker at scrape time.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily

from factcheck.celery import app
from factcheck.metrics import metrics_directory
from factcheck.security import client_ip

logger = logging.getLogger(__name__)


class _StateCollector:
    """Figures read when scraped: rows by state, and the messages waiting in each Celery queue."""

    def collect(self):
        for label, model_name, field in (
            ("claims", "claims.Claim", "status"),
            ("sources", "claims.Source", "fetch_status"),
        ):
            family = GaugeMetricFamily(
                f"factcheck_{label}", f"{label.capitalize()} stored, by state.", labels=["state"]
            )
            try:
                model = apps.get_model(model_name)
                for row in model.objects.values(field).annotate(n=Count("pk")).order_by():
                    family.add_metric([str(row[field])], row["n"])
            except Exception:  # the database is down: the scrape still answers, without these
                logger.warning("metrics: could not count %s", label, exc_info=True)
            yield family
        family = GaugeMetricFamily(
            "factcheck_queue_messages", "Messages waiting in each Celery queue.", labels=["queue"]
        )
        for queue, depth in queue_depths().items():
            family.add_metric([queue], depth)
        yield family


def queue_depths() -> dict[str, int]:
    """Messages waiting per queue: ``LLEN`` on Redis, message files on the file-system broker."""
    queues = sorted({getattr(settings, "CELERY_TASK_DEFAULT_QUEUE", "celery"), settings.MATCHING_QUEUE})
    url = str(app.conf.broker_url or "")
    depths: dict[str, int] = {}
    try:
        if url.startswith("filesystem://"):
            folder = Path(settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"])
            for queue in queues:
                depths[queue] = sum(1 for _ in folder.glob(f"*.{queue}.msg"))
        elif url.startswith(("redis://", "rediss://")):
            with app.connection_for_read() as connection:
                client = connection.default_channel.client
                for queue in queues:
                    depths[queue] = int(client.llen(queue))
    except Exception:
        logger.warning("metrics: could not read the queue depths", exc_info=True)
    return depths


def _address_allowed(request: HttpRequest) -> bool:
    networks = settings.METRICS_ALLOWED_IPS
    if not networks:
        return True
    try:
        address = ipaddress.ip_address(client_ip(request) or "")
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(network, strict=False) for network in networks)


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    token = settings.METRICS_TOKEN
    if not token:
        raise Http404
    offered = request.headers.get("Authorization", "")
    if not hmac.compare_digest(offered.encode(), f"Bearer {token}".encode()):
        response = HttpResponse("A bearer token is required.\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    if not _address_allowed(request):
        return HttpResponse("Not from this address.\n", status=403, content_type="text/plain")
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=str(metrics_directory()))
    registry.register(_StateCollector())
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
