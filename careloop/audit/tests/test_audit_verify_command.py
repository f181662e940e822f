from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from careloop.audit.models import AuditEvent
from careloop.audit.tests.chains import write_chain

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tamperable_log")]


def _run(*arguments):
    out, err = StringIO(), StringIO()
    try:
        call_command("audit_verify", *arguments, stdout=out, stderr=err)
    except SystemExit as exit:
        return exit.code, out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def test_an_intact_chain_exits_zero_with_one_line(admin):
    write_chain(admin, 4)
    code, out, err = _run()
    assert code == 0
    assert out.startswith("Checked 4 events: the chain is intact (")
    assert out.count("\n") == 1
    assert err == ""


def test_a_broken_chain_exits_one_and_lists_each_problem(admin):
    write_chain(admin, 6)
    AuditEvent.objects.filter(sequence=2).update(outcome="denied")
    AuditEvent.objects.filter(sequence=5).delete()
    code, out, err = _run()
    assert code == 1
    lines = out.splitlines()
    assert lines[0].startswith("#2 hash_mismatch: its stored fields do not match its hash")
    assert lines[1] == "#5 sequence_gap: event #5 is missing (deleted)"
    assert len(lines) == 2
    assert err.startswith("Checked 5 events: 2 problems found.")


def test_it_lists_at_most_the_maximum_and_counts_the_rest(admin, settings):
    write_chain(admin, 4)
    settings.AUDIT_CHAIN_KEY = "a different key"
    code, out, err = _run("--max-problems", "1")
    assert code == 1
    assert out.splitlines() == [
        out.splitlines()[0],
        "... and 3 more not listed.",
    ]
    assert out.startswith("#1 hash_mismatch")
    assert "4 problems found" in err


def test_it_can_start_from_a_later_sequence(admin):
    write_chain(admin, 5)
    AuditEvent.objects.filter(sequence=1).update(action="patient.export")
    code, out, _ = _run("--from-sequence", "2")
    assert (code, out.split(":")[0]) == (0, "Checked 4 events")


def test_it_rejects_a_starting_sequence_that_is_not_a_positive_number():
    with pytest.raises(CommandError, match="must be 1 or more"):
        _run("--from-sequence", "0")
    with pytest.raises(CommandError, match="expected a whole number"):
        _run("--from-sequence", "first")
