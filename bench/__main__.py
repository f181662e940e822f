"""Run every benchmark and print where the results were written (see docs/benchmarks.md)."""

import sys


def main() -> int:
    print("Benchmarks: see docs/benchmarks.md for the list and how to run each one.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
