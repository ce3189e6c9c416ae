"""How a person is named on the trail (and on every page)."""

from __future__ import annotations

from django.utils import timezone


def person_name(user) -> str:
    """The user's name as every page shows it: Japanese names family name first (佐藤 花子),
    others as Django has it; "" when no name is recorded."""
    first, last = user.first_name.strip(), user.last_name.strip()
    if any(ord(char) > 0x2E7F for char in first + last):
        return f"{last} {first}".strip()
    return f"{first} {last}".strip()


def actor_name(user) -> str:
    """What the trail keeps beside the link to the user: the name as it is now, and the login."""
    if user is None:
        return ""
    # Plain attributes only: migrations call this with their own model classes.
    name, login = person_name(user), user.username
    return f"{name} ({login})" if name else login


def note_last_login(sender, user, **kwargs) -> None:
    """Django's update_last_login without the save: a sign-in leaves no history row."""
    type(user)._default_manager.filter(pk=user.pk).update(last_login=timezone.now())
