"""The J items of the PrivacyMark guideline (構築・運用指針【JIS Q 15001:2023準拠 ver1.0】) as a
checklist catalogue: seeded by a migration (verified only where a public source names the
number), offered on the plan form as their own group, and covered item by item on the
programme page for the companies that hold PrivacyMark."""

from __future__ import annotations

import importlib
import re

import pytest
from django.apps import apps as global_apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audits import selectors, services
from audits.models import PMARK_GUIDELINE_EDITION, Requirement, Standard
from audits.models.catalogue import clause_depth
from incidents.models import Company, RoleScope
from incidents.services import transition_record
from incidents.switcher import SESSION_KEY
from tests.incidents.factories import DepartmentFactory, UserFactory

pytestmark = pytest.mark.django_db

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
SEED = importlib.import_module("audits.migrations.0011_seed_pmark_guideline")

# The numbers a public source we read names (the migration's docstring lists the sources).
VERIFIED = {
    "J.1", "J.1.1", "J.1.2", "J.1.3", "J.1.4", "J.2", "J.2.2", "J.2.3.1", "J.2.3.2", "J.3", "J.3.1.1", "J.3.1.2",
    "J.3.1.3", "J.3.1.4", "J.3.4", "J.4", "J.4.1", "J.4.2", "J.4.3", "J.4.4.2", "J.5", "J.6", "J.6.2", "J.6.3", "J.7",
    "J.8", "J.8.1", "J.8.2", "J.8.3", "J.8.5", "J.8.7", "J.8.8", "J.8.8.4", "J.8.9", "J.8.10", "J.9", "J.9.1",
    "J.9.2", "J.10", "J.10.2", "J.10.7", "J.11", "J.11.1",
}


def j_items():
    return Requirement.objects.of(Standard.PMARK_GUIDELINE, PMARK_GUIDELINE_EDITION).order_by("position")


def j_item(clause: str) -> Requirement:
    return j_items().get(clause=clause)


def leaf_count() -> int:
    return j_items().filter(children__isnull=True).count()


def jis(*clauses: str) -> list[Requirement]:
    return list(Requirement.objects.filter(standard="jis_q_15001", edition="2023", clause__in=clauses))


def row_html(html: str, company: Company, clause: str) -> str:
    """The programme table's row of one J item of one company's coverage."""
    match = re.search(rf'<tr [^>]*id="guideline-{company.code}-{re.escape(clause)}">(.*?)</tr>', html, re.S)
    assert match, clause
    return match.group(0)


# ---------------------------------------------------------------------------
# The catalogue


def test_the_migration_seeds_the_j_items_in_the_guidelines_order():
    items = list(j_items())
    assert [item.clause for item in items] == [row[0] for row in SEED.J_ITEMS]
    assert [item.clause for item in items if item.parent_id is None] == [f"J.{n}" for n in range(1, 12)]
    # Sorted by position, not by text: J.8.10 follows J.8.9, J.10 follows J.9.
    clauses = [item.clause for item in items]
    assert clauses.index("J.8.10") == clauses.index("J.8.9") + 1
    assert clauses.index("J.10") > clauses.index("J.9.4")
    positions = [item.position for item in items]
    assert positions == sorted(positions) and len(set(positions)) == len(positions)
    assert all(item.title_ja and item.title_en for item in items)


def test_j_3_4_the_item_new_in_the_2024_revision_is_there_and_verified():
    item = j_item("J.3.4")
    assert item.verified
    assert item.parent == j_item("J.3")
    assert "変更" in item.title_ja and item.title_en == "Planning changes to the PMS"


def test_verified_only_where_a_source_names_the_number():
    assert {item.clause for item in j_items() if item.verified} == VERIFIED
    # A heading known only from its sub-items, and items no source we read named, are not.
    assert not j_item("J.2.3").verified and not j_item("J.4.5.4").verified and not j_item("J.8.8.1").verified


def test_every_items_parent_is_its_number_without_the_last_part():
    for item in j_items().select_related("parent"):
        expected = item.clause.rsplit(".", 1)[0] if item.clause.count(".") > 1 else None
        assert (item.parent.clause if item.parent else None) == expected, item.clause
        if item.parent:
            assert (item.parent.standard, item.parent.edition) == (Standard.PMARK_GUIDELINE, PMARK_GUIDELINE_EDITION)
            assert item.parent.position < item.position


def test_the_reverse_migration_deletes_the_j_items_and_leaves_the_rest():
    others = Requirement.objects.exclude(standard=Standard.PMARK_GUIDELINE).count()
    SEED.backwards(global_apps, None)
    assert not j_items().exists()
    assert Requirement.objects.count() == others
    SEED.forwards(global_apps, None)
    assert j_items().count() == len(SEED.J_ITEMS)


@pytest.mark.parametrize(("clause", "depth"), [
    ("6", 0), ("6.1", 1), ("9.2.1", 2), ("A.3.3", 1), ("A.3.4.2.8.1", 4), ("J.3", 0), ("J.3.1", 1), ("J.3.1.1", 2),
    ("J.8.10", 1),
])
def test_a_letter_prefix_is_not_a_level(clause, depth):
    assert clause_depth(clause) == depth


# ---------------------------------------------------------------------------
# The plan form


def test_the_plan_form_offers_the_j_items_as_their_own_group_after_jis(client, audit_lead):
    client.force_login(audit_lead)
    response = client.get(reverse("audit_plan"), **EN)
    groups = response.context["form"].clause_groups()
    assert [g["title"] for g in groups] == [
        "JIS Q 15001:2023", "JIS Q 15001:2017 (Annex A)", "PrivacyMark 構築・運用指針:2023v1.0", "ISO/IEC 27001:2022",
    ]
    # The current JIS edition stays the one open group.
    assert [g["open"] for g in groups] == [True, False, False, False]
    guideline = groups[2]
    depths = {entry["requirement"].clause: entry["depth"] for entry in guideline["choices"]}
    assert [entry["requirement"].clause for entry in guideline["choices"]] == [row[0] for row in SEED.J_ITEMS]
    assert (depths["J.3"], depths["J.3.1"], depths["J.3.1.1"], depths["J.3.4"], depths["J.8.10"]) == (0, 1, 2, 1, 1)
    html = response.content.decode()
    assert "PrivacyMark 構築・運用指針:2023v1.0" in html
    assert 'class="badge badge--unverified"' in html  # entries not yet checked against the text say so


def test_a_plan_with_j_items_opens_their_group_and_puts_them_on_the_checklist(client, audit_lead, lead_auditor,
                                                                                sales):
    client.force_login(audit_lead)
    chosen = [*jis("9.2"), j_item("J.3.4"), j_item("J.6.2")]
    today = timezone.localdate()
    response = client.post(reverse("audit_plan"), {
        "title": "内部監査（J項目）", "kind": "internal", "departments": [sales.pk], "clauses": [c.pk for c in chosen],
        "lead_auditor": lead_auditor.pk, "auditors": [], "planned_start": today.isoformat(),
        "planned_end": today.isoformat(),
    })
    assert response.status_code == 302
    audit = sales.audits.get()
    assert [item.requirement.clause for item in audit.checklist.order_by("position")] == ["9.2", "J.3.4", "J.6.2"]
    response = client.get(reverse("audit_edit", args=[audit.pk]))
    groups = {g["title"]: g for g in response.context["form"].clause_groups()}
    assert groups["PrivacyMark 構築・運用指針:2023v1.0"]["open"]
    assert groups["PrivacyMark 構築・運用指針:2023v1.0"]["checked"] == 2


# ---------------------------------------------------------------------------
# The programme's coverage by J item


@pytest.fixture
def j_audit(plan_audit, lead_auditor):
    """An audit of sales in fieldwork with J.3.4 recorded conforming and J.6.2 still open."""
    audit = transition_record(plan_audit(clauses=[*jis("9.2"), j_item("J.3.4"), j_item("J.6.2")]), "start",
                              by=lead_auditor)
    services.checklist_record(item=audit.checklist.get(requirement__clause="J.3.4"), by=lead_auditor,
                              result="conforming", evidence="規程改定の計画表")
    return audit


def test_the_programme_shows_each_j_item_with_the_audits_checking_it_and_their_results(client, audit_lead, j_audit):
    company = Company.objects.default()
    client.force_login(audit_lead)
    response = client.get(reverse("audit_programme"), **EN)
    [part] = response.context["guideline"]
    assert part["company"] == company
    rows = {row["requirement"].clause: row for row in part["rows"]}
    assert rows["J.3.4"]["status"] == "done" and [c["audit"] for c in rows["J.3.4"]["checks"]] == [j_audit]
    assert rows["J.6.2"]["status"] == "planned"
    assert rows["J.8.1"]["status"] == "none" and rows["J.8.1"]["checks"] == []
    assert (part["covered"], part["total"]) == (2, leaf_count())
    assert part["counts"] == {"done": 1, "planned": 1, "none": leaf_count() - 2}

    html = response.content.decode()
    assert "Coverage of the PrivacyMark guideline's J items" in html
    assert f"2 of {leaf_count()} J items covered" in html
    covered = row_html(html, company, "J.3.4")
    assert j_audit.reference in covered and reverse("audit_detail", args=[j_audit.pk]) in covered
    assert "badge--result-conforming" in covered and "Conforming" in covered
    assert "Unverified" not in covered
    planned = row_html(html, company, "J.6.2")
    assert j_audit.reference in planned and "No result yet" in planned
    gap = row_html(html, company, "J.8.1")
    assert "jcoverage__row--gap" in gap and "No audit of this year checks it." in gap
    assert j_audit.reference not in gap
    unverified = row_html(html, company, "J.4.5.4")
    assert "badge--unverified" in unverified and "Unverified" in unverified


def test_a_heading_counts_the_items_below_it(client, audit_lead, j_audit):
    client.force_login(audit_lead)
    [part] = client.get(reverse("audit_programme")).context["guideline"]
    rows = {row["requirement"].clause: row for row in part["rows"]}
    leaves_below_j3 = [c for c in rows if c.startswith("J.3.") and rows[c]["leaf"]]
    assert rows["J.3"]["below"] == {"covered": 1, "total": len(leaves_below_j3)}
    assert rows["J.3.1"]["below"] == {"covered": 0, "total": 4}
    assert rows["J.6"]["below"] == {"covered": 1, "total": 3}
    assert not rows["J.3"]["leaf"] and rows["J.3.4"]["leaf"]


def test_a_cancelled_audit_covers_nothing(audit_lead, plan_audit):
    audit = plan_audit(clauses=[j_item("J.3.4")])
    transition_record(audit, "cancel", by=audit_lead, changes={"cancel_reason": "延期"})
    audit.refresh_from_db()
    [part] = selectors.guideline_coverage(audits=[audit], companies=[Company.objects.default()])
    assert part["covered"] == 0


def test_an_isms_only_company_has_no_j_item_section(client, audit_lead, j_audit):
    Company.objects.filter(pk=j_audit.company_id).update(holds_privacymark=False)
    client.force_login(audit_lead)
    response = client.get(reverse("audit_programme"), **EN)
    assert response.context["guideline"] == []
    html = response.content.decode()
    assert 'id="guideline-coverage"' not in html and "J items covered" not in html


def test_with_several_companies_only_the_privacymark_holders_shown_get_the_section(client, audit_lead, j_audit, ga):
    ine = Company.objects.default()
    isms = Company.objects.create(code="DAT", name="株式会社INEデータ", iso27001_certified=True, position=1)
    DepartmentFactory(code="DAT-OPS", name="データ運用部", company=isms)
    lead = UserFactory(username="group_lead", roles=["staff", "audit_lead", "auditor"], department=ga)
    for role in ("audit_lead", "auditor"):
        RoleScope.objects.create(user=lead, role=role, company=None)
    client.force_login(lead)
    response = client.get(reverse("audit_programme"), **EN)
    assert [part["company"] for part in response.context["guideline"]] == [ine]
    html = response.content.decode()
    assert f'id="guideline-{ine.code}"' in html
    assert f'id="guideline-{isms.code}"' not in html

    session = client.session
    session[SESSION_KEY] = isms.pk  # the switcher narrows the page to the ISMS-only company
    session.save()
    response = client.get(reverse("audit_programme"), **EN)
    assert response.context["guideline"] == []
    assert 'id="guideline-coverage"' not in response.content.decode()


def test_the_coverage_takes_two_queries_whatever_the_number_of_audits(plan_audit, lead_auditor,
                                                                      django_assert_num_queries):
    company = Company.objects.default()
    chosen = [*jis("9.2"), j_item("J.3.4"), j_item("J.6.2"), j_item("J.8.1")]
    one = [plan_audit(clauses=chosen)]
    with django_assert_num_queries(2):
        [part] = selectors.guideline_coverage(audits=one, companies=[company])
    assert part["covered"] == 3
    three = [*one, plan_audit(clauses=chosen[:2]), plan_audit(clauses=[j_item("J.9.1"), j_item("J.11.1")])]
    with django_assert_num_queries(2):
        [part] = selectors.guideline_coverage(audits=three, companies=[company])
    assert part["covered"] == 5
    rows = {row["requirement"].clause: row for row in part["rows"]}
    assert [check["audit"] for check in rows["J.3.4"]["checks"]] == three[:2]


def test_the_programme_page_reads_the_checklists_once_for_one_audit_or_three(client, audit_lead, plan_audit):
    chosen = [*jis("9.2"), j_item("J.3.4"), j_item("J.6.2")]
    client.force_login(audit_lead)

    def page_queries() -> list[str]:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("audit_programme")).status_code == 200
        return [query["sql"] for query in queries.captured_queries]

    plan_audit(clauses=chosen)
    with_one = page_queries()
    plan_audit(clauses=chosen)
    plan_audit(clauses=chosen[1:])
    with_three = page_queries()
    assert len(with_three) == len(with_one)
    assert sum('FROM "audits_checklistitem"' in sql for sql in with_three) == 1
