from django.db import models


class Row(models.Model):
    name = models.CharField(max_length=100)
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    created = models.DateTimeField()
    done = models.BooleanField(default=False)
