"""One settings module, driven by environment variables (see README "Configuration").

Every value comes from the environment; `NAME_FILE` may point to a file holding a secret instead
of `NAME`. Bad values stop the process at start with a message naming the variable.
"""

import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
PACKAGE_DIR = Path(__file__).resolve().parent

env = environ.FileAwareEnv()


def _bool(name: str, default: bool) -> bool:
    raw = env.str(name, default="").strip().lower()
    if raw == "":
        return default
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use 1/0, true/false, yes/no).")


def _int(name: str, default: int, *, minimum: int = 0) -> int:
    raw = env.str(name, default="").strip()
    if raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number.") from None
    if value < minimum:
        raise ImproperlyConfigured(f"{name}={value} must be at least {minimum}.")
    return value


DEBUG = _bool("DEBUG", False)

# Secrets read from NAME_FILE keep no trailing newline.
SECRET_KEY = env.str("SECRET_KEY", default="").strip()
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY (or SECRET_KEY_FILE) must be set when DEBUG is off.")
    SECRET_KEY = "insecure-development-key-only-for-DEBUG-mode"  # noqa: S105

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# The address people reach the app at, for links in e-mails (no trailing slash).
# Without it, production assumes HTTPS at the first allowed host name.
_first_host = next((h.lstrip(".") for h in ALLOWED_HOSTS if h.strip(".*")), "")
_default_site_url = f"https://{_first_host}" if _first_host and not DEBUG else "http://127.0.0.1:8000"
SITE_URL = env.str("SITE_URL", default=_default_site_url).rstrip("/")
if not SITE_URL.startswith(("http://", "https://")):
    raise ImproperlyConfigured(f"SITE_URL={SITE_URL!r} must start with http:// or https://.")

VAR_DIR = Path(env.str("ADOLAT_VAR_DIR", default=str(BASE_DIR / "var")))

# The state(s) this instance tracks, as ISO 3166-1 alpha-2 codes; the first is the default for
# imports and pages. A regional office may list several.
ADOLAT_COUNTRIES = [c.strip().upper() for c in env.list("ADOLAT_COUNTRIES", default=["TJ"]) if c.strip()]
if not ADOLAT_COUNTRIES or any(len(c) != 2 or not c.isalpha() for c in ADOLAT_COUNTRIES):
    raise ImproperlyConfigured(
        f"ADOLAT_COUNTRIES={ADOLAT_COUNTRIES!r}: give ISO 3166-1 alpha-2 codes such as TJ or TJ,KG."
    )
ADOLAT_DEFAULT_COUNTRY = ADOLAT_COUNTRIES[0]

INSTALLED_APPS = [
    "adolat.lib",
    "adolat.accounts",
    "adolat.recommendations",
    "adolat.followup",
    "adolat.api",
    "adolat.lib.admin_site.AdolatAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "rosetta",
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "axes",  # sign-in lockout (adolat/accounts/security.py)
    "csp",  # Content-Security-Policy
    "adolat.bench",
    # Two-factor authentication (adolat/accounts/mfa.py): authenticator apps, recovery codes, passkeys.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "django_otp_webauthn",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "adolat.lib.middleware.RefusalAuditMiddleware",  # refused accesses in the audit log
    "adolat.accounts.security.NoStoreMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "adolat.accounts.mfa.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "adolat.accounts.security.SessionTimeoutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",  # last, as django-axes requires
]

ROOT_URLCONF = "adolat.urls"
WSGI_APPLICATION = "adolat.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "adolat.accounts.context_processors.permissions",
            ],
        },
    }
]

# --- Database -----------------------------------------------------------------------------------
# SQLite under var/ by default; DATABASE_URL selects PostgreSQL (postgres://...) or another SQLite
# file (sqlite:////abs/path).
_default_db_url = f"sqlite:///{VAR_DIR / 'adolat.sqlite3'}"
try:
    DATABASES = {"default": env.db_url_config(env.str("DATABASE_URL", default=_default_db_url).strip())}
except Exception as exc:  # django-environ raises several types for a malformed URL
    raise ImproperlyConfigured(f"DATABASE_URL is not a valid database URL: {exc}") from None
if DATABASES["default"]["ENGINE"] not in {
    "django.db.backends.sqlite3",
    "django.db.backends.postgresql",
}:
    raise ImproperlyConfigured("DATABASE_URL must be a postgres:// or sqlite:/// URL.")

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # An acknowledged write must survive a crash: WAL with synchronous=FULL; IMMEDIATE
    # transactions take the write lock up front so concurrent writers queue on the busy timeout
    # instead of failing with "database is locked" half-way through a transaction.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": _int("SQLITE_BUSY_TIMEOUT", 20, minimum=1),
        "transaction_mode": "IMMEDIATE",
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; "
            "PRAGMA cache_size=-32000; PRAGMA temp_store=MEMORY;"
        ),
    }
    if DATABASES["default"]["NAME"] not in {"", ":memory:"}:
        Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    DATABASES["default"].setdefault("TEST", {})["NAME"] = env.str("SQLITE_TEST_NAME", default="") or None
else:
    DATABASES["default"]["CONN_MAX_AGE"] = _int("CONN_MAX_AGE", 60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"]["ATOMIC_REQUESTS"] = False

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts -----------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
# The lockout gate first: it refuses locked accounts before any password is checked.
AUTHENTICATION_BACKENDS = ["adolat.accounts.security.LockoutBackend", "adolat.accounts.backends.RoleBackend"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "adolat.accounts.security.BreachedPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "recommendations:list"
LOGOUT_REDIRECT_URL = "recommendations:list"

# --- Two-factor authentication (adolat/accounts/mfa.py) -------------------------------------------
# Members holding one of these roles (and staff accounts) must set up a second factor before they
# can use the app; everyone else may. Comma-separated role names; empty for none.
ADOLAT_MFA_REQUIRED_ROLES = [
    r.strip()
    for r in env.list("ADOLAT_MFA_REQUIRED_ROLES", default=["administrator", "coordinator"])
    if r.strip()
]
_known_roles = {"administrator", "coordinator", "focal_point", "cso_contributor", "monitor", "viewer"}
if set(ADOLAT_MFA_REQUIRED_ROLES) - _known_roles:
    raise ImproperlyConfigured(
        f"ADOLAT_MFA_REQUIRED_ROLES={ADOLAT_MFA_REQUIRED_ROLES!r}: "
        f"use role names among {sorted(_known_roles)}."
    )
# Changing the second factor or the e-mail address asks for the password (and the second factor)
# again when the last sign-in is older than this many seconds.
ADOLAT_REAUTH_SECONDS = _int("ADOLAT_REAUTH_SECONDS", 600, minimum=60)
OTP_TOTP_ISSUER = "Adolat"
OTP_TOTP_THROTTLE_FACTOR = 1  # each wrong code doubles the wait before the next attempt
OTP_STATIC_THROTTLE_FACTOR = 1
# Passkeys (django-otp-webauthn) belong to the host name of SITE_URL, which must be https. Over
# plain http (development, the demo) browsers accept passkeys on "localhost" only, so there they
# work at http://localhost:<port of SITE_URL>. A second factor only, never instead of the password.
_site = urlsplit(SITE_URL)
if _site.scheme == "https":
    OTP_WEBAUTHN_RP_ID = _site.hostname
    OTP_WEBAUTHN_ALLOWED_ORIGINS = [f"https://{_site.netloc}"]
else:
    OTP_WEBAUTHN_RP_ID = "localhost"
    OTP_WEBAUTHN_ALLOWED_ORIGINS = [f"http://localhost{f':{_site.port}' if _site.port else ''}"]
OTP_WEBAUTHN_RP_NAME = "Adolat"
OTP_WEBAUTHN_ALLOW_PASSWORDLESS_LOGIN = False

# --- Languages ----------------------------------------------------------------------------------
LANGUAGE_CODE = env.str("LANGUAGE_CODE", default="tg")
LANGUAGES = [("tg", "Тоҷикӣ"), ("ru", "Русский"), ("en", "English")]
if LANGUAGE_CODE not in dict(LANGUAGES):
    raise ImproperlyConfigured(f"LANGUAGE_CODE={LANGUAGE_CODE!r} must be one of tg, ru, en.")
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_SAMESITE = "Lax"
USE_I18N = True
USE_TZ = True
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Dushanbe")

# --- Static files -------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # WhiteNoise expects it even before collectstatic
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
MEDIA_ROOT = VAR_DIR / "media"
# Uploaded files are never served from MEDIA_ROOT by URL: only views behind the permission gates
# hand them out, as attachments (adolat/lib/uploads.py). Limits per kind of upload, in megabytes.
ADOLAT_MAX_IMPORT_SIZE = _int("ADOLAT_MAX_IMPORT_MB", 50, minimum=1) * 1024 * 1024
ADOLAT_MAX_EVIDENCE_SIZE = _int("ADOLAT_MAX_EVIDENCE_MB", 20, minimum=1) * 1024 * 1024
# Uploads above 2.5 MB go to a temporary file instead of memory; form fields stay small.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_NUMBER_FILES = 10
# In debug mode (the demo) static files are served straight from the apps, no collectstatic needed.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

# --- Security -----------------------------------------------------------------------------------
# Secure by default: with DEBUG=0, SECRET_KEY and ALLOWED_HOSTS alone the app runs in production
# mode and `adolat check --deploy --fail-level WARNING` passes. It expects HTTPS; behind a TLS proxy
# set SECURE_PROXY_SSL_HEADER to the header the proxy sets to "https" (e.g. X-Forwarded-Proto).
SECURE_COOKIES = _bool("SECURE_COOKIES", not DEBUG)
SECURE_SSL_REDIRECT = _bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # health checks of the proxy or orchestrator, over plain HTTP
_proxy_header = env.str("SECURE_PROXY_SSL_HEADER", default="").strip()
if _proxy_header:
    if not re.fullmatch(r"[A-Za-z0-9-]+", _proxy_header):
        raise ImproperlyConfigured(
            f"SECURE_PROXY_SSL_HEADER={_proxy_header!r} must be a header name such as X-Forwarded-Proto."
        )
    SECURE_PROXY_SSL_HEADER = ("HTTP_" + _proxy_header.upper().replace("-", "_"), "https")
SECURE_HSTS_SECONDS = _int("SECURE_HSTS_SECONDS", 0 if DEBUG else 365 * 24 * 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = _bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
# The preload token alone submits nothing (a domain is added to the browsers' list only on request
# from its apex); SECURE_HSTS_PRELOAD=0 leaves it out.
SECURE_HSTS_PRELOAD = _bool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
# Stricter than strict-origin-when-cross-origin: other sites learn nothing, not even the origin;
# same-origin requests keep the Referer Django's CSRF check uses on HTTPS.
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Every page's scripts and styles come from the app's own static files: no inline script, style or
# event handler, and nothing from another origin.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

# Sessions live in the database ("lock everything" deletes them all) and end after
# SESSION_IDLE_MINUTES without a request or SESSION_MAX_HOURS after signing in
# (adolat/accounts/security.py). Cookies: Secure, HttpOnly, SameSite=Lax and, when secure, the
# __Host- prefix (bound to this host, path /, HTTPS only).
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_IDLE_SECONDS = _int("SESSION_IDLE_MINUTES", 60, minimum=1) * 60
SESSION_MAX_AGE_SECONDS = _int("SESSION_MAX_HOURS", 12, minimum=1) * 3600
SESSION_COOKIE_AGE = min(SESSION_IDLE_SECONDS + 60, SESSION_MAX_AGE_SECONDS)  # the server-side expiry too
SESSION_COOKIE_NAME = "__Host-sessionid" if SECURE_COOKIES else "sessionid"
CSRF_COOKIE_NAME = "__Host-csrftoken" if SECURE_COOKIES else "csrftoken"
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = LANGUAGE_COOKIE_SECURE = SECURE_COOKIES
SESSION_COOKIE_HTTPONLY = CSRF_COOKIE_HTTPONLY = LANGUAGE_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = CSRF_COOKIE_SAMESITE = "Lax"

# Sign-in lockout (django-axes): LOGIN_FAILURE_LIMIT failures lock an account for
# LOGIN_COOLOFF_MINUTES (each further attempt starts the wait again). The answer while locked is the
# answer to a wrong password. LOGIN_LOCKOUT_BY: "username_and_ip" (default: the account from one
# address, so nobody can lock a person out from elsewhere), "username" (the account, wherever the
# attempts come from) or "username_or_ip" (either; also stops one address trying many accounts,
# but locks everyone behind a shared address).
AXES_FAILURE_LIMIT = _int("LOGIN_FAILURE_LIMIT", 5, minimum=1)
AXES_COOLOFF_TIME = timedelta(minutes=_int("LOGIN_COOLOFF_MINUTES", 15, minimum=1))
_lockout_by = env.str("LOGIN_LOCKOUT_BY", default="username_and_ip").strip()
_LOCKOUT_PARAMETERS = {
    "username": ["username"],
    "username_and_ip": [["username", "ip_address"]],
    "username_or_ip": ["username", "ip_address"],
}
if _lockout_by not in _LOCKOUT_PARAMETERS:
    raise ImproperlyConfigured(
        f"LOGIN_LOCKOUT_BY={_lockout_by!r} must be one of {', '.join(_LOCKOUT_PARAMETERS)}."
    )
AXES_LOCKOUT_PARAMETERS = _LOCKOUT_PARAMETERS[_lockout_by]
AXES_USERNAME_CALLABLE = "adolat.accounts.security.lockout_username"
AXES_LOCKOUT_CALLABLE = "adolat.accounts.security.lockout_response"
AXES_RESET_ON_SUCCESS = True
# No log of who signed in from which address and browser (personal data the lockout does not need);
# failed attempts are deleted at the next sign-in after their cool-off (or a successful sign-in).
AXES_DISABLE_ACCESS_LOG = True
# Client addresses: the connection's own, unless TRUSTED_PROXY_COUNT proxies add X-Forwarded-For
# (a header anyone can send otherwise).
AXES_IPWARE_PROXY_COUNT = _int("TRUSTED_PROXY_COUNT", 0) or None
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"] if AXES_IPWARE_PROXY_COUNT else ["REMOTE_ADDR"]
)

# --- Background work (django-tasks) -------------------------------------------------------------
# Long imports and e-mail runs go through Django's tasks framework; the database backend keeps the
# queue in the same database and `adolat db_worker` runs it (`make run` starts one).
TASKS = {
    "default": {
        "BACKEND": env.str("TASKS_BACKEND", default="django_tasks_db.backend.DatabaseBackend"),
    }
}

# --- Cache: shared by the web and worker processes of one machine (import progress) -----------
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(VAR_DIR / "cache"),
    }
}

# --- E-mail -------------------------------------------------------------------------------------
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = _int("EMAIL_PORT", 25, minimum=1)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="").strip()
EMAIL_USE_TLS = _bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="adolat@localhost")

# --- Translations edited in the running app (django-rosetta) ------------------------------------
ROSETTA_MESSAGES_PER_PAGE = 50
ROSETTA_SHOW_AT_ADMIN_PANEL = True
ROSETTA_ENABLE_TRANSLATION_SUGGESTIONS = False
ROSETTA_WSGI_AUTO_RELOAD = False
ROSETTA_EXCLUDED_APPLICATIONS = ["django.contrib.admin", "rosetta", "ninja"]
ROSETTA_ACCESS_CONTROL_FUNCTION = "adolat.accounts.permissions.can_edit_translations"

# --- Logging: no personal data; requests are logged by path only, never with query strings ------
# Every handler formats through adolat.lib.log.PrivacyFormatter (no query strings, no exception
# messages). "django" replaces Django's default handlers: its mail_admins handler would mail the
# request's parameters and cookies.
LOG_LEVEL = env.str("LOG_LEVEL", default="WARNING")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "private": {
            "class": "adolat.lib.log.PrivacyFormatter",
            "format": "{levelname} {name}: {message}",
            "style": "{",
        }
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "private"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django": {"handlers": [], "level": LOG_LEVEL, "propagate": True},
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}

ADOLAT_PAGE_SIZES = [20, 50, 100]
# Facet counts of the list counted in memory by each process (recommendations/facet_index.py, some
# 15 MB at 250,000 recommendations); off, they are counted by the database (slower at scale).
ADOLAT_FACET_INDEX = env.bool("ADOLAT_FACET_INDEX", default=True)
