"""`python manage.py seed_demo`: the demo company of incidents, plus a fiscal year of audits.

This command extends the incidents app's seed_demo (audits comes before incidents in
INSTALLED_APPS, so `seed_demo` is this one): the departments, users, incidents and actions
are seeded by it, then, in its `seed_more` hook, the internal-audit programme of the
current fiscal year (April to March unless FISCAL_YEAR_START_MONTH says otherwise):

- six audits, one in every state: two closed, one reported, one in fieldwork (an
  operational check, 運用の確認, by the IT department itself), one planned after today,
  and one cancelled: 総務部's, which leaves that department unaudited, the gap the
  programme page shows;
- checklists filled in as the state implies (complete once reported; half done in
  fieldwork; untouched when planned or cancelled);
- nine findings of every grade (major, minor, observation, opportunity) in every state
  (open, responded, accepted, verifying, closed), one of them rejected once before its
  second answer, with their corrective actions (incidents' Action, linked) in the states
  their finding implies.

Then the previous fiscal year, for its management review: two more incidents of that winter
(a near miss, and a mis-sending in 営業部 that recurs with the same cause as December's),
and that year's two internal audits, closed, covering every department, with a minor
nonconformity closed on an effective action, two observations and an opportunity for
improvement. Last, the management reviews: last year's (MR-FY2025 when seeded in fiscal
2026), prepared and submitted by the PMS manager (its inputs frozen; the snapshot's
`assembled_at` is dated with the story's submission), approved by top management in May
with three decisions through services.review_approve, whose improvement actions are under
way: one in progress, one implemented, one not started yet (due next year). Due dates are
never before the day of seeding, which the service requires. And this year's review, a
draft with two of the four required inputs still to write.

Independence holds: nobody audits their own department (小林 of 人事部 and 松本 of
情報システム部, added here as `auditor2`, share the audits), and the audit lead 加藤 is not
a PMS manager. Everything goes through the services (audit_plan, checklist_record,
finding_raise, finding_add_action, transition_record) as the user whose job it is;
afterwards the dates are moved back to the story's, as the incidents stories do.

The story is written in days from the start of the fiscal year up to day 230 (mid
November). Seeded later in the year it is stretched, earlier it is compressed, so that
its last step is always yesterday and everything stays inside the current fiscal year;
steps fall between 9:00 and 18:00 Japan time.

Idempotent: each audit is keyed by its title and fiscal year; an audit that exists is left
as it is, with its findings and actions; a review by its period. Each audit's and each
review's story is one transaction.
"""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.core.management.base import CommandError
from django.db import transaction
from django.db.models import Count, Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm_log.models import StateLog

from audits import services
from audits.fiscal import fiscal_year_bounds, fiscal_year_of
from audits.models import Audit, AuditState, ChecklistItem, Finding, FindingState, Grade, Requirement, Review
from audits.models.review import TEXT_INPUTS
from audits.selectors import programme
from incidents import services as incident_services
from incidents.exceptions import ConditionsNotMet
from incidents.management.commands import seed_demo as incidents_seed
from incidents.management.commands.seed_demo import USERS, DemoUser
from incidents.management.commands.seed_demo import Command as IncidentsSeedCommand
from incidents.models import Action
from incidents.models.incident import list_separator

# A second internal auditor, so that every department can be audited by someone from outside it.
AUDITOR2 = DemoUser("auditor2", "松本", "亮", "IT", ("staff", "auditor"), "情報システム部（内部監査員）")

# The standard and edition the demo company audits against.
STANDARD, EDITION = "jis_q_15001", "2023"

# The story's last step is on this day of the fiscal year (see the module's docstring).
STORY_SPAN = 230


# ---------------------------------------------------------------------------
# The stories. `at` is a day of the fiscal year (fractions are hours within the working
# day); users are usernames, departments codes, clauses JIS Q 15001:2023 clause numbers.


@dataclass
class AuditStory:
    title: str
    kind: str
    departments: tuple[str, ...]
    clauses: tuple[str, ...]
    planned_by: str
    lead: str
    auditors: tuple[str, ...]
    planned_at: float
    # Planned dates: days of the fiscal year, or None for "a month from today" (the planned audit).
    start: float | None
    end: float | None
    steps: list[tuple] = field(default_factory=list)


def start(by, at, comment=""):
    return ("audit", "start", by, at, comment, {})


def report(by, at, conclusion, comment=""):
    return ("audit", "report", by, at, comment, {"conclusion": conclusion})


def close_audit(by, at, comment=""):
    return ("audit", "close", by, at, comment, {})


def cancel(by, at, reason):
    return ("audit", "cancel", by, at, "", {"cancel_reason": reason})


def check(clause, by, at, result, evidence, note=""):
    """A checklist result (services.checklist_record)."""
    return ("check", clause, by, at, result, evidence, note)


def finding(key, by, at, *, clause, department, grade, description, evidence="", item=False):
    """A finding raised by an auditor; `item` ties it to the clause's checklist item."""
    return ("finding", key, by, at, {"clause": clause, "department": department, "grade": grade,
                                     "description": description, "evidence": evidence, "item": item})


def action(finding_key, key, by, at, **fields):
    """A corrective action the department head plans for the finding; `due` is a day of the year."""
    return ("action", finding_key, key, by, at, fields)


def act(key, name, by, at, comment="", **changes):
    """A transition of one of the story's actions."""
    return ("act", key, name, by, at, comment, changes)


def step(finding_key, name, by, at, comment="", **changes):
    """A transition of one of the story's findings."""
    return ("step", finding_key, name, by, at, comment, changes)


AUDITS = [
    AuditStory(
        title="営業部・カスタマーサポート部 内部監査（上期）",
        kind="internal", departments=("SALES", "CS"), clauses=("5.2", "6.1", "7", "8", "9.1"),
        planned_by="auditlead", lead="auditor", auditors=("auditor2",), planned_at=20, start=40, end=42,
        steps=[
            start("auditor", 40, "開始会議で監査の範囲と日程を確認した。"),
            check("5.2", "auditor", 40.2, "conforming", "個人情報保護方針の掲示（執務室入口）と社員の認知をヒアリングで確認。"),
            finding("ledger", "auditor", 40.4, clause="6.1", department="SALES", grade=Grade.MAJOR, item=True,
                    description="個人情報管理台帳が2025年10月以降更新されておらず、新規に取得した展示会来場者名簿"
                                "（約800件）と顧客アンケートの回答データが台帳に記載されていない。"
                                "リスク分析の前提となる個人情報の特定が機能していない。",
                    evidence="個人情報管理台帳（最終更新 2025-10-02）、展示会来場者名簿の保管フォルダ"),
            check("6.1", "auditor", 40.5, "nonconforming", "個人情報管理台帳（最終更新 2025-10-02）",
                  "台帳の未更新。展示会来場者名簿とアンケート回答が未記載。"),
            check("7", "auditor2", 40.7, "conforming", "教育受講記録（営業部・CS部とも受講率100%）。"),
            finding("clear_desk", "auditor2", 41.3, clause="8", department="CS", grade=Grade.MINOR, item=True,
                    description="退社後の執務室で、問合せ対応記録（氏名・電話番号を含む）を印刷した書類が"
                                "2名の机上に放置され、キャビネット1台が施錠されていなかった（クリアデスク違反）。",
                    evidence="19時の巡回時の写真3枚、キャビネット施錠点検表（記入なし）"),
            check("8", "auditor2", 41.4, "nonconforming", "19時の巡回、キャビネット施錠点検表",
                  "クリアデスク違反、キャビネット未施錠。"),
            check("9.1", "auditor", 41.6, "observation", "運用の確認の記録（四半期ごと）。",
                  "点検項目は規程どおり。問合せ記録の保管期限の扱いに改善の余地あり。"),
            finding("retention", "auditor", 41.7, clause="9.1", department="CS", grade=Grade.OPPORTUNITY, item=True,
                    description="問合せ対応記録の保管期限が担当者ごとに異なる理解で運用されている。"
                                "記録の種類ごとの保管期限を一覧にし、運用の確認の点検項目に加えるとよい。",
                    evidence="担当者3名へのヒアリング"),
            report("auditor", 47, "営業部で重大な不適合1件（個人情報管理台帳の未更新）、カスタマーサポート部で"
                                  "軽微な不適合1件（クリアデスク違反）と改善の機会1件を検出した。"
                                  "その他の項目は規程どおり運用されている。",
                   "監査報告書をトップマネジメントに提出した。"),
            action("clear_desk", "clear_desk_check", "head_cs", 48, kind="correction",
                   title="退社時のクリアデスク・キャビネット施錠点検の実施",
                   description="退社時に当番が机上とキャビネットの施錠を確認し、点検表に記録する。",
                   owner="head_cs", verifier="office", due=70),
            step("clear_desk", "respond", "head_cs", 49,
                 cause="繁忙期に退社時の片付けが個人任せになり、施錠点検表の運用が止まっていた。",
                 plan="退社時の当番による点検を再開し、点検表を部長が週次で確認する。"),
            action("ledger", "ledger_update", "head_sales", 50, kind="corrective",
                   title="個人情報管理台帳の全件見直しと更新",
                   description="部内の全フォルダと業務システムを棚卸しし、未記載の個人情報を台帳に追加する。",
                   owner="head_sales", verifier="manager", due=80),
            action("ledger", "ledger_review", "head_sales", 50.2, kind="preventive",
                   title="台帳の四半期見直しを運用の確認の点検項目に追加",
                   description="新たな個人情報の取得時に台帳を更新する手順と、四半期ごとの見直しを定める。",
                   owner="staff", verifier="head_sales", due=95),
            step("clear_desk", "accept", "auditor", 51, "回答を承認する。"),
            act("clear_desk_check", "start", "head_cs", 51.5),
            step("ledger", "respond", "head_sales", 52,
                 cause="台帳の更新が年1回の見直し時だけに行われ、新たに個人情報を取得した時点で"
                       "台帳を更新する手順がなかった。",
                 plan="台帳を全件見直して更新し、取得時の更新手順と四半期ごとの見直しを定める。"),
            close_audit("auditlead", 55, "監査報告を承認。指摘事項は各部門の是正処置で追跡する。"),
            step("ledger", "accept", "auditor", 55.3, "原因と計画を承認する。"),
            act("ledger_update", "start", "head_sales", 56),
            act("ledger_review", "start", "staff", 56.5),
            step("retention", "close", "auditor2", 60, "次回の運用の確認で保管期限の一覧化を検討することを確認した。"),
            act("clear_desk_check", "implement", "head_cs", 65,
                implementation_note="当番表と点検表を整備し、4週間分の点検記録を作成した。"),
            step("clear_desk", "submit_for_verification", "head_cs", 66, "点検の運用を開始した。"),
            act("ledger_update", "implement", "head_sales", 75,
                implementation_note="部内の全フォルダと営業支援システムを棚卸しし、展示会来場者名簿など"
                                    "5件を台帳に追加した。"),
            act("clear_desk_check", "verify_effective", "office", 80,
                effectiveness_note="抜き打ちの夜間巡回を2回実施し、机上放置・未施錠ともにゼロを確認した。"),
            step("clear_desk", "close", "auditor", 82, "夜間巡回の結果を確認し、完了とする。"),
            act("ledger_review", "implement", "staff", 90,
                implementation_note="取得時の台帳更新手順を営業部の手順書に追加し、四半期見直しを点検項目に加えた。"),
            step("ledger", "submit_for_verification", "head_sales", 92, "是正処置2件を実施した。"),
            act("ledger_update", "verify_effective", "manager", 110,
                effectiveness_note="更新後の台帳と保管フォルダを突き合わせ、未記載がないことを確認した。"),
            act("ledger_review", "verify_effective", "head_sales", 112,
                effectiveness_note="第2四半期の見直し記録を確認した。新規取得2件が取得当日に台帳へ記載されていた。"),
            step("ledger", "close", "auditor2", 115, "台帳の更新と見直しの運用を確認し、完了とする。"),
        ],
    ),
    AuditStory(
        title="情報システム部・個人情報保護推進室 内部監査",
        kind="internal", departments=("IT", "PMS"), clauses=("6.1", "6.2", "8", "9.1", "10"),
        planned_by="auditlead", lead="auditlead", auditors=("auditor",), planned_at=60, start=95, end=97,
        steps=[
            start("auditlead", 95),
            check("6.1", "auditor", 95.2, "conforming", "個人情報管理台帳（情報システム部・推進室とも2026年4月更新）。"),
            finding("risk_approval", "auditor", 95.5, clause="6.2", department="PMS", grade=Grade.OBSERVATION,
                    item=True,
                    description="リスクアセスメントの見直し記録に承認日の記載がなく、承認の時期が記録から確認できない。",
                    evidence="リスク分析表（2026年度版）"),
            check("6.2", "auditor", 95.6, "observation", "リスク分析表（2026年度版）", "承認日の記載なし。"),
            finding("entry_log", "auditor", 96, clause="8", department="IT", grade=Grade.MINOR, item=True,
                    description="サーバールームの入退室記録に記入漏れがあった（9月分で5件。入退室管理システムの"
                                "ログと紙の記録簿が一致しない）。入室目的の欄も空欄が多い。",
                    evidence="入退室管理簿（9月分）、入退室管理システムのログ"),
            check("8", "auditor", 96.1, "nonconforming", "入退室管理簿と入退室管理システムのログの突合",
                  "入退室記録の不備。"),
            check("9.1", "auditlead", 96.3, "conforming", "運用の確認の記録（第1四半期）。"),
            check("10", "auditlead", 96.4, "conforming", "是正処置の記録（前年度の監査指摘3件はすべて完了）。"),
            finding("log_alerts", "auditlead", 96.6, clause="6.2", department="IT", grade=Grade.OPPORTUNITY,
                    description="サーバーのアクセスログ監視のアラート基準が担当者の経験に依存している。"
                                "基準を文書化すると担当交代時にも監視の水準を保てる。",
                    evidence="ログ監視担当者へのヒアリング"),
            action("entry_log", "entry_card", "head_it", 100, kind="corrective",
                   title="サーバールームの入退室をICカード認証に切替え、記録を自動化",
                   description="紙の記録簿を廃止し、入退室管理システムのログを正とする。入室目的は申請システムで記録する。",
                   owner="head_it", verifier="office", due=150),
            step("entry_log", "respond", "head_it", 101,
                 cause="入退室の記録を紙の記録簿に手書きしており、同行者の記入や退室時刻の記入が漏れやすかった。",
                 plan="ICカード認証による入退室管理に切り替え、記録を自動化する。"),
            report("auditlead", 103, "情報システム部で軽微な不適合1件（入退室記録の不備）と改善の機会1件、"
                                     "個人情報保護推進室で観察事項1件を検出した。",
                   "監査報告書をトップマネジメントに提出した。"),
            step("entry_log", "accept", "auditlead", 104, "計画を承認する。"),
            act("entry_card", "start", "head_it", 105),
            close_audit("auditlead", 110, "監査報告を承認。"),
            step("risk_approval", "close", "auditlead", 115, "リスク分析表の様式に承認日欄が追加されたことを確認した。"),
            act("entry_card", "implement", "head_it", 140,
                implementation_note="ICカード認証の入退室管理を導入し、紙の記録簿を廃止した。入室目的は申請システムで記録している。"),
            step("entry_log", "submit_for_verification", "head_it", 142, "導入後1か月分のログを添えて提出する。"),
        ],
    ),
    AuditStory(
        title="総務部 内部監査",
        kind="internal", departments=("GA",), clauses=("6.1", "7", "8"),
        planned_by="auditlead", lead="auditor", auditors=("auditor2",), planned_at=60.5, start=150, end=151,
        steps=[
            cancel("auditlead", 140, "総務部のオフィス移転作業と日程が重なるため中止する。"
                                     "再計画の日程は未定（移転完了後に調整する）。"),
        ],
    ),
    AuditStory(
        title="人事部 内部監査",
        kind="internal", departments=("HR",), clauses=("6.1", "7", "8", "9.1"),
        planned_by="auditlead", lead="auditor2", auditors=("auditlead",), planned_at=120, start=175, end=176,
        steps=[
            start("auditor2", 175),
            finding("disposal_forms", "auditlead", 175.3, clause="6.1", department="HR", grade=Grade.OBSERVATION,
                    item=True,
                    description="退職者の個人情報（履歴書等）の廃棄記録の様式が担当者ごとに異なり、"
                                "廃棄方法の記載がない記録がある。",
                    evidence="廃棄記録（2026年4月〜9月）"),
            check("6.1", "auditlead", 175.4, "observation", "個人情報管理台帳、廃棄記録（2026年4月〜9月）",
                  "廃棄記録の様式が統一されていない。"),
            finding("training", "auditor2", 175.6, clause="7", department="HR", grade=Grade.MINOR, item=True,
                    description="2026年度の個人情報保護教育を受講していない社員が3名いた（いずれも7月以降の中途入社者）。"
                                "入社時教育の対象に中途入社者が含まれていない（教育未受講者）。",
                    evidence="教育受講記録、入社者一覧"),
            check("7", "auditor2", 175.7, "nonconforming", "教育受講記録と入社者一覧の突合", "教育未受講者3名。"),
            finding("contractor", "auditlead", 176, clause="8", department="HR", grade=Grade.MAJOR, item=True,
                    description="給与計算の委託先について、規程で年1回と定めた委託先評価が2年間実施されていない"
                                "（委託先評価の未実施）。委託契約の安全管理措置の条項も見直されていない。",
                    evidence="委託先一覧、委託先評価表（最終実施 2024年5月）、業務委託契約書"),
            check("8", "auditlead", 176.1, "nonconforming", "委託先一覧、委託先評価表、業務委託契約書",
                  "委託先評価の未実施。"),
            check("9.1", "auditor2", 176.3, "conforming", "運用の確認の記録（第1・第2四半期）。"),
            report("auditor2", 183, "人事部で重大な不適合1件（委託先評価の未実施）、軽微な不適合1件（教育未受講者）、"
                                    "観察事項1件を検出した。委託先の管理は全社的な確認が必要である。",
                   "監査報告書をトップマネジメントに提出した。"),
            action("training", "training_makeup", "head_hr", 185, kind="corrective",
                   title="未受講者3名への個別受講と中途入社者の入社時教育の手順化",
                   description="未受講者3名にeラーニングを受講させ、入社手続のチェックリストに教育受講を加える。",
                   owner="head_hr", verifier="manager", due=240),
            step("training", "respond", "head_hr", 186,
                 cause="入社時教育が4月の新卒入社者向けの集合研修だけで、中途入社者を対象とする手順がなかった。",
                 plan="未受講者に個別に受講させ、入社手続のチェックリストに教育受講を加える。"),
            action("contractor", "contractor_review", "head_hr", 188, kind="corrective",
                   title="給与計算委託先の評価の実施と契約内容の確認",
                   description="委託先評価表で評価を実施し、契約書の安全管理措置の条項を最新の規程と照合する。",
                   owner="head_hr", verifier="office", due=260),
            step("contractor", "respond", "head_hr", 189,
                 cause="担当者が評価の時期を失念していた。",
                 plan="委託先評価を直ちに実施する。"),
            step("training", "accept", "auditor2", 190, "計画を承認する。"),
            act("training_makeup", "start", "head_hr", 192),
            step("contractor", "reject", "auditor2", 193,
                 "原因が担当者の失念にとどまり、評価の期限を管理する仕組みがない点に触れていない。"
                 "再発を防ぐ処置も含めて回答してください。"),
            action("contractor", "contractor_register", "head_hr", 197, kind="preventive",
                   title="委託先一覧への評価期限の追加と期限管理",
                   description="委託先一覧に評価期限の列を設け、期限の1か月前に推進室が担当部門に通知する。",
                   owner="office", verifier="head_hr", due=270),
            step("contractor", "respond", "head_hr", 198,
                 cause="委託先評価の期限を管理する仕組みがなく、評価の実施が担当者の記憶に依存していた。"
                       "担当者の異動で引継ぎも行われなかった。",
                 plan="給与計算委託先の評価を実施し契約を確認する（是正処置）。あわせて委託先一覧に評価期限を加え、"
                      "推進室が期限前に通知する運用とする（予防処置）。"),
        ],
    ),
    AuditStory(
        title="情報システム部 運用の確認（第3四半期）",
        kind="operational_check", departments=("IT",), clauses=("6.1", "8", "9.1"),
        planned_by="head_it", lead="head_it", auditors=(), planned_at=200, start=225, end=229,
        steps=[
            start("head_it", 225, "四半期の点検を開始。"),
            check("6.1", "head_it", 226, "conforming", "個人情報管理台帳（10月更新）と保管場所の現物を照合。"),
            check("8", "head_it", 226.5, "conforming", "ICカード認証の入退室ログ（10月分）、アクセス権限の棚卸し結果。"),
        ],
    ),
    AuditStory(
        title="営業部 内部監査（下期・フォローアップ）",
        kind="internal", departments=("SALES",), clauses=("6.1", "8"),
        planned_by="auditlead", lead="auditor", auditors=("auditor2",), planned_at=205, start=None, end=None,
    ),
]



# ---------------------------------------------------------------------------
# The previous fiscal year, for the management review of that year (MR-FY2025 when seeded
# in the 2026 fiscal year): two more incidents, a near miss and a recurrence (the same cause
# in the same department within twelve months), dated in days before today like the
# incidents app's stories (so they fall in the previous fiscal year when the demo is seeded
# in the second half of a fiscal year, as the incidents' stories of that winter do), and the
# year's internal audits, dated in days of the previous fiscal year.

PREVIOUS_YEAR_STORIES = [
    incidents_seed.Story(
        title="見積書の添付ファイルの取り違えによる誤送信（別の取引先の担当者情報）",
        reporter="staff", department="SALES", kind="leak", days_ago=300, occurred=0.05,
        description=(
            "取引先A社に送る見積書のメールに、誤ってB社宛ての見積書のPDFを添付して送信した。"
            "見積書にはB社の担当者1名の氏名・部署・電話番号・メールアドレスが記載されていた。"
            "送信から約30分後、A社の担当者からの連絡で判明した。"
        ),
        report={"data_items": "取引先担当者の氏名、部署、電話番号、メールアドレス", "affected_count": 1},
        steps=[
            incidents_seed.step("triage", "manager", 0.05,
                                "誤送信として初動対応を開始。12月の一斉送信の誤送信とは別の経路（添付ファイル）で発生。",
                                severity="L1", kind="leak", event_class="mis_sending"),
            incidents_seed.step("contain", "manager", 0.5, "",
                                containment_summary="A社の担当者にメールと添付ファイルの削除を依頼し、削除したことを"
                                                    "電話とメールで確認した。B社の担当者に経緯を説明して謝罪した。",
                                correction_taken="A社への削除依頼とB社への謝罪。"),
            incidents_seed.step("analyse", "manager", 4, "",
                                root_cause="添付するファイルをファイル名だけで選び、送信前に添付ファイルの中身を"
                                           "確かめる手順がなかった。12月の誤送信の是正処置（手順書の改訂）は宛先の"
                                           "確認に限られ、添付ファイルを対象にしていなかった。",
                                cause="insufficient_checking"),
            incidents_seed.plan("attachment_check", "manager", 4, kind="corrective",
                                title="外部宛てメールの送信前確認に添付ファイルの中身の確認を追加",
                                department="SALES", owner="head_sales", verifier="manager", due=30),
            incidents_seed.step("plan_actions", "manager", 5,
                                "同じ部署で同じ原因（確認不足）の再発。送信前確認の対象を添付ファイルに広げる。"),
            incidents_seed.act("attachment_check", "start", "head_sales", 5),
            incidents_seed.file("pmark_final", "office", 10, "",
                                recipient_reference="審査機関 受付番号 PM-{year}-0049", method="email",
                                filing_note="漏えい1名（取引先担当者の連絡先）。削除の確認と、送信前確認の対象を"
                                            "添付ファイルに広げる再発防止策を記載した。"),
            incidents_seed.act("attachment_check", "implement", "head_sales", 24,
                               implementation_note="メール送信手順書の送信前確認に、添付ファイルを開いて宛先と"
                                                   "内容を照合する項目を追加し、営業部の全員に説明した。"),
            incidents_seed.step("verify", "manager", 25),
            incidents_seed.act("attachment_check", "verify_effective", "manager", 55,
                               effectiveness_note="1か月間の外部宛てメールの抜取り確認（40件）で、添付ファイルの"
                                                  "取り違えがないことを確認した。"),
            incidents_seed.step("close", "office", 58, "再発防止策の有効性を確認し、完了とする。"),
        ],
    ),
    incidents_seed.Story(
        title="源泉徴収票の封入誤り（発送前のダブルチェックで発見）",
        reporter="head_hr", department="HR", kind="near_miss", days_ago=270, occurred=0.01,
        description=(
            "退職者への源泉徴収票を郵送する準備で、別の退職者の源泉徴収票を封筒に入れかけたが、"
            "発送前のダブルチェックで担当者とは別の社員が気付き、封入し直した。"
        ),
        report={"data_items": "氏名、住所、給与の支払額、源泉徴収税額", "affected_count": 0},
        steps=[
            incidents_seed.step("triage", "manager", 0.2, "ヒヤリハットとして記録する。", severity="L0",
                                kind="near_miss", event_class="misdelivery"),
            incidents_seed.step("contain", "manager", 0.3, "",
                                containment_summary="発送前に発見し、正しい源泉徴収票を封入し直した。外部への送付はない。"),
            incidents_seed.step("analyse", "manager", 3, "",
                                root_cause="同じ日に複数の退職者の書類を並行して封入しており、宛名と書類の氏名を"
                                           "照合する手順がなかった。",
                                cause="insufficient_checking"),
            incidents_seed.plan("envelope", "manager", 3.5, kind="preventive",
                                title="郵送書類の封入時の宛名と書類の氏名の照合（2名確認）の手順化",
                                department="HR", owner="head_hr", verifier="office", due=20),
            incidents_seed.step("plan_actions", "manager", 4,
                                "ヒヤリハットのため是正処置は不要。予防処置として封入の手順を定める。"),
            incidents_seed.act("envelope", "start", "head_hr", 4),
            incidents_seed.act("envelope", "implement", "head_hr", 10,
                               implementation_note="封入時に1件ずつ宛名と書類の氏名を照合し、照合した者が封筒の控えに"
                                                   "押印する手順を人事部の手順書に追加した。"),
            incidents_seed.step("verify", "manager", 11),
            incidents_seed.act("envelope", "verify_effective", "office", 40,
                               effectiveness_note="翌月の発送分（給与明細を含む86件）の照合記録を確認した。照合漏れなし。"),
            incidents_seed.step("close", "manager", 41),
        ],
    ),
]

# The previous fiscal year's internal audits: every department covered, both closed.
PREVIOUS_YEAR_AUDITS = [
    AuditStory(
        title="営業部・カスタマーサポート部・総務部 内部監査",
        kind="internal", departments=("SALES", "CS", "GA"), clauses=("5.2", "6.1", "7", "8", "9.1"),
        planned_by="auditlead", lead="auditor", auditors=("auditor2",), planned_at=45, start=190, end=191,
        steps=[
            start("auditor", 190, "開始会議で監査の範囲と日程を確認した。"),
            check("5.2", "auditor", 190.2, "conforming", "個人情報保護方針の掲示（3部門の執務室）と社員へのヒアリング。"),
            check("6.1", "auditor2", 190.4, "conforming", "個人情報管理台帳（3部門とも4月に見直し済み）。"),
            check("7", "auditor", 190.6, "conforming", "教育受講記録（3部門とも受講率100%）。"),
            finding("carry_out", "auditor", 190.8, clause="8", department="SALES", grade=Grade.MINOR, item=True,
                    description="顧客名簿を印刷した書類を商談のために社外へ持ち出す際の持出し記録に、返却日と"
                                "返却確認者の記入がないものが9月分で3件あった（持出し記録の不備）。",
                    evidence="書類持出し記録簿（9月分）、営業担当者2名へのヒアリング"),
            check("8", "auditor", 190.9, "nonconforming", "書類持出し記録簿（9月分）", "持出し記録の返却欄の記入漏れ3件。"),
            finding("visitor_log", "auditor2", 191.2, clause="8", department="GA", grade=Grade.OBSERVATION,
                    description="受付カウンターの来訪者受付簿が開いたまま置かれ、後から来た来訪者が前の来訪者の"
                                "氏名と会社名を見られる状態だった。",
                    evidence="受付カウンターの観察（監査2日目の午前）"),
            check("9.1", "auditor2", 191.4, "conforming", "運用の確認の記録（第1・第2四半期）。"),
            report("auditor", 196, "営業部で軽微な不適合1件（書類の持出し記録の不備）、総務部で観察事項1件を検出した。"
                                   "カスタマーサポート部は規程どおり運用されている。",
                   "監査報告書をトップマネジメントに提出した。"),
            action("carry_out", "return_check", "head_sales", 198, kind="corrective",
                   title="書類持出し記録の返却確認を上長の確認事項に追加",
                   description="持出し書類の返却時に上長が記録簿の返却欄を確認し、月末に部長が記録簿を点検する。",
                   owner="head_sales", verifier="manager", due=230),
            step("carry_out", "respond", "head_sales", 199,
                 cause="返却時の記録が持ち出した本人任せで、返却を確認する者が決まっていなかった。",
                 plan="返却時に上長が記録簿を確認する手順とし、月末に部長が記録簿を点検する。"),
            step("carry_out", "accept", "auditor", 201, "回答を承認する。"),
            act("return_check", "start", "head_sales", 202),
            step("visitor_log", "close", "auditor", 203, "総務部が受付簿を1件1葉の様式に変更したことを確認した。"),
            close_audit("auditlead", 205, "監査報告を承認。指摘事項は営業部の是正処置で追跡する。"),
            act("return_check", "implement", "head_sales", 222,
                implementation_note="営業部の手順書に返却確認を追加し、翌月分から上長の確認印の運用を開始した。"),
            step("carry_out", "submit_for_verification", "head_sales", 223, "運用開始後の記録簿を添えて提出する。"),
            act("return_check", "verify_effective", "manager", 262,
                effectiveness_note="3か月分の記録簿を確認し、返却欄の記入漏れがないことを確認した。"),
            step("carry_out", "close", "auditor2", 265, "記録簿3か月分を確認し、完了とする。"),
        ],
    ),
    AuditStory(
        title="人事部・情報システム部・個人情報保護推進室 内部監査",
        kind="internal", departments=("HR", "IT", "PMS"), clauses=("6.1", "6.2", "7", "8", "10"),
        planned_by="auditlead", lead="auditlead", auditors=(), planned_at=45.5, start=232, end=233,
        steps=[
            start("auditlead", 232),
            check("6.1", "auditlead", 232.2, "conforming", "個人情報管理台帳（3部門）。"),
            check("6.2", "auditlead", 232.4, "conforming", "リスク分析表と残留リスクの承認記録。"),
            finding("quiz", "auditlead", 232.6, clause="7", department="PMS", grade=Grade.OPPORTUNITY, item=True,
                    description="個人情報保護教育の理解度テストが3年続けて同じ設問で、満点者の割合が年々上がっている。"
                                "社内のインシデントやヒヤリハットの事例を設問に取り入れると、教育の効果をより確かめられる。",
                    evidence="理解度テストの設問と結果（過去3年分）"),
            check("7", "auditlead", 232.7, "observation", "理解度テストの設問と結果", "設問が3年間同じ。"),
            finding("server_room", "auditlead", 233.1, clause="8", department="IT", grade=Grade.OBSERVATION,
                    item=True,
                    description="サーバールームの入退室管理簿で、同行者の氏名が省略されている記録が見られた"
                                "（前月分で2件）。記入の要領を周知するとよい。",
                    evidence="入退室管理簿（前月分）"),
            check("8", "auditlead", 233.2, "observation", "入退室管理簿（前月分）", "同行者の記入の省略2件。"),
            check("10", "auditlead", 233.4, "conforming", "是正処置の記録（前年度の監査指摘はすべて完了）。"),
            report("auditlead", 238, "個人情報保護推進室で改善の機会1件、情報システム部で観察事項1件を検出した。"
                                     "人事部は規程どおり運用されている。",
                   "監査報告書をトップマネジメントに提出した。"),
            close_audit("auditlead", 240, "監査報告を承認。"),
            step("server_room", "close", "auditlead", 245, "入退室管理簿の記入要領が情報システム部内に周知されたことを確認した。"),
        ],
    ),
]


# ---------------------------------------------------------------------------
# The management reviews: last fiscal year's, approved with decisions whose improvement
# actions are under way, and this year's, a draft. Moments are days of the current fiscal
# year (the audits' `day`); users are usernames.

PREVIOUS_REVIEW = {
    "prepared": 8, "submitted": 28, "approved": 42,
    "submit_comment": "前年度の実績と入力をまとめた。ご審議をお願いします。",
    "issues_changes": (
        "・個人情報保護法の改正（いわゆる3年ごと見直し）の動向：本人への通知の緩和や課徴金制度の導入を含む改正が"
        "検討されていると報じられている。成立・公布を確認したうえで、施行までに規程と報告の手順"
        "（本システムの報告ルール表を含む）を見直す。\n"
        "・プライバシーマークの審査はJIS Q 15001:2023準拠の構築・運用指針で行われている。次回の更新審査に向けて"
        "規程類の対応状況を確認した。\n"
        "・営業部とカスタマーサポート部で、顧客管理にクラウド型のCRMを導入する計画がある。導入前に委託先としての"
        "評価とリスクアセスメントが必要である。\n"
        "・取引先で標的型メールによる被害が相次いで報告されている。"
    ),
    "interested_parties": (
        "・取引先・委託元からのセキュリティチェックシートへの回答依頼が年間23件（前年度15件）に増えた。"
        "うち2社からは標的型メール訓練の実施状況を問われた。\n"
        "・通販コールセンター業務の委託元から、再委託先を含む管理状況の年1回の報告を求められるようになった。\n"
        "・本人からは、ダイレクトメールの送付停止を簡単に申し出たいとの要望が寄せられている。"
    ),
    "feedback": (
        "・個人情報の取扱いに関する苦情・問合せ：14件（前年度11件）。うちダイレクトメールの送付停止の依頼が9件で、"
        "すべて2営業日以内に対応した。\n"
        "・開示等の請求：開示請求2件、利用停止の請求1件。いずれも法定の期限内に回答した。\n"
        "・委託元による監査：1社（指摘事項なし）。"
    ),
    "risk_status": (
        "・4月にリスクアセスメントを見直し、個人情報管理台帳の126項目を評価した。残留リスクはすべて受容基準内として"
        "承認した。\n"
        "・リスク対応計画12項目のうち10項目を完了した（メール配信システムの導入、外部記録媒体の書込み禁止など）。"
        "個人情報管理台帳の一元管理と委託先評価手順の見直しの2項目は未完了で、次年度に継続する。"
    ),
    "improvement_notes": (
        "・標的型メールへの備えとして、全社員を対象にした訓練を提案する。\n"
        "・個人情報管理台帳が部門ごとのExcelファイルで、更新漏れが起きやすい（営業部の台帳の更新漏れを"
        "運用の確認で指摘）。クラウド上での一元管理を提案する。"
    ),
    "conclusion": (
        "当社の個人情報保護マネジメントシステムは、引き続き適切、妥当かつ有効であると判断する。"
        "一方、同じ部署で同じ原因（確認不足）の誤送信が再発したこと、委託元や取引先からセキュリティ対策の確認を"
        "求められる機会が増えていることから、次の3点を決定する。"
    ),
    "attendees": "山田 太郎（代表取締役社長）、高橋 誠（個人情報保護管理者）、加藤 裕子（個人情報保護監査責任者）、各部門長",
    "comment": "決定事項3件を承認した。推進室は進捗を四半期ごとに報告すること。",
    # Each decision: its due date (the later of a day of the fiscal year and a number of days
    # from today, so that it is never in the past when approved) and what its owner did since.
    "decisions": [
        {"title": "標的型メール訓練の全社実施", "kind": "improvement", "owner": "head_it", "verifier": "manager",
         "detail": "全社員を対象に標的型メール訓練を年2回実施し、開封率と報告率を測定する。"
                   "結果を次回のマネジメントレビューに報告する。",
         "due": (274, 30),
         "steps": [("start", "head_it", 60, "訓練サービスの選定を開始した。第1回は下期に実施する。", {})]},
        {"title": "委託先評価手順の見直し（クラウドサービスの評価項目の追加）", "kind": "system_change",
         "owner": "manager", "verifier": None,
         "detail": "委託先の選定・評価の基準に、クラウドサービスの評価項目（データの保管場所、暗号化、"
                   "アクセスログ、第三者認証）を加え、委託先管理規程を改訂する。",
         "due": (244, 14),
         "steps": [("start", "manager", 50, "", {}),
                   ("implement", "manager", 160, "",
                    {"implementation_note": "委託先評価表にクラウドサービスの評価項目を追加し、委託先管理規程を改訂した。"
                                            "新しいCRMの事業者を改訂後の評価表で評価し、選定した。"})]},
        {"title": "個人情報管理台帳のクラウド移行", "kind": "resources", "owner": "head_it", "verifier": "manager",
         "detail": "部門ごとのExcelファイルで管理している個人情報管理台帳を、アクセス権と変更履歴を管理できる"
                   "クラウドサービスに移行する。必要な予算を次年度に確保する。",
         "due": (455, 60), "steps": []},
    ],
}

CURRENT_REVIEW = {
    "prepared": 212, "written": 220,
    # feedback and risk_status are left to write: submitting now shows what is missing.
    "issues_changes": (
        "・改正個人情報保護法が2026年7月17日に公布されたと報じられている（公布から2年以内に施行。未施行。"
        "一次情報での確認が必要）。本人への通知の緩和と課徴金制度の導入が含まれるとされる。施行日と個人情報保護"
        "委員会規則・ガイドラインの改正を確認し、報告ルール表と規程を見直す。\n"
        "・営業部とカスタマーサポート部でクラウド型のCRMの利用を開始した。"
    ),
    "interested_parties": (
        "・取引先・委託元からのセキュリティチェックシートへの回答依頼：上期だけで17件。\n"
        "・受託業務での誤送信を受け、委託元から再発防止策の実施状況の報告を求められている。"
    ),
}

class Command(IncidentsSeedCommand):
    help = ("Load the demo company 株式会社INE: departments, users for every role, a year of incidents "
            "and actions, and the current fiscal year's internal audits.")

    demo_users = [*USERS, AUDITOR2]

    def seed_more(self) -> None:
        super().seed_more()
        self.created.update(audits=0, findings=0, previous_audits=0, previous_findings=0, reviews=0)
        for model in (Audit, Finding):
            self.new_records.setdefault(model, [])
        today = timezone.localdate(self.now)
        self.fiscal_year = fiscal_year_of(today)
        self.year_start, self.year_end = fiscal_year_bounds(self.fiscal_year)
        self.clauses = {r.clause: r for r in Requirement.objects.of(STANDARD, EDITION)}
        for story in sorted(PREVIOUS_YEAR_STORIES, key=lambda s: -s.days_ago):
            self.seed_story(story)
        for story in sorted(PREVIOUS_YEAR_AUDITS, key=lambda s: s.planned_at):
            self.seed_audit(story, previous_year=True)
        for story in sorted(AUDITS, key=lambda s: s.planned_at):
            self.seed_audit(story)
        self.renumber(Audit, self.new_records[Audit])
        self.renumber(Finding, self.new_records[Finding])
        # Last: the previous year's review reads (and freezes) that year's records.
        self.seed_previous_review()
        self.seed_current_review()

    # --- one audit and what came of it

    def seed_audit(self, story: AuditStory, *, previous_year: bool = False) -> None:
        """One audit and what came of it, in the current fiscal year (or in the previous one)."""
        year = self.fiscal_year - 1 if previous_year else self.fiscal_year
        if Audit.objects.filter(title=story.title, fiscal_year=year).exists():
            return
        day = self.previous_year_day if previous_year else self.day
        with transaction.atomic():
            planned_at = day(story.planned_at)
            if story.start is None:
                # The audit still to come: a month from today, inside the fiscal year.
                first = min(timezone.localdate(self.now) + dt.timedelta(days=30), self.year_end)
                planned_start, planned_end = first, min(first + dt.timedelta(days=1), self.year_end)
            else:
                planned_start = timezone.localdate(day(story.start))
                planned_end = timezone.localdate(day(story.end))
            with self.stamped(planned_at):
                audit = services.audit_plan(
                    by=self.users[story.planned_by],
                    title=story.title, kind=story.kind,
                    departments=[self.departments[code] for code in story.departments],
                    clauses=[self.clauses[clause] for clause in story.clauses],
                    lead_auditor=self.users[story.lead],
                    auditors=[self.users[name] for name in story.auditors],
                    planned_start=planned_start, planned_end=planned_end,
                )
            self.backdate_creation(audit, "AUD", planned_at)
            counted = "previous_" if previous_year else ""
            self.created[f"{counted}audits"] += 1
            last = {("audit", audit.pk): planned_at}
            findings: dict[str, Finding] = {}
            actions: dict[str, Action] = {}
            for entry in story.steps:
                kind, *rest = entry
                if kind == "audit":
                    name, by, at, comment, changes = rest
                    when = day(at)
                    with self.stamped(when):
                        audit = self.step(audit, name, by, when, comment, changes, story)
                    last[("audit", audit.pk)] = when
                elif kind == "check":
                    clause, by, at, result, evidence, note = rest
                    when = day(at)
                    item = audit.checklist.get(requirement=self.clauses[clause])
                    with self.stamped(when):
                        services.checklist_record(item=item, by=self.users[by], result=result, evidence=evidence,
                                                  note=note)
                    ChecklistItem.objects.filter(pk=item.pk).update(recorded_at=when)
                elif kind == "finding":
                    key, by, at, data = rest
                    when = day(at)
                    item = audit.checklist.get(requirement=self.clauses[data["clause"]]) if data["item"] else None
                    with self.stamped(when):
                        findings[key] = services.finding_raise(
                            audit=audit, by=self.users[by], checklist_item=item,
                            requirement=self.clauses[data["clause"]],
                            department=self.departments[data["department"]], grade=data["grade"],
                            description=data["description"], evidence=data["evidence"],
                        )
                    self.backdate_creation(findings[key], "FND", when)
                    self.created[f"{counted}findings"] += 1
                    last[("finding", key)] = when
                elif kind == "action":
                    finding_key, key, by, at, fields = rest
                    when = day(at)
                    fields = dict(fields)
                    due = fields.pop("due")
                    with self.stamped(when):
                        actions[key] = services.finding_add_action(
                            finding=findings[finding_key], by=self.users[by],
                            owner=self.users[fields.pop("owner")], verifier=self.users[fields.pop("verifier")],
                            due_date=timezone.localdate(day(due, future=True)), **fields,
                        )
                    self.backdate_creation(actions[key], "ACT", when)
                    self.created["actions"] += 1
                    last[("action", key)] = when
                elif kind == "act":
                    key, name, by, at, comment, changes = rest
                    when = day(at)
                    with self.stamped(when):
                        actions[key] = self.transition(actions[key], name, by, when, comment, changes)
                    last[("action", key)] = when
                else:
                    key, name, by, at, comment, changes = rest
                    when = day(at)
                    with self.stamped(when):
                        findings[key] = self.step(findings[key], name, by, when, comment, changes, story)
                    last[("finding", key)] = when
            for (kind, key), when in last.items():
                if kind == "audit":
                    Audit.objects.filter(pk=key).update(updated_at=when)
                elif kind == "finding":
                    Finding.objects.filter(pk=findings[key].pk).update(updated_at=when)
                else:
                    Action.objects.filter(pk=actions[key].pk).update(updated_at=when)

    def step(self, record, name, by, when, comment, changes, story: AuditStory):
        """A transition of an audit or a finding, dated `when` (as the incidents' `transition`
        does for incidents and actions, whose pick-list lookup would mistake a finding's cause)."""
        try:
            record = incident_services.transition_record(record, name, by=self.users[by], comment=comment,
                                                         changes=changes)
        except ConditionsNotMet as error:
            raise CommandError(f"Demo data error in “{story.title}”, {record}, step {name}: "
                               + " ".join(map(str, error.problems))) from None
        moment = {"start": "started_at", "report": "reported_at", "respond": "responded_at",
                  "close": "closed_at"}.get(name)
        if moment:
            type(record).objects.filter(pk=record.pk).update(**{moment: when})
            setattr(record, moment, when)
        return record

    # --- dates

    def day(self, at: float, *, future: bool = False) -> dt.datetime:
        """The moment of day `at` of the story, stretched or compressed so that day STORY_SPAN is
        yesterday: whole days map to dates, fractions to hours between 9:00 and 18:00."""
        tz = timezone.get_current_timezone()
        last_day = (timezone.localdate(self.now) - self.year_start).days - 1
        if last_day < 1:
            # Seeded on the first day or two of the fiscal year: squeeze the story into the time since.
            origin = dt.datetime.combine(self.year_start, dt.time(0, 0), tzinfo=tz)
            span = max(self.now - origin - dt.timedelta(minutes=1), dt.timedelta(0))
            return origin + span * (at / STORY_SPAN)
        mapped = at * last_day / STORY_SPAN
        whole = int(mapped)
        moment = dt.datetime.combine(self.year_start + dt.timedelta(days=whole), dt.time(9, 0), tzinfo=tz)
        moment += dt.timedelta(hours=9) * (mapped - whole)
        moment = moment.replace(second=0, microsecond=0)
        if not future and moment >= self.now:  # the mapping ends yesterday: a mistake in the story
            raise CommandError(f"Demo data error: a step at {moment:%Y-%m-%d %H:%M} is in the future.")
        return moment

    def previous_year_day(self, at: float, *, future: bool = False) -> dt.datetime:
        """Day `at` of the previous fiscal year (wholly past: no stretching), fractions as hours
        between 9:00 and 18:00."""
        first, _last = fiscal_year_bounds(self.fiscal_year - 1)
        whole = int(at)
        moment = dt.datetime.combine(first + dt.timedelta(days=whole), dt.time(9, 0),
                                     tzinfo=timezone.get_current_timezone())
        moment += dt.timedelta(hours=9) * (at - whole)
        moment = moment.replace(second=0, microsecond=0)
        if moment >= dt.datetime.combine(self.year_start, dt.time(0, 0), tzinfo=moment.tzinfo):
            raise CommandError(f"Demo data error: day {at} is not in the previous fiscal year.")
        return moment

    @contextmanager
    def stamped(self, when: dt.datetime):
        """Date `when` every trail entry the block writes (one step: the record's, and the action's
        a finding's plan creates)."""
        mark = StateLog.objects.aggregate(last=Max("pk"))["last"] or 0
        yield
        StateLog.objects.filter(pk__gt=mark).update(timestamp=when)

    # --- the management reviews

    def seed_previous_review(self) -> None:
        """Last fiscal year's review: prepared and submitted by the PMS manager, approved by top
        management with decisions (services.review_approve) whose improvement actions their
        owners have since started or implemented."""
        story = PREVIOUS_REVIEW
        first, last = fiscal_year_bounds(self.fiscal_year - 1)
        if Review.objects.filter(period_start=first, period_end=last).exists():
            return
        manager, executive = self.users["manager"], self.users["executive"]
        today = timezone.localdate(self.now)
        with transaction.atomic():
            prepared = self.day(story["prepared"])
            with self.stamped(prepared):
                review = services.review_create(by=manager, period_start=first, period_end=last)
            # The inputs only people know (no trail entry: the review's dates say when it changed).
            review = services.review_update(review=review, by=manager, **{
                name: story[name] for name in (*TEXT_INPUTS, "improvement_notes")
            })
            submitted = self.day(story["submitted"])
            with self.stamped(submitted):
                review = incident_services.transition_record(review, "submit", by=manager,
                                                             comment=story["submit_comment"])
            # The inputs were frozen at the real now: they say when the story says.
            snapshot = {**review.snapshot, "assembled_at": submitted.astimezone(dt.UTC).isoformat()}
            approved = self.day(story["approved"])
            decisions = []
            for decision in story["decisions"]:
                day_of_year, at_least = decision["due"]
                due = max(self.year_start + dt.timedelta(days=day_of_year), today + dt.timedelta(days=at_least))
                decisions.append({
                    "title": decision["title"], "kind": decision["kind"], "detail": decision["detail"],
                    "owner": self.users[decision["owner"]], "due_date": due,
                    **({"verifier": self.users[decision["verifier"]]} if decision["verifier"] else {}),
                })
            with self.stamped(approved):
                review = services.review_approve(
                    review=review, by=executive, decisions=decisions, conclusion=story["conclusion"],
                    held_on=timezone.localdate(approved), attendees=story["attendees"], comment=story["comment"],
                )
            Review.objects.filter(pk=review.pk).update(
                created_at=prepared, updated_at=approved, submitted_at=submitted, approved_at=approved,
                snapshot=snapshot,
            )
            self.created["reviews"] += 1
            for decision, data in zip(review.decisions.order_by("position").select_related("action"),
                                      story["decisions"], strict=True):
                action = decision.action
                self.backdate_creation(action, "ACT", approved)
                self.created["actions"] += 1
                when = approved
                for name, by, at, comment, changes in data["steps"]:
                    when = self.day(at)
                    with self.stamped(when):
                        action = self.transition(action, name, by, when, comment, changes)
                Action.objects.filter(pk=action.pk).update(updated_at=when)

    def seed_current_review(self) -> None:
        """This year's review: a draft the PMS manager has started, some inputs still to write."""
        story = CURRENT_REVIEW
        if Review.objects.filter(period_start=self.year_start, period_end=self.year_end).exists():
            return
        manager = self.users["manager"]
        with transaction.atomic():
            prepared = self.day(story["prepared"])
            with self.stamped(prepared):
                review = services.review_create(by=manager, period_start=self.year_start, period_end=self.year_end)
            written = self.day(story["written"])
            services.review_update(review=review, by=manager, issues_changes=story["issues_changes"],
                                   interested_parties=story["interested_parties"])
            Review.objects.filter(pk=review.pk).update(created_at=prepared, updated_at=written)
            self.created["reviews"] += 1

    # --- output

    def print_more_summary(self) -> None:
        super().print_more_summary()
        write = self.stdout.write
        year = self.fiscal_year
        write(_("Audits of fiscal year %(year)d created in this run: %(audits)d, with %(findings)d findings.")
              % {"year": year - 1, "audits": self.created["previous_audits"],
                 "findings": self.created["previous_findings"]})
        audits = Audit.objects.filter(fiscal_year=year)
        write(_("Audits of fiscal year %(year)d created in this run: %(audits)d, with %(findings)d findings.")
              % {"year": year, "audits": self.created["audits"], "findings": self.created["findings"]})
        audit_counts = dict(audits.values_list("state").annotate(n=Count("pk")))
        write(_("Audits by state: %(counts)s") % {"counts": list_separator().join(
            f"{label} {audit_counts.get(value, 0)}" for value, label in AuditState.choices
        )})
        findings = Finding.objects.filter(audit__fiscal_year=year)
        grade_counts = dict(findings.values_list("grade").annotate(n=Count("pk")))
        state_counts = dict(findings.values_list("state").annotate(n=Count("pk")))
        write(_("Findings by grade: %(counts)s") % {"counts": list_separator().join(
            f"{label} {grade_counts.get(value, 0)}" for value, label in Grade.choices
        )})
        write(_("Findings by state: %(counts)s") % {"counts": list_separator().join(
            f"{label} {state_counts.get(value, 0)}" for value, label in FindingState.choices
        )})
        gaps = [row["department"].name for row in programme(year=year) if row["status"] == "none"]
        write(_("Departments not audited in fiscal year %(year)d: %(departments)s")
              % {"year": year, "departments": "、".join(gaps) or "-"})
        reviews = Review.objects.annotate(decision_count=Count("decisions")).order_by("period_start", "reference")
        write(_("Management reviews created in this run: %(count)d.") % {"count": self.created["reviews"]})
        write(_("Management reviews: %(reviews)s") % {"reviews": list_separator().join(
            (_("%(reference)s %(state)s (%(count)d decisions)") if review.decision_count
             else _("%(reference)s %(state)s")) % {
                "reference": review.reference, "state": review.get_state_display(), "count": review.decision_count,
            }
            for review in reviews
        ) or "-"})
