from django.apps import AppConfig


class AuthAppConfig(AppConfig):
    name = "authapp"
