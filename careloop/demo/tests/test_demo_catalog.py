import pytest

from careloop.demo.catalog import demo_catalog_seed
from careloop.memberships.models import (
    CancellationReason,
    Plan,
    PlanKind,
    PlanPrice,
    PlanStatus,
    Service,
    Sponsor,
)

pytestmark = pytest.mark.django_db


def _allowances(plan: Plan) -> dict[str, tuple[int | None, str]]:
    return {
        benefit.service.code: (benefit.allowance, benefit.allowance_period)
        for benefit in plan.benefits.select_related("service")
    }


def test_the_three_tiers_have_the_promised_allowances_and_response_targets(admin):
    catalog = demo_catalog_seed(admin=admin)
    essentials, active, concierge = (
        catalog.plans[code] for code in ("essentials", "active-care", "concierge")
    )
    assert _allowances(essentials)["provider-visit"] == (1, "month")
    assert essentials.response_target_business_hours == 16
    assert _allowances(active)["provider-visit"] == (2, "month")
    assert _allowances(active)["lab-panel"] == (1, "quarter")
    assert _allowances(active)["coaching-session"] == (1, "month")
    assert active.response_target_business_hours == 8
    assert _allowances(concierge)["provider-visit"] == (None, "month")
    assert _allowances(concierge)["coaching-session"] == (1, "month")
    assert concierge.response_target_business_hours == 4
    assert essentials.rank < active.rank < concierge.rank
    assert {plan.status for plan in catalog.plans.values()} == {PlanStatus.ACTIVE}


def test_every_tier_has_three_prices_household_pricing_and_a_member_price_beyond_it(admin):
    catalog = demo_catalog_seed(admin=admin)
    for code in ("essentials", "active-care", "concierge"):
        plan = catalog.plans[code]
        prices = {price.interval: price for price in plan.prices.filter(current=True)}
        assert set(prices) == {"monthly", "quarterly", "annual"}
        assert prices["quarterly"].amount < 3 * prices["monthly"].amount
        assert prices["annual"].amount < 12 * prices["monthly"].amount
        assert prices["monthly"].additional_adult_amount > prices["monthly"].child_amount > 0
        assert plan.enrollment_fee > 0
        assert plan.pause_allowed
        for benefit in plan.benefits.select_related("service").filter(allowance__isnull=False):
            assert benefit.beyond_allowance_price() < benefit.service.a_la_carte_price
    assert catalog.plans["concierge"].minimum_commitment_months == 12


def test_it_adds_the_metabolic_health_program_services_reasons_and_two_sponsors(admin):
    catalog = demo_catalog_seed(admin=admin)
    program = catalog.plans["metabolic-health"]
    assert program.kind == PlanKind.PROGRAM
    assert set(Service.objects.values_list("kind", flat=True)) >= {
        "provider_visit",
        "telehealth_visit",
        "coaching_session",
        "lab_panel",
        "iv_therapy",
        "procedure",
    }
    assert CancellationReason.objects.filter(code="moving-away").exists()
    sponsors = list(Sponsor.objects.order_by("name"))
    assert len(sponsors) == 2
    assert {sponsor.share for sponsor in sponsors} == {"all", "fixed"}
    assert all(sponsor.plans.filter(code="essentials").exists() for sponsor in sponsors)


def test_seeding_the_catalog_again_changes_nothing(admin):
    demo_catalog_seed(admin=admin)
    before = (
        Plan.objects.count(),
        PlanPrice.objects.count(),
        Service.objects.count(),
        CancellationReason.objects.count(),
        Sponsor.objects.count(),
    )
    demo_catalog_seed(admin=admin)
    after = (
        Plan.objects.count(),
        PlanPrice.objects.count(),
        Service.objects.count(),
        CancellationReason.objects.count(),
        Sponsor.objects.count(),
    )
    assert after == before
