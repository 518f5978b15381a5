"""Model toolsets and a DRF ViewSet over the billing models, for the toolset tests."""

import django_filters
from django.db.models import Sum
from rest_framework import generics, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter, SearchFilter
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import DjangoModelPermissions, IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import UserRateThrottle
from rest_framework.views import APIView

from django_mcp import Context, mcp_app
from django_mcp.toolsets import ModelToolset, ToolError, ViewToolset, register_toolset

from .models import AuditEntry, Customer, Invoice, LineItem


@register_toolset
class CustomerTools(ModelToolset):
    model = Customer
    fields = ["name", "email", "credit_limit"]
    operations = ["list", "retrieve", "create"]
    search_fields = ["name", "email"]

    def get_queryset(self, ctx: Context):
        return Customer.objects.filter(owner=ctx.user)

    def perform_create(self, ctx: Context, obj: Customer) -> None:
        obj.owner = ctx.user
        obj.save()


@register_toolset
class InvoiceTools(ModelToolset):
    model = Invoice
    fields = ["number", "customer", "issued_on", "total", "paid", "status", "created_at"]
    operations = ["list", "retrieve", "create", "update", "delete"]
    search_fields = ["number", "customer__name"]
    filterset_fields = {"paid": ["exact"], "customer": ["exact"], "total": ["gte", "lte"], "status": ["in"]}
    ordering_fields = ["number", "total", "issued_on"]
    ordering = ["number"]
    page_size = 3
    max_page_size = 10
    resource = True
    notify_updates = True

    def get_queryset(self, ctx: Context):
        return Invoice.objects.filter(owner=ctx.user)

    def has_object_permission(self, ctx: Context, obj: Invoice, operation: str) -> bool:
        return not (operation == "delete" and obj.paid)

    def perform_create(self, ctx: Context, obj: Invoice) -> None:
        obj.owner = ctx.user
        obj.save()
        AuditEntry.objects.create(invoice_number=obj.number, action="create")
        # Checked after the insert, against the customer's open total including this invoice.
        owed = obj.customer.invoices.filter(paid=False).aggregate(s=Sum("total"))["s"] or 0
        if owed > obj.customer.credit_limit:
            raise ToolError(f"{obj.customer.name} would owe {owed}, over the credit limit {obj.customer.credit_limit}.")


class LineItemFilter(django_filters.FilterSet):
    class Meta:
        model = LineItem
        fields = {"invoice": ["exact"], "quantity": ["gte"], "description": ["icontains"]}


class ClientSerializer(serializers.ModelSerializer):
    open_invoices = serializers.SerializerMethodField()

    class Meta:
        model = Customer
        fields = ["id", "name", "email", "open_invoices"]

    def get_open_invoices(self, customer) -> int:
        return customer.invoices.filter(paid=False).count()

    def validate_name(self, value):
        if value != value.strip() or not value[:1].isupper():
            raise serializers.ValidationError("Start with a capital letter, without spaces around.")
        return value


@register_toolset
class ClientTools(ModelToolset):
    """Customers through a DRF serializer: its validation and its representation."""

    model = Customer
    basename = "client"
    fields = ["name", "email"]
    serializer_class = ClientSerializer
    operations = ["list", "create", "update"]
    ordering = ["name"]
    ordering_fields = ["name"]

    def get_queryset(self, ctx: Context):
        return Customer.objects.filter(owner=ctx.user)

    def perform_create(self, ctx: Context, obj: Customer) -> None:
        obj.owner = ctx.user
        obj.save()


@register_toolset
class LineItemTools(ModelToolset):
    model = LineItem
    fields = ["invoice", "description", "quantity", "unit_price"]
    operations = ["list", "create"]
    filterset_class = LineItemFilter
    check_model_permissions = False
    allow = staticmethod(lambda user, ctx: user.is_authenticated)  # the rules of @mcp_app.tool() compose

    def get_queryset(self, ctx: Context):
        return LineItem.objects.filter(invoice__owner=ctx.user)


@mcp_app.tool()
def audit_entries() -> list[str]:
    """Every audit entry, to check what a failed call left behind"""
    return [f"{a.action} {a.invoice_number}" for a in AuditEntry.objects.order_by("pk")]


# -- Django REST framework ---------------------------------------------------------


class InvoiceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Invoice
        fields = ["id", "number", "customer", "issued_on", "total", "paid"]

    def validate_total(self, value):
        if value <= 0:
            raise serializers.ValidationError("An invoice total must be positive.")
        return value

    def validate_customer(self, customer):
        if customer.owner != self.context["request"].user:
            raise serializers.ValidationError("Unknown customer.")
        return customer


class SmallPages(PageNumberPagination):
    page_size = 2
    page_size_query_param = "page_size"
    max_page_size = 5


class InvoiceThrottle(UserRateThrottle):
    rate = "12/minute"


class InvoiceViewSet(viewsets.ModelViewSet):
    serializer_class = InvoiceSerializer
    queryset = Invoice.objects.all()
    permission_classes = [IsAuthenticated, DjangoModelPermissions]
    throttle_classes = [InvoiceThrottle]
    filter_backends = [django_filters.rest_framework.DjangoFilterBackend, SearchFilter, OrderingFilter]
    filterset_fields = ["paid", "customer"]
    search_fields = ["number"]
    ordering_fields = ["number", "total"]
    ordering = ["number"]
    pagination_class = SmallPages

    def get_queryset(self):
        return Invoice.objects.filter(owner=self.request.user)

    def perform_create(self, serializer):
        invoice = serializer.save(owner=self.request.user)
        AuditEntry.objects.create(invoice_number=invoice.number, action="api-create")

    @action(detail=True, methods=["post"])
    def mark_paid(self, request, pk=None):
        """Mark an invoice as paid"""
        invoice = self.get_object()
        invoice.paid = True
        invoice.save()
        return Response(self.get_serializer(invoice).data)


@register_toolset
class InvoiceAPITools(ViewToolset):
    view = InvoiceViewSet
    basename = "api_invoice"


class CustomerSerializer(serializers.ModelSerializer):
    class Meta:
        model = Customer
        fields = ["id", "name", "email"]


class CustomerListView(generics.ListCreateAPIView):
    """The caller's customers"""

    serializer_class = CustomerSerializer
    permission_classes = [IsAuthenticated]

    def get_queryset(self):
        return Customer.objects.filter(owner=self.request.user).order_by("name")

    def perform_create(self, serializer):
        serializer.save(owner=self.request.user)


class OpenBalanceView(APIView):
    """What a customer still owes"""

    permission_classes = [IsAuthenticated]

    def get(self, request, name):
        unpaid = Invoice.objects.filter(owner=request.user, customer__name=name, paid=False)
        return Response({"customer": name, "open": str(unpaid.aggregate(s=Sum("total"))["s"] or 0)})


@register_toolset
class CustomerAPITools(ViewToolset):
    view = CustomerListView
    basename = "api_customers"


@register_toolset
class BalanceTools(ViewToolset):
    view = OpenBalanceView
    basename = "balance"
    url_kwargs = ["name"]
