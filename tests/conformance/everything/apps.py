from django.apps import AppConfig


class EverythingConfig(AppConfig):
    name = "everything"
