"""The billing models and the line-item API as MCP tools: this is all it takes."""

from django_mcp.toolsets import ModelToolset, ViewToolset, register_toolset

from .api import LineItemViewSet
from .models import Customer, Invoice


@register_toolset
class CustomerTools(ModelToolset):
    model = Customer
    fields = ["name", "email"]
    operations = ["list", "retrieve", "create"]
    search_fields = ["name", "email"]

    def get_queryset(self, ctx):
        return Customer.objects.filter(owner=ctx.user)

    def perform_create(self, ctx, obj):
        obj.owner = ctx.user
        obj.save()


@register_toolset
class InvoiceTools(ModelToolset):
    model = Invoice
    fields = ["number", "customer", "issued_on", "paid", "notes"]
    operations = ["list", "retrieve", "create", "update"]
    search_fields = ["number", "customer__name"]
    filterset_fields = {"paid": ["exact"], "customer": ["exact"], "issued_on": ["gte", "lte"]}
    ordering_fields = ["issued_on", "number"]
    ordering = ["-issued_on"]
    resource = True  # billing.invoice://{pk}, completing the keys of the caller's invoices
    notify_updates = True

    def get_queryset(self, ctx):
        return Invoice.objects.filter(owner=ctx.user)

    def perform_create(self, ctx, obj):
        obj.owner = ctx.user
        obj.save()


@register_toolset
class LineItemTools(ViewToolset):
    view = LineItemViewSet
    basename = "line_items"
    actions = ["list", "create", "destroy"]
