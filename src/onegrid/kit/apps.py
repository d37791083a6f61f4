from django.apps import AppConfig


class KitConfig(AppConfig):
    name = "onegrid.kit"
    label = "kit"
    verbose_name = "OneGrid kit"
