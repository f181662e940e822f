import secrets
from datetime import timedelta

from django.db import transaction
from django.db.models import Q

from careloop.accounts.models import ApiToken, User
from careloop.accounts.policy import Capability, has_capability, require_capability
from careloop.accounts.secrets import api_token_hash
from careloop.audit.services import audit_record
from careloop.core import clock
from careloop.core.errors import NotFound, ValidationFailed

TOKEN_PREFIX = "clt_"  # noqa: S105 (a marker that lets secret scanners recognize tokens)
VISIBLE_PREFIX_LENGTH = 12
NAME_MAX_LENGTH = 100
# last_used_at is a hint for people reviewing their tokens, not an access log; writing it at
# most once a minute keeps busy integrations from updating the row on every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def api_token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """A new API token for `user`; returns the row and the token, which is never shown again."""
    require_capability(user, Capability.API_TOKEN_MANAGE)
    cleaned = name.strip()
    if not cleaned:
        raise ValidationFailed.single(
            "name", "Give the token a name, such as the integration that will use it.", "required"
        )
    if len(cleaned) > NAME_MAX_LENGTH:
        raise ValidationFailed.single(
            "name", f"Keep the name to {NAME_MAX_LENGTH} characters or fewer.", "max_length"
        )
    with transaction.atomic():
        if ApiToken.objects.filter(user=user, name=cleaned, revoked_at__isnull=True).exists():
            raise ValidationFailed.single(
                "name", f"You already have an active token named “{cleaned}”.", "duplicate"
            )
        raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token = ApiToken.objects.create(
            user=user,
            name=cleaned,
            prefix=raw[:VISIBLE_PREFIX_LENGTH],
            token_hash=api_token_hash(raw),
            created_at=clock.now(),
        )
        audit_record(
            action="auth.api_token_create",
            actor=user,
            object_type="api_token",
            object_id=token.pk,
            detail={"name": token.name, "prefix": token.prefix},
        )
    return token, raw


def api_token_revoke(*, user: User, token_id: int) -> ApiToken:
    """Revoke one of the user's own tokens; revoking a revoked token changes nothing."""
    require_capability(user, Capability.API_TOKEN_MANAGE)
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().filter(user=user, pk=token_id).first()
        if token is None:
            raise NotFound("No such API token.")
        if token.revoked_at is not None:
            return token
        token.revoked_at = clock.now()
        token.save(update_fields=["revoked_at"])
        audit_record(
            action="auth.api_token_revoke",
            actor=user,
            object_type="api_token",
            object_id=token.pk,
            detail={"name": token.name, "prefix": token.prefix},
        )
    return token


def api_token_authenticate(*, token: str) -> User | None:
    """The active user holding this unrevoked token, or None."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    row = (
        ApiToken.objects.select_related("user")
        .filter(token_hash=api_token_hash(token), revoked_at__isnull=True)
        .first()
    )
    if row is None or not has_capability(row.user, Capability.API_TOKEN_MANAGE):
        return None
    now = clock.now()
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=row.pk).filter(
            Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - LAST_USED_RESOLUTION)
        ).update(last_used_at=now)
    return row.user
