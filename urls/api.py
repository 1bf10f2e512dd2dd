"""The /r endpoints: the shared PushViewSet for URL pushes."""

from pushes.api import PushViewSet

from .models import UrlPush


class UrlPushViewSet(PushViewSet):
    model = UrlPush
    param_key = "url"
    list_models = [UrlPush]
    anonymous_create = False
    enabled_setting = "ENABLE_URL_PUSHES"

    def infer_kind(self, fields: dict) -> str:
        return "url"  # any kind parameter is ignored on /r.json (spec §3.4)
