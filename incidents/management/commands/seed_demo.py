"""`python manage.py seed_demo`: the demo company 株式会社INE, safe to run again.

Departments, a user for every role (one shared password), and a year of incidents and
actions in every state. Records are created and moved on only through the services
(incident_report, action_create, transition_record) by the users whose job it is, so the
demo obeys the same rules as real use. Afterwards the dates are moved back to when the
story says it happened, with queryset.update() on timestamp fields only (never `state`).

Reporting tracks: every incident is reported with its real discovery time, so the
system computes its clocks from the start (nothing moves `discovered_at` later). The
PMS office files the reports, or records why one is not owed, through
services.transition_record like any user, before the incident can close; the story
dates each filing (`filed_at` is the step's time, always in the past). The demo has
reports in every state, one filed late, one released by the notice to the 委託元, one
overdue and one due within 24 hours whenever it is seeded (the showcase leak of 1,200
customers' addresses is timed in hours from the moment of seeding for that).

Idempotent: departments and users are keyed by code and username, each demo incident by
its title and reporter, each stand-alone action by its title. What exists is left as it
is; each story is created in one transaction, so an interrupted run leaves no half story.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import SimpleNamespace

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Count, F, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm_log.models import StateLog

from incidents import services
from incidents.exceptions import ConditionsNotMet
from incidents.models import (
    Action,
    ActionState,
    CauseCategory,
    Department,
    EventClass,
    Incident,
    IncidentState,
    ReferenceCounter,
    ReportingTrack,
    TrackState,
    UserProfile,
)
from incidents.models.incident import list_separator
from incidents.roles import Role
from incidents.selectors import trail

PASSWORD = "demo-pass-2026"
EMAIL_DOMAIN = "ine.example"

# code, name, username of the head
DEPARTMENTS = [
    ("SALES", "営業部", "head_sales"),
    ("CS", "カスタマーサポート部", "head_cs"),
    ("HR", "人事部", "head_hr"),
    ("IT", "情報システム部", "head_it"),
    ("GA", "総務部", "head_ga"),
    ("PMS", "個人情報保護推進室", "manager"),
]


@dataclass(frozen=True)
class DemoUser:
    username: str
    last_name: str
    first_name: str
    department: str
    roles: tuple[str, ...]
    post: str  # the job title shown in the logins table
    is_staff: bool = False
    is_superuser: bool = False


# The PMS office (manager, office) gets is_staff for the admin's reference data.
USERS = [
    DemoUser("staff", "佐藤", "花子", "SALES", ("staff",), "営業部 営業担当"),
    DemoUser("manager", "高橋", "誠", "PMS", ("staff", "pms_manager"), "個人情報保護推進室長（個人情報保護管理者）",
             is_staff=True),
    DemoUser("office", "田中", "美咲", "PMS", ("staff", "pms_manager"), "個人情報保護推進室（事務局）", is_staff=True),
    DemoUser("head_sales", "鈴木", "一郎", "SALES", ("staff", "department_head"), "営業部長"),
    DemoUser("head_cs", "伊藤", "直美", "CS", ("staff", "department_head"), "カスタマーサポート部長"),
    DemoUser("head_hr", "山本", "恵子", "HR", ("staff", "department_head"), "人事部長"),
    DemoUser("head_it", "渡辺", "健太", "IT", ("staff", "department_head"), "情報システム部長"),
    DemoUser("head_ga", "中村", "浩", "GA", ("staff", "department_head"), "総務部長"),
    DemoUser("auditor", "小林", "大輔", "HR", ("staff", "auditor"), "人事部（内部監査員）"),
    DemoUser("auditlead", "加藤", "裕子", "GA", ("staff", "audit_lead"), "総務部（個人情報保護監査責任者）"),
    DemoUser("executive", "山田", "太郎", "GA", ("executive",), "代表取締役社長（トップマネジメント）"),
    DemoUser("admin", "システム", "管理者", "IT", (), "情報システム部（システム管理者）", is_staff=True,
             is_superuser=True),
]


# ---------------------------------------------------------------------------
# The stories. Times are in days: `days_ago` dates the discovery; every step's `at` counts
# from the discovery. Pick-list values are codes; users are usernames.


@dataclass
class Story:
    title: str
    reporter: str
    department: str
    kind: str
    days_ago: float
    description: str
    report: dict = field(default_factory=dict)
    occurred: float | None = None  # days before the discovery
    reported: float = 0.02  # days after the discovery
    steps: list[tuple] = field(default_factory=list)
    # The discovery this many hours before the seed runs, to the minute, instead of
    # `days_ago` at 10:30: for clocks that must be "due within 24 hours" whenever it runs.
    hours_ago: float | None = None


def step(name, by, at, comment="", **changes):
    """An incident transition."""
    return ("incident", name, by, at, comment, changes)


def plan(key, by, at, **fields):
    """An action created for the story's incident; `due` counts days from the discovery."""
    return ("plan", key, by, at, fields)


def act(key, name, by, at, comment="", **changes):
    """A transition of one of the story's actions."""
    return ("action", key, name, by, at, comment, changes)


def edit(by, at, **fields):
    """The PMS office completes the incident (services.incident_update), e.g. the PPC report items."""
    return ("edit", by, at, fields)


def file(kind, by, at, comment="", **changes):
    """A report recorded as filed at `at` (its filed_at), with the recipient's reference."""
    return ("track", kind, "file", by, at, comment, changes)


def not_required(kind, by, at, reason, comment=""):
    """A person decided that a report is not owed, and why."""
    return ("track", kind, "not_required", by, at, comment, {"not_required_reason": reason})


STORIES = [
    Story(
        title="顧客向け案内メールのCC誤送信（メールアドレス38件）",
        reporter="staff", department="SALES", kind="leak", days_ago=340, occurred=0.1,
        description=(
            "新商品の案内メールを顧客38名に一斉送信した際、BCCではなくCCに宛先を入力したため、"
            "受信者全員に他の受信者のメールアドレスが表示された。送信直後に顧客1名からの指摘で判明した。"
        ),
        report={"data_items": "氏名（メールアドレスの表示名）、メールアドレス", "affected_count": 38},
        steps=[
            step("triage", "manager", 0.1, "個人情報の漏えいとして初動対応を開始。営業部長に状況確認を依頼。",
                 severity="L2", kind="leak", event_class="mis_sending"),
            step("contain", "manager", 1, "受信者への連絡と削除依頼を完了。",
                 containment_summary="受信者38名全員に電話とメールでお詫びし、当該メールの削除を依頼した。"
                                     "38名全員から削除完了の回答を得た。",
                 correction_taken="お詫び文の送付と削除依頼。"),
            step("analyse", "manager", 5, "",
                 root_cause="一斉送信を通常のメールソフトで手作業により行っており、"
                            "送信前の宛先確認手順がなかった。",
                 cause="insufficient_checking"),
            plan("delivery", "manager", 5, kind="corrective", title="顧客への一斉送信をメール配信システムに限定",
                 department="IT", owner="head_it", verifier="manager", due=45),
            plan("procedure", "manager", 5, kind="corrective",
                 title="メール送信手順書の改訂（外部宛て一斉送信の宛先確認）",
                 department="PMS", owner="manager", verifier="office", due=30),
            plan("training", "manager", 5.5, kind="preventive", title="全社員向け誤送信防止教育の実施",
                 department="HR", owner="head_hr", verifier="auditor", due=60),
            step("plan_actions", "manager", 6, "是正処置2件と予防処置1件を計画。"),
            act("delivery", "start", "head_it", 7),
            act("procedure", "start", "manager", 7),
            act("training", "start", "head_hr", 10),
            file("pmark_final", "office", 14, "審査機関の事故報告書の様式で報告した。",
                 recipient_reference="審査機関 受付番号 PM-{year}-0412", method="email",
                 filing_note="漏えい38名（メールアドレス）。全員から削除完了の回答を得たこと、"
                             "再発防止策（配信システムへの限定、手順書の改訂）を記載した。"),
            act("procedure", "implement", "manager", 20,
                implementation_note="メール送信手順書を改訂し、外部宛て一斉送信時のBCC確認と"
                                    "送信前の上長確認を追加した。全部署に周知済み。"),
            act("delivery", "implement", "head_it", 40,
                implementation_note="メール配信システムを導入し、顧客への一斉送信は配信システム経由に限定した。"
                                    "メールソフトの宛先上限を10件に設定。"),
            act("training", "implement", "head_hr", 55,
                implementation_note="全社員112名を対象にeラーニングで誤送信防止教育を実施。受講率100%。"),
            step("verify", "manager", 56, "全処置の実施を確認。有効性確認に移行。"),
            act("procedure", "verify_effective", "office", 100,
                effectiveness_note="改訂後3か月間、外部宛て一斉送信での誤送信ゼロ。手順の遵守を抜き取りで確認した。"),
            act("delivery", "verify_effective", "manager", 100,
                effectiveness_note="配信システムの送信ログを確認し、手作業による一斉送信がないことを確認した。"),
            act("training", "verify_effective", "auditor", 101,
                effectiveness_note="理解度テストの平均点92点。基準未達の3名は再受講済み。"),
            step("close", "office", 105, "全処置の有効性を確認し、完了とする。"),
        ],
    ),
    Story(
        title="顧客対応記録を保存したUSBメモリの紛失",
        reporter="head_cs", department="CS", kind="loss", days_ago=290, occurred=2,
        description=(
            "出張先の研修で使用したUSBメモリ（暗号化機能付き）を、帰社後に紛失していることに気付いた。"
            "顧客からの問合せ対応記録250件が保存されていた。移動経路と研修会場に問い合わせたが発見に至っていない。"
        ),
        report={"data_items": "氏名、電話番号、問合せ内容", "affected_count": 250, "strongly_encrypted": True},
        steps=[
            step("triage", "manager", 0.2, "暗号化済みのため報告対象事態には該当しない見込み。審査機関への報告要否を確認する。",
                 severity="L2", kind="loss", event_class="loss_damage"),
            step("contain", "manager", 3, "",
                 containment_summary="研修会場と交通機関に問い合わせ、警察に遺失届を提出した。"
                                     "USBメモリはハードウェア暗号化製品で、パスワードは本人のみが保持していることを確認した。",
                 correction_taken="遺失届の提出。"),
            step("analyse", "manager", 8, "",
                 root_cause="外部記録媒体の持出し時に管理台帳への記録と返却確認が行われていなかった。"
                            "業務上USBメモリを使う必要がないにもかかわらず、慣習的に使用していた。",
                 cause="rule_breach"),
            plan("no_usb", "manager", 8, kind="corrective", title="外部記録媒体の書込み禁止とクラウドストレージへの移行",
                 department="IT", owner="head_it", verifier="office", due=60),
            plan("ledger", "head_cs", 9, kind="preventive", title="外部記録媒体の持出し管理台帳の運用徹底",
                 department="CS", owner="head_cs", verifier="manager", due=30),
            step("plan_actions", "manager", 10),
            act("ledger", "start", "head_cs", 10),
            act("no_usb", "start", "head_it", 12),
            file("pmark_final", "manager", 20, "",
                 recipient_reference="審査機関 受付番号 PM-{year}-0583", method="email",
                 filing_note="ハードウェア暗号化製品であり、個人情報保護委員会への報告対象事態には"
                             "該当しない旨を付記した。"),
            act("ledger", "implement", "head_cs", 25,
                implementation_note="持出し管理台帳を整備し、月次で部門長が台帳と現物を照合する運用を開始した。"),
            act("no_usb", "implement", "head_it", 50,
                implementation_note="資産管理ツールでUSBメモリへの書込みを禁止し、業務データを部門別のクラウドストレージに移行した。"),
            step("verify", "manager", 51),
            act("ledger", "verify_effective", "manager", 80, effectiveness_note="3か月分の台帳照合記録を確認。不一致なし。"),
            act("no_usb", "verify_ineffective", "office", 80,
                effectiveness_note="営業部の3台で書込み禁止が適用されていなかった（資産管理ツールの対象外端末）。"),
            act("no_usb", "implement", "head_it", 90,
                implementation_note="対象外だった3台を資産管理ツールに登録し、全端末で書込み禁止を適用した。"),
            act("no_usb", "verify_effective", "office", 110,
                effectiveness_note="全端末の適用状況レポートで書込み禁止を確認した。"),
            step("close", "manager", 115, "再実施分を含め、全処置の有効性を確認した。"),
        ],
    ),
    Story(
        title="FAX送信先番号の入力誤り（送信前に発見）",
        reporter="staff", department="SALES", kind="near_miss", days_ago=200, occurred=0.01,
        description=(
            "見積書をFAXで送信する際に番号を1桁誤って入力したが、送信前の読み上げ確認で同僚が気付き、"
            "送信を中止した。"
        ),
        report={"data_items": "見積書（会社名、担当者氏名）", "affected_count": 0},
        steps=[
            step("triage", "manager", 0.2, "ヒヤリハットとして記録する。", severity="L0", kind="near_miss",
                 event_class="mis_sending"),
            step("contain", "manager", 0.3, "", containment_summary="送信は行われておらず、封じ込めの必要はない。"),
            step("analyse", "manager", 3, "", root_cause="FAX番号を手入力しており、短縮ダイヤルが登録されていなかった。",
                 cause="operating_error"),
            plan("speed_dial", "manager", 3.5, kind="preventive", title="主要取引先FAX番号の短縮ダイヤル登録",
                 department="SALES", owner="head_sales", verifier="office", due=20),
            step("plan_actions", "manager", 4, "ヒヤリハットのため是正処置は不要。予防処置として短縮ダイヤル登録を行う。"),
            act("speed_dial", "start", "head_sales", 5),
            act("speed_dial", "implement", "head_sales", 12,
                implementation_note="主要取引先42社のFAX番号を複合機に登録し、手入力を原則禁止とした。"),
            step("verify", "manager", 13),
            act("speed_dial", "verify_effective", "office", 45, effectiveness_note="1か月間、手入力によるFAX送信なし。"),
            step("close", "office", 46),
        ],
    ),
    Story(
        title="顧客データベースの一括更新による住所データのき損",
        reporter="head_cs", department="CS", kind="damage", days_ago=250, occurred=1,
        description=(
            "住所変更の一括更新作業で、CSVファイルの列がずれたまま取り込んだため、顧客約150名の住所が"
            "別の顧客の住所で上書きされた。ダイレクトメール発送前の点検で判明した。"
        ),
        report={"data_items": "住所", "affected_count": 150, "affected_count_estimated": True},
        steps=[
            step("triage", "manager", 0.1, "ダイレクトメールの発送を停止。", severity="L1", kind="damage",
                 event_class="wrong_registration"),
            step("contain", "manager", 1, "",
                 containment_summary="ダイレクトメールの発送を停止し、前日のバックアップから該当150件の住所を復元した。",
                 correction_taken="バックアップからの復元。"),
            step("analyse", "manager", 5, "",
                 root_cause="一括更新の手順に、取込み前のデータ検証と更新後の抜取り確認がなかった。",
                 cause="operating_error"),
            plan("validation", "manager", 5, kind="corrective", title="一括更新ツールへの取込み前検証（列名・件数）の実装",
                 department="IT", owner="head_it", verifier="manager", due=45),
            step("plan_actions", "manager", 6),
            act("validation", "start", "head_it", 7),
            act("validation", "implement", "head_it", 35,
                implementation_note="取込み前に列名と件数を検証し、不一致の場合は取込みを中止する機能を実装した。"),
            step("verify", "manager", 36),
            file("pmark_final", "office", 45, "期限を過ぎての報告となった。",
                 recipient_reference="審査機関 受付番号 PM-{year}-0731", method="email",
                 filing_note="期限を過ぎての報告となった。影響を受けた顧客の特定（150名）に時間を要したこと、"
                             "報告期限の管理を個人情報保護推進室で一元化することを報告書に記載した。"),
            act("validation", "verify_effective", "manager", 70,
                effectiveness_note="2か月間の一括更新12回で、検証機能が正常に動作したことを確認した。"),
            step("close", "office", 72, "完了。"),
            step("reopen", "manager", 200,
                 "同様の住所上書きが再発した（画面からの個別更新で発生）。一括更新以外の更新経路も是正の対象とするため再開する。"),
            plan("confirm_screen", "manager", 201, kind="corrective", title="個別更新画面への変更前後の確認表示の追加",
                 department="IT", owner="head_it", verifier="office", due=270),
            plan("cs_training", "manager", 202, kind="improvement", title="顧客データ更新手順の教育（カスタマーサポート部）",
                 department="CS", owner="head_cs", verifier="auditor", due=260),
            act("confirm_screen", "start", "head_it", 205, "開発会社に見積りを依頼済み。"),
        ],
    ),
    Story(
        title="クリアデスク規程違反（申込書の机上放置）",
        reporter="head_cs", department="CS", kind="violation", days_ago=120, occurred=0.5,
        description=(
            "終業後の点検で、顧客の申込書12件が施錠されないまま執務室の机上に放置されているのが見つかった。"
            "執務室は入館管理されており、外部への持出しは確認されていない。"
        ),
        report={"data_items": "氏名、住所、生年月日、口座番号", "affected_count": 12},
        steps=[
            step("triage", "manager", 0.3, "規程違反として対応する。漏えいは確認されていない。", severity="L1",
                 kind="violation", event_class="other"),
            step("contain", "manager", 1, "",
                 containment_summary="申込書を施錠保管庫に移し、12件全ての所在を確認した。",
                 correction_taken="担当者への注意喚起。"),
            not_required("pmark_final", "manager", 3,
                         "申込書12件は入館管理された執務室内にあり、全件の所在を確認した。第三者による閲覧や"
                         "持出しの事実はなく、漏えい等の事故には該当しないため、審査機関への報告は要しないと判断した。"
                         "社内の是正処置として管理する。"),
            step("analyse", "manager", 7, "",
                 root_cause="施錠できる保管庫が不足しており、処理途中の書類を机上に置く慣習があった。"
                            "終業時のクリアデスク確認が形骸化していた。",
                 cause="rule_breach"),
            plan("cabinet", "manager", 7, kind="corrective", title="施錠キャビネットの増設",
                 department="GA", owner="head_ga", verifier="manager", due=40),
            plan("camera", "manager", 7, kind="corrective", title="執務室への監視カメラの設置",
                 department="GA", owner="head_ga", verifier="office", due=60),
            plan("checklist", "head_cs", 8, kind="preventive", title="終業時クリアデスク点検のチェックリスト化",
                 department="CS", owner="head_cs", verifier="auditor", due=30),
            step("plan_actions", "manager", 9),
            act("checklist", "start", "head_cs", 9),
            act("cabinet", "start", "head_ga", 10, "見積りを取得中。"),
            act("camera", "cancel", "manager", 12,
                cancel_reason="施錠キャビネットの増設と終業時点検で対応できるため、監視カメラは不要と判断した。"),
            act("checklist", "implement", "head_cs", 28,
                implementation_note="終業時点検のチェックリストを作成し、毎日の点検結果を部門長が確認する運用を開始した。"),
            act("checklist", "verify_effective", "auditor", 70, effectiveness_note="2か月分の点検記録を確認。放置事例なし。"),
        ],
    ),
    Story(
        title="会員登録フォームの改ざん（Webスキミング）による入力情報の漏えいのおそれ",
        reporter="head_it", department="IT", kind="leak", days_ago=80, occurred=21,
        description=(
            "会員向けWebサイトの会員登録フォームに、CMSプラグインの脆弱性を突いて不正なJavaScriptが埋め込まれ、"
            "入力された氏名・住所・電話番号・メールアドレスが外部のサーバーに送信されていたおそれがあることが、"
            "セキュリティ関連機関からの連絡で判明した。改ざんされていた約3週間の会員登録者は430名。"
            "データベースに登録済みの会員情報への不正アクセスは確認されていない。"
        ),
        report={
            "data_items": "氏名、住所、電話番号、メールアドレス（会員登録フォームへの入力内容。クレジットカード情報は扱っていない）",
            "affected_count": 430, "suspected_unauthorized_purpose": True, "data_in_collection": True,
        },
        steps=[
            step("triage", "manager", 0.1,
                 "報告対象事態（規則第7条第3号。2024年4月施行の改正により、取得中の個人情報も対象）に該当。"
                 "確報の期限は60日。個人情報保護委員会への速報を準備する。経営層に報告済み。",
                 severity="L3", kind="leak", event_class="unauthorized_access"),
            step("contain", "manager", 1, "",
                 containment_summary="会員登録フォームを停止して不正なスクリプトを除去し、改ざんされたファイルを"
                                     "バックアップから復元した。外部送信先のドメインへの通信を遮断した。",
                 correction_taken="脆弱なプラグインを削除し、サイトを再構築して再開した。"),
            edit("manager", 1.5,
                 discovery_route="セキュリティ関連機関から、当社の会員登録フォームに不審なスクリプトが埋め込まれて"
                                 "いるとの連絡を受け、情報システム部が調査して判明した。",
                 secondary_harm="現時点で二次被害の報告はない。取得された情報を悪用したフィッシングメールや"
                                "不審な電話のおそれがある。",
                 subject_response="対象の会員430名へのお詫びと注意喚起の通知を準備中。専用の問合せ窓口を開設した。",
                 publication="当社Webサイトにお知らせを掲載した（個人を特定できる情報は含めていない）。",
                 recurrence_prevention="調査中。改ざんの原因となったプラグインは削除済み。",
                 other_information="警察（サイバー犯罪相談窓口）に相談済み。"),
            file("ppc_preliminary", "manager", 2, "判明している事項で速報した。",
                 recipient_reference="PPC受付番号 {year}-0038412", method="online_form",
                 filing_note="個人情報保護委員会の漏えい等報告フォームにより速報。人数は改ざん期間の登録者数による。"),
            file("pmark_preliminary", "office", 2.2, "",
                 recipient_reference="審査機関 受付番号 PM-{year}-0977", method="email",
                 filing_note="個人情報保護委員会への速報の写しを添付して報告した。"),
            file("data_subjects", "office", 6, "",
                 method="notice",
                 filing_note="対象の会員430名に、メールと書面でお詫び、経緯、不審な連絡への注意喚起、"
                             "問合せ窓口を通知した。"),
            step("analyse", "manager", 12, "",
                 root_cause="CMSプラグインの既知の脆弱性（修正版の公開から4か月経過）が未適用だった。"
                            "パッチ適用の担当と期限が定められていなかった。",
                 cause="missing_patch"),
            plan("plugins", "manager", 12, kind="correction", title="会員サイトの全プラグインを最新版に更新",
                 department="IT", owner="head_it", verifier="office", due=20),
            plan("waf", "manager", 12, kind="corrective", title="WAFの導入と脆弱性診断の定期実施（四半期ごと）",
                 department="IT", owner="head_it", verifier="manager", due=60),
            plan("patch_rule", "manager", 13, kind="preventive",
                 title="外部公開システムの脆弱性管理手順の策定（委託先を含む）",
                 department="PMS", owner="office", verifier="auditor", due=60),
            act("plugins", "start", "head_it", 13),
            step("plan_actions", "manager", 14),
            act("waf", "start", "head_it", 15),
            act("patch_rule", "start", "office", 15),
            act("plugins", "implement", "head_it", 16,
                implementation_note="全プラグインを最新版に更新し、不要なプラグイン5件を削除した。"),
            act("plugins", "verify_effective", "office", 30,
                effectiveness_note="脆弱性スキャンで既知の脆弱性が検出されないことを確認した。"),
            edit("manager", 40,
                 subject_response="対象の会員430名にメールと書面でお詫びと経緯を通知し、不審な連絡への注意を"
                                  "呼びかけた。問合せ窓口への問合せは57件で、二次被害の申出はない。",
                 recurrence_prevention="CMSと全プラグインの更新（実施済み）、WAFの導入と四半期ごとの脆弱性診断、"
                                       "委託先を含む脆弱性管理手順の制定（実施中）。",
                 other_information="警察（サイバー犯罪相談窓口）に相談済み。改ざんされていたのは会員登録フォームのみで、"
                                   "登録済みの会員データベースへの不正アクセスはフォレンジック調査で否定された。"),
            file("ppc_final", "manager", 45, "確報を提出した。",
                 recipient_reference="PPC受付番号 {year}-0038412（確報）", method="online_form",
                 filing_note="速報と同じ受付番号で確報。原因と再発防止策（実施済み・実施予定）を報告した。"),
            file("pmark_final", "office", 46, "",
                 recipient_reference="審査機関 受付番号 PM-{year}-0977（確報）", method="email",
                 filing_note="個人情報保護委員会への確報の写しを添付した。"),
            act("waf", "implement", "head_it", 55,
                implementation_note="WAFを導入し、初回の外部脆弱性診断を実施した。高リスクの指摘なし。"),
            act("patch_rule", "implement", "office", 60,
                implementation_note="脆弱性情報の収集・評価・適用期限を定めた手順書を制定し、"
                                    "情報システム部と委託先に周知した。"),
            step("verify", "manager", 62, "全処置の実施を確認。WAFの運用とパッチの適用状況を3か月間確認する。"),
        ],
    ),
    Story(
        title="受託業務（通販コールセンター）の顧客リストの誤送信",
        reporter="head_cs", department="CS", kind="leak", days_ago=100, occurred=0.05,
        description=(
            "通信販売事業者から受託しているコールセンター業務で、委託元の顧客1,500名分の氏名・住所・電話番号・"
            "購入履歴を含むファイルを、別の取引先の担当者宛てのメールに誤って添付して送信した。"
            "送信から約1時間後に送信者本人が気付いた。"
        ),
        report={
            "data_items": "氏名、住所、電話番号、購入履歴（委託元の顧客情報）",
            "affected_count": 1500, "entrusted_by": "株式会社みどり通販",
        },
        steps=[
            step("triage", "manager", 0.05,
                 "委託元から預かった個人データの漏えい（1,000人超）。委託元へ直ちに通知する。",
                 severity="L3", kind="leak", event_class="mis_sending"),
            file("entrusting_party", "manager", 0.1, "委託元に電話で第一報を入れ、同日中に報告書をメールで送付した。",
                 recipient_reference="株式会社みどり通販 個人情報保護管理者 山口様（受領の返信あり）", method="email",
                 filing_note="規則第9条により、判明している事項（概要、項目、人数、原因の見込み）を通知した。"
                             "個人情報保護委員会への報告と本人への通知は委託元が行う。"),
            step("contain", "manager", 0.5, "",
                 containment_summary="誤送信先の担当者に連絡してメールと添付ファイルの削除を依頼し、削除したことと"
                                     "第三者に転送していないことを書面で確認した。",
                 correction_taken="誤送信先からの削除確認書の取得。"),
            file("pmark_preliminary", "office", 2, "",
                 recipient_reference="審査機関 受付番号 PM-{year}-1204", method="email",
                 filing_note="委託元への通知済みであることを付記した。"),
            edit("manager", 3,
                 discovery_route="送信から約1時間後、送信者本人が送信済みメールを確認して気付き、"
                                 "カスタマーサポート部長に報告した。",
                 secondary_harm="誤送信先は当社の別の取引先で、ファイルの削除と第三者への転送がないことを書面で"
                                "確認しており、二次被害のおそれは低い。",
                 subject_response="本人への通知は委託元が行う。当社は通知文の作成と問合せ対応に協力した。",
                 publication="委託元の判断により公表は行わない。",
                 recurrence_prevention="委託元ごとの作業フォルダとメールアカウントの分離、外部宛ての添付ファイル"
                                       "送信時の上長承認の導入。",
                 other_information="当社は委託先として取り扱っていた。委託元への通知により、個人情報保護委員会への"
                                   "報告と本人への通知は委託元が行う（法第26条第1項ただし書、第2項）。"),
            step("analyse", "manager", 7, "",
                 root_cause="委託元ごとのファイルが同じ共有フォルダに置かれ、メールへの添付時にファイル名だけで"
                            "選んでいた。外部宛てに添付ファイルを送る際の確認の手順がなかった。",
                 cause="insufficient_checking"),
            plan("separate", "manager", 7, kind="corrective",
                 title="委託元ごとの作業フォルダとメールアカウントの分離",
                 department="IT", owner="head_it", verifier="manager", due=40),
            plan("approval", "manager", 7, kind="corrective",
                 title="外部宛ての添付ファイル送信時の上長承認の導入（受託業務）",
                 department="CS", owner="head_cs", verifier="office", due=30),
            step("plan_actions", "manager", 8, "是正処置2件を計画。委託元に再発防止策を報告する。"),
            act("separate", "start", "head_it", 9),
            act("approval", "start", "head_cs", 9),
            file("pmark_final", "office", 20, "",
                 recipient_reference="審査機関 受付番号 PM-{year}-1204（確報）", method="email",
                 filing_note="原因と再発防止策を報告した。"),
            act("approval", "implement", "head_cs", 25,
                implementation_note="メール送信システムで、外部宛ての添付ファイル付きメールは上長の承認後に"
                                    "送信される設定とした。"),
            act("separate", "implement", "head_it", 38,
                implementation_note="委託元ごとに作業フォルダとメールアカウントを分け、他の委託元のフォルダには"
                                    "アクセスできない権限設定とした。"),
            step("verify", "manager", 40),
            act("approval", "verify_effective", "office", 70,
                effectiveness_note="1か月間の承認記録を確認し、添付ファイル付きの外部宛てメール全件が承認を経て"
                                   "送信されていることを確認した。"),
            act("separate", "verify_effective", "manager", 70,
                effectiveness_note="権限設定を抜き取りで確認し、他の委託元のフォルダにアクセスできないことを確認した。"),
            step("close", "manager", 75, "委託元に再発防止策の実施結果を報告し、完了とする。"),
        ],
    ),
    Story(
        title="不審な営業メールの受信（顧客情報の流出を懸念）",
        reporter="staff", department="SALES", kind="other", days_ago=60,
        description=(
            "当社の顧客名を記載した不審な営業メールを受信した。当社から顧客情報が流出したのではないかと"
            "心配になり報告した。"
        ),
        steps=[
            step("dismiss", "manager", 1.5, "PMSの対象外として記録を終える。",
                 dismissal_reason="調査の結果、メールに記載された顧客名は当該顧客の公開Webサイトから取得されたものと判断した。"
                                  "当社からの漏えいを示す事実はない。迷惑メールとして情報システム部でブロック済み。"),
        ],
    ),
    Story(
        title="共有フォルダのアクセス権設定不備（人事評価ファイル）",
        reporter="head_hr", department="HR", kind="weakness", days_ago=45,
        description=(
            "人事部の共有フォルダの一部に全社員が閲覧できるアクセス権が設定されており、人事評価ファイルが"
            "他部署から閲覧できる状態だったことが定期点検で判明した。アクセスログ上、他部署からの閲覧は"
            "確認されていない。"
        ),
        report={"data_items": "氏名、社員番号、人事評価", "affected_count": 85},
        steps=[
            step("triage", "manager", 0.2, "弱点として対応する。", severity="L1", kind="weakness", event_class="other"),
            step("contain", "manager", 1, "",
                 containment_summary="当該フォルダのアクセス権を人事部のみに修正し、他部署からのアクセス履歴がないことを"
                                     "ログで確認した。",
                 correction_taken="アクセス権の修正。"),
            not_required("pmark_final", "manager", 2,
                         "アクセスログの調査で、他部署の社員による人事評価ファイルの閲覧がないことを確認した。"
                         "個人情報の漏えい等は発生しておらず、弱点の発見として社内で是正するため、"
                         "審査機関への報告は要しないと判断した。"),
            step("analyse", "manager", 10, "",
                 root_cause="フォルダ作成時に上位フォルダの権限が継承される設定を見落とした。"
                            "アクセス権の定期的な棚卸しが行われていなかった。",
                 cause="access_control_gap"),
            plan("inventory", "manager", 11, kind="corrective", title="全共有フォルダのアクセス権棚卸し",
                 department="IT", owner="head_it", verifier="office", due=60),
            plan("review_rule", "manager", 11, kind="preventive", title="アクセス権の半期ごとの棚卸し手順の制定",
                 department="HR", owner="head_hr", verifier="manager", due=90),
        ],
    ),
    Story(
        title="不審なメールの添付ファイル開封によるマルウェア感染の疑い",
        reporter="staff", department="SALES", kind="other", days_ago=20, occurred=0.02,
        description=(
            "取引先を装ったメールの添付ファイルを開封した直後、PCの動作が不安定になった。"
            "ウイルス対策ソフトが不審なプログラムを検知したため、情報システム部に連絡した。"
        ),
        report={"data_items": "営業部の顧客リスト（PC内に保存）"},
        steps=[
            step("triage", "manager", 0.05, "外部への送信の有無を調査する。", severity="L1", kind="other",
                 event_class="malware"),
            step("contain", "manager", 0.5, "",
                 containment_summary="当該PCをネットワークから隔離し、調査会社にフォレンジック調査を依頼した。"
                                     "プロキシのログ上、外部への不審な通信は確認されていない。",
                 correction_taken="PCの初期化と再セットアップ。"),
        ],
    ),
    Story(
        title="社用スマートフォンの紛失",
        reporter="head_sales", department="SALES", kind="loss", days_ago=6, occurred=0.1,
        description=(
            "外出先からの帰社途中に社用スマートフォンを紛失した。端末には顧客の連絡先約300件が登録されている。"
            "画面ロックは設定済み。"
        ),
        report={"data_items": "氏名、電話番号、メールアドレス（連絡先）", "affected_count": 300,
                "affected_count_estimated": True},
        steps=[
            step("triage", "manager", 0.1, "MDMによる遠隔ロックを指示。遺失届の提出を依頼した。", severity="L2",
                 kind="loss", event_class="loss_damage"),
        ],
    ),
    Story(
        title="健康診断結果の誤配付（別の社員宛て）",
        reporter="head_hr", department="HR", kind="leak", days_ago=7, occurred=1,
        description=(
            "定期健康診断の結果通知書を社内便で配付した際、社員1名の結果通知書が同姓の別の社員の席に届けられ、"
            "受け取った社員が開封していたことが、受け取った社員からの申告で判明した。"
        ),
        report={
            "data_items": "氏名、社員番号、健康診断結果（既往歴、検査値）", "affected_count": 1,
            "involves_sensitive_data": True,
        },
        steps=[
            step("triage", "manager", 0.1,
                 "要配慮個人情報の漏えい（規則第7条第1号）。1名でも個人情報保護委員会への報告対象となる。",
                 severity="L3", kind="leak", event_class="misdelivery"),
            step("contain", "manager", 0.4, "",
                 containment_summary="受け取った社員から結果通知書を回収し、複写・撮影・第三者への開示がないことを"
                                     "確認した。",
                 correction_taken="結果通知書を本人に手渡しで届け直した。"),
            file("data_subjects", "office", 1, "",
                 method="notice",
                 filing_note="人事部長と個人情報保護推進室長が本人と面談し、経緯を説明して謝罪した（面談記録あり）。"),
            edit("manager", 2,
                 discovery_route="誤って結果通知書を受け取った社員が人事部に申し出て判明した。",
                 secondary_harm="受け取った社員は内容を一部閲覧したが、複写・撮影・第三者への開示はないことを"
                                "確認した。二次被害のおそれは低い。",
                 subject_response="人事部長と個人情報保護推進室長が本人と面談し、経緯を説明して謝罪した。",
                 publication="本人1名の事案であり、本人の権利利益の保護のため公表は行わない。",
                 recurrence_prevention="健康診断結果の配付を、社内便から本人への手渡しまたは本人限定の電子配付に"
                                       "変更する。",
                 other_information="産業医に報告済み。"),
            file("ppc_preliminary", "manager", 3, "速報を提出した。審査機関への速報は未提出。",
                 recipient_reference="PPC受付番号 {year}-0051270", method="online_form",
                 filing_note="個人情報保護委員会の漏えい等報告フォームにより速報。"),
        ],
    ),
    Story(
        title="配送管理システムへの不正アクセスによる顧客住所の漏えいのおそれ",
        reporter="head_it", department="IT", kind="leak", days_ago=2.5, hours_ago=60, occurred=0.3,
        description=(
            "配送管理システム（クラウドサービス）の管理者アカウントに海外のIPアドレスから不正にログインされ、"
            "顧客1,200名分の氏名・住所・電話番号を含む配送先データがCSV形式でエクスポートされていたことが判明した。"
            "他のサービスから流出したパスワードの使い回しによる不正ログインの疑いがある。"
        ),
        report={
            "data_items": "氏名、住所、電話番号（配送先情報。クレジットカード情報は含まない）",
            "affected_count": 1200, "suspected_unauthorized_purpose": True,
        },
        steps=[
            step("triage", "manager", 0.1,
                 "報告対象事態（規則第7条第3号・第4号）。速報は3日以内を目標に、遅くとも5日以内。"
                 "確報は第3号に当たるため60日以内。経営層に報告済み。",
                 severity="L3", kind="leak", event_class="unauthorized_access"),
            edit("manager", 0.5,
                 discovery_route="配送管理システムから届いた「新しい場所からのログイン」の通知メールを確認した"
                                 "情報システム部員が、管理者アカウントへの身に覚えのないログインに気付き、"
                                 "操作ログを調査して判明した。",
                 secondary_harm="現時点で二次被害は確認されていない。住所と電話番号を悪用した詐欺の電話や"
                                "郵便物、なりすましのおそれがある。",
                 subject_response="対象の顧客1,200名への通知文（お詫び、経緯、不審な連絡への注意喚起、"
                                  "問合せ窓口）を準備中。",
                 publication="本人への通知とあわせて当社Webサイトで公表する予定（個人を特定できる情報は含めない）。",
                 recurrence_prevention="全管理者アカウントに多要素認証を設定済み。管理画面へのアクセス元の制限と、"
                                       "パスワードの使い回し禁止の徹底を検討中。",
                 other_information="クラウドサービス事業者に操作ログの保全を依頼済み。警察への相談を予定している。"),
            step("contain", "manager", 1, "",
                 containment_summary="不正にログインされた管理者アカウントを停止してパスワードを変更し、"
                                     "全管理者アカウントに多要素認証を設定した。不正ログイン元のIPアドレスからの"
                                     "アクセスを遮断した。",
                 correction_taken="配送管理システムの全アカウントのパスワードを再設定した。"),
        ],
    ),
    Story(
        title="請求書の誤送付（別の顧客宛て）",
        reporter="staff", department="SALES", kind="leak", days_ago=2, occurred=3,
        description="A社宛ての請求書を封入する際にB社の請求書を同封して郵送したことが、A社からの連絡で判明した。",
        report={"data_items": "会社名、担当者氏名、請求金額", "affected_count": 1},
    ),
]


@dataclass
class StandaloneAction:
    """An action raised outside an incident (for example by a management review)."""

    title: str
    by: str
    days_ago: float
    fields: dict
    steps: list[tuple] = field(default_factory=list)  # (name, by, at, comment, changes)


STANDALONE_ACTIONS = [
    StandaloneAction(
        title="個人情報保護教育のeラーニング化（マネジメントレビューの決定事項）",
        by="manager", days_ago=300,
        fields={"kind": "improvement", "department": "HR", "owner": "head_hr", "verifier": "manager", "due": 90,
                "description": "前年度のマネジメントレビューで、教育の受講率向上のため決定した改善。"},
        steps=[
            ("start", "head_hr", 5, "", {}),
            ("implement", "head_hr", 80, "",
             {"implementation_note": "eラーニングシステムを導入し、年次教育をオンライン化した。"}),
            ("verify_effective", "manager", 140, "",
             {"effectiveness_note": "年次教育の受講率が前年度の87%から100%に向上した。"}),
        ],
    ),
    StandaloneAction(
        title="委託先の個人情報取扱い状況の年次評価",
        by="manager", days_ago=30,
        fields={"kind": "improvement", "department": "PMS", "owner": "office", "verifier": "auditlead", "due": 60,
                "description": "委託先12社について、契約内容と安全管理措置の実施状況を年1回評価する。"},
    ),
]


# ---------------------------------------------------------------------------


class Command(BaseCommand):
    help = "Load the demo company 株式会社INE: departments, users for every role, a year of records."

    # The demo users; the audits app's seed_demo (which extends this command) adds its own.
    demo_users: list[DemoUser] = USERS

    def handle(self, *args, **options):
        self.now = timezone.now()
        self.created = {"departments": 0, "users": 0, "incidents": 0, "actions": 0}
        self.new_records: dict[type, list[int]] = {Incident: [], Action: []}
        departments = self.seed_departments()
        self.users = self.seed_users(departments)
        self.assign_heads(departments)
        self.departments = departments
        for story in sorted(STORIES, key=lambda s: -s.days_ago):
            self.seed_story(story)
        for standalone in STANDALONE_ACTIONS:
            self.seed_standalone_action(standalone)
        self.seed_more()
        self.renumber(Incident, self.new_records[Incident])
        self.renumber(Action, self.new_records[Action])
        self.print_summary()

    def seed_more(self) -> None:
        """Where a command extending this one (the audits app's seed_demo) adds its records:
        after the incidents and actions, before the numbers are put in date order."""

    # --- organisation

    def seed_departments(self) -> dict[str, Department]:
        departments = {}
        for code, name, _head in DEPARTMENTS:
            department, created = Department.objects.get_or_create(code=code, defaults={"name": name})
            self.created["departments"] += created
            departments[code] = department
        return departments

    def seed_users(self, departments) -> dict:
        User = get_user_model()
        groups = {group.name: group for group in Group.objects.filter(name__in=[r.value for r in Role])}
        missing = {role for demo in self.demo_users for role in demo.roles} - set(groups)
        if missing:
            raise CommandError(_("Role groups are missing (run migrate first): %(names)s")
                               % {"names": ", ".join(sorted(missing))})
        users = {}
        for demo in self.demo_users:
            user, created = User.objects.get_or_create(
                username=demo.username,
                defaults={
                    "last_name": demo.last_name, "first_name": demo.first_name,
                    "email": f"{demo.username}@{EMAIL_DOMAIN}",
                    "is_staff": demo.is_staff, "is_superuser": demo.is_superuser,
                },
            )
            if created:
                user.set_password(PASSWORD)
                user.save(update_fields=["password"])
                self.created["users"] += 1
            user.groups.add(*(groups[role] for role in demo.roles))
            UserProfile.objects.get_or_create(user=user, defaults={"department": departments[demo.department]})
            users[demo.username] = user
        return users

    def assign_heads(self, departments) -> None:
        for code, _name, head in DEPARTMENTS:
            department = departments[code]
            if department.head_id is None:
                department.head = self.users[head]
                department.save(update_fields=["head"])

    # --- stories

    def seed_story(self, story: Story) -> None:
        reporter = self.users[story.reporter]
        if Incident.objects.filter(title=story.title, reporter=reporter).exists():
            return
        if story.hours_ago is not None:
            discovered_at = (self.now - dt.timedelta(hours=story.hours_ago)).replace(second=0, microsecond=0)
        else:
            discovered_at = self.local_time(story.days_ago)
        with transaction.atomic():
            data = dict(story.report)
            reported_at = self.at(discovered_at, story.reported)
            with self.dated(reported_at) as new_entries:
                incident = services.incident_report(
                    reporter=reporter,
                    title=story.title,
                    description=story.description,
                    department=self.departments[story.department],
                    kind=story.kind,
                    discovered_at=discovered_at,
                    occurred_at=discovered_at - dt.timedelta(days=story.occurred)
                    if story.occurred is not None else None,
                    **data,
                )
                new_entries.incident = incident
            self.backdate_creation(incident, "INC", reported_at)
            last = {incident.pk: reported_at}
            actions: dict[str, Action] = {}
            for entry in story.steps:
                kind, *rest = entry
                if kind == "incident":
                    name, by, at, comment, changes = rest
                    when = self.at(discovered_at, at)
                    with self.dated(when, incident=incident):
                        incident = self.transition(incident, name, by, when, comment, changes, story=story)
                    last[incident.pk] = when
                elif kind == "edit":
                    by, at, fields = rest
                    when = self.at(discovered_at, at)
                    with self.dated(when, incident=incident):
                        incident = services.incident_update(incident=incident, by=self.users[by], **fields)
                    last[incident.pk] = when
                elif kind == "track":
                    track_kind, name, by, at, comment, changes = rest
                    when = self.at(discovered_at, at)
                    track = incident.tracks.get(kind=track_kind)
                    if name == "file":
                        changes = {"filed_at": when, **changes}
                        changes["recipient_reference"] = changes.get("recipient_reference", "").format(
                            year=timezone.localtime(when).year
                        )
                    with self.dated(when, incident=incident):
                        self.transition(track, name, by, when, comment, changes, story=story)
                elif kind == "plan":
                    key, by, at, fields = rest
                    when = self.at(discovered_at, at)
                    actions[key] = self.create_action(by, when, discovered_at, incident=incident, **fields)
                    last[("action", key)] = when
                else:
                    key, name, by, at, comment, changes = rest
                    when = self.at(discovered_at, at)
                    with self.dated(when, action=actions[key]):
                        actions[key] = self.transition(actions[key], name, by, when, comment, changes, story=story)
                    last[("action", key)] = when
            # Last changed: its last step, or a report change written to its trail after it.
            last_entry = trail(incident).last().timestamp
            Incident.objects.filter(pk=incident.pk).update(updated_at=max(last.pop(incident.pk), last_entry))
            for (_kind, key), when in last.items():
                Action.objects.filter(pk=actions[key].pk).update(updated_at=when)
        self.created["incidents"] += 1

    def seed_standalone_action(self, standalone: StandaloneAction) -> None:
        if Action.objects.filter(title=standalone.title, incident__isnull=True).exists():
            return
        created_at = self.local_time(standalone.days_ago)
        with transaction.atomic():
            action = self.create_action(standalone.by, created_at, created_at, title=standalone.title,
                                        **standalone.fields)
            when = created_at
            for name, by, at, comment, changes in standalone.steps:
                when = self.at(created_at, at)
                with self.dated(when, action=action):
                    action = self.transition(action, name, by, when, comment, changes)
            Action.objects.filter(pk=action.pk).update(updated_at=when)

    def create_action(self, by, when, origin, *, due, department, owner, verifier, **fields) -> Action:
        with self.dated(when) as new_entries:
            action = services.action_create(
                by=self.users[by],
                department=self.departments[department],
                owner=self.users[owner],
                verifier=self.users[verifier],
                due_date=timezone.localdate(origin + dt.timedelta(days=due)),
                **fields,
            )
            new_entries.action = action
        self.backdate_creation(action, "ACT", when)
        self.created["actions"] += 1
        return action

    def transition(self, record, name, by, when, comment, changes, story: Story | None = None):
        changes = {key: self.resolve(key, value) for key, value in changes.items()}
        try:
            record = services.transition_record(record, name, by=self.users[by], comment=comment, changes=changes)
        except ConditionsNotMet as error:
            # For example a close step before every report was filed or decided not required.
            raise CommandError(f"Demo data error in “{story.title if story else record}”, step {name}: "
                               + " ".join(map(str, error.problems))) from None
        dates = {
            "contain": {"contained_at": when}, "close": {"closed_at": when}, "dismiss": {"closed_at": when},
            "implement": {"implemented_at": when}, "verify_effective": {"verified_at": when},
        }.get(name)
        if dates:
            type(record).objects.filter(pk=record.pk).update(**dates)
            for attname, value in dates.items():
                setattr(record, attname, value)
        return record

    def resolve(self, key, value):
        models = {"event_class": EventClass, "cause": CauseCategory}
        if key in models and isinstance(value, str):
            try:
                return models[key].objects.get(code=value)
            except models[key].DoesNotExist:
                raise CommandError(_("The pick-list entry %(code)s is missing.") % {"code": value}) from None
        return value

    # --- dates

    def local_time(self, days_ago: float) -> dt.datetime:
        """`days_ago` days before today, at 10:30 Tokyo time (plus the fraction of a day)."""
        whole = int(days_ago)
        day = timezone.localdate(self.now) - dt.timedelta(days=whole)
        moment = dt.datetime.combine(day, dt.time(10, 30), tzinfo=timezone.get_current_timezone())
        return moment - dt.timedelta(days=days_ago - whole)

    def at(self, origin: dt.datetime, days: float) -> dt.datetime:
        moment = origin + dt.timedelta(days=days)
        if moment >= self.now:
            raise CommandError(f"Demo data error: a step at {moment:%Y-%m-%d %H:%M} is in the future.")
        return moment

    def backdate_creation(self, record, prefix: str, when: dt.datetime) -> None:
        """Date a new record `when`, with a reference number of that year."""
        model = type(record)
        reference = self.reference_for_year(record.reference, prefix, timezone.localtime(when).year)
        model.objects.filter(pk=record.pk).update(created_at=when, updated_at=when, reference=reference)
        record.created_at = record.updated_at = when
        record.reference = reference
        self.new_records[model].append(record.pk)

    def reference_for_year(self, reference: str, prefix: str, year: int) -> str:
        """The service numbered the record in the current year; move it to `year`.

        Runs in the transaction that created the record, which still holds the counter row
        (PostgreSQL row lock; SQLite's write lock), so handing the number back leaves no gap.
        """
        _prefix, allocated_year, number = reference.split("-")
        if int(allocated_year) == year:
            return reference
        ReferenceCounter.objects.filter(prefix=prefix, year=int(allocated_year), last_number=int(number)).update(
            last_number=F("last_number") - 1
        )
        ReferenceCounter.objects.bulk_create(
            [ReferenceCounter(prefix=prefix, year=year, last_number=0)], ignore_conflicts=True
        )
        ReferenceCounter.objects.filter(prefix=prefix, year=year).update(last_number=F("last_number") + 1)
        new_number = ReferenceCounter.objects.get(prefix=prefix, year=year).last_number
        return f"{prefix}-{year}-{new_number:0{len(number)}d}"

    def renumber(self, model, pks: list[int]) -> None:
        """Give this run's records their numbers in the order of their dates.

        The stories create records out of date order (an incident reopened months later
        gets new actions); this permutes the numbers the run was given, so no number is
        added, lost or taken from a record that existed before.
        """
        with transaction.atomic():
            by_year = defaultdict(list)
            for record in model.objects.filter(pk__in=pks).order_by("created_at", "pk"):
                by_year[record.reference.rsplit("-", 1)[0]].append(record)
            for records in by_year.values():
                numbers = sorted(record.reference for record in records)  # same width: text order is number order
                if numbers == [record.reference for record in records]:
                    continue
                for record in records:  # out of the way first: references are unique
                    model.objects.filter(pk=record.pk).update(reference=f"TMP-{record.pk}")
                for record, reference in zip(records, numbers, strict=True):
                    model.objects.filter(pk=record.pk).update(reference=reference)

    @contextmanager
    def dated(self, when: dt.datetime, *, incident: Incident | None = None, action: Action | None = None):
        """Date `when` what the block writes to the trail, and the reports it creates or changes.

        A step writes one trail entry or several (a report filed to the 委託元 also records,
        on the incident, the PPC reports it released), so every entry of the incident, its
        reports or the action that is newer than the block's start is moved. The records
        may be named inside the block (`entries.incident = …`) when the block creates them.
        """
        entries = SimpleNamespace(incident=incident, action=action)
        mark = StateLog.objects.aggregate(last=Max("pk"))["last"] or 0
        yield entries
        logs = Q()
        if entries.incident is not None:
            track_ids = list(ReportingTrack.objects.filter(incident=entries.incident).values_list("pk", flat=True))
            logs |= Q(content_type=ContentType.objects.get_for_model(Incident), object_id=entries.incident.pk)
            logs |= Q(content_type=ContentType.objects.get_for_model(ReportingTrack), object_id__in=track_ids)
            # The system set these times to the real now (after self.now): date them with the step.
            tracks = ReportingTrack.objects.filter(incident=entries.incident)
            tracks.filter(created_at__gte=self.now).update(created_at=when)
            tracks.filter(updated_at__gte=self.now).update(updated_at=when)
        if entries.action is not None:
            logs |= Q(content_type=ContentType.objects.get_for_model(Action), object_id=entries.action.pk)
        if logs:
            StateLog.objects.filter(logs, pk__gt=mark).update(timestamp=when)

    # --- output

    def print_summary(self) -> None:
        write = self.stdout.write
        write(self.style.SUCCESS(_("Demo company 株式会社INE is ready.")))
        write(_("Created in this run: %(departments)d departments, %(users)d users, %(incidents)d incidents, "
                "%(actions)d actions.") % self.created)
        incident_counts = dict(Incident.objects.values_list("state").annotate(n=Count("pk")))
        action_counts = dict(Action.objects.values_list("state").annotate(n=Count("pk")))
        write(_("Incidents by state: %(counts)s") % {"counts": list_separator().join(
            f"{label} {incident_counts.get(value, 0)}" for value, label in IncidentState.choices
        )})
        write(_("Actions by state: %(counts)s") % {"counts": list_separator().join(
            f"{label} {action_counts.get(value, 0)}" for value, label in ActionState.choices
        )})
        track_counts = dict(ReportingTrack.objects.values_list("state").annotate(n=Count("pk")))
        write(_("Reports by state: %(counts)s (overdue %(overdue)d, due within 24 hours %(due_soon)d)") % {
            "counts": list_separator().join(f"{label} {track_counts.get(value, 0)}" for value, label in TrackState.choices),
            "overdue": ReportingTrack.objects.overdue().count(),
            "due_soon": ReportingTrack.objects.due_soon().count(),
        })
        self.print_more_summary()
        write("")
        write(_("Demo logins (password for every user: %(password)s)") % {"password": PASSWORD})
        username, password, role = _("username"), _("password"), _("role")
        write(f"  {_pad(username, 12)} {_pad(password, 16)} {role}")
        for demo in self.demo_users:
            write(f"  {_pad(demo.username, 12)} {_pad(PASSWORD, 16)} {self.describe(demo)}")
        if self.created["users"] < len(self.demo_users):
            write(_("Accounts that existed before this run were left as they were, passwords included."))

    def print_more_summary(self) -> None:
        """What a command extending this one seeded, printed before the logins."""

    def describe(self, demo: DemoUser) -> str:
        if demo.is_superuser:
            roles = _("superuser (Django admin at /admin/)")
        else:
            held = [role for role in demo.roles if role != Role.STAFF] or list(demo.roles)
            roles = ", ".join(str(Role(role).label) for role in held)
        return f"{roles} — {demo.post}"


def _pad(text: str, width: int) -> str:
    """Pad to a column width, counting East Asian wide characters as two columns."""
    used = sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in str(text))
    return f"{text}{' ' * max(width - used, 1)}"
