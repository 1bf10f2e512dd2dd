from django.apps import AppConfig


class PushesConfig(AppConfig):
    name = "pushes"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the system checks)
