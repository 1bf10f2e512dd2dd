"""GET /up: is this web process able to serve? For load balancers and docker health checks."""

import logging

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_safe

from .middleware import no_store

log = logging.getLogger(__name__)


def database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception as exc:
        log.error("health: the database does not answer (%s)", type(exc).__name__)
        return False


def broker_state() -> str:
    """ "embedded" without Redis; otherwise whether Redis answers a PING within a second."""
    if not settings.REDIS_URL:
        return "embedded"
    import redis

    try:
        redis.Redis.from_url(
            settings.REDIS_URL, socket_timeout=1, socket_connect_timeout=1
        ).ping()
        return "ok"
    except Exception as exc:
        log.error(
            "health: the broker (REDIS_URL) is unreachable (%s); background expiry is stalled",
            type(exc).__name__,
        )
        return "unreachable"


@require_safe
def up(request: HttpRequest) -> JsonResponse:
    """200 when the database answers, else 503; the broker's state is reported, not required."""
    db = database_ok()
    body = {
        "status": "ok" if db else "unavailable",
        "database": "ok" if db else "unreachable",
        "broker": broker_state(),
    }
    return no_store(JsonResponse(body, status=200 if db else 503))
