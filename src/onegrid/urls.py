from django.contrib import admin
from django.urls import include, path

from onegrid.api import api
from onegrid.ledger import views as ledger_views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("open311/v2/", include("onegrid.open311.urls")),
    path(".well-known/onegrid-ledger-key", ledger_views.public_key, name="ledger-key"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("onegrid.web.urls")),
    path("", include("onegrid.areas.urls")),
    path("", include("onegrid.audit.urls")),
    path("", include("onegrid.web.centre.urls")),
]
