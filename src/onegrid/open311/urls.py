"""GeoReport v2 resources, each with an optional ``.xml`` or ``.json`` suffix; mounted at ``/open311/v2/``."""

from django.urls import path, re_path

from onegrid.open311 import views

app_name = "open311"
FORMAT = r"(?:\.(?P<fmt>[A-Za-z]+))?"

urlpatterns = [
    path("", views.discovery, name="root"),
    re_path(rf"^discovery{FORMAT}$", views.discovery, name="discovery"),
    re_path(rf"^services{FORMAT}$", views.service_list, name="services"),
    re_path(rf"^services/(?P<code>[^/.]+){FORMAT}$", views.service_definition, name="service"),
    re_path(rf"^requests{FORMAT}$", views.service_requests, name="requests"),
    re_path(rf"^requests/(?P<number>[^/.]+){FORMAT}$", views.service_request, name="request"),
    re_path(rf"^tokens/(?P<token>[^/.]+){FORMAT}$", views.token, name="token"),
    re_path(rf"^servicerequestupdates{FORMAT}$", views.request_updates, name="updates"),
    # Paths real clients use: PyPI open311 1.1 asks for service/{code}; the v2.1 draft has request/{id}.
    re_path(rf"^service/(?P<code>[^/.]+){FORMAT}$", views.service_definition),
    re_path(rf"^request/(?P<number>[^/.]+){FORMAT}$", views.service_request),
]
