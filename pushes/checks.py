"""System checks for unsafe or broken configuration."""

import ipaddress

from django.conf import settings
from django.core.checks import Error, Warning, register
from django.core.exceptions import ImproperlyConfigured

from .crypto import decode_key


@register()
def encryption_keys(app_configs, **kwargs) -> list:
    errors = []
    for index, text in enumerate(settings.PWPUSH_ENCRYPTION_KEYS):
        try:
            decode_key(text)
        except ImproperlyConfigured as exc:
            errors.append(
                Error(
                    f"PWPUSH_ENCRYPTION_KEYS entry {index + 1}: {exc}", id="pwpush.E001"
                )
            )
    return errors


@register()
def trusted_proxies(app_configs, **kwargs) -> list:
    errors = []
    for entry in settings.TRUSTED_PROXIES:
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            errors.append(
                Error(
                    f"TRUSTED_PROXIES holds {entry!r}, which is not an IP address or CIDR range.",
                    id="pwpush.E002",
                )
            )
    return errors


@register(deploy=True)
def production_settings(app_configs, **kwargs) -> list:
    warnings = []
    if not settings.PWPUSH_ENCRYPTION_KEYS:
        warnings.append(
            Warning(
                "PWPUSH_ENCRYPTION_KEYS is not set: the key file under DATA_DIR seals every secret.",
                hint="Set PWPUSH_ENCRYPTION_KEYS and keep it out of the data volume's backups.",
                id="pwpush.W001",
            )
        )
    return warnings
