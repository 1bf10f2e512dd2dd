from django.apps import AppConfig


class UrlsConfig(AppConfig):
    name = "urls"
