"""Site-wide error pages: JSON in the API's one error shape under /api/, HTML elsewhere."""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults


def _api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _api(request):
        return JsonResponse({"error": {"code": "not_found", "message": "No such endpoint.", "fields": {}}}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if _api(request):
        body = {"error": {"code": "server_error", "message": "Internal error; it has been logged.", "fields": {}}}
        return JsonResponse(body, status=500)
    return defaults.server_error(request)
