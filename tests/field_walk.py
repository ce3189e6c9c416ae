"""The walk over every field of a record endpoint, by PATCH and by PUT, valid and invalid values.

The answer is never a 500 and always JSON. A field the user may not write (unknown,
read-only, written by a step, not theirs in this state) is a 400 naming that field; a user
who may write nothing of the record gets a 403 (or 409 when it is closed, 404 when they
may not see it). Nothing is saved from a refused request.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.utils import timezone
from rest_framework.test import APIClient

ALLOWED = {200, 400, 403, 404, 409}


@dataclass
class Case:
    name: str
    value: Any
    valid: bool


def values_for(model_field) -> list[Case]:
    """A plausible valid value and several invalid ones for a model field."""
    if model_field is None:
        return [Case("string", "x", False), Case("object", {"a": 1}, False)]
    if isinstance(model_field, models.ManyToManyField):
        return [Case("unknown ids", [999_999], False), Case("not a list", "x", False)]
    if isinstance(model_field, models.ForeignKey):
        return [Case("unknown id", 999_999, False), Case("text", "abc", False), Case("null", None, False)]
    if model_field.choices:
        return [Case("first choice", model_field.choices[0][0], True), Case("unknown choice", "zzz", False)]
    if isinstance(model_field, models.BooleanField):
        return [Case("true", True, True), Case("maybe", "maybe", False)]
    if isinstance(model_field, models.IntegerField):
        return [Case("five", 5, True), Case("negative", -1, False), Case("huge", 10**20, False),
                Case("text", "abc", False)]
    if isinstance(model_field, models.DateTimeField):
        yesterday = (timezone.now() - dt.timedelta(days=1)).isoformat()
        return [Case("yesterday", yesterday, True), Case("garbage", "not a date", False),
                Case("year 1", "0001-01-01T00:00:00", False), Case("year 9999", "9999-12-31T23:59:59", False)]
    if isinstance(model_field, models.DateField):
        soon = (timezone.localdate() + dt.timedelta(days=20)).isoformat()
        return [Case("in 20 days", soon, True), Case("garbage", "2026-13-45", False),
                Case("year 9999", "9999-12-31", False)]
    if isinstance(model_field, models.CharField | models.TextField):
        return [Case("text", "確認用の文字列", True), Case("object", {"a": 1}, False),
                Case("too long", "長" * 100_001, False)]
    return [Case("text", "x", False)]


def model_field(model, name: str):
    try:
        field = model._meta.get_field(name)
    except Exception:  # a computed output field (state_display, reportable_reasons, ...)
        return None
    return field if isinstance(field, models.Field) else None  # reverse relations (tracks, actions)


def _as_input(value):
    """A value as GET shows it, as a write takes it: related records by their ids."""
    if isinstance(value, dict) and "id" in value:
        return value["id"]
    if isinstance(value, list):
        return [_as_input(item) for item in value]
    return value


def writable_now(record, user) -> set[str]:
    return set(type(record).edit_policy.writable(record, user))


def walk(record, url: str, users: list, *, put_fields: list[str]) -> int:
    """PATCH and PUT every field the detail endpoint shows, as every user; return the requests sent."""
    model = type(record)
    sent = 0
    for user in users:
        client = APIClient()
        client.force_authenticate(user=user)
        seen = client.get(url)
        if seen.status_code == 404:
            # Not theirs to see: a few fields suffice to show every write is a 404 too.
            fields, body = [*model.edit_policy.fields[:3], "state"], {}
        else:
            assert seen.status_code == 200
            body = seen.json()
            fields = list(body)
        # A user who may write nothing of the record is refused whatever the value: one valid
        # and one invalid value per field show it for every field, at half the requests.
        writes_nothing = seen.status_code == 200 and not writable_now(record, user)
        for name in fields:
            cases = values_for(model_field(model, name))
            if writes_nothing:
                cases = [*[case for case in cases if case.valid][:1], *[case for case in cases if not case.valid][:1]]
            for case in cases:
                for method in ("patch", "put"):
                    fresh = model.objects.get(pk=record.pk)
                    version = fresh.version
                    payload = {"version": version, name: case.value}
                    if method == "put":
                        # What GET showed, people as their ids (the detail shows them as objects).
                        shown = {k: _as_input(body[k]) for k in put_fields if k in body}
                        payload = {**shown, **payload}
                    response = getattr(client, method)(url, payload, format="json")
                    sent += 1
                    context = f"{method.upper()} {name}={case.name!r} as {user.username}: {response.status_code}"
                    assert response.status_code in ALLOWED, context + f" {response.content[:300]!r}"
                    assert response["Content-Type"].startswith("application/json"), context
                    if response.status_code == 404:
                        assert seen.status_code == 404, context
                        continue
                    data = response.json()
                    stored = model.objects.get(pk=record.pk)
                    if response.status_code != 200:
                        assert stored.version == version, context + " (a refused request saved something)"
                    if response.status_code == 400 and case.valid and name not in writable_now(fresh, user):
                        # A valid value of a field this user may not write: the 400 names it.
                        assert name in data or "version" in data, context + f" {data}"
                    if name not in model.edit_policy.fields and response.status_code == 400:
                        assert name in data, context + f" {data}"
                    if response.status_code == 200:
                        # `version` alone, equal to the stored one by chance, is an edit that changes nothing.
                        assert (name in model.edit_policy.fields or body.get(name) == case.value
                                or (name == "version" and case.value == version)), context
                        # Put things back so the next request starts from the same record.
                        if stored.version != version:
                            model.objects.filter(pk=record.pk).update(
                                **{f.attname: getattr(fresh, f.attname) for f in model._meta.concrete_fields
                                   if f.attname not in ("id",)} | {"version": stored.version}
                            )
    return sent
