"""URL pushes: a link that works for N views or N days, then is erased."""

from pushes.models import Push

from .validation import url_errors


class UrlPush(Push):
    """An http(s) URL the recipient is sent on to. Only its owner may expire it."""

    KINDS = {"url": "url"}

    class Meta(Push.Meta):
        verbose_name = "URL push"

    def validate_payload(self) -> dict[str, list[str]]:
        payload = self.payload or ""
        if not payload.strip():
            return {"payload": ["Payload is required."]}
        errors = url_errors(payload)
        return {"payload": errors} if errors else {}
