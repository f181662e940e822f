from django import template

from careloop.web.money import format_money

register = template.Library()


@register.filter(name="money")
def money(minor: int | None, currency: str = "USD") -> str:
    """`{{ price.amount|money:plan.currency }}` -> "$1,234.50"."""
    return format_money(minor, currency or "USD")
