from django.urls import path

from .mcp import RowList

urlpatterns = [path("api/rows/", RowList.as_view())]
