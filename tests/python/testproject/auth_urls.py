from django.contrib.auth import authenticate, login
from django.http import HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.urls import include, path


def login_view(request):
    """GET: a CSRF token (and its cookie); POST: a real Django login."""
    if request.method == "GET":
        return JsonResponse({"csrftoken": get_token(request)})
    user = authenticate(request, username=request.POST.get("username"), password=request.POST.get("password"))
    if user is None:
        return HttpResponse("bad credentials", status=401)
    login(request, user)
    return JsonResponse({"user": user.get_username()})


urlpatterns = [
    path("login/", login_view),
    path("o/", include("oauth2_provider.urls", namespace="oauth2_provider")),
]
