from django.http import HttpRequest
from ninja.security import HttpBearer

from careloop.accounts.models import User
from careloop.accounts.services import api_token_authenticate


class ApiTokenAuth(HttpBearer):
    """`Authorization: Bearer <token>` with a token made on the Security page."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        user = api_token_authenticate(token=token)
        if user is not None:
            # Code shared with the browser views reads request.user.
            request.user = user
        return user


api_token_auth = ApiTokenAuth()
