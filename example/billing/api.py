"""The site's REST API for line items (Django REST framework), also served as MCP tools by mcp.py."""

from rest_framework import serializers, viewsets
from rest_framework.permissions import DjangoModelPermissions

from .models import Invoice, LineItem


class LineItemSerializer(serializers.ModelSerializer):
    invoice = serializers.PrimaryKeyRelatedField(queryset=Invoice.objects.all())

    class Meta:
        model = LineItem
        fields = ["id", "invoice", "description", "quantity", "unit_price"]

    def validate_invoice(self, invoice):
        if invoice.owner != self.context["request"].user:
            raise serializers.ValidationError("No such invoice.")
        if invoice.paid:
            raise serializers.ValidationError("A paid invoice cannot change.")
        return invoice


class LineItemViewSet(viewsets.ModelViewSet):
    """Line items of the user's invoices"""

    serializer_class = LineItemSerializer
    queryset = LineItem.objects.all()
    permission_classes = [DjangoModelPermissions]
    filterset_fields = ["invoice"]

    def get_queryset(self):
        return LineItem.objects.filter(invoice__owner=self.request.user).order_by("pk")
