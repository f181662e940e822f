from django.http import HttpRequest
from ninja import NinjaAPI, Schema, Swagger
from ninja.security import django_auth

from careloop.accounts.policy import POLICY
from careloop.api.auth import api_token_auth
from careloop.api.billing import (
    accounts_router,
    billing_memberships_router,
    discounts_router,
    invoices_router,
    payments_router,
    refunds_router,
    runs_router,
    webhooks_router,
)
from careloop.api.care import care_router
from careloop.api.catalog import plans_router, services_router, sponsors_router
from careloop.api.labs import labs_router
from careloop.api.memberships import coverage_router, memberships_router
from careloop.api.messaging import messaging_router
from careloop.api.notes import notes_router
from careloop.api.patients import households_router, patients_router
from careloop.api.problems import install_problem_handlers
from careloop.api.scheduling import scheduling_router

api = NinjaAPI(
    title="Careloop API",
    version="1",
    description=(
        "Careloop's REST API. Authenticate with the browser session, or with an API token "
        "sent as 'Authorization: Bearer <token>'. Errors are RFC 9457 problem details."
    ),
    urls_namespace="api",
    auth=[django_auth, api_token_auth],
    docs=Swagger(),
)
install_problem_handlers(api)
api.add_router("/patients", patients_router)
api.add_router("/households", households_router)
api.add_router("/services", services_router)
api.add_router("/plans", plans_router)
api.add_router("/sponsors", sponsors_router)
api.add_router("/memberships", memberships_router)
api.add_router("/coverage", coverage_router)
api.add_router("/billing/invoices", invoices_router)
api.add_router("/billing/payments", payments_router)
api.add_router("/billing/refunds", refunds_router)
api.add_router("/billing/accounts", accounts_router)
api.add_router("/billing/discounts", discounts_router)
api.add_router("/billing/runs", runs_router)
api.add_router("/billing/memberships", billing_memberships_router)
api.add_router("/billing/webhooks", webhooks_router)
api.add_router("/scheduling", scheduling_router)
api.add_router("/care/labs", labs_router)
api.add_router("/care", care_router)
api.add_router("/care", notes_router)
api.add_router("/messaging", messaging_router)


class MeOut(Schema):
    id: int
    username: str
    name: str
    role: str
    capabilities: list[str]


@api.get(
    "/me", response=MeOut, tags=["accounts"], summary="The signed-in user and what they may do"
)
def me(request: HttpRequest) -> MeOut:
    user = request.auth  # type: ignore[attr-defined]
    return MeOut(
        id=user.id,
        username=user.username,
        name=user.get_full_name(),
        role=user.role,
        capabilities=sorted(c.value for c, roles in POLICY.items() if user.role in roles),
    )
