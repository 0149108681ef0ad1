"""Review desk web pages (the public pages are in ``reviews.public_urls``)."""

from django.urls import path

from reviews import analytics_views, language_views, views

app_name = "reviews"

urlpatterns = [
    path("", views.home, name="home"),
    path("desk/", views.queue, name="queue"),
    path("desk/take-next/", views.take_next, name="take-next"),
    path("desk/mine/", views.my_claims, name="mine"),
    path("desk/claims/<int:pk>/", views.claim_workspace, name="claim"),
    path("desk/claims/<int:pk>/autosave/", views.autosave, name="autosave"),
    path("desk/preview/", views.markdown_preview, name="preview"),
    path("desk/sources/<int:pk>/snapshot/", views.source_snapshot, name="snapshot"),
    path("desk/approvals/", views.approvals, name="approvals"),
    path("desk/assign/", views.assign, name="assign"),
    path("desk/people/", views.people, name="people"),
    path("desk/analytics/", analytics_views.analytics, name="analytics"),
    path("desk/analytics/<slug:name>.csv", analytics_views.analytics_csv, name="analytics-csv"),
    path("desk/notifications/", views.notifications, name="notifications"),
    path("account/language/", language_views.account_language, name="account-language"),
]
