from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

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
