"""The same 20 rows two ways: a model toolset's list tool, and a DRF ListAPIView."""

from rest_framework import generics, serializers
from rest_framework.pagination import PageNumberPagination

from django_mcp.toolsets import ModelToolset, register_toolset

from .models import Row


@register_toolset
class RowTools(ModelToolset):
    model = Row
    fields = ("name", "amount", "created", "done")
    ordering = ("name",)
    ordering_fields = ("name",)
    page_size = 20
    operations = ("list",)
    check_model_permissions = False


class RowSerializer(serializers.ModelSerializer):
    class Meta:
        model = Row
        fields = ("id", "name", "amount", "created", "done")


class TwentyPerPage(PageNumberPagination):
    page_size = 20


class RowList(generics.ListAPIView):
    queryset = Row.objects.order_by("name", "pk")
    serializer_class = RowSerializer
    pagination_class = TwentyPerPage
