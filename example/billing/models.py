"""Customers, their invoices, and the invoices' line items, each owned by a user."""

from decimal import Decimal

from django.conf import settings
from django.db import models


class Customer(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="customers")
    name = models.CharField(max_length=100)
    email = models.EmailField(blank=True)

    def __str__(self) -> str:
        return self.name


class Invoice(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="invoices")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="invoices")
    number = models.CharField(max_length=20, unique=True)
    issued_on = models.DateField()
    paid = models.BooleanField(default=False)
    notes = models.TextField(blank=True, help_text="free text printed on the invoice")

    def __str__(self) -> str:
        return self.number

    @property
    def total(self) -> Decimal:
        return sum((line.quantity * line.unit_price for line in self.lines.all()), Decimal("0"))


class LineItem(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    description = models.CharField(max_length=200)
    quantity = models.PositiveIntegerField(default=1)
    unit_price = models.DecimalField(max_digits=10, decimal_places=2)
