"""The page a payer reaches from a secure link to update their card, without signing in.

It shows the clinic's name and the card form only: no plan, invoice lines or clinical detail.
"""

from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from careloop.billing.gateways import gateway_for
from careloop.billing.gateways.sandbox import TEST_CARDS
from careloop.billing.links import account_from_token
from careloop.billing.models import BillingAccount
from careloop.billing.selectors.balances import account_balance
from careloop.billing.services.accounts import default_payment_method, payment_method_add
from careloop.billing.services.collection import collect_after_new_card
from careloop.core.errors import ValidationFailed


def card_update(request: HttpRequest, token: str) -> HttpResponse:
    account_id = account_from_token(token)
    account = BillingAccount.objects.filter(pk=account_id).first() if account_id else None
    if account is None:
        raise Http404("This link has expired or is not valid; ask the clinic for a new one.")
    errors: list[str] = []
    saved = None
    attempts = []
    if request.method == "POST":
        try:
            with transaction.atomic():
                saved = payment_method_add(
                    actor=None, account=account, token=request.POST.get("token", "")
                )
        except ValidationFailed as error:
            errors = [field.message for field in error.errors]
        if saved is not None:
            attempts = collect_after_new_card(account, actor=None)
    session = None
    if account.gateway != "sandbox" and account.gateway_customer:
        session = gateway_for(account.gateway).setup_start(customer=account.gateway_customer)
    return render(
        request,
        "pay/card_update.html",
        {
            "account": account,
            "card": default_payment_method(account),
            "saved": saved,
            "attempts": attempts,
            "owed": account_balance(account).owed,
            "errors": errors,
            "test_cards": TEST_CARDS if account.gateway == "sandbox" else [],
            "session": session,
        },
    )
