from django.contrib.auth import authenticate, login
from django.contrib.auth.views import LoginView
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
    # The site's login page (LOGIN_URL), and the explorer beside two mounts.
    path("accounts/login/", LoginView.as_view()),
    path("mcp/", include("django_mcp.explorer.urls")),
    path("stateful/", include("django_mcp.explorer.urls", namespace="stateful_explorer")),
    path("slug/<slug:user_uuid>/", include("django_mcp.explorer.urls", namespace="slug_explorer")),
]
