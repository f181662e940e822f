"""View guards for the staff app and the patient portal.

Each guarded view records the capability it needs (`view.required_capability`), which the
authorization matrix test reads to check every URL against the policy table.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse

from careloop.accounts.policy import Capability, has_capability
from careloop.audit.models import Outcome
from careloop.audit.services import audit_record
from careloop.core.errors import NotFound, PermissionDenied

View = TypeVar("View", bound=Callable[..., HttpResponse])


def _translate_errors(
    view: Callable[..., HttpResponse], request: HttpRequest, *args: Any, **kwargs: Any
) -> HttpResponse:
    try:
        return view(request, *args, **kwargs)
    except NotFound as error:
        raise Http404(error.message) from error
    except PermissionDenied as error:
        raise DjangoPermissionDenied(error.message) from error


def _refuse(
    request: HttpRequest, view: Callable[..., HttpResponse], kwargs: dict[str, Any]
) -> None:
    """Record a refused visit; the refusal itself is raised by the caller."""
    patient_id = kwargs.get("patient_id")
    audit_record(
        action="access.denied",
        actor=request.user if request.user.is_authenticated else None,
        outcome=Outcome.DENIED,
        patient_id=patient_id if isinstance(patient_id, int) else None,
        object_type="view",
        object_id=view.__name__,
    )


def staff_view(capability: Capability) -> Callable[[View], View]:
    """Signed-in staff whose role holds `capability`; everyone else is refused."""

    def decorate(view: View) -> View:
        @wraps(view)
        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if request.user.is_patient:
                _refuse(request, view, kwargs)
                raise Http404("Not found.")
            if not has_capability(request.user, capability):
                _refuse(request, view, kwargs)
                raise DjangoPermissionDenied("Your role does not allow this.")
            return _translate_errors(view, request, *args, **kwargs)

        guarded.required_capability = capability  # type: ignore[attr-defined]
        return cast(View, guarded)

    return decorate


def portal_view(view: View) -> View:
    """A signed-in patient, looking at their own record."""

    @wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not has_capability(request.user, Capability.PORTAL_USE):
            _refuse(request, view, kwargs)
            raise Http404("Not found.")
        return _translate_errors(view, request, *args, **kwargs)

    guarded.required_capability = Capability.PORTAL_USE  # type: ignore[attr-defined]
    return cast(View, guarded)
