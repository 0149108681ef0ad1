"""Who is asking, for the limits that count per address (login throttling, the public search).

``X-Forwarded-For`` is believed only when the deployment says a proxy sets it (``BEHIND_PROXY``,
which also sets the API's ``NUM_PROXIES``); otherwise anyone could choose their own address.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: the one the last trusted proxy saw, or the socket's peer (None if unknown)."""
    proxies = settings.REST_FRAMEWORK.get("NUM_PROXIES")
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        addresses = [part.strip() for part in forwarded.split(",") if part.strip()]
        if addresses:
            return addresses[-min(proxies, len(addresses))]
    return request.META.get("REMOTE_ADDR") or None
