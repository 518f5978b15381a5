from django.db import models


class Counter(models.Model):
    name = models.CharField(max_length=100, unique=True)
    value = models.IntegerField(default=0)

    def increment_sync(self) -> None:
        Counter.objects.filter(pk=self.pk).update(value=models.F("value") + 1)
        self.refresh_from_db()

    def __str__(self) -> str:
        return f"{self.name}={self.value}"
