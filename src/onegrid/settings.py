"""The one settings module. The environment is read here and nowhere else.

Environment variables (all optional in development, see README "Configuration"):

- ``ONEGRID_ENV``: ``development`` (default) or ``production``. Production refuses to start without
  real secrets and turns on every deployment protection.
- ``DATABASE_URL``: e.g. ``postgres://user:pass@127.0.0.1:5432/onegrid``; default SQLite (WAL) in
  ``ONEGRID_DATA_DIR``. ``ONEGRID_DB_CONN_MAX_AGE``: seconds a connection is kept for reuse (60, see below).
- ``ONEGRID_SERVER_THREADS``: threads per server process that run requests (8; each keeps a connection).
- ``ONEGRID_DATA_DIR``: where the embedded database, generated secrets and uploads live (``./var``).
- ``ONEGRID_SECRET_KEY``: Django's signing key.
- ``ONEGRID_PII_KEYS``: personal-data keys, ``kid:base64key[,kid:base64key...]``; the first is current.
- ``ONEGRID_ALLOWED_HOSTS``: comma-separated host names.
- ``ONEGRID_MAX_BODY_BYTES``: largest request body accepted (413 beyond).
- ``ONEGRID_TILE_URL``: map tile URL template; empty means plain background with grid polygons.
- ``ONEGRID_LANGUAGE``: ``zh-hans`` (default) or ``en``.
- ``ONEGRID_EMAIL_BACKEND``: ``console`` (default in development), ``smtp`` (default in production),
  ``locmem``, ``dummy`` or a dotted path; ``ONEGRID_EMAIL_HOST``, ``_PORT``, ``_USER``, ``_PASSWORD``,
  ``_USE_TLS``, ``_USE_SSL``, ``_TIMEOUT`` and ``ONEGRID_EMAIL_FROM`` configure SMTP.
- ``ONEGRID_SMS_GATEWAY``: dotted path of the SMS gateway class (default: the console gateway).
- ``ONEGRID_WEBHOOK_TIMEOUT``, ``ONEGRID_NOTIFY_POLL_SECONDS``, ``ONEGRID_NOTIFY_SEND_THREADS``: delivery.
- ``ONEGRID_SITE_URL``: e.g. ``https://grid.example.gov.cn``, to make links in e-mail and SMS absolute.
- ``ONEGRID_LEDGER_KEY``: the evidence ledger's Ed25519 private key, base64 of the 32-byte seed.
- ``ONEGRID_LEDGER_ORIGIN``: the ledger's origin (its name in checkpoints), a schema-less URL.
"""

from __future__ import annotations

import base64
import os
import re
import secrets
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
ENV = os.environ.get("ONEGRID_ENV", "development").strip().lower()
if ENV not in {"development", "production"}:
    raise ImproperlyConfigured(f"ONEGRID_ENV must be 'development' or 'production', not {ENV!r}")
PRODUCTION = ENV == "production"
DATA_DIR = Path(os.environ.get("ONEGRID_DATA_DIR", Path.cwd() / "var")).resolve()


def _local_secret(name: str, make: Any) -> str:
    """A development secret kept in DATA_DIR, generated on first use; never used in production."""
    path = DATA_DIR / name
    if path.exists():
        return path.read_text().strip()
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    value: str = make()
    path.write_text(value + "\n")
    path.chmod(0o600)
    return value


def _required(name: str, make: Any) -> str:
    value = os.environ.get(name, "").strip()
    if value:
        return value
    if PRODUCTION:
        raise ImproperlyConfigured(f"{name} must be set when ONEGRID_ENV=production")
    return _local_secret(name.lower().removeprefix("onegrid_") + ".secret", make)


SECRET_KEY = _required("ONEGRID_SECRET_KEY", lambda: secrets.token_urlsafe(50))
if PRODUCTION and (len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5):
    raise ImproperlyConfigured("ONEGRID_SECRET_KEY must be at least 50 characters of real randomness")

_pii_spec = _required(
    "ONEGRID_PII_KEYS", lambda: "k1:" + base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
)
PII_KEYS: dict[str, bytes] = {}
for _item in _pii_spec.split(","):
    _kid, _sep, _b64 = _item.strip().partition(":")
    try:
        _key = base64.urlsafe_b64decode(_b64.encode())
    except ValueError as exc:
        raise ImproperlyConfigured(f"ONEGRID_PII_KEYS: key {_kid!r} is not base64") from exc
    if not _kid or len(_key) != 32:
        raise ImproperlyConfigured(f"ONEGRID_PII_KEYS: key {_kid!r} must be 'kid:' + 32 bytes in base64")
    PII_KEYS[_kid] = _key
PII_CURRENT_KEY = _pii_spec.split(",")[0].partition(":")[0].strip()

# The evidence ledger signs its checkpoints with this key; its public half is at /.well-known/.
_ledger_key = _required("ONEGRID_LEDGER_KEY", lambda: base64.b64encode(secrets.token_bytes(32)).decode())
try:
    LEDGER_KEY = base64.b64decode(_ledger_key.encode(), validate=True)
except ValueError as exc:
    raise ImproperlyConfigured("ONEGRID_LEDGER_KEY is not base64") from exc
if len(LEDGER_KEY) != 32:
    raise ImproperlyConfigured("ONEGRID_LEDGER_KEY must be 32 bytes (an Ed25519 seed) in base64")
LEDGER_ORIGIN = os.environ.get("ONEGRID_LEDGER_ORIGIN", "").strip()
if not LEDGER_ORIGIN:
    if PRODUCTION:
        raise ImproperlyConfigured("ONEGRID_LEDGER_ORIGIN must be set when ONEGRID_ENV=production")
    LEDGER_ORIGIN = "onegrid.localhost/ledger"
if any(c.isspace() or c == "+" for c in LEDGER_ORIGIN):
    raise ImproperlyConfigured("ONEGRID_LEDGER_ORIGIN must not contain spaces or '+'")
LEDGER_TILE_CACHE_MB = max(0, int(os.environ.get("ONEGRID_LEDGER_TILE_CACHE_MB", "64")))  # per process

DEBUG = not PRODUCTION and os.environ.get("ONEGRID_DEBUG", "1") == "1"
ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get(
        "ONEGRID_ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,testserver,[::1]"
    ).split(",")
    if h.strip()
]
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ONEGRID_ALLOWED_HOSTS must be set when ONEGRID_ENV=production")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",
    "onegrid.kit",
    "onegrid.audit",
    "onegrid.access",
    "onegrid.ledger",
    "onegrid.areas",
    "onegrid.notify",
    "onegrid.matters",
    "onegrid.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "onegrid.kit.middleware.SecurityHeadersMiddleware",
    "onegrid.kit.middleware.RequestContextMiddleware",
    "onegrid.kit.middleware.BodySizeLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "onegrid.urls"
ASGI_APPLICATION = "onegrid.asgi.application"
AUTH_USER_MODEL = "access.User"
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/login/"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "onegrid.web.context.site",
            ],
        },
    },
]

_default_db = f"sqlite:///{DATA_DIR / 'onegrid.sqlite3'}"
DATABASE_URL = os.environ.get("DATABASE_URL", "").strip() or _default_db
# ONEGRID_DB_CONN_MAX_AGE: seconds a connection is kept for reuse (0 closes it after each request). The
# server runs requests on a fixed pool of SERVER_THREADS threads per process (kit.threaded_asgi), so at most
# that many connections per process are kept. Opening one per request (a PostgreSQL backend started, a
# WAL checkpoint whenever SQLite's last connection closed) cost 5x on /healthz and about a quarter of the
# server's CPU per request on the mixed soak workload (bench/soak.py). Django checks a kept connection at
# each request's start (health checks on).
DB_CONN_MAX_AGE = int(os.environ.get("ONEGRID_DB_CONN_MAX_AGE", "60"))
SERVER_THREADS = int(os.environ.get("ONEGRID_SERVER_THREADS", "8"))
if SERVER_THREADS < 1:
    raise ImproperlyConfigured("ONEGRID_SERVER_THREADS must be at least 1")
DATABASES = {
    "default": dj_database_url.parse(DATABASE_URL, conn_max_age=DB_CONN_MAX_AGE, conn_health_checks=True)
}
# SQLite in WAL: NORMAL may lose the last commits on power loss (never corrupts); FULL syncs each commit.
SQLITE_SYNCHRONOUS = os.environ.get("ONEGRID_SQLITE_SYNCHRONOUS", "NORMAL").strip().upper()
if SQLITE_SYNCHRONOUS not in {"NORMAL", "FULL", "EXTRA"}:
    raise ImproperlyConfigured("ONEGRID_SQLITE_SYNCHRONOUS must be NORMAL, FULL or EXTRA")
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers run beside the writer; IMMEDIATE takes the write lock at BEGIN so two
        # writers queue on busy_timeout instead of failing with "database is locked" mid-transaction.
        "init_command": (
            f"PRAGMA journal_mode=WAL; PRAGMA synchronous={SQLITE_SYNCHRONOUS}; PRAGMA foreign_keys=ON;"
        ),
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = os.environ.get("ONEGRID_LANGUAGE", "zh-hans")
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION
MEDIA_ROOT = DATA_DIR / "media"
MEDIA_URL = "/media/"

MAX_BODY_BYTES = int(os.environ.get("ONEGRID_MAX_BODY_BYTES", str(20 * 1024 * 1024)))
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_BODY_BYTES
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 5000

TILE_URL = os.environ.get("ONEGRID_TILE_URL", "").strip()


def _tile_source(url: str) -> str:
    """The tile server as a CSP source: ``https://{s}.tile.example.org/{z}/{x}/{y}.png`` →
    ``https://*.tile.example.org``."""
    match = re.match(r"^(https?://)([^/]+)", url)
    if not match:
        return ""
    host = re.sub(r"^\{s\}\.|^[^.]*\{[^}]*\}[^.]*\.", "*.", match.group(2))
    return match.group(1) + host


# Scripts and styles come from this site only (styles may also be set inline: the map and the charts
# position their elements that way); images also from the tile server and from photos being chosen.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        f"img-src 'self' data: blob: {_tile_source(TILE_URL)}".strip(),
        "connect-src 'self'",
        "worker-src 'self'",
        "manifest-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
CSP_EXEMPT_PATHS = ("/api/v1/docs",)
PERMISSIONS_POLICY = "geolocation=(self), camera=(self), microphone=(), payment=(), usb=()"
TILE_ATTRIBUTION = os.environ.get("ONEGRID_TILE_ATTRIBUTION", "").strip()

# Login throttling: this many failures for one username or one address within the window lock it out.
LOGIN_FAILURE_LIMIT = int(os.environ.get("ONEGRID_LOGIN_FAILURE_LIMIT", "5"))
LOGIN_FAILURE_WINDOW_SECONDS = int(os.environ.get("ONEGRID_LOGIN_FAILURE_WINDOW", "900"))

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = os.environ.get("ONEGRID_SSL_REDIRECT", "1") == "1"
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(os.environ.get("ONEGRID_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    CSRF_TRUSTED_ORIGINS = [
        o.strip() for o in os.environ.get("ONEGRID_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
    ]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("ONEGRID_LOG_LEVEL", "WARNING")},
}

NINJA_PAGINATION_PER_PAGE = 50
NINJA_PAGINATION_MAX_PER_PAGE_SIZE = 500
NINJA_PAGINATION_MAX_LIMIT = 500

AUTHENTICATION_BACKENDS = ["onegrid.access.backends.ThrottledModelBackend"]

# Notifications (onegrid.notify): e-mail through Django's mail framework, SMS through a gateway class,
# webhooks over HTTP; the worker polls the outbox every NOTIFY_POLL_SECONDS.
_EMAIL_BACKENDS = {
    name: f"django.core.mail.backends.{name}.EmailBackend" for name in ("console", "smtp", "locmem", "dummy")
}
_email_backend = os.environ.get("ONEGRID_EMAIL_BACKEND", "smtp" if PRODUCTION else "console").strip()
EMAIL_BACKEND = _EMAIL_BACKENDS.get(_email_backend, _email_backend)
EMAIL_HOST = os.environ.get("ONEGRID_EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("ONEGRID_EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("ONEGRID_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("ONEGRID_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = os.environ.get("ONEGRID_EMAIL_USE_TLS", "0") == "1"
EMAIL_USE_SSL = os.environ.get("ONEGRID_EMAIL_USE_SSL", "0") == "1"
EMAIL_TIMEOUT = float(os.environ.get("ONEGRID_EMAIL_TIMEOUT", "10"))
DEFAULT_FROM_EMAIL = os.environ.get("ONEGRID_EMAIL_FROM", "OneGrid <onegrid@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured("set at most one of ONEGRID_EMAIL_USE_TLS and ONEGRID_EMAIL_USE_SSL")
NOTIFY_SMS_GATEWAY = os.environ.get("ONEGRID_SMS_GATEWAY", "onegrid.notify.sms.ConsoleGateway").strip()
NOTIFY_WEBHOOK_TIMEOUT = float(os.environ.get("ONEGRID_WEBHOOK_TIMEOUT", "5"))
NOTIFY_POLL_SECONDS = float(os.environ.get("ONEGRID_NOTIFY_POLL_SECONDS", "2"))
NOTIFY_SEND_THREADS = int(os.environ.get("ONEGRID_NOTIFY_SEND_THREADS", "4"))
NOTIFY_SITE_URL = os.environ.get("ONEGRID_SITE_URL", "").strip().rstrip("/")
