from django.urls import path

from onegrid.web.portal import views

app_name = "portal"
urlpatterns = [
    path("portal/", views.home, name="home"),
    path("portal/report/", views.report, name="report"),
    path("portal/reported/", views.reported, name="reported"),
    path("portal/follow/", views.follow, name="follow"),
    path("portal/mine/", views.mine, name="mine"),
    path("portal/net.geojson", views.net_geojson, name="net-geojson"),
    path("portal/m/<str:number>/", views.matter_page, name="matter"),
    path("portal/m/<str:number>/rate", views.rate_here, name="rate-here"),
    path("portal/m/<str:number>/rating-link", views.rating_link, name="rating-link"),
    path("r/<str:token>", views.rate, name="rate"),
]
