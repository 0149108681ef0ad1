from django.conf import settings
from rest_framework.pagination import CursorPagination


class NewestFirstCursorPagination(CursorPagination):
    """Opaque cursors over a unique, ever-growing key: stable while rows are added."""

    ordering = "-id"
    page_size_query_param = "limit"

    def __init__(self) -> None:
        # Read per request (a paginator is made for each), so that settings can change at run time.
        self.page_size = settings.API_PAGE_SIZE
        self.max_page_size = settings.API_MAX_PAGE_SIZE
