"""What a URL push may point at: an absolute http(s) URL with a host, and nothing in disguise."""

import ipaddress
import re
import unicodedata
from urllib.parse import urlsplit

MAX_URL_LENGTH = 8192
INVALID = "must be a valid HTTP or HTTPS URL."
SCHEME_PREFIX = re.compile(r"https?://", re.IGNORECASE)
# Letters that render as nothing: a host made of them looks empty or like another host.
INVISIBLE = set("\u115f\u1160\u3164\uffa0\u2800\u180e\u17b4\u17b5")
LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?")


def url_errors(value: str) -> list[str]:
    """The 422 messages for a URL push payload; empty when it is a safe target."""
    if len(value) > MAX_URL_LENGTH:
        return [f"is too long (maximum is {MAX_URL_LENGTH} characters)"]
    # Whitespace, control and invisible format characters are how schemes get disguised
    # (java\tscript:, \x00javascript:, zero-width joiners); a real URL has none of them.
    if any(
        ch.isspace() or ch in INVISIBLE or unicodedata.category(ch).startswith("C")
        for ch in value
    ):
        return [INVALID]
    if not SCHEME_PREFIX.match(value):
        return [INVALID]  # relative, scheme-relative //host, other or encoded schemes
    try:
        parts = urlsplit(value)
        _ = parts.port  # raises ValueError on a malformed port
    except ValueError:
        return [INVALID]
    # A backslash in the authority is read as a slash by browsers: https://evil\\@good.
    if "\\" in parts.netloc or not parts.hostname:
        return [INVALID]
    userinfo, _, hostport = parts.netloc.rpartition("@")
    if not valid_host(parts.hostname, bracketed=hostport.startswith("[")):
        return [INVALID]
    # Credentials are plain ASCII and no host name: look-alike slashes (x.com\u2044@evil) or
    # a user name that reads as a host (accounts.example.com@evil) disguise the real host.
    username = userinfo.partition(":")[0]
    if not userinfo.isascii() or any(ch in username for ch in ".[]"):
        return [INVALID]
    return []


def valid_host(host: str, *, bracketed: bool = False) -> bool:
    """A dotted IPv4 address, a bracketed IPv6 address without a zone, or a DNS name whose
    labels are valid once internationalised names are encoded."""
    if "%" in host:
        return False  # zone ids, percent-encoded names
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    if bracketed:
        return isinstance(address, ipaddress.IPv6Address)
    if address is not None:
        return address.version == 4
    labels = host.rstrip(".").split(".")
    # a numeric last label is no name: 2130706433 or 999.1.1.1 are IPv4 in disguise
    if labels[-1].isdigit():
        return False
    return all(valid_label(label) for label in labels)


def valid_label(label: str) -> bool:
    if label.lower().startswith("xn--"):
        try:
            label.encode("ascii").decode("idna")  # punycode must decode to a real name
        except UnicodeError:
            return False
    if label.isascii():
        return bool(LABEL.fullmatch(label.lower()))
    try:
        encoded = label.encode("idna").decode("ascii")
    except UnicodeError:
        # IDNA 2003 refuses some IDNA 2008 names; accept letters, digits and joiners.
        return (
            all(ch.isalnum() or ch in "-_" for ch in label)
            and len(label.encode()) <= 63
        )
    return bool(LABEL.fullmatch(encoded.lower()))
