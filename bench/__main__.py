"""List the benchmarks and how to run each one (docs/benchmarks.md has their results)."""

import sys

BENCHMARKS = (
    ("patient_search", "patient search latency over 100,000 patients"),
    ("audit_verify", "walking and checking a 1,000,000-event audit chain"),
    ("coverage_check", "coverage checks over 5 years of entitlement history"),
    ("enroll_memberships", "enrolling 10,000 memberships one by one"),
    ("billing_run", "a billing run over 100,000 due memberships, 1 and 2 workers"),
    ("scheduling", "availability search and booking with 2 years of appointments"),
    ("care", "generating 14 days of care work for 50,000 members; the care-gaps queue"),
    ("messaging", "a team inbox with 50,000 threads; the SLA dashboard over a year"),
)


def main() -> int:
    print("Benchmarks (results and options in docs/benchmarks.md):")
    for module, measures in BENCHMARKS:
        print(f"  .venv/bin/python -m bench.{module:<20} {measures}")
    print("Each runs on SQLite in a temporary folder; --help shows how to point it at PostgreSQL.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
