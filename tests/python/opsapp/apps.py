from django.apps import AppConfig


class OpsAppConfig(AppConfig):
    name = "opsapp"
