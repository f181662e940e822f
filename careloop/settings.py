"""Careloop settings, read from environment variables (see docs/configuration.md)."""

from pathlib import Path

import dj_database_url

from careloop.env import (
    ConfigurationError,
    env_bool,
    env_choice,
    env_instant,
    env_int,
    env_list,
    env_str,
)
from careloop.keys import load_key

BASE_DIR = Path(__file__).resolve().parent.parent

CARELOOP_ENV = env_choice("CARELOOP_ENV", "development", ("development", "production", "test"))
PRODUCTION = CARELOOP_ENV == "production"
DATA_DIR = Path(env_str("CARELOOP_DATA_DIR", str(BASE_DIR / "var")))
if not PRODUCTION:
    DATA_DIR.mkdir(parents=True, exist_ok=True)

SECRET_KEY = load_key(variable="SECRET_KEY", data_dir=DATA_DIR, required=PRODUCTION)
AUDIT_CHAIN_KEY = load_key(variable="CARELOOP_AUDIT_KEY", data_dir=DATA_DIR, required=PRODUCTION)
FIELD_ENCRYPTION_KEY = load_key(
    variable="CARELOOP_ENCRYPTION_KEY", data_dir=DATA_DIR, required=PRODUCTION
)

DEBUG = env_bool("DEBUG", default=not PRODUCTION)
if PRODUCTION and DEBUG:
    raise ConfigurationError("DEBUG must be false in production")

# The demo clinic's sign-in help (demo passwords and where to read TOTP codes) is shown only
# when this is on, and it can never be on in production.
DEMO_MODE = env_bool("CARELOOP_DEMO", default=not PRODUCTION)
if PRODUCTION and DEMO_MODE:
    raise ConfigurationError("CARELOOP_DEMO must be false in production")

ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"]
)
if PRODUCTION and not ALLOWED_HOSTS:
    raise ConfigurationError("ALLOWED_HOSTS must be set in production")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_tasks",
    "django_tasks_db",
    "ninja",
    "careloop.core",
    "careloop.accounts",
    "careloop.audit",
    "careloop.notifications",
    "careloop.patients",
    "careloop.memberships",
    "careloop.billing",
    "careloop.scheduling",
    "careloop.care",
    "careloop.messaging",
    "careloop.api",
    "careloop.web",
    "careloop.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "careloop.audit.middleware.RequestContextMiddleware",
    "careloop.web.middleware.ClinicTimeZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After messages, so a session ended for inactivity can say why on the sign-in page.
    "careloop.accounts.middleware.SessionLimitsMiddleware",
    "careloop.accounts.middleware.SecondFactorRequiredMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "careloop.urls"
WSGI_APPLICATION = "careloop.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "careloop" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "careloop.web.context_processors.careloop",
            ],
        },
    },
]

SQLITE_PATH = DATA_DIR / "careloop.sqlite3"
SQLITE_OPTIONS = {
    # IMMEDIATE takes the write lock when a transaction starts, so two writers queue on
    # busy_timeout instead of failing mid-transaction with "database is locked"; WAL lets
    # readers continue while one writes.
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
}
DATABASE_URL = env_str("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
        DATABASES["default"]["OPTIONS"] = dict(SQLITE_OPTIONS)
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(SQLITE_PATH),
            "OPTIONS": dict(SQLITE_OPTIONS),
        }
    }
if PRODUCTION and DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ConfigurationError("DATABASE_URL must point at PostgreSQL in production")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Argon2id is the OWASP-recommended password hash; PBKDF2 stays listed so that hashes made by
# another hasher still verify and are upgraded at the next sign-in.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Sessions: staff sessions end after 15 idle minutes and 12 hours in all
SESSION_COOKIE_AGE = 12 * 60 * 60
SESSION_IDLE_TIMEOUT_SECONDS = env_int("CARELOOP_SESSION_IDLE_MINUTES", 15) * 60
SESSION_ABSOLUTE_TIMEOUT_SECONDS = env_int("CARELOOP_SESSION_ABSOLUTE_HOURS", 12) * 60 * 60
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
LOGIN_FAILURE_LIMIT = 5
LOGIN_LOCKOUT_SECONDS = 15 * 60
# A password reset link works for one hour (Django's default is three days).
PASSWORD_RESET_TIMEOUT = 60 * 60

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
if not PRODUCTION:
    # WhiteNoise warns on every request when its root is missing; development serves from finders.
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "careloop" / "static"]
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

# Email: SMTP in production; the file backend by default so the demo never sends real mail.
EMAIL_BACKEND = {
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
    "console": "django.core.mail.backends.console.EmailBackend",
    "file": "django.core.mail.backends.filebased.EmailBackend",
    "memory": "django.core.mail.backends.locmem.EmailBackend",
}[
    env_choice(
        "CARELOOP_EMAIL", "smtp" if PRODUCTION else "file", ("smtp", "console", "file", "memory")
    )
]
EMAIL_FILE_PATH = DATA_DIR / "mail"
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)
EMAIL_TIMEOUT = 30
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Careloop <no-reply@careloop.invalid>")
SMS_PROVIDER = env_choice("CARELOOP_SMS_PROVIDER", "log", ("log",))
# Payments: the sandbox gateway is the default (demo, tests); see docs/configuration.md.
SANDBOX_LATENCY_MS = env_int("CARELOOP_SANDBOX_LATENCY_MS", 0)
# Charges in flight at once during a billing run; gateway latency, not the CPU, limits a run.
BILLING_CHARGE_CONCURRENCY = env_int("CARELOOP_BILLING_CHARGE_CONCURRENCY", 8)
if BILLING_CHARGE_CONCURRENCY < 1:
    raise ConfigurationError("CARELOOP_BILLING_CHARGE_CONCURRENCY must be at least 1")
# Memberships a billing worker locks and bills in one transaction before charging them.
BILLING_BATCH_SIZE = env_int("CARELOOP_BILLING_BATCH_SIZE", 400)
if BILLING_BATCH_SIZE < 1:
    raise ConfigurationError("CARELOOP_BILLING_BATCH_SIZE must be at least 1")
# Plain renewals issued and charged a batch at a time (billing/services/renewal_batch.py);
# off, every membership goes through the per-membership path, as staff actions do.
BILLING_BATCH_PATH = env_bool("CARELOOP_BILLING_BATCH_PATH", default=True)
PORTAL_BASE_URL = env_str("CARELOOP_BASE_URL", "http://127.0.0.1:8000")
# Scheduling: free slots start on this grid from the start of working hours; a series may hold
# at most this many occurrences.
SCHEDULING_SLOT_MINUTES = env_int("CARELOOP_SCHEDULING_SLOT_MINUTES", 15)
if not 1 <= SCHEDULING_SLOT_MINUTES <= 240:
    raise ConfigurationError("CARELOOP_SCHEDULING_SLOT_MINUTES must be between 1 and 240")
SCHEDULING_SERIES_LIMIT = env_int("CARELOOP_SCHEDULING_SERIES_LIMIT", 104)
if SCHEDULING_SERIES_LIMIT < 1:
    raise ConfigurationError("CARELOOP_SCHEDULING_SERIES_LIMIT must be at least 1")

# Care work appears this many days before it falls due (generated on demand, not a year ahead).
CARE_HORIZON_DAYS = env_int("CARELOOP_CARE_HORIZON_DAYS", 14)
if not 1 <= CARE_HORIZON_DAYS <= 90:
    raise ConfigurationError("CARELOOP_CARE_HORIZON_DAYS must be from 1 to 90")
# A care gap is escalated to the care coordinators this many days after it appears.
CARE_ESCALATE_AFTER_DAYS = env_int("CARELOOP_CARE_ESCALATE_AFTER_DAYS", 3)
if not 1 <= CARE_ESCALATE_AFTER_DAYS <= 90:
    raise ConfigurationError("CARELOOP_CARE_ESCALATE_AFTER_DAYS must be from 1 to 90")

# Messaging: the assignee is warned at this share of a response-time target; a patient or
# staff member hears of new messages in one thread at most once per this many minutes.
MESSAGING_WARN_AT_PERCENT = env_int("CARELOOP_MESSAGING_WARN_AT_PERCENT", 75)
if not 1 <= MESSAGING_WARN_AT_PERCENT <= 100:
    raise ConfigurationError("CARELOOP_MESSAGING_WARN_AT_PERCENT must be from 1 to 100")
MESSAGING_NOTIFY_EVERY_MINUTES = env_int("CARELOOP_MESSAGING_NOTIFY_EVERY_MINUTES", 15)
if not 0 <= MESSAGING_NOTIFY_EVERY_MINUTES <= 24 * 60:
    raise ConfigurationError("CARELOOP_MESSAGING_NOTIFY_EVERY_MINUTES must be from 0 to 1440")
MESSAGING_BODY_MAX_CHARS = env_int("CARELOOP_MESSAGING_BODY_MAX_CHARS", 10_000)
if MESSAGING_BODY_MAX_CHARS < 1:
    raise ConfigurationError("CARELOOP_MESSAGING_BODY_MAX_CHARS must be at least 1")
# Message attachments live outside the database, under random names, in this folder; only
# these types (checked against the file's content), up to this size.
MESSAGING_ATTACHMENT_DIR = Path(
    env_str("CARELOOP_MESSAGING_ATTACHMENT_DIR", str(DATA_DIR / "attachments"))
)
MESSAGING_ATTACHMENT_MAX_BYTES = env_int("CARELOOP_MESSAGING_ATTACHMENT_MAX_BYTES", 10_000_000)
if MESSAGING_ATTACHMENT_MAX_BYTES < 1:
    raise ConfigurationError("CARELOOP_MESSAGING_ATTACHMENT_MAX_BYTES must be at least 1")
MESSAGING_ATTACHMENT_TYPES = env_list(
    "CARELOOP_MESSAGING_ATTACHMENT_TYPES",
    ["application/pdf", "image/png", "image/jpeg", "text/plain"],
)
_UNSNIFFABLE = set(MESSAGING_ATTACHMENT_TYPES) - {
    "application/pdf",
    "image/png",
    "image/jpeg",
    "image/gif",
    "text/plain",
}
if _UNSNIFFABLE:
    raise ConfigurationError(
        "CARELOOP_MESSAGING_ATTACHMENT_TYPES may list only types Careloop can recognise "
        f"from content (application/pdf, image/png, image/jpeg, image/gif, text/plain), "
        f"not {', '.join(sorted(_UNSNIFFABLE))}"
    )

# Payments: the sandbox gateway by default; Stripe needs its three keys in production.
PAYMENT_GATEWAY = env_choice("CARELOOP_PAYMENT_GATEWAY", "sandbox", ("sandbox", "stripe"))
STRIPE_SECRET_KEY = env_str("STRIPE_SECRET_KEY", "")
STRIPE_PUBLISHABLE_KEY = env_str("STRIPE_PUBLISHABLE_KEY", "")
STRIPE_WEBHOOK_SECRET = env_str("STRIPE_WEBHOOK_SECRET", "")
STRIPE_API_BASE = env_str("STRIPE_API_BASE", "https://api.stripe.com")
STRIPE_TIMEOUT_SECONDS = env_int("STRIPE_TIMEOUT_SECONDS", 20)
if STRIPE_TIMEOUT_SECONDS < 1:
    raise ConfigurationError("STRIPE_TIMEOUT_SECONDS must be at least 1")
if PRODUCTION and PAYMENT_GATEWAY == "stripe":
    for _name, _value in (
        ("STRIPE_SECRET_KEY", STRIPE_SECRET_KEY),
        ("STRIPE_PUBLISHABLE_KEY", STRIPE_PUBLISHABLE_KEY),
        ("STRIPE_WEBHOOK_SECRET", STRIPE_WEBHOOK_SECRET),
    ):
        if not _value:
            raise ConfigurationError(
                f"{_name} must be set in production when CARELOOP_PAYMENT_GATEWAY is stripe"
            )

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# A worker holds a claimed outbox message this long; after that another worker may take it
# over. It must exceed the slowest send (EMAIL_TIMEOUT) with a margin.
OUTBOX_CLAIM_SECONDS = env_int("CARELOOP_OUTBOX_CLAIM_SECONDS", 300)
if OUTBOX_CLAIM_SECONDS < 1:
    raise ConfigurationError("CARELOOP_OUTBOX_CLAIM_SECONDS must be at least 1")
# Test-only: the name of a crash point (careloop.core.faults) where the process exits at once.
CRASH_AT = env_str("CARELOOP_CRASH_AT", "")
if PRODUCTION and CRASH_AT:
    raise ConfigurationError("CARELOOP_CRASH_AT is for tests and is refused in production")
# Test-only: an instant at which careloop.core.clock stands still in this process, so a test's
# subprocess can run at a time of the test's choosing (a subprocess cannot share its clock).
CLOCK_AT = env_instant("CARELOOP_CLOCK_AT")
if PRODUCTION and CLOCK_AT is not None:
    raise ConfigurationError("CARELOOP_CLOCK_AT is for tests and is refused in production")

if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("CARELOOP_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SECURE_REFERRER_POLICY = "same-origin"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("CARELOOP_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
