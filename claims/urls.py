from django.contrib.auth import views as auth_views
from django.urls import path
from django.views.generic import RedirectView

from claims import views

app_name = "claims"

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="claims:list", permanent=False), name="home"),
    path("claims/", views.claim_list, name="list"),
    path("claims/new/", views.claim_new, name="new"),
    path("claims/<int:pk>/", views.claim_detail, name="detail"),
]

auth_urlpatterns = [
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
]
