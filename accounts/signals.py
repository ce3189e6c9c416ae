"""A user's API tokens die with their password or their access.

Whatever changes a user's password (the admin, `set_password()` and `save()`, the
`changepassword` command, a password reset) or deactivates them saves the user, and the
save revokes every API token they hold. Connected in AccountsConfig.ready().

Not caught: `User.objects.filter(...).update(...)`, which sends no signal.
"""

from __future__ import annotations

from django.contrib.auth.hashers import get_hasher, identify_hasher, is_password_usable
from knox.models import AuthToken


def note_credential_change(sender, instance, raw=False, update_fields=None, **kwargs) -> None:
    """pre_save: whether this save changes the password or deactivates the user."""
    instance._revokes_api_tokens = False
    if raw or instance.pk is None:
        return
    if update_fields is not None and not {"password", "is_active"} & set(update_fields):
        return  # e.g. the last_login of every login: no query
    before = sender._base_manager.filter(pk=instance.pk).values("password", "is_active").first()
    if before is None:
        return
    deactivated = before["is_active"] and not instance.is_active
    instance._revokes_api_tokens = deactivated or _password_changed(before["password"], instance)


def _password_changed(stored: str, instance) -> bool:
    if instance.password == stored:
        return False
    if getattr(instance, "_password", None) is not None:  # set_password(): a password was set
        return True
    if not is_password_usable(instance.password):  # set_unusable_password()
        return True
    # A new hash without set_password(): Django re-hashing the same password at a login
    # because the stored hash's hasher or settings are out of date (check_password's setter,
    # which clears `_password` to say so). Revoking then would log every API client out after
    # a Django upgrade. Any other new hash (assigned directly) is a change.
    return not _outdated(stored)


def _outdated(encoded: str) -> bool:
    try:
        hasher = identify_hasher(encoded)
    except ValueError:
        return False
    preferred = get_hasher("default")
    return hasher.algorithm != preferred.algorithm or preferred.must_update(encoded)


def revoke_api_tokens(sender, instance, created=False, raw=False, **kwargs) -> None:
    """post_save: revoke them once the change is saved."""
    if getattr(instance, "_revokes_api_tokens", False):
        instance._revokes_api_tokens = False
        AuthToken.objects.filter(user=instance).delete()
