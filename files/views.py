"""Downloads: decrypted on the fly from storage, only while the push allows them."""

from django.http import HttpRequest, JsonResponse, StreamingHttpResponse
from django.utils.http import content_disposition_header

from pwpush.middleware import no_store

from .models import Attachment, file_storage
from .streaming import TamperedFile, decrypt_stream


def download(request: HttpRequest, signed: str, filename: str):
    """Streams one attachment. Not a view of the push: no audit entry, nothing counted."""
    attachment = Attachment.from_signed(signed)
    if attachment is None or not attachment.push.downloads_open:
        return no_store(JsonResponse({"error": "not-found"}, status=404))
    try:
        source = file_storage().open(attachment.storage_name, "rb")
    except Exception:
        return no_store(
            JsonResponse(
                {"error": "File storage is unavailable. Please try again later."},
                status=503,
            )
        )
    chunks = decrypt_stream(attachment.key, source)
    try:
        first = next(chunks)  # a damaged file is refused before any byte is sent
    except TamperedFile:
        source.close()
        return no_store(
            JsonResponse(
                {"error": "The stored file is damaged and cannot be decrypted."},
                status=500,
            )
        )
    response = StreamingHttpResponse(
        _stream(first, chunks, source), content_type=attachment.content_type
    )
    response["Content-Length"] = str(attachment.size)
    response["Content-Disposition"] = content_disposition_header(
        True, attachment.filename
    )
    response["X-Content-Type-Options"] = "nosniff"
    # even if a browser renders an uploaded HTML or SVG file, it runs nothing, as no origin
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return no_store(response)


def _stream(first: bytes, rest, source):
    try:
        yield first
        yield from rest  # a fault later aborts the response: the client sees a short download
    finally:
        source.close()
