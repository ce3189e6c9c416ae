from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    """Who may come in and how: API tokens, passwords, two-factor codes.

    Imports neither incidents nor audits: both apps' doors sit on it."""

    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from django.contrib.auth import get_user_model
        from django.db.models.signals import post_save, pre_save

        from . import signals

        User = get_user_model()
        # A password change or a deactivation revokes the user's API tokens.
        pre_save.connect(signals.note_credential_change, sender=User, dispatch_uid="accounts.note_credential_change")
        post_save.connect(signals.revoke_api_tokens, sender=User, dispatch_uid="accounts.revoke_api_tokens")
