"""Root URLconf: the admin and the v1 JSON API (routes end in .json)."""

from django.contrib import admin
from django.urls import include, path, re_path

from files.api import FilePushViewSet
from pushes import views as push_views
from pushes.api import PasswordPushViewSet, PushViewSet, VersionView
from pwpush.health import up
from urls.api import UrlPushViewSet

TOKEN = r"(?P<url_token>[A-Za-z0-9_-]+)"


def push_routes(prefix: str, viewset: type[PushViewSet]) -> list:
    """The seven v1 endpoints of one prefix; active/expired come before the token routes."""
    retrieve = {"get": "retrieve", "head": "retrieve"}
    return [
        re_path(rf"^{prefix}\.json$", viewset.as_view({"post": "create"})),
        re_path(rf"^{prefix}/active\.json$", viewset.as_view({"get": "active"})),
        re_path(rf"^{prefix}/expired\.json$", viewset.as_view({"get": "expired"})),
        re_path(
            rf"^{prefix}/{TOKEN}/preview\.json$", viewset.as_view({"get": "preview"})
        ),
        re_path(rf"^{prefix}/{TOKEN}/audit\.json$", viewset.as_view({"get": "audit"})),
        # json_url ends in /r.json when the retrieval step is on (spec §14.4): serve it too.
        re_path(rf"^{prefix}/{TOKEN}/r\.json$", viewset.as_view(retrieve)),
        re_path(
            rf"^{prefix}/{TOKEN}\.json$",
            viewset.as_view({**retrieve, "delete": "destroy"}),
        ),
    ]


urlpatterns = [
    path("admin/", admin.site.urls),
    path("up", up, name="up"),
    path("", push_views.home, name="home"),
    # the shared link in a browser (html_url), until a web UI exists
    re_path(rf"^[pfr]/{TOKEN}(?:/r)?$", push_views.link, name="link"),
    path("", include("files.urls")),
    re_path(r"^api/v1/version(?:\.json)?$", VersionView.as_view()),
    *push_routes("p", PasswordPushViewSet),
    *push_routes("f", FilePushViewSet),
    *push_routes("r", UrlPushViewSet),
]

handler400 = "pushes.api_support.json_bad_request"
handler404 = "pushes.api_support.json_not_found"
handler500 = "pushes.api_support.json_server_error"
