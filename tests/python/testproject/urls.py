from django.http import HttpResponse
from django.urls import path


def echo(request, rest=""):
    return HttpResponse(f"django saw {request.path}", content_type="text/plain")


urlpatterns = [path("", echo), path("<path:rest>", echo)]
