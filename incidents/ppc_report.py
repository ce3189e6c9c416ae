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
from zoneinfo import ZoneInfo

from django.utils import timezone

from .models import (
    PPC_ITEM_KEYS,
    ActionKind,
    ActionState,
    FilingMethod,
    Incident,
    TrackKind,
    TrackState,
    group_has_several_companies,
)

NOT_ENTERED = "（未入力）"
DISCOVERY_LINE = "・発見者及び発覚の経緯："
DISCOVERY_NOT_ENTERED = f"{DISCOVERY_LINE}{NOT_ENTERED}"
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

    @property
    def short_title(self) -> str:
        return SHORT_TITLES[self.key]


# The items' short names (domain.md §1.6), for messages that list them.
SHORT_TITLES = {
    "overview": "概要", "data_items": "項目", "subject_count": "本人の数", "cause": "原因",
    "secondary_harm": "二次被害", "subject_response": "本人への対応", "publication": "公表",
    "recurrence_prevention": "再発防止策", "other": "その他",
}
def describe_keys(keys) -> str:
    """「5（二次被害）、7（公表）」: items named by number and short title, in the report's order."""
    return "、".join(f"{number}（{SHORT_TITLES[key]}）" for number, key in enumerate(PPC_ITEM_KEYS, start=1)
                    if key in keys)


# How a notice reached the data subjects, as the report says it (never the interface's words).
METHOD_TEXT = {
    FilingMethod.ONLINE_FORM: "ウェブフォーム",
    FilingMethod.EMAIL: "電子メール",
    FilingMethod.POST: "郵送",
    FilingMethod.PHONE: "電話",
    FilingMethod.NOTICE: "本人への個別通知",
    FilingMethod.PUBLICATION: "代替措置：公表",
    FilingMethod.INQUIRY_DESK: "代替措置：問合せ窓口の設置",
}
ACTION_KIND_TEXT = {
    ActionKind.CORRECTION: "修正",
    ActionKind.CORRECTIVE: "是正処置",
    ActionKind.PREVENTIVE: "予防処置",
    ActionKind.IMPROVEMENT: "改善",
}


@dataclass(frozen=True)
class PPCReport:
    items: list[ReportItem]
    subject_notice: str
    addressee: str  # 個人情報保護委員会, or the delegated minister (事業所管大臣)
    reporter: str  # the company's name
    corporate_number: str  # its 法人番号 ("" when not recorded)
    unknown: dict  # {item key: why it is not yet known}, as the PMS office marked them

    @property
    def missing(self) -> list[str]:
        return [item.key for item in self.items if item.empty]

    @property
    def unexplained_gaps(self) -> list[ReportItem]:
        """Empty items not marked as not yet known: the 確報 cannot go with these."""
        return [item for item in self.items if item.empty and item.key not in self.unknown]

    @property
    def items_still_unknown(self) -> list[ReportItem]:
        """Items marked as not yet known that are still empty: the 追完 cannot go with these."""
        return [item for item in self.items if item.empty and item.key in self.unknown]

    @staticmethod
    def describe(items: list[ReportItem]) -> str:
        return describe_keys([item.key for item in items])

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


# The progress log is told in Japan time whatever time zone the reader's page is in.
JAPAN = ZoneInfo("Asia/Tokyo")


def _course(incident: Incident) -> str:
    """事実経過: the progress log, each entry as its date and time (Japan time) and its text,
    oldest first; then what the containment and the correction say. Without entries, those
    two alone, as before the log existed."""
    entries = [
        f"{entry.occurred_at.astimezone(JAPAN):%Y年%m月%d日 %H時%M分}　{' '.join(entry.text.split())}"
        for entry in incident.progress_entries.order_by("occurred_at", "id")
    ]
    summary = [part for part in (incident.containment_summary.strip(), incident.correction_taken.strip()) if part]
    if entries:
        return "\n" + "\n".join([*entries, *summary])
    return "\n".join(summary)


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
    course = _course(incident)
    return "\n".join([
        f"・発生日時：{_when(incident.occurred_at)}",
        f"・発覚日時：{_when(incident.discovered_at)}",
        f"・発生事案：{incident.title}\n{incident.description.strip()}",
        f"{DISCOVERY_LINE}{_or_missing(incident.discovery_route)}",
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
        method = f"（{METHOD_TEXT[track.method]}）" if track.method in METHOD_TEXT else ""
        lines.append(f"{_when(track.filed_at)}に実施{method}。")
    elif track is not None and track.state == TrackState.PENDING:
        lines.append(f"実施予定（{_when(track.limit_at)}までに実施する）。")
    elif incident.subjects_low_risk and incident.rule_set is not None and incident.rule_set.data_subjects_low_risk_exemption:
        lines.append(f"本人の権利利益を害するおそれが小さいため、本人への通知は行わない。理由：{incident.subjects_low_risk_reason.strip()}")
        if incident.substitute_measure.strip():
            lines.append(f"代替措置：{incident.substitute_measure.strip()}")
    return "\n".join(lines) or NOT_ENTERED


def _prevention(incident: Incident) -> tuple[str, bool]:
    actions = [a for a in incident.actions.all() if a.state != ActionState.CANCELLED]
    done = [a for a in actions if a.state in (ActionState.IMPLEMENTED, ActionState.EFFECTIVE)]
    planned = [a for a in actions if a not in done]
    lines = []
    if done:
        lines.append("【実施済みの措置】")
        lines += [f"・{a.title}（{ACTION_KIND_TEXT.get(a.kind, '')}、{_when(a.implemented_at)}実施）" for a in done]
    if planned:
        lines.append("【実施予定の措置】")
        lines += [f"・{a.title}（{ACTION_KIND_TEXT.get(a.kind, '')}、{a.due_date:%Y年%m月%d日}までに実施予定）" for a in planned]
    if incident.recurrence_prevention.strip():
        lines.append(incident.recurrence_prevention.strip())
    return ("\n".join(lines) or NOT_ENTERED), not lines


def build_ppc_report(incident: Incident) -> PPCReport:
    tracks = {track.kind: track for track in incident.tracks.all()}
    prevention, prevention_empty = _prevention(incident)
    subject_response = _subject_response(incident, tracks)
    items = [
        # The PPC asks who found it and how (発見者、発覚の経緯) within the overview (§1.5a).
        ReportItem(1, "overview", "概要", _overview(incident),
                   not incident.description.strip() or not incident.discovery_route.strip()),
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
    unknown = {key: why.strip() for key, why in (incident.ppc_unknown_items or {}).items() if str(why).strip()}
    # An item still unknown says so, with the reason, instead of "not entered" (§1.5a).
    items = [_marked_unknown(item, unknown[item.key]) if item.empty and item.key in unknown else item
             for item in items]
    company = incident.company
    return PPCReport(
        items=items, subject_notice=_subject_notice(incident, items), addressee=company.leak_authority_display,
        reporter=company.name, corporate_number=company.corporate_number, unknown=unknown,
    )


def _marked_unknown(item: ReportItem, reason: str) -> ReportItem:
    """The item as reported while it is still unknown: the overview keeps what is known and
    says so of the discoverer; another item is the reason alone."""
    pending = f"調査中（追完予定）：{reason}"
    if item.key == "overview" and DISCOVERY_NOT_ENTERED in item.text:
        text = item.text.replace(DISCOVERY_NOT_ENTERED, f"{DISCOVERY_LINE}{pending}")
    else:
        text = pending
    return ReportItem(item.number, item.key, item.title, text, item.empty)


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
