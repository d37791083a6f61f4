from django.urls import path

from onegrid.web.centre import views

app_name = "centre"
urlpatterns = [
    path("centre/", views.queue_page, name="queue"),
    path("centre/queue/new", views.queue_new, name="queue-new"),
    path("centre/map/", views.map_page, name="map"),
    path("centre/map/grids.geojson", views.map_grids, name="map-grids"),
    path("centre/map/clusters.json", views.map_clusters, name="map-clusters"),
    path("centre/dashboard/", views.dashboard_page, name="dashboard"),
    path("centre/dashboard/data.json", views.dashboard_data, name="dashboard-data"),
    path("centre/dashboard/<str:code>/", views.dashboard_page, name="dashboard-area"),
    path("centre/dashboard/<str:code>/data.json", views.dashboard_data, name="dashboard-area-data"),
    path("centre/screen/", views.screen, name="screen"),
    path("centre/matters/<str:number>/", views.matter_page, name="matter"),
    path("centre/matters/<str:number>/do/<str:action>/", views.matter_action, name="action"),
    path("centre/matters/<str:number>/reveal/<str:field>/", views.reveal, name="reveal"),
    path("centre/inbox/", views.inbox, name="inbox"),
    path("centre/inbox/read-all/", views.inbox_read_all, name="inbox-read-all"),
    path("centre/inbox/<int:notification_id>/read/", views.inbox_read, name="inbox-read"),
]
