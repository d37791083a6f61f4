"""Pages shared by every app: home, sign-in, health."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse

from onegrid.kit import scope
from onegrid.web.forms import ThrottledLoginForm


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "web/home.html")


def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok", "database": connection.vendor})


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    authentication_form = ThrottledLoginForm
    redirect_authenticated_user = True

    def get_default_redirect_url(self) -> str:
        """Without a ``next``, whoever has part of the net lands on its top (a grid worker on their
        grid, a township operator on their township); anyone else on the home page."""
        if scope.has_permission(self.request.user, "areas.view"):
            return reverse("areas:index")
        return super().get_default_redirect_url()
