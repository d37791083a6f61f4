from django.urls import path

from onegrid.areas import views

app_name = "areas"
urlpatterns = [
    path("areas/", views.index, name="index"),
    path("areas/<str:code>/", views.detail, name="detail"),
    path("areas/<str:code>/children.geojson", views.children_geojson, name="children-geojson"),
]
