import json
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from careloop.audit.chain import EntryHasher, canonical_fields, entry_hash

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=6,
)


@given(
    sequence=st.integers(min_value=1, max_value=2**62),
    occurred_at=st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
    ),
    actor_id=st.none() | st.integers(min_value=1),
    actor_username=st.text(max_size=20),
    text=st.text(max_size=20),
    patient_id=st.none() | st.integers(min_value=1),
    ip_address=st.none() | st.sampled_from(["127.0.0.1", "2001:db8::1"]),
    detail=st.dictionaries(st.text(max_size=8), json_values, max_size=4),
)
def test_the_canonical_form_is_sorted_compact_ascii_json(
    sequence, occurred_at, actor_id, actor_username, text, patient_id, ip_address, detail
):
    fields = {
        "sequence": sequence,
        "occurred_at": occurred_at,
        "actor_id": actor_id,
        "actor_username": actor_username,
        "actor_role": "admin",
        "action": text,
        "outcome": "success",
        "patient_id": patient_id,
        "object_type": text,
        "object_id": text[::-1],
        "ip_address": ip_address,
        "detail": detail,
    }
    expected = json.dumps(
        {**fields, "occurred_at": occurred_at.isoformat(timespec="microseconds")},
        sort_keys=True,
        separators=(",", ":"),
    )
    assert canonical_fields(**fields) == expected


def test_the_time_is_written_in_utc_whatever_zone_it_came_in():
    chicago = timezone(timedelta(hours=-6))

    def canonical_at(occurred_at):
        return canonical_fields(
            sequence=1,
            occurred_at=occurred_at,
            actor_id=None,
            actor_username="",
            actor_role="",
            action="auth.sign_in",
            outcome="success",
            patient_id=None,
            object_type="",
            object_id="",
            ip_address=None,
            detail={},
        )

    local = canonical_at(datetime(2026, 3, 8, 1, 30, tzinfo=chicago))
    utc = canonical_at(datetime(2026, 3, 8, 7, 30, tzinfo=UTC))
    assert local == utc
    assert '"occurred_at":"2026-03-08T07:30:00.000000+00:00"' in utc


def test_the_prepared_hasher_agrees_with_entry_hash():
    hasher = EntryHasher("a key")
    assert hasher("0" * 64, '{"a":1}') == entry_hash("0" * 64, '{"a":1}', key="a key")
    assert hasher("0" * 64, '{"a":1}') != entry_hash("0" * 64, '{"a":1}', key="another key")
