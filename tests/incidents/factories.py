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
    user.__dict__.pop("_pms_access", None)
    user.__dict__.pop("_pms_scopes", None)
    user.__dict__.pop("_pms_switchable", None)


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


# The nine items of the PPC report (rule art. 8(1)), by their key in ppc_report, and the
# incident's field that fills each. Item 6 is also filled by the notice to the data subjects
# while it is owed or once it is made, item 8 by the incident's actions.
PPC_ITEM_FIELDS = {
    "overview": "discovery_route", "data_items": "data_items", "subject_count": "affected_count",
    "cause": "root_cause", "secondary_harm": "secondary_harm", "subject_response": "subject_response",
    "publication": "publication", "recurrence_prevention": "recurrence_prevention", "other": "other_information",
}
PPC_ITEM_VALUES = {
    "discovery_route": "送信先の担当者からの連絡で判明した。",
    "data_items": "氏名、メールアドレス",
    "affected_count": 1,
    "root_cause": "送信前に添付ファイルを確認する手順がなかった。",
    "secondary_harm": "現時点で二次被害は確認されていない。",
    "subject_response": "対象の本人に電話で経緯を説明し、謝罪した。",
    "publication": "二次被害のおそれがないため公表しない。",
    "recurrence_prevention": "送信前に添付ファイルを二人で確認する。",
    "other_information": "特になし。",
}


def _blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def fill_ppc_items(incident, by, *, skip=(), **values) -> Incident:
    """Fill in the empty items of the PPC report, as the PMS office does before the 確報
    (which is refused while an item is empty and not marked as not yet known); what is
    recorded already is kept. `skip`: item keys (PPC_ITEM_FIELDS) to leave as they are;
    `values`: field values instead of PPC_ITEM_VALUES'."""
    current = Incident.objects.get(pk=incident.pk)
    values = {**PPC_ITEM_VALUES, **values}
    changes = {
        field: values[field] for key, field in PPC_ITEM_FIELDS.items()
        if key not in skip and _blank(getattr(current, field))
    }
    if not changes:
        return current
    return services.incident_update(incident=current, by=by, version=current.version, **changes)


def close_incident(incident, *, manager, head, closer) -> Incident:
    """Walk an incident to closed, as the PMS office would: classified, contained, analysed,
    one corrective action (owned by `head`) implemented and proved effective, every pending
    report filed (the PPC report's items filled in first) but the follow-ups that may run on
    after close, and closed by `closer` (who implemented nothing)."""
    from incidents.models import FOLLOW_UPS, CauseCategory, FilingMethod, TrackKind

    incident = Incident.objects.get(pk=incident.pk)
    incident = services.transition_record(incident, "triage", by=manager, changes={"severity": incident.severity or "L2"})
    incident = services.transition_record(incident, "contain", by=manager,
                                          changes={"containment_summary": "送信先に削除を依頼し、削除を確認した。"})
    incident = services.transition_record(incident, "analyse", by=manager, changes={
        "root_cause": incident.root_cause or PPC_ITEM_VALUES["root_cause"],
        "cause": CauseCategory.objects.get(code="insufficient_checking")})
    action = ActionFactory(incident=incident, owner=head, verifier=manager, department=incident.department)
    incident = services.transition_record(incident, "plan_actions", by=manager)
    action = services.transition_record(action, "start", by=head)
    action = services.transition_record(action, "implement", by=head, changes={"implementation_note": "手順書を改訂"})
    incident = services.transition_record(incident, "verify", by=manager)
    services.transition_record(action, "verify_effective", by=manager, changes={"effectiveness_note": "再発なし"})
    if incident.tracks.pending().filter(kind=TrackKind.PPC_FINAL).exists():
        fill_ppc_items(incident, manager)
    for track in incident.tracks.pending().exclude(kind__in=FOLLOW_UPS):
        changes = {"filed_at": timezone.now(), "recipient_reference": f"R-{track.pk}"}
        if track.kind == TrackKind.DATA_SUBJECTS:
            changes = {"filed_at": timezone.now(), "method": FilingMethod.NOTICE}
        services.transition_record(track, "file", by=manager, changes=changes)
    return services.transition_record(Incident.objects.get(pk=incident.pk), "close", by=closer)
