"""The report to the PPC (rule art. 8(1), domain.md §1.6, §1.5a) and the notice to data subjects.

The PMS manager pastes this text into the PPC's online form, which is in Japanese, so the
text is Japanese whatever language the user reads the interface in: these strings are
document content, not interface, and deliberately not translated.

The reporter is the business that handles the data: the incident's company, by its name
and 法人番号 (domain.md §1.15: each group company reports its own leaks); the addressee is
where that company reports leaks, the PPC or the minister it delegated its authority to.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone

from .models import ActionState, FilingMethod, Incident, TrackKind, TrackState, group_has_several_companies

NOT_ENTERED = "（未入力）"
CATEGORY_TEXT = {
    1: "第1号（要配慮個人情報が含まれる事態）",
    2: "第2号（不正に利用されることにより財産的被害が生じるおそれがある事態）",
    3: "第3号（不正の目的をもって行われたおそれがある行為による事態）",
    4: "第4号（本人の数が1,000人を超える事態）",
}


@dataclass(frozen=True)
class ReportItem:
    number: int
    key: str
    title: str
    text: str
    empty: bool


@dataclass(frozen=True)
class PPCReport:
    items: list[ReportItem]
    subject_notice: str
    addressee: str  # 個人情報保護委員会, or the delegated minister (事業所管大臣)
    reporter: str  # the company's name
    corporate_number: str  # its 法人番号 ("" when not recorded)

    @property
    def missing(self) -> list[str]:
        return [item.key for item in self.items if item.empty]

    @property
    def text(self) -> str:
        """The nine items, numbered, ready to paste."""
        return "\n\n".join(f"{item.number}. {item.title}\n{item.text}" for item in self.items)

    @property
    def heading(self) -> str:
        """Who reports to whom: the lines above the nine items."""
        return "\n".join([
            f"報告先：{self.addressee}",
            f"報告者（個人情報取扱事業者）：{self.reporter}",
            f"法人番号：{self.corporate_number or NOT_ENTERED}",
        ])

    @property
    def document(self) -> str:
        """The whole report: who reports to whom, then the nine items."""
        return f"{self.heading}\n\n{self.text}"


def _when(moment) -> str:
    return timezone.localtime(moment).strftime("%Y年%m月%d日 %H時%M分") if moment else "不明"


def _or_missing(value: str) -> str:
    return value.strip() or NOT_ENTERED


def _overview(incident: Incident) -> str:
    categories = [CATEGORY_TEXT[r["category"]] for r in incident.reportable_reasons if r["category"]]
    if incident.entrusted_by.strip():
        entrustment = f"あり（委託元：{incident.entrusted_by.strip()}。当社は委託先として取り扱っていた。）"
    else:
        entrustment = "なし（当社が取得した個人データ）"
    joint_use = []
    if incident.involves_joint_use:
        manager = incident.joint_use_company
        responsible = f"（管理責任者：{manager.name}）" if manager is not None else ""
        joint_use = [f"・共同利用の有無：あり{responsible}"]
    course = "\n".join(part for part in (incident.containment_summary.strip(), incident.correction_taken.strip()) if part)
    return "\n".join([
        f"・発生日時：{_when(incident.occurred_at)}",
        f"・発覚日時：{_when(incident.discovered_at)}",
        f"・発生事案：{incident.title}\n{incident.description.strip()}",
        f"・発見者及び発覚の経緯：{_or_missing(incident.discovery_route)}",
        f"・規則第7条各号該当性：{'、'.join(categories) if categories else '該当なし'}",
        f"・委託元及び委託先の有無：{entrustment}",
        *joint_use,
        f"・事実経過：{course or NOT_ENTERED}",
    ])


def _subject_count(incident: Incident) -> str:
    if incident.affected_count is None:
        return NOT_ENTERED
    count = f"{incident.affected_count:,}人"
    return f"{count}（推定。最大の可能性のある人数）" if incident.affected_count_estimated else count


def _cause(incident: Incident) -> str:
    if not incident.root_cause.strip():
        return NOT_ENTERED
    category = f"（原因分類：{incident.cause.name_ja}）" if incident.cause_id else ""
    return incident.root_cause.strip() + category


def _subject_response(incident: Incident, tracks: dict) -> str:
    lines = [incident.subject_response.strip()] if incident.subject_response.strip() else []
    track = tracks.get(TrackKind.DATA_SUBJECTS)
    if track is not None and track.state == TrackState.FILED:
        method = FilingMethod(track.method).label if track.method else ""
        lines.append(f"{_when(track.filed_at)}に実施（{method}）。")
    elif track is not None and track.state == TrackState.PENDING:
        lines.append(f"実施予定（{_when(track.limit_at)}までに実施する）。")
    return "\n".join(lines) or NOT_ENTERED


def _prevention(incident: Incident) -> tuple[str, bool]:
    actions = [a for a in incident.actions.all() if a.state != ActionState.CANCELLED]
    done = [a for a in actions if a.state in (ActionState.IMPLEMENTED, ActionState.EFFECTIVE)]
    planned = [a for a in actions if a not in done]
    lines = []
    if done:
        lines.append("【実施済みの措置】")
        lines += [f"・{a.title}（{a.get_kind_display()}、{_when(a.implemented_at)}実施）" for a in done]
    if planned:
        lines.append("【実施予定の措置】")
        lines += [f"・{a.title}（{a.get_kind_display()}、{a.due_date:%Y年%m月%d日}までに実施予定）" for a in planned]
    if incident.recurrence_prevention.strip():
        lines.append(incident.recurrence_prevention.strip())
    return ("\n".join(lines) or NOT_ENTERED), not lines


def build_ppc_report(incident: Incident) -> PPCReport:
    tracks = {track.kind: track for track in incident.tracks.all()}
    prevention, prevention_empty = _prevention(incident)
    subject_response = _subject_response(incident, tracks)
    items = [
        ReportItem(1, "overview", "概要", _overview(incident), not incident.description.strip()),
        ReportItem(2, "data_items", "漏えい等が発生し、又は発生したおそれがある個人データの項目",
                   _or_missing(incident.data_items), not incident.data_items.strip()),
        ReportItem(3, "subject_count", "漏えい等が発生し、又は発生したおそれがある個人データに係る本人の数",
                   _subject_count(incident), incident.affected_count is None),
        ReportItem(4, "cause", "原因", _cause(incident), not incident.root_cause.strip()),
        ReportItem(5, "secondary_harm", "二次被害又はそのおそれの有無及びその内容",
                   _or_missing(incident.secondary_harm), not incident.secondary_harm.strip()),
        ReportItem(6, "subject_response", "本人への対応の実施状況", subject_response,
                   subject_response == NOT_ENTERED),
        ReportItem(7, "publication", "公表の実施状況", _or_missing(incident.publication),
                   not incident.publication.strip()),
        ReportItem(8, "recurrence_prevention", "再発防止のための措置", prevention, prevention_empty),
        ReportItem(9, "other", "その他参考となる事項", _or_missing(incident.other_information),
                   not incident.other_information.strip()),
    ]
    company = incident.company
    return PPCReport(
        items=items, subject_notice=_subject_notice(incident, items), addressee=company.leak_authority_display,
        reporter=company.name, corporate_number=company.corporate_number,
    )


def _subject_notice(incident: Incident, items: list[ReportItem]) -> str:
    """本人通知 (rule art. 10): items 1, 2, 4, 5 and 9 only, in plain words."""
    by_number = {item.number: item for item in items}
    overview = (
        f"{_when(incident.discovered_at)}、{incident.title}が判明いたしました。\n{incident.description.strip()}"
    )
    sections = [
        ("1. 概要", overview),
        ("2. 対象となった個人情報の項目", by_number[2].text),
        ("3. 原因", by_number[4].text),
        ("4. 二次被害又はそのおそれの有無及びその内容", by_number[5].text),
        ("5. その他", by_number[9].text),
    ]
    body = "\n\n".join(f"{title}\n{text}" for title, text in sections)
    # Within a group the data subjects must learn which company writes to them.
    sender = f"{incident.company.name}\n\n" if group_has_several_companies() else ""
    return (
        f"お客様各位\n\n{sender}"
        "このたび、当社がお預かりしているお客様の個人情報について、下記のとおり漏えい等の事態が発生いたしました。"
        "お客様に多大なるご迷惑とご心配をおかけしますことを、深くお詫び申し上げます。\n\n"
        "記\n\n"
        f"{body}\n\n"
        "本件に関するお問い合わせは、当社の個人情報問合せ窓口までご連絡ください。\n\n以上"
    )
