"""The /f endpoints. Until file pushes land (issue 4) they reach pushes of the other kinds by
token, list no pushes of their own, and creating a file push answers that they are disabled."""

from pushes.api import PushViewSet


class FilePushViewSet(PushViewSet):
    model = None
    param_key = "file_push"
    list_models: list = []
    anonymous_create = False
    enabled_setting = "ENABLE_FILE_PUSHES"

    def infer_kind(self, fields: dict) -> str:
        return "file"  # any kind parameter is ignored on /f.json (spec §3.4)
