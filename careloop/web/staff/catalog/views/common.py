from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from careloop.web.staff.catalog.forms import GroupedForm

FORM_TEMPLATE = "staff/catalog/form.html"


def render_form(
    request: HttpRequest,
    form: GroupedForm,
    *,
    title: str,
    submit: str,
    cancel_url: str,
    intro: str = "",
    warning: str = "",
    extra: dict[str, Any] | None = None,
) -> HttpResponse:
    """The catalog's one form page; 422 when a submitted form is shown again with errors."""
    context = {
        "form": form,
        "title": title,
        "submit": submit,
        "cancel_url": cancel_url,
        "intro": intro,
        "warning": warning,
    } | (extra or {})
    status = 422 if request.method == "POST" else 200
    return render(request, FORM_TEMPLATE, context, status=status)
