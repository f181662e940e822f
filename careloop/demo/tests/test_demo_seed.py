import pytest
from django.core.management import call_command

from careloop.accounts.models import User
from careloop.accounts.roles import Role
from careloop.accounts.selectors import totp_current_code
from careloop.demo.seed import PATIENT_COUNT, DemoRefused, demo_seed, demo_totp_secret
from careloop.patients.models import CareTeamMember, CareTeamRole, Household, Patient

pytestmark = pytest.mark.django_db


def _snapshot() -> list[tuple[str, str, str, str | None]]:
    return [
        (
            p.full_name,
            p.date_of_birth.isoformat(),
            p.mobile_phone,
            p.household.name if p.household else None,
        )
        for p in Patient.objects.select_related("household").order_by("email")
    ]


def test_it_seeds_staff_of_every_role_and_two_hundred_patients():
    demo_seed(memberships=False)
    assert Patient.objects.count() == PATIENT_COUNT
    staff_roles = set(User.objects.exclude(role=Role.PATIENT).values_list("role", flat=True))
    assert staff_roles == {
        Role.ADMIN,
        Role.PROVIDER,
        Role.COORDINATOR,
        Role.FRONT_DESK,
        Role.BILLING,
    }


def test_patients_are_grouped_in_households_with_care_teams():
    demo_seed(memberships=False)
    assert Household.objects.count() > 20
    assert Patient.objects.filter(household__isnull=False).count() > PATIENT_COUNT / 3
    primaries = CareTeamMember.objects.filter(role=CareTeamRole.PRIMARY_PROVIDER)
    assert primaries.count() == PATIENT_COUNT
    assert CareTeamMember.objects.filter(role=CareTeamRole.COACH).exists()
    for household in Household.objects.all():
        assert household.head.household_id == household.id


def test_running_it_twice_changes_nothing():
    demo_seed(memberships=False)
    before = (_snapshot(), User.objects.count(), CareTeamMember.objects.count())
    demo_seed(memberships=False)
    assert (_snapshot(), User.objects.count(), CareTeamMember.objects.count()) == before


def test_it_is_deterministic():
    demo_seed(memberships=False)
    first = _snapshot()
    Patient.objects.update(household=None)
    Household.objects.all().delete()
    CareTeamMember.objects.all().delete()
    Patient.objects.all().delete()
    User.objects.filter(role=Role.PATIENT).delete()
    demo_seed(memberships=False)
    assert _snapshot() == first


def test_demo_staff_have_mfa_with_their_published_secret():
    demo_seed(memberships=False)
    import pyotp

    from careloop.core import clock

    admin = User.objects.get(username="admin")
    expected = pyotp.TOTP(demo_totp_secret("admin")).at(clock.now())
    assert totp_current_code(user=admin) == expected


def test_it_refuses_to_seed_in_production(settings):
    settings.PRODUCTION = True
    with pytest.raises(DemoRefused):
        demo_seed(memberships=False)
    assert not Patient.objects.exists()


def test_if_empty_leaves_an_existing_clinic_alone(patient_ann, capsys):
    call_command("demo", if_empty=True)
    assert Patient.objects.count() == 1
    assert "was not reseeded" in capsys.readouterr().out


def test_the_command_prints_the_demo_sign_ins(capsys, monkeypatch):
    # The year of membership history is tested on its own; here only the command's output.
    monkeypatch.setattr(
        "careloop.demo.management.commands.demo.demo_seed",
        lambda: demo_seed(memberships=False),
    )
    call_command("demo")
    output = capsys.readouterr().out
    assert "frontdesk.kim" in output
    assert "careloop demo codes" in output
