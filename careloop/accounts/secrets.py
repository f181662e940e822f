"""Keys derived from CARELOOP_ENCRYPTION_KEY, and the hashes Careloop keeps instead of secrets.

Each purpose gets its own key through HKDF, so the TOTP seed key and the recovery-code hash
key are never the same bytes.
"""

import base64
import hashlib
import hmac
from functools import cache

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings


@cache
def _derive(master_key: str, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(
        master_key.encode()
    )


def _fernet() -> Fernet:
    key = _derive(settings.FIELD_ENCRYPTION_KEY, b"careloop totp seeds")
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt_secret(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode()


def decrypt_secret(token: str) -> str:
    return _fernet().decrypt(token.encode()).decode()


def recovery_code_hash(code: str) -> str:
    """A keyed hash: recovery codes hold about 60 bits, too few for a plain hash to hide them."""
    key = _derive(settings.FIELD_ENCRYPTION_KEY, b"careloop recovery codes")
    return hmac.new(key, code.encode(), hashlib.sha256).hexdigest()


def api_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
