"""The `careloop` command: Django's management commands, with a few two-word aliases.

`careloop audit verify` is `manage.py audit_verify`; every other word is passed through, so
`careloop migrate`, `careloop worker` and `careloop demo` work as expected.
"""

import os
import sys

ALIASES = {("audit", "verify"): "audit_verify", ("demo", "codes"): "demo_codes"}


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "careloop.settings")
    from django.core.management import execute_from_command_line

    argv = list(sys.argv)
    if len(argv) >= 3 and (argv[1], argv[2]) in ALIASES:
        argv[1:3] = [ALIASES[(argv[1], argv[2])]]
    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
