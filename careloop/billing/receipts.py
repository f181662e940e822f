"""Receipts: what a paid invoice shows its payer, as values for a web page and as a PDF.

A receipt names the clinic, the payer, each line with its service dates, what was paid with
which card (brand and last four digits only; Careloop never has the number) and what was
refunded. The PDF uses the PDF core fonts, which cover Latin-1 only, so other characters are
written without their accents (or as "?") rather than failing the download.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from careloop.billing.models import (
    AttemptStatus,
    Invoice,
    InvoiceStatus,
    RefundStatus,
)
from careloop.billing.selectors.invoices import payer_name
from careloop.billing.services.notices import clinic_name
from careloop.core import clock
from careloop.core.pdf_text import latin1


@dataclass(frozen=True)
class ReceiptLine:
    description: str
    service_start: date | None
    service_last_day: date | None
    amount: int


@dataclass(frozen=True)
class ReceiptPayment:
    on: date
    card: str
    amount: int
    refunded: int


@dataclass(frozen=True)
class Receipt:
    clinic: str
    number: str
    payer: str
    status: str
    issued_on: date
    paid_on: date | None
    currency: str
    lines: tuple[ReceiptLine, ...]
    subtotal: int
    credit_applied: int
    amount_paid: int
    amount_refunded: int
    amount_due: int
    payments: tuple[ReceiptPayment, ...]


def receipt_available(invoice: Invoice) -> bool:
    """A receipt exists once the invoice is paid or any payment went through."""
    return invoice.status == InvoiceStatus.PAID or invoice.amount_paid > 0


def _local_day(moment: datetime) -> date:
    return moment.astimezone(clock.clinic_zone()).date()


def receipt_for(invoice: Invoice) -> Receipt:
    lines = tuple(
        ReceiptLine(
            description=line.description,
            service_start=line.service_start,
            service_last_day=(
                line.service_end - timedelta(days=1) if line.service_end is not None else None
            ),
            amount=line.amount,
        )
        for line in invoice.lines.order_by("id")
    )
    payments = []
    attempts = invoice.attempts.filter(status=AttemptStatus.SUCCEEDED).select_related(
        "payment_method"
    )
    for attempt in attempts.order_by("created_at", "id"):
        method = attempt.payment_method
        refunded = sum(
            refund.amount
            for refund in attempt.refunds.all()
            if refund.status == RefundStatus.SUCCEEDED
        )
        payments.append(
            ReceiptPayment(
                on=_local_day(attempt.settled_at or attempt.created_at),
                card=f"{method.brand.title()} ending {method.last4}" if method else "Card",
                amount=attempt.amount,
                refunded=refunded,
            )
        )
    return Receipt(
        clinic=clinic_name(),
        number=invoice.number,
        payer=payer_name(invoice.account),
        status=InvoiceStatus(invoice.status).label,
        issued_on=invoice.issued_on,
        paid_on=_local_day(invoice.paid_at) if invoice.paid_at is not None else None,
        currency=invoice.currency,
        lines=lines,
        subtotal=invoice.subtotal,
        credit_applied=invoice.credit_applied,
        amount_paid=invoice.amount_paid,
        amount_refunded=invoice.amount_refunded,
        amount_due=invoice.amount_due,
        payments=tuple(payments),
    )


_SYMBOLS = {"USD": "$", "CAD": "$", "AUD": "$"}


def receipt_money(amount: int, currency: str) -> str:
    sign = "-" if amount < 0 else ""
    whole, cents = divmod(abs(amount), 100)
    symbol = _SYMBOLS.get(currency, f"{currency} ")
    return f"{sign}{symbol}{whole:,}.{cents:02d}"


def _day(day: date | None) -> str:
    return f"{day:%b} {day.day}, {day.year}" if day is not None else ""


def _service(line: ReceiptLine) -> str:
    if line.service_start is None:
        return ""
    if line.service_last_day is None or line.service_last_day == line.service_start:
        return _day(line.service_start)
    return f"{_day(line.service_start)} to {_day(line.service_last_day)}"


def receipt_pdf(invoice: Invoice) -> bytes:
    """The receipt of `invoice` as a PDF document (US Letter)."""
    receipt = receipt_for(invoice)
    currency = receipt.currency
    pdf = FPDF(format="letter")
    pdf.set_creation_date(clock.now())
    pdf.set_title(latin1(f"Receipt {receipt.number}"))
    pdf.set_author(latin1(receipt.clinic))
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 18)
    pdf.cell(text=latin1(receipt.clinic), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Helvetica", "", 12)
    pdf.cell(
        text=latin1(f"Receipt for invoice {receipt.number}"), new_x=XPos.LMARGIN, new_y=YPos.NEXT
    )
    pdf.ln(4)
    pdf.set_font("Helvetica", "", 10)
    facts = [
        ("Billed to", receipt.payer),
        ("Issued", _day(receipt.issued_on)),
        ("Status", receipt.status),
    ]
    if receipt.paid_on is not None:
        facts.append(("Paid", _day(receipt.paid_on)))
    for label, value in facts:
        pdf.set_font("Helvetica", "B", 10)
        pdf.cell(w=30, text=latin1(label))
        pdf.set_font("Helvetica", "", 10)
        pdf.cell(text=latin1(value), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)
    with pdf.table(
        col_widths=(95, 60, 30), text_align=("LEFT", "LEFT", "RIGHT"), line_height=6
    ) as table:
        heading = table.row()
        for title in ("Description", "Service dates", "Amount"):
            heading.cell(title)
        for line in receipt.lines:
            row = table.row()
            row.cell(latin1(line.description))
            row.cell(latin1(_service(line)))
            row.cell(latin1(receipt_money(line.amount, currency)))
    pdf.ln(3)
    totals = [("Subtotal", receipt.subtotal)]
    if receipt.credit_applied:
        totals.append(("Credit applied", -receipt.credit_applied))
    totals.append(("Paid", receipt.amount_paid))
    if receipt.amount_refunded:
        totals.append(("Refunded", -receipt.amount_refunded))
    totals.append(("Amount due", receipt.amount_due))
    for label, amount in totals:
        pdf.set_font("Helvetica", "B" if label == "Amount due" else "", 10)
        pdf.cell(w=155, text=latin1(label), align="R")
        pdf.cell(
            w=30,
            text=latin1(receipt_money(amount, currency)),
            align="R",
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
    if receipt.payments:
        pdf.ln(4)
        pdf.set_font("Helvetica", "B", 11)
        pdf.cell(text="Payments", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font("Helvetica", "", 10)
        for payment in receipt.payments:
            text = (
                f"{_day(payment.on)}: {receipt_money(payment.amount, currency)} with {payment.card}"
            )
            if payment.refunded:
                text += f" ({receipt_money(payment.refunded, currency)} refunded)"
            pdf.cell(text=latin1(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return bytes(pdf.output())
