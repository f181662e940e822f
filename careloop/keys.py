"""Keys that must live outside the database.

In production each key comes from its environment variable and start-up fails without it.
Elsewhere a random key is generated once into the data folder, so a fresh clone runs with no
set-up and no key is ever committed.
"""

import os
import secrets
from pathlib import Path

from careloop.env import ConfigurationError


def load_key(*, variable: str, data_dir: Path, required: bool) -> str:
    value = os.environ.get(variable)
    if value:
        return value
    if required:
        raise ConfigurationError(f"{variable} must be set in production")
    path = data_dir / "keys" / variable.lower()
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        # O_EXCL makes concurrent first starts (test workers, web and worker) agree on one key.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(descriptor, "w") as handle:
        key = secrets.token_urlsafe(48)
        handle.write(key)
    return key
