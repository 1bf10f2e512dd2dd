"""The only settings module. Everything comes from the environment, with defaults
that run on one machine with no other service (SQLite, local disk)."""

import os
import secrets
import tempfile
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str | None = None, *, pwp: str | None = None) -> str | None:
    """Reads NAME, then the original Password Pusher's PWP__ name, then the default."""
    for key in (name, pwp):
        if key and os.environ.get(key) not in (None, ""):
            return os.environ[key]
    return default


TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off"}


def env_bool(name: str, default: bool, *, pwp: str | None = None) -> bool:
    value = env(name, None, pwp=pwp)
    if value is None:
        return default
    word = value.strip().lower()
    if word not in TRUE_WORDS | FALSE_WORDS:
        raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}.")
    return word in TRUE_WORDS


def env_int(name: str, default: int, *, pwp: str | None = None) -> int:
    value = env(name, None, pwp=pwp)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(
            f"{name} must be a whole number, not {value!r}."
        ) from None


def env_list(name: str, default: str, *, pwp: str | None = None) -> list[str]:
    value = env(name, default, pwp=pwp) or ""
    return [item.strip() for item in value.split(",") if item.strip()]


def secret_from_file(path: Path, nbytes: int = 32) -> str:
    """Returns the secret stored at path, creating it once with mode 0600.

    The file appears whole or not at all (written aside, then hard-linked into place), so a
    process racing another on first start never reads it half-written.
    """
    # the data folder (database, keys, files) is private when this creates it
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not path.exists():
        # mkstemp makes the file with mode 0600
        fd, scratch = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(nbytes) + "\n")
            os.link(scratch, path)
        except FileExistsError:
            pass  # another process made it first: use theirs
        finally:
            os.unlink(scratch)
    return path.read_text().strip()


def database_from_url(url: str) -> dict:
    """Turns sqlite:///path or postgres://user:pass@host:port/name into a DATABASES entry."""
    parts = urlsplit(url)
    options = dict(parse_qsl(parts.query))
    if parts.scheme == "sqlite":
        return {
            "ENGINE": "django.db.backends.sqlite3",
            # sqlite:///relative.db, sqlite:////absolute/path.db
            "NAME": unquote(parts.path[1:]),
            # BEGIN IMMEDIATE: a transaction takes the write lock up front, so view
            # claims serialise instead of failing with "database is locked".
            "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 20, **options},
        }
    if parts.scheme in {"postgres", "postgresql", "pgsql"}:
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parts.path.lstrip("/")),
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(parts.port or ""),
            "CONN_MAX_AGE": env_int("CONN_MAX_AGE", 600),
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": options,
        }
    raise ValueError(f"DATABASE_URL has an unsupported scheme: {parts.scheme!r}")


DATA_DIR = Path(env("DATA_DIR", str(BASE_DIR / "data"))).resolve()
# private when this creates it: database, keys and files live here
DATA_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)

SECRET_KEY = env("SECRET_KEY") or secret_from_file(DATA_DIR / "secret_key", 50)
DEBUG = env_bool("DEBUG", False)
# Loopback names are always allowed: health checks call http://127.0.0.1:8000/up from inside.
ALLOWED_HOSTS = [*env_list("ALLOWED_HOSTS", ""), "localhost", "127.0.0.1", "[::1]"]
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

# Client addresses (IPs or CIDR ranges) whose X-Forwarded-For/-Proto/-Host are believed.
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", "")

# Comma-separated 32-byte keys (urlsafe base64 or hex). The first seals, all open.
# Unset: a key file is created once under DATA_DIR. There is no built-in key.
PWPUSH_ENCRYPTION_KEYS = env_list("PWPUSH_ENCRYPTION_KEYS", "")
ENCRYPTION_KEY_FILE = DATA_DIR / "encryption.key"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "accounts",
    "audit",
    "pushes",
    "files",
    "urls",
]

MIDDLEWARE = [
    "pwpush.middleware.TrustedProxyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "pwpush.middleware.ApiHeadersMiddleware",
]

ROOT_URLCONF = "pwpush.urls"
WSGI_APPLICATION = "pwpush.wsgi.application"
AUTH_USER_MODEL = "accounts.User"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

DATABASES = {
    "default": database_from_url(
        env("DATABASE_URL") or f"sqlite:///{DATA_DIR / 'pwpush.sqlite3'}"
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
        }
    }
    SESSION_ENGINE = "django.contrib.sessions.backends.cache"
else:
    # Shared by every process (rate limits must be), unlike the in-memory default.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "pwpush_cache",
            # Culling early would forget rate-limit counters: keep plenty.
            "OPTIONS": {"MAX_ENTRIES": 1_000_000},
        }
    }

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(DATA_DIR / "files")},
    },
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# A payload may hold 1 MiB of characters; escaped as JSON (\ud83d\ude00) or percent-encoded
# UTF-8 one can take 12 bytes. Anything larger is refused (413) before it is parsed.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 16 * 1024 * 1024)
DATA_UPLOAD_MAX_NUMBER_FIELDS = 200

# Uploaded files are encrypted as they arrive, never held whole in memory nor stored in clear.
FILE_UPLOAD_HANDLERS = ["files.uploads.EncryptingUploadHandler"]
MAX_FILE_SIZE = env_int("MAX_FILE_SIZE", 2 * 1024**3)
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700
# How long download links last, and how long the viewer who used the last view may still
# download the files before the push expires.
FILE_DOWNLOAD_WINDOW = env_int("FILE_DOWNLOAD_WINDOW", 15 * 60)
# An object whose upload began this long ago and that no push claimed is an orphan.
UPLOAD_GRACE_PERIOD = env_int("UPLOAD_GRACE_PERIOD", 6 * 3600)

S3_BUCKET = env("S3_BUCKET")
if S3_BUCKET:
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": S3_BUCKET,
            "endpoint_url": env("S3_ENDPOINT_URL"),
            "region_name": env("S3_REGION"),
            "access_key": env("S3_ACCESS_KEY_ID") or env("AWS_ACCESS_KEY_ID"),
            "secret_key": env("S3_SECRET_ACCESS_KEY") or env("AWS_SECRET_ACCESS_KEY"),
            "location": env("S3_PREFIX", ""),
            # names are 192-bit random: no need to ask S3 whether one exists
            "file_overwrite": True,
            "default_acl": None,
        },
    }

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.ApiTokenAuthentication"
    ],
    "DEFAULT_PERMISSION_CLASSES": [],
    "DEFAULT_RENDERER_CLASSES": ["pushes.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "pushes.renderers.AlwaysJSON",
    "EXCEPTION_HANDLER": "pushes.api_support.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}

# Behind TLS in production: set SECURE_SSL_REDIRECT=true and SECURE_HSTS_SECONDS=31536000.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_REDIRECT_EXEMPT = [r"^up$"]  # health checks come over plain http from inside
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool(
    "SECURE_HSTS_INCLUDE_SUBDOMAINS", SECURE_HSTS_SECONDS > 0
)
# Preloading commits the whole domain to https for months: only when asked for, so
# check --deploy is not told to nag about it (security.W021).
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
SILENCED_SYSTEM_CHECKS = ["security.W021"]
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", SECURE_SSL_REDIRECT)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_tokens": {"()": "pwpush.logging.RedactTokens"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["redact_tokens"]}
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
}

# --- Push behaviour (spec §2). Every key may also be given with its PWP__ name. ---

ALLOW_ANONYMOUS = env_bool("ALLOW_ANONYMOUS", True, pwp="PWP__ALLOW_ANONYMOUS")
ENABLE_FILE_PUSHES = env_bool("ENABLE_FILE_PUSHES", True, pwp="PWP__ENABLE_FILE_PUSHES")
ENABLE_URL_PUSHES = env_bool("ENABLE_URL_PUSHES", True, pwp="PWP__ENABLE_URL_PUSHES")
ENABLE_QR_PUSHES = env_bool("ENABLE_QR_PUSHES", True, pwp="PWP__ENABLE_QR_PUSHES")
OVERRIDE_BASE_URL = (
    env("OVERRIDE_BASE_URL", "", pwp="PWP__OVERRIDE_BASE_URL") or ""
).rstrip("/")
FORCE_SSL = env_bool("FORCE_SSL", False)
REQUIRE_MFA = env_bool("REQUIRE_MFA", False, pwp="PWP__REQUIRE_MFA")
NOINDEX = env_bool("NOINDEX", True, pwp="PWP__NOINDEX")
ENABLED_LANGUAGE_CODES = env_list(
    "ENABLED_LANGUAGE_CODES",
    "ca,cs,da,de,en,en-GB,es,eu,fi,fr,ga,hi,hu,id,is,it,ja,ko,lv,nl,no,pl,pt-BR,"
    "pt-PT,ro,ru,sk,sr,sv,th,uk,ur,zh-CN,zh-TW",
    pwp="PWP__ENABLED_LANGUAGE_CODES",
)
PASSPHRASE_ATTEMPTS_PER_MINUTE = env_int("PASSPHRASE_ATTEMPTS_PER_MINUTE", 5)
AUDIT_LOG_CAP = env_int("AUDIT_LOG_CAP", 2000)


def kind_settings(
    group: str, *, deletable: bool = True, max_file_uploads: bool = False
) -> dict:
    """One settings group of spec §2.2 (pw, url, files, qr), read from GROUP_KEY or PWP__GROUP__KEY."""

    def read(key: str, default, cast):
        name = f"{group.upper()}_{key.upper()}"
        return cast(name, default, pwp=f"PWP__{group.upper()}__{key.upper()}")

    values = {
        "expire_after_days_default": read("expire_after_days_default", 7, env_int),
        "expire_after_days_min": read("expire_after_days_min", 1, env_int),
        "expire_after_days_max": read("expire_after_days_max", 90, env_int),
        "expire_after_views_default": read("expire_after_views_default", 5, env_int),
        "expire_after_views_min": read("expire_after_views_min", 1, env_int),
        "expire_after_views_max": read("expire_after_views_max", 100, env_int),
        "enable_retrieval_step": read("enable_retrieval_step", True, env_bool),
        "retrieval_step_default": read("retrieval_step_default", True, env_bool),
    }
    if deletable:
        values["enable_deletable_pushes"] = read(
            "enable_deletable_pushes", True, env_bool
        )
        values["deletable_pushes_default"] = read(
            "deletable_pushes_default", True, env_bool
        )
    if max_file_uploads:
        values["max_file_uploads"] = read("max_file_uploads", 10, env_int)
    return values


PUSH_SETTINGS = {
    "pw": kind_settings("pw"),
    "url": kind_settings("url", deletable=False),
    "files": kind_settings("files", max_file_uploads=True),
    "qr": kind_settings("qr"),
}
# Empty files do not count toward max_file_uploads (spec §8.1), but file parts of any size
# are capped per request (400 above).
DATA_UPLOAD_MAX_NUMBER_FILES = 2 * PUSH_SETTINGS["files"]["max_file_uploads"]

# Rows per transaction in the sweeps: bounded memory and short locks whatever the backlog.
SWEEP_BATCH_SIZE = env_int("SWEEP_BATCH_SIZE", 500)
# Expired pushes are deleted (with their audit logs) this many days after expiry;
# owned pushes are kept for their owners' audit unless PRUNE_OWNED_AFTER_DAYS is set.
PRUNE_ANONYMOUS_AFTER_DAYS = env_int("PRUNE_ANONYMOUS_AFTER_DAYS", 30)
PRUNE_OWNED_AFTER_DAYS = env_int("PRUNE_OWNED_AFTER_DAYS", 0) or None

# --- Celery: Redis when configured; otherwise a broker in files under DATA_DIR, so
# `make run` needs no other service and the worker still runs beside gunicorn. ---
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
else:
    CELERY_BROKER_URL = "filesystem://"
    (DATA_DIR / "broker").mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(DATA_DIR / "broker"),
        "data_folder_out": str(DATA_DIR / "broker"),
        "control_folder": str(DATA_DIR / "broker" / "control"),
        "store_processed": False,
    }
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
# A task is acknowledged only when done: a worker killed mid-sweep leaves it to be redone.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE = {
    # every EXPIRE_SWEEP_SECONDS (default 5 minutes): erase pushes whose days or views ran out
    "expire-due-pushes": {
        "task": "pushes.tasks.expire_due_pushes",
        "schedule": env_int("EXPIRE_SWEEP_SECONDS", 300),
    },
    # every 10 minutes: delete stored file objects whose deletion failed or that no push claimed
    "purge-files": {"task": "files.tasks.purge_files", "schedule": 600},
    # every 6 hours: delete pushes that expired more than PRUNE_*_AFTER_DAYS ago
    "prune-expired-pushes": {
        "task": "pushes.tasks.prune_expired_pushes",
        "schedule": 6 * 3600,
    },
}
