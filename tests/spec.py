"""The exact key sets of spec §6.2 and §7.4, shared by the test modules."""

COMMON_KEYS = frozenset(
    {
        "created_at",
        "days_remaining",
        "deletable_by_viewer",
        "deleted",
        "expire_after_days",
        "expire_after_views",
        "expired",
        "expired_on",
        "html_url",
        "json_url",
        "passphrase",
        "retrieval_step",
        "updated_at",
        "url_token",
        "views_remaining",
    }
)
DELETE_KEYS = COMMON_KEYS
CREATE_KEYS = LIST_KEYS = COMMON_KEYS | {"name", "note"}
RETRIEVE_KEYS = SHOW_KEYS = COMMON_KEYS | {"payload", "files"}
AUDIT_KEYS = frozenset(
    {"ip", "user_agent", "referrer", "kind", "created_at", "updated_at"}
)

# The values of a create with nothing but a payload, under the shipped defaults (case 17).
DEFAULT_VALUES = {
    "expire_after_days": 7,
    "expire_after_views": 5,
    "days_remaining": 7,
    "views_remaining": 5,
    "expired": False,
    "expired_on": None,
    "deleted": False,
    "deletable_by_viewer": True,
    "retrieval_step": True,
    "passphrase": "",
    "note": "",
    "name": "",
}
