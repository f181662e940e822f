from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from careloop.audit.models import AuditEvent, AuditHead
from careloop.audit.tests.chains import write_chain

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tamperable_log")]


def _run(*arguments):
    out, err = StringIO(), StringIO()
    try:
        call_command("audit_verify", *arguments, stdout=out, stderr=err)
    except SystemExit as exit:
        return exit.code, out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def test_an_intact_chain_exits_zero_and_names_the_last_event(admin):
    events = write_chain(admin, 4)
    code, out, err = _run()
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("Checked 4 events: the chain is intact (")
    assert lines[1:] == [f"Last event: --anchor 4:{events[-1].entry_hash}"]
    assert err == ""


def test_an_empty_log_is_reported_as_intact():
    code, out, _ = _run()
    assert code == 0
    assert out.startswith("Checked 0 events: the chain is intact (")
    assert len(out.splitlines()) == 1


def test_a_broken_chain_exits_one_and_lists_each_problem(admin):
    write_chain(admin, 6)
    AuditEvent.objects.filter(sequence=2).update(outcome="denied")
    AuditEvent.objects.filter(sequence=5).delete()
    code, out, err = _run()
    assert code == 1
    lines = out.splitlines()
    assert lines[0].startswith("#2 hash_mismatch: its stored fields do not match its hash")
    assert lines[1] == "#5 sequence_gap: event #5 is missing (deleted)"
    assert lines[2].startswith("Checked 5 events: 2 problems found.")
    assert len(lines) == 3
    assert err == ""


def test_it_lists_at_most_the_maximum_and_counts_the_rest(admin, settings):
    write_chain(admin, 4)
    settings.AUDIT_CHAIN_KEY = "a different key"
    code, out, _ = _run("--max-problems", "1")
    assert code == 1
    lines = out.splitlines()
    assert lines[0].startswith("#1 hash_mismatch")
    assert lines[1:] == [
        "... and 3 more not listed.",
        "Checked 4 events: 4 problems found. The audit log was changed outside Careloop, or "
        "the audit key (CARELOOP_AUDIT_KEY) is not the one it was written with.",
    ]


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


def test_an_anchor_from_an_earlier_run_catches_a_cut_tail_with_a_rewritten_head(admin):
    events = write_chain(admin, 5)
    _, earlier, _ = _run()
    anchor = earlier.splitlines()[1].removeprefix("Last event: --anchor ")
    AuditEvent.objects.filter(sequence__gte=4).delete()
    AuditHead.objects.update(last_sequence=3, last_hash=events[2].entry_hash)
    assert _run()[0] == 0
    code, out, _ = _run("--anchor", anchor)
    assert code == 1
    assert out.splitlines()[0] == "#5 anchor_mismatch: the log no longer holds this event"


def test_it_rejects_a_malformed_anchor():
    with pytest.raises(CommandError, match="expected SEQUENCE:HASH"):
        _run("--anchor", "5:abc")
