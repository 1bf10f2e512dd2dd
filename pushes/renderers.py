"""Rendering and negotiation for the API: always JSON, in UTF-8 (spec §3.3, §6.5)."""

from rest_framework import renderers
from rest_framework.negotiation import BaseContentNegotiation


class JSONRenderer(renderers.JSONRenderer):
    charset = "utf-8"


class AlwaysJSON(BaseContentNegotiation):
    """Responses are JSON whatever the Accept header says (spec §3.3)."""

    def select_parser(self, request, parsers):
        for parser in parsers:
            if request.content_type.split(";")[0].strip().lower() == parser.media_type:
                return parser
        return None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type
