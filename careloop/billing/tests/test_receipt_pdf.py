"""Receipts as PDF documents: a real PDF, with the invoice number, each line and no card number."""

import re
import zlib
from datetime import date

import pytest

from careloop.billing.receipts import receipt_for, receipt_pdf
from careloop.billing.services.refunds import refund_create
from careloop.billing.tests.builders import committed, invoices_of, with_card
from careloop.core.pdf_text import latin1
from careloop.memberships.models import MemberRole
from careloop.memberships.tests.lifecycle_builders import enroll, family, freeze_on, make_plan

pytestmark = pytest.mark.django_db


def pdf_text(document: bytes) -> str:
    """The text drawn on the pages: each content stream inflated, its strings joined."""
    text = []
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", document, re.DOTALL):
        try:
            content = zlib.decompress(stream)
        except zlib.error:
            content = stream
        text += [part.decode("latin-1") for part in re.findall(rb"\((.*?)\)\s*Tj", content)]
    return re.sub(r"\\([()\\])", r"\1", " ".join(text))


@pytest.fixture
def household_invoice(admin):
    freeze_on(date(2026, 1, 15))
    plan = make_plan(code="active-care", rank=2, name="Active Care", monthly=20_000)
    head, partner, child = family("Zoë")
    with_card(head)
    with committed():
        membership = enroll(
            admin,
            plan,
            head,
            (partner, MemberRole.ADULT),
            (child, MemberRole.CHILD),
            start=date(2026, 1, 15),
        )
    return invoices_of(membership)[0]


def test_a_multi_line_receipt_is_a_pdf_with_the_number_lines_totals_and_card(household_invoice):
    document = receipt_pdf(household_invoice)
    assert document.startswith(b"%PDF")
    text = pdf_text(document)
    assert f"Receipt for invoice {household_invoice.number}" in text
    assert "Active Care, Frances Zoë (primary), Jan 15, 2026 to Feb 14, 2026" in text
    assert "Active Care, Felix Zoë (adult), Jan 15, 2026 to Feb 14, 2026" in text
    assert "Active Care, Fern Zoë (child), Jan 15, 2026 to Feb 14, 2026" in text
    assert "$350.00" in text  # 200.00 + 100.00 + 50.00
    assert "$350.00 with Visa ending 4242" in text


def test_a_refund_shows_on_the_receipt(household_invoice, billing):
    attempt = household_invoice.attempts.get()
    refund_create(actor=billing, attempt=attempt, amount=5_000, reason="Child left")
    household_invoice.refresh_from_db()
    receipt = receipt_for(household_invoice)
    assert receipt.amount_refunded == 5_000
    assert receipt.payments[0].refunded == 5_000
    assert "Refunded" in pdf_text(receipt_pdf(household_invoice))


def test_a_receipt_never_holds_more_of_a_card_than_brand_and_last_four(household_invoice):
    text = pdf_text(receipt_pdf(household_invoice))
    assert "pm_sandbox" not in text
    assert "tok_sandbox" not in text
    assert re.search(r"\d{12,}", text) is None  # card numbers have 12 to 19 digits


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ("Zoë Brontë", "Zoë Brontë"),
        ("Łukasz", "?ukasz"),
        ("Renée — 李", "Renée - ?"),
        ("Dvořák", "Dvorák"),
    ],
)
def test_text_outside_the_pdf_fonts_is_written_plainly_rather_than_failing(text, written):
    assert latin1(text) == written
