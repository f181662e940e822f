"""Test settings: the real settings with a fast password hasher and in-memory email."""

import os

os.environ.setdefault("CARELOOP_ENV", "test")

from careloop.settings import *  # noqa: F403

# Argon2 is deliberately slow; tests sign in thousands of times.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
