from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrailConfig(AppConfig):
    name = "trail"
    verbose_name = _("Trail")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.contrib.auth.models import update_last_login
        from django.contrib.auth.signals import user_logged_in
        from django.db.backends.signals import connection_created
        from django_fsm.signals import post_transition

        from . import guard, people, steps

        # Signing in is not an edit of the user: record the time without a history row.
        user_logged_in.disconnect(update_last_login, dispatch_uid="update_last_login")
        user_logged_in.connect(people.note_last_login, dispatch_uid="trail_last_login")
        connection_created.connect(guard.on_connection_created, dispatch_uid="trail_sqlite_guard")
        post_transition.connect(steps.record_step, dispatch_uid="trail_steps")
