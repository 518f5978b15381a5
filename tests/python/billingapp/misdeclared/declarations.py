"""Toolsets that must not be registered: `manage.py check` reports each."""

from billingapp.models import Customer, Invoice
from django.contrib.auth.models import User
from rest_framework import serializers

from django_mcp.toolsets import ModelToolset, register_toolset


@register_toolset
class UnlistedTools(ModelToolset):
    model = Invoice
    basename = "unlisted"


@register_toolset
class LeakyTools(ModelToolset):
    model = Customer
    basename = "leaky"
    fields = ["name", "portal_password"]


@register_toolset
class SearchyTools(ModelToolset):
    model = Invoice
    basename = "searchy"
    fields = ["number"]
    search_fields = ["owner__password"]


@register_toolset
class UserTools(ModelToolset):
    model = User
    basename = "user"
    fields = ["username", "password"]


class PasswordSerializer(serializers.ModelSerializer):
    class Meta:
        model = Customer
        fields = ["id", "name", "portal_password"]


@register_toolset
class SerializedTools(ModelToolset):
    model = Customer
    basename = "serialized"
    fields = ["name"]
    serializer_class = PasswordSerializer
