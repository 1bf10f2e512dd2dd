"""The /f endpoints: the shared PushViewSet for file pushes."""

from pushes.api import PushViewSet

from .models import FilePush


class FilePushViewSet(PushViewSet):
    model = FilePush
    param_key = "file_push"
    list_models = [FilePush]
    anonymous_create = False
    enabled_setting = "ENABLE_FILE_PUSHES"

    def infer_kind(self, fields: dict) -> str:
        return "file"  # any kind parameter is ignored on /f.json (spec §3.4)
