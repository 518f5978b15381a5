"""Customers, invoices and line items: the models the toolset tests expose."""

from django.conf import settings
from django.db import models


class Customer(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=100)
    email = models.EmailField(blank=True)
    credit_limit = models.DecimalField(max_digits=10, decimal_places=2, default=1000)
    #: Never exposed: a toolset refuses it even when listed.
    portal_password = models.CharField(max_length=128, blank=True)


class Invoice(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="invoices")
    number = models.CharField(max_length=20, unique=True)
    issued_on = models.DateField()
    total = models.DecimalField(max_digits=10, decimal_places=2)
    paid = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=[("draft", "Draft"), ("sent", "Sent")], default="draft")
    created_at = models.DateTimeField(auto_now_add=True)


class LineItem(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    description = models.CharField(max_length=200)
    quantity = models.PositiveIntegerField(default=1)
    unit_price = models.DecimalField(max_digits=10, decimal_places=2)


class AuditEntry(models.Model):
    """Written in the same transaction as an invoice: gone too when the call fails."""

    invoice_number = models.CharField(max_length=20)
    action = models.CharField(max_length=20)
