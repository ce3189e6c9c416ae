"""API token authentication: django-rest-knox's, without its sweep on every request.

knox's TokenAuthentication, before it checks a token, reads every other token of the same
user to delete those that have expired: one more query on every API request, to tidy a table
that nothing reads expired rows from (a token is refused once its own expiry has passed; the
token list shows live ones only). Here only the presented token's expiry is checked, as knox
checks it, and the expired tokens of everyone are deleted by the periodic job
`expired_tokens` (settings.PERIODIC_JOBS, delete_expired_tokens below).
"""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from knox.auth import TokenAuthentication as KnoxTokenAuthentication
from knox.signals import token_expired


class TokenAuthentication(KnoxTokenAuthentication):
    def _cleanup_token(self, auth_token) -> bool:
        """Whether the presented token has expired (then deleted, as knox deletes it)."""
        if auth_token.expiry is not None and auth_token.expiry < timezone.now():
            username = auth_token.user.get_username()
            auth_token.delete()
            token_expired.send(sender=self.__class__, username=username, source="auth_token")
            return True
        return False


class TokenScheme(KnoxTokenScheme):
    """The API schema describes it as knox's token (drf-spectacular matches the class itself,
    not its subclasses): the same `knoxApiToken` security scheme as before."""

    target_class = "accounts.auth.TokenAuthentication"


def delete_expired_tokens() -> str:
    """The periodic job: delete every token past its expiry."""
    from .models import ApiToken

    deleted, _ = ApiToken.objects.expired().delete()
    return f"{deleted} deleted"
