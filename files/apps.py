from django.apps import AppConfig


class FilesConfig(AppConfig):
    name = "files"

    def ready(self) -> None:
        from django.http import multipartparser

        # Django refuses multipart part headers over 1 KiB, which a 1000-character (or a
        # 250-character non-ASCII) file name exceeds; names are cleaned to 255 characters after.
        multipartparser.MAX_TOTAL_HEADER_SIZE = max(
            multipartparser.MAX_TOTAL_HEADER_SIZE, 16 * 1024
        )
