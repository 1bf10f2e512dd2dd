"""Reading request parameters the way the original does (spec §3.3, §7.1.2, §7.1.3, §7.6.2)."""

import re
from typing import Any

from django.http import QueryDict

TRUE_WORDS = {"on", "yes", "checked", "true", "1"}
KEY_PART = re.compile(r"\[([^\[\]]*)\]")
# ASCII digits only, and few enough that int() never meets its size limit
LEADING_INT = re.compile(r"\s*([+-]?[0-9]{1,18})")
PAGE = re.compile(r"\s*[+-]?[0-9]{1,18}\s*")
MAX_PAGE = 200


class Missing:
    """Marks a parameter that was not given at all (unlike one given as null or "")."""


MISSING = Missing()


def nest(params: QueryDict | dict) -> dict[str, Any]:
    """Turns flat bracket keys (password[payload], password[files][]) into nested dicts.

    A repeated scalar key keeps its last value; a key ending in [] keeps all of them.
    A key that collides with a different shape is dropped rather than guessed at.
    """
    nested: dict[str, Any] = {}
    items = (
        params.lists()
        if isinstance(params, QueryDict)
        else ((k, [v]) for k, v in params.items())
    )
    for key, values in items:
        is_list = key.endswith("[]")
        path = key[:-2] if is_list else key
        head = path.split("[", 1)[0]
        rest = path[len(head) :]
        parts = [head] + KEY_PART.findall(rest)
        if "".join(f"[{part}]" for part in parts[1:]) != rest or "" in parts:
            continue  # not plain bracket nesting (a[][b], a[b]c): not used by v1
        target = nested
        for part in parts[:-1]:
            target = target.setdefault(part, {})
            if not isinstance(target, dict):
                break
        else:
            leaf = parts[-1]
            if is_list:
                target[leaf] = list(values)
            elif not isinstance(target.get(leaf), dict):
                target[leaf] = values[-1]
    return nested


def scalar(value: Any) -> Any:
    """Arrays and objects where a scalar belongs count as absent (spec §3.2)."""
    return MISSING if isinstance(value, (list, dict)) else value


def as_list(value: Any) -> list:
    return value if isinstance(value, list) else []


def is_blank(value: Any) -> bool:
    return (
        value is MISSING
        or value is None
        or (isinstance(value, str) and not value.strip())
    )


def lenient_int(value: Any) -> int | None:
    """Ruby's to_i: a leading integer prefix, floats truncated, booleans as 1/0; None if blank."""
    value = scalar(value)
    if is_blank(value):
        return None
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float)):
        return int(value) if abs(value) < 1e18 else 0
    match = LEADING_INT.match(str(value))
    return int(match.group(1)) if match else 0


def in_range_or_default(value: Any, low: int, high: int, default: int) -> int:
    number = lenient_int(value)
    return number if number is not None and low <= number <= high else default


def parse_bool(value: Any) -> bool:
    if value is True:
        return True
    return (
        isinstance(value, (str, int))
        and not isinstance(value, bool)
        and str(value).lower() in TRUE_WORDS
    )


def parse_page(raw: str | None) -> int | None:
    """The page number from ?page=, 1 when absent or below 1, None when invalid."""
    if raw is None:
        return 1
    if not PAGE.fullmatch(raw):
        return None
    page = int(raw)
    if page > MAX_PAGE:
        return None
    return max(page, 1)
