"""factory-boy factories for the incidents app.

Records made here take their reference from the real counter
(`incidents.services.next_reference`), as the services do, so a factory-made record and a
service-made one never share a number, whatever the year or the order of creation.
"""

from __future__ import annotations

import datetime as dt

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from incidents import services
from incidents.models import (
    Action,
    ActionKind,
    Company,
    Department,
    Incident,
    IncidentKind,
    RoleScope,
    UserProfile,
)


def corporate_number(base: str) -> str:
    """A valid 法人番号 for 12 digits: its check digit first (models.company.corporate_number_problem)."""
    total = sum(int(digit) * (1 if n % 2 else 2) for n, digit in enumerate(reversed(base), start=1))
    return f"{9 - total % 9}{base}"


class CompanyFactory(factory.django.DjangoModelFactory):
    """A group company besides the default one (which the migration made)."""

    class Meta:
        model = Company
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"C{n:03d}")
    name = factory.Sequence(lambda n: f"株式会社グループ{n}")
    corporate_number = factory.Sequence(lambda n: corporate_number(f"{11001000000 + n:012d}"))
    holds_privacymark = True
    position = factory.Sequence(lambda n: n + 1)


def scope_role(user, role: str, *companies) -> None:
    """Hold `role` for these companies only (None: for the whole group)."""
    for company in companies:
        RoleScope.objects.create(user=user, role=role, company=company)
    user.__dict__.pop("_pms_scopes", None)


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"D{n:03d}")
    name = factory.Sequence(lambda n: f"部署{n}")


class UserFactory(factory.django.DjangoModelFactory):
    """A user with roles (`roles=["pms_manager"]`) and a department."""

    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.jp")
    password = factory.django.Password("pass-for-tests")

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        for name in extracted or ["staff"]:
            self.groups.add(Group.objects.get(name=name))

    @factory.post_generation
    def department(self, create, extracted, **kwargs):
        UserProfile.objects.update_or_create(
            user=self, defaults={"department": extracted or DepartmentFactory()}
        )


class IncidentFactory(factory.django.DjangoModelFactory):
    """An incident created directly (in state `reported` unless `state=` is given)."""

    class Meta:
        model = Incident

    reference = factory.LazyFunction(lambda: services.next_reference("INC", 4))
    title = factory.Sequence(lambda n: f"誤送信 {n}")
    description = "顧客宛のメールを別の顧客に送信した。"
    reporter = factory.SubFactory(UserFactory)
    department = factory.SubFactory(DepartmentFactory)
    kind = IncidentKind.LEAK
    discovered_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(hours=2))
    occurred_at = factory.LazyAttribute(lambda o: o.discovered_at - dt.timedelta(hours=1))
    affected_count = 1


class ActionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Action

    reference = factory.LazyFunction(lambda: services.next_reference("ACT", 4))
    kind = ActionKind.CORRECTIVE
    title = factory.Sequence(lambda n: f"送信前ダブルチェックの導入 {n}")
    department = factory.SubFactory(DepartmentFactory)
    owner = factory.SubFactory(UserFactory)
    verifier = factory.SubFactory(UserFactory)
    created_by = factory.SelfAttribute("owner")
    due_date = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=30))


def reported_incident(reporter, **overrides) -> Incident:
    """An incident created through the service, as the report form would."""
    data = {
        "title": "顧客リストの誤送信",
        "description": "取引先宛のメールに顧客リストを誤って添付した。",
        "department": overrides.pop("department", None) or reporter.profile.department,
        "kind": IncidentKind.LEAK,
        "discovered_at": timezone.now() - dt.timedelta(hours=1),
    }
    data.update(overrides)
    return services.incident_report(reporter=reporter, **data)


def file_pending_tracks(incident, by) -> None:
    """File every pending report of the incident, as the PMS office would before closing."""
    from incidents.models import FilingMethod, TrackKind

    for track in incident.tracks.pending():
        changes = {"filed_at": timezone.now(), "recipient_reference": f"R-{track.pk}"}
        if track.kind == TrackKind.DATA_SUBJECTS:
            changes = {"filed_at": timezone.now(), "method": FilingMethod.NOTICE}
        services.transition_record(track, "file", by=by, changes=changes)
