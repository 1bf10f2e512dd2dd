"""The push representations of spec §6: one key set per action, for every kind.

They read the abstract Push, so one set of serializers serves password, file and URL
pushes alike. The payload leaves only through PushRetrieveSerializer.
"""

from datetime import UTC, datetime

from rest_framework import serializers


class Timestamp(serializers.Field):
    """ISO-8601 UTC with milliseconds and Z: 2025-05-26T10:15:30.123Z (spec §6.5)."""

    def to_representation(self, value: datetime) -> str:
        value = value.astimezone(UTC)
        return (
            value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
        )


def html_url(push, context: dict) -> str:
    url = f"{context['base_url']}/p/{push.url_token}"
    if push.retrieval_step:
        url += "/r"
    if context.get("locale"):
        url += f"?locale={context['locale']}"
    return url


class PushSerializer(serializers.Serializer):
    """The common 15 keys (the DELETE response)."""

    expire_after_views = serializers.IntegerField()
    expired = serializers.BooleanField()
    url_token = serializers.CharField()
    deletable_by_viewer = serializers.BooleanField(allow_null=True)
    retrieval_step = serializers.BooleanField()
    expired_on = Timestamp(allow_null=True)
    passphrase = serializers.CharField(allow_null=True)
    created_at = Timestamp()
    updated_at = Timestamp()
    expire_after_days = serializers.IntegerField()
    days_remaining = serializers.IntegerField()
    views_remaining = serializers.IntegerField()
    deleted = serializers.BooleanField()
    json_url = serializers.SerializerMethodField()
    html_url = serializers.SerializerMethodField()

    def get_html_url(self, push) -> str:
        return html_url(push, self.context)

    def get_json_url(self, push) -> str:
        # A plain append, as the original does (spec §6.4, §14.4).
        return html_url(push, self.context) + ".json"


class PushListSerializer(PushSerializer):
    """Create response and list items: common keys plus the owner's name and note."""

    note = serializers.CharField(allow_null=True)
    name = serializers.CharField(allow_null=True)


class PushRetrieveSerializer(PushSerializer):
    """Retrieve: common keys plus the payload and the files."""

    payload = serializers.CharField(allow_null=True)
    files = serializers.SerializerMethodField()

    def get_files(self, push) -> list[dict]:
        if push.expired or not push.has_attachments:
            return []
        return push.file_entries(self.context["request"])


class AuditLogSerializer(serializers.Serializer):
    ip = serializers.CharField()
    user_agent = serializers.CharField()
    referrer = serializers.CharField()
    kind = serializers.CharField()
    created_at = Timestamp()
    updated_at = Timestamp()
