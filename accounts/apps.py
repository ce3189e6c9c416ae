from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    """Who may come in and how: API tokens, passwords, two-factor codes.

    Imports neither incidents nor audits: both apps' doors sit on it."""

    name = "accounts"
    verbose_name = _("Accounts")
