import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]


def _production_env(**overrides: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("CARELOOP_", "DJANGO_", "DATABASE_URL"))
    }
    env.update(
        {
            "CARELOOP_ENV": "production",
            "DJANGO_SETTINGS_MODULE": "careloop.settings",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "CARELOOP_AUDIT_KEY": secrets.token_urlsafe(32),
            "CARELOOP_ENCRYPTION_KEY": secrets.token_urlsafe(32),
            "ALLOWED_HOSTS": "clinic.example",
            "DATABASE_URL": "postgres://careloop@127.0.0.1:5432/careloop",
            "CARELOOP_DATA_DIR": "/nonexistent/careloop",
        }
    )
    env.update(overrides)
    return env


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_production_profile_passes_the_deploy_check():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=_production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    "variable", ["SECRET_KEY", "CARELOOP_AUDIT_KEY", "CARELOOP_ENCRYPTION_KEY"]
)
def test_production_refuses_to_start_without_each_key(variable):
    env = _production_env()
    del env[variable]
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert f"{variable} must be set in production" in result.stderr


def test_production_refuses_the_demo_mode():
    result = _manage("check", env=_production_env(CARELOOP_DEMO="true"))
    assert result.returncode != 0
    assert "CARELOOP_DEMO must be false in production" in result.stderr


STRIPE_KEYS = {
    "STRIPE_SECRET_KEY": "sk_test_not_a_real_key",
    "STRIPE_PUBLISHABLE_KEY": "pk_test_not_a_real_key",
    "STRIPE_WEBHOOK_SECRET": "whsec_not_a_real_secret",
}


@pytest.mark.parametrize("variable", sorted(STRIPE_KEYS))
def test_production_refuses_the_stripe_gateway_without_each_stripe_key(variable):
    env = _production_env(CARELOOP_PAYMENT_GATEWAY="stripe", **STRIPE_KEYS)
    del env[variable]
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert (
        f"{variable} must be set in production when CARELOOP_PAYMENT_GATEWAY is stripe"
        in result.stderr
    )


def test_production_starts_with_the_stripe_gateway_and_its_three_keys():
    result = _manage("check", env=_production_env(CARELOOP_PAYMENT_GATEWAY="stripe", **STRIPE_KEYS))
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_needs_no_stripe_key_with_the_sandbox_gateway():
    result = _manage("check", env=_production_env(CARELOOP_PAYMENT_GATEWAY="sandbox"))
    assert result.returncode == 0, result.stdout + result.stderr
