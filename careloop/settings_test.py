"""Test settings: the real settings with a fast password hasher and in-memory email."""

import os

os.environ.setdefault("CARELOOP_ENV", "test")

from careloop.settings import *  # noqa: F403

# Argon2 is deliberately slow; tests sign in thousands of times.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # The crash and worker tests run workers in subprocesses that must open the test database,
    # so on SQLite it is a file, not memory. pytest-django appends the xdist worker (_gw0, _gw1)
    # to this name, so parallel test processes never share a file.
    DATABASES["default"]["TEST"] = {"NAME": str(DATA_DIR / "test-careloop.sqlite3")}  # noqa: F405
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":  # noqa: F405
    # Between transactional tests pytest-django empties every table with TRUNCATE, which the
    # audit log's trigger refuses unless this session setting is on (audit migration 0002).
    # A test's commits need not wait for the disk (synchronous_commit off): a test never
    # outlives a crash of the database server, only of its own processes.
    _options = DATABASES["default"].setdefault("OPTIONS", {})  # noqa: F405
    _options["options"] = (
        f"{_options.get('options', '')} -c careloop.allow_audit_truncate=on"
        " -c synchronous_commit=off"
    ).strip()

# Tests run collection in the test's own transaction; threads would not see its rows. The
# concurrent path is exercised by PostgreSQL tests that commit (transaction=True).
BILLING_CHARGE_CONCURRENCY = 1
