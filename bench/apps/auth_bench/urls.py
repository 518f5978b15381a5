"""GET /drf/count: the DRF APIView doing the query the count tools do."""

from django.conf import settings
from django.urls import path

urlpatterns = []

if settings.HAS_DRF:
    from django.contrib.auth.models import User
    from rest_framework.response import Response
    from rest_framework.views import APIView

    class CountView(APIView):
        def get(self, request):
            return Response({"count": User.objects.count() + 3})

    urlpatterns.append(path("drf/count", CountView.as_view()))
