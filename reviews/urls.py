"""Review desk web pages (filled in by the review desk work)."""

app_name = "reviews"
urlpatterns: list = []
