from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "billingapp"
    default_auto_field = "django.db.models.BigAutoField"
