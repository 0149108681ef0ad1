from django.contrib.auth import views as auth_views
from django.urls import path
from django.views.generic import RedirectView

from claims.articles import views as article_views
from claims.intake import views
from claims.tips import views as tip_views

app_name = "claims"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="claims:list", permanent=False), name="home"),
    path("claims/", views.claim_list, name="list"),
    path("claims/new/", views.claim_new, name="new"),
    path("claims/<int:pk>/", views.claim_detail, name="detail"),
    path("articles/", article_views.article_list, name="articles"),
    path("articles/new/", article_views.article_new, name="article-new"),
    path("articles/<int:pk>/", article_views.article_detail, name="article"),
    path(
        "articles/<int:pk>/candidates/<int:cid>/accept/",
        article_views.candidate_accept_view,
        name="candidate-accept",
    ),
    path(
        "articles/<int:pk>/candidates/<int:cid>/dismiss/",
        article_views.candidate_dismiss_view,
        name="candidate-dismiss",
    ),
    path("tips/", tip_views.tips_help, name="tips"),
    path("tips/new/", tip_views.tip_new, name="tip-new"),
    path("inbound/telegram/", tip_views.telegram_webhook, name="inbound-telegram"),
    path("inbound/whatsapp/", tip_views.whatsapp_webhook, name="inbound-whatsapp"),
]

auth_urlpatterns = [
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
]
