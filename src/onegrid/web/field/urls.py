from django.urls import path

from onegrid.web.field import views

app_name = "field"
urlpatterns = [
    path("field/", views.home, name="home"),
    path("field/grids.geojson", views.grids_geojson, name="grids-geojson"),
    path("field/tasks/", views.tasks, name="tasks"),
    path("field/tasks/<str:number>/", views.task, name="task"),
    path("field/tasks/<str:number>/verify", views.verify, name="verify"),
    path("field/patrol/", views.patrol, name="patrol"),
    path("field/report/", views.report, name="report"),
    path("field/manifest.webmanifest", views.manifest, name="manifest"),
    path("field/sw.js", views.service_worker, name="sw"),
]
