"""The year's requests from individuals (開示等の請求等) and complaints (苦情・相談) of 株式会社INE
(issue 15), in every state, played through the case services at their dates like the
incident stories (DemoSeeder.play calls `add_cases` once; the timeline plays the steps).

Requests (REQ): one just received, waiting for the office; one whose identity check waits
for the requester's documents (the clock paused, the pause on record); one in progress,
due within three days; one overdue; one answered on time electronically with the disclosed
data attached, closed long enough ago that the daily deletion removed its identity copy
(the deletion is run at that moment: purge_identity_documents); a parent's request for the
data of a 15-year-old (法定代理人, the family register as evidence of authority) answered
electronically; one answered late with the reason; one refused under art. 33(2)(ii); one
refused as "not held", later judged wrongful, which raised the kind-⑧ incident; one
withdrawn; a deletion answered by stopping use (art. 35 proviso: the backup tapes); and the
stop of use a complaint turned out to be.

Complaints (CMP): one answered and closed; two consultations (one answered, waiting to be
closed); one converted into a request; one that reported a misenclosed invoice and raised
an incident; one that revealed a weakness at the call centre and became a corrective
action; one just received through the web form; one being handled.

The names, addresses and texts are fictional. Idempotent: each case is keyed by its
company and what the person said (`summary`); a case that exists is left as it is, with
what came of it.
"""

from __future__ import annotations

import datetime as dt
import struct
import zlib
from dataclasses import dataclass, field
from functools import partial

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from incidents import attachments, case_services, services
from incidents.models import (
    Action,
    AnswerMethod,
    CaseChannel,
    Company,
    Complaint,
    ComplaintClass,
    Decision,
    EvidencePurpose,
    ExceptionGround,
    IdentityMethod,
    IdentityResult,
    Incident,
    PrivacyDesk,
    RequesterType,
    RequestKind,
    RightsRequest,
)

REQUEST = "request"
COMPLAINT = "complaint"


class Today:
    """A date field's value: the day of the step (resolved when it is played)."""


TODAY = Today()


@dataclass
class Case:
    """A request (`kinds` given) or a complaint, as received, and what happened to it."""

    record: str  # REQUEST or COMPLAINT
    by: str | None  # who recorded it (None: the person, through the public form)
    days_ago: float
    data: dict
    kinds: tuple[str, ...] = ()
    steps: list[tuple] = field(default_factory=list)


@dataclass
class Cast:
    request: RightsRequest | None = None
    complaint: Complaint | None = None
    incident: Incident | None = None
    action: Action | None = None


# --- step builders: `at` counts days from the moment the case was received


def step(name, by, at, comment="", **changes):
    """A transition of the request (or, for a complaint, of the complaint)."""
    return ("step", at, by, {"name": name, "comment": comment, "changes": changes})


def request_step(name, by, at, comment="", **changes):
    """A transition of the request a complaint was converted into."""
    return ("request_step", at, by, {"name": name, "comment": comment, "changes": changes})


def update(by, at, **fields):
    return ("update", at, by, fields)


def decide(by, at, kind, **fields):
    """The decision on one thing asked for (request_item_update)."""
    return ("decide", at, by, {"kind": kind, **fields})


def attach(by, at, purpose, name, content: bytes, description=""):
    return ("attach", at, by, {"purpose": purpose, "name": name, "content": content, "description": description})


def pause(by, at, reason):
    return ("pause", at, by, {"reason": reason})


def purge(at):
    """The worker's daily deletion of identity copies, run at that moment."""
    return ("purge", at, None, {})


def judge_wrongful(by, at, explanation, department):
    return ("judge_wrongful", at, by, {"explanation": explanation, "department": department})


def convert(by, at, kinds, **data):
    return ("convert", at, by, {"kinds": kinds, "data": data})


def raise_incident(by, at, department, **data):
    return ("raise_incident", at, by, {"department": department, **data})


def add_action(by, at, department, owner, verifier, due, **fields):
    """A corrective action for the complaint; `due` counts days from the step."""
    return ("add_action", at, by, {"department": department, "owner": owner, "verifier": verifier, "due": due,
                                   **fields})


def incident_step(name, by, at, comment="", **changes):
    return ("incident_step", at, by, {"name": name, "comment": comment, "changes": changes})


def assign_incident(by, at, handler):
    return ("assign_incident", at, by, {"handler": handler})


def file_report(kind, by, at, comment="", **changes):
    """A report of the raised incident filed at `at` (its recipient's reference may name {year})."""
    return ("file_report", at, by, {"kind": kind, "comment": comment, "changes": changes})


def action_step(name, by, at, comment="", **changes):
    return ("action_step", at, by, {"name": name, "comment": comment, "changes": changes})


# --- the files attached (fictional, generated: no real document is shipped)


def specimen_png(width: int = 240, height: int = 150, band: tuple[int, int, int] = (86, 120, 170)) -> bytes:
    """A plain card-shaped PNG standing for a copy of an identity document (見本)."""
    rows = []
    for y in range(height):
        colour = band if y < height // 4 else (236, 238, 242)
        row = bytearray([0])
        for x in range(width):
            photo = width * 3 // 4 - 10 <= x < width - 14 and height // 3 <= y < height - 14
            row += bytes((170, 176, 186) if photo else colour)
        rows.append(bytes(row))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"".join(rows)))
            + chunk(b"IEND", b""))


ID_COPY = specimen_png()
FAMILY_REGISTER = specimen_png(210, 297, band=(120, 120, 120))


def csv_bytes(*rows: str) -> bytes:
    """A CSV as the office sends it: UTF-8 with the byte-order mark, for Excel."""
    return ("\ufeff" + "\r\n".join(rows) + "\r\n").encode()


ISHIDA_DATA = csv_bytes(
    "区分,項目,内容,取得日,取得元",
    "契約情報,氏名,石田 和也,2021-06-12,会員登録フォーム",
    "契約情報,住所,東京都練馬区豊玉北5-18-3,2021-06-12,会員登録フォーム",
    "契約情報,電話番号,090-3318-5521,2021-06-12,会員登録フォーム",
    "契約情報,メールアドレス,k.ishida@example.jp,2021-06-12,会員登録フォーム",
    "購入履歴,2023-09-02,ビジネスバッグ（黒） 1点 18700円,2023-09-02,オンラインストア",
    "購入履歴,2024-12-15,名刺入れ 1点 5500円,2024-12-15,オンラインストア",
    "メール配信履歴,配信数,2024年1月〜2025年12月 48通,—,メール配信システム",
)
OKADA_DATA = csv_bytes(
    "区分,項目,内容,取得日,取得元",
    "受講者情報,氏名,岡田 陽斗,2025-04-03,オンライン講座申込フォーム",
    "受講者情報,生年月日,2010-08-21,2025-04-03,オンライン講座申込フォーム",
    "受講者情報,メールアドレス,haruto.okada@example.jp,2025-04-03,オンライン講座申込フォーム",
    "受講者情報,保護者の同意,あり（同意日 2025-04-03）,2025-04-03,オンライン講座申込フォーム",
    "受講履歴,講座,はじめてのプログラミング（全8回） 修了,2025-06-30,学習管理システム",
    "受講履歴,アンケート回答,2回,2025-06-30,学習管理システム",
)


# --- the cases

POST_ENCLOSED = "保有個人データ開示等請求書、本人確認書類の写し、返信用の切手"

CASES = [
    # ---- requests from individuals
    Case(REQUEST, "office", 1, kinds=(RequestKind.PURPOSE,), data={
        "channel": CaseChannel.EMAIL, "requester_name": "中川 亮介",
        "requester_contact": "r.nakagawa@example.jp",
        "summary": "会員登録の際に提出した個人情報が、どのような目的で利用されているのか通知してほしい。",
        "method_requested": AnswerMethod.ELECTRONIC,
    }),
    Case(REQUEST, "office", 9, kinds=(RequestKind.DISCLOSURE,), data={
        "channel": CaseChannel.POST, "requester_name": "西村 早苗", "requester_address": "埼玉県川口市栄町2-7-14",
        "summary": "御社が保有している私の個人データ（氏名、住所、購入履歴など）をすべて開示してほしい。",
        "method_requested": AnswerMethod.PAPER, "enclosures": "保有個人データ開示等請求書、返信用の切手",
        "postage_by_requester": True, "handler": "office", "department": "CS",
    }, steps=[
        step("check_identity", "office", 0.2, "請求書に本人確認書類の写しが同封されていなかった。",
             identity_method=IdentityMethod.ID_COPY),
        pause("office", 0.25, "本人確認書類（運転免許証等）の写しの送付"),
    ]),
    Case(REQUEST, "office", 12, kinds=(RequestKind.DISCLOSURE, RequestKind.PROVISION_RECORDS), data={
        "channel": CaseChannel.EMAIL, "requester_name": "大野 健二", "requester_contact": "k-ono@example.jp",
        "summary": "私の個人データと、それを第三者に提供した記録があれば、その記録も開示してほしい。",
        "method_requested": AnswerMethod.ELECTRONIC, "handler": "manager", "department": "SALES",
    }, steps=[
        step("confirm_identity", "manager", 0.1, "会員ID・生年月日・登録電話番号の照合で本人と確認した。",
             identity_method=IdentityMethod.REGISTERED_DETAILS, identity_result=IdentityResult.CONFIRMED,
             identity_checked_on=TODAY),
        update("manager", 3, data_searched="顧客管理システム（契約情報）と第三者提供記録台帳を検索中。"
                                           "提携先への提供記録が2件見つかった。"),
    ]),
    Case(REQUEST, "office", 20, kinds=(RequestKind.DISCLOSURE, RequestKind.CORRECTION), data={
        "channel": CaseChannel.POST, "requester_name": "小松 由香", "requester_address": "千葉県船橋市本町4-3-9",
        "summary": "コールセンターとのやり取りの記録を開示してほしい。登録されている電話番号が古いので訂正してほしい。",
        "method_requested": AnswerMethod.PAPER, "enclosures": POST_ENCLOSED, "postage_by_requester": True,
        "handler": "office", "department": "CS",
    }, steps=[
        attach("office", 0.15, EvidencePurpose.IDENTITY, "本人確認書類_小松.png", ID_COPY,
               "健康保険証の写し（保険者番号・記号番号はマスキング済み）"),
        step("check_identity", "office", 0.2, identity_method=IdentityMethod.ID_COPY),
        step("confirm_identity", "office", 1, "健康保険証の写しと請求書の氏名・住所が一致した。",
             identity_method=IdentityMethod.ID_COPY, identity_result=IdentityResult.CONFIRMED,
             identity_checked_on=TODAY),
        update("office", 6, data_searched="コールセンターの応対履歴（問合せ管理システム）と通話録音を検索。"
                                          "録音データの保管先が移行中で、抽出に時間を要している。"),
    ]),
    Case(REQUEST, "office", 200, kinds=(RequestKind.DISCLOSURE,), data={
        "channel": CaseChannel.POST, "requester_name": "石田 和也", "requester_address": "東京都練馬区豊玉北5-18-3",
        "summary": "オンラインストアの会員として御社が保有する私の個人データを、電子データで開示してほしい。",
        "method_requested": AnswerMethod.ELECTRONIC, "enclosures": POST_ENCLOSED, "postage_by_requester": True,
        "handler": "office", "department": "SALES",
    }, steps=[
        attach("office", 0.1, EvidencePurpose.IDENTITY, "本人確認書類_石田.png", ID_COPY, "運転免許証の写し"),
        step("check_identity", "office", 0.2, identity_method=IdentityMethod.ID_COPY),
        step("confirm_identity", "office", 1, "運転免許証の写しと請求書の氏名・住所が一致した。",
             identity_method=IdentityMethod.ID_COPY, identity_result=IdentityResult.CONFIRMED,
             identity_checked_on=TODAY),
        update("office", 4, data_searched="顧客管理システム（契約情報、購入履歴）とメール配信システム（配信履歴）を"
                                          "検索し、該当データを抽出した。"),
        decide("office", 6, RequestKind.DISCLOSURE, decision=Decision.FULL,
               outcome="契約情報、購入履歴（過去3年分）、メール配信履歴をCSVファイルで開示した。"),
        attach("office", 7, EvidencePurpose.DISCLOSED_DATA, "開示データ_石田.csv", ISHIDA_DATA,
               "開示した保有個人データ（CSV）"),
        step("answer", "office", 7.1, "パスワード付きファイルをメールで送付し、パスワードは別のメールで通知した。",
             method_used=AnswerMethod.ELECTRONIC, sent_on=TODAY),
        step("close", "office", 10, "本人から受領の連絡があった。"),
        purge(41),
    ]),
    Case(REQUEST, "office", 35, kinds=(RequestKind.DISCLOSURE,), data={
        "channel": CaseChannel.POST, "requester_type": RequesterType.LEGAL_REPRESENTATIVE,
        "requester_name": "岡田 由紀子", "requester_address": "神奈川県藤沢市鵠沼石上1-9-6",
        "subject_name": "岡田 陽斗（15歳）",
        "summary": "長男（15歳）がオンライン講座に申し込んだ際の個人情報について、親権者として開示を求める。"
                   "電子データでの開示を希望する。",
        "method_requested": AnswerMethod.ELECTRONIC,
        "enclosures": "保有個人データ開示等請求書、請求者の運転免許証の写し、戸籍謄本、返信用の切手",
        "postage_by_requester": True, "handler": "office", "department": "SALES",
    }, steps=[
        attach("office", 0.1, EvidencePurpose.IDENTITY, "本人確認書類_岡田由紀子.png", ID_COPY,
               "請求者（母）の運転免許証の写し"),
        attach("office", 0.11, EvidencePurpose.AUTHORITY, "戸籍謄本_岡田.png", FAMILY_REGISTER,
               "戸籍謄本（発行から3か月以内）"),
        step("check_identity", "office", 0.2, identity_method=IdentityMethod.ID_COPY),
        update("office", 1, identity_note="請求者の運転免許証の写しと請求書の氏名・住所が一致した。",
               authority_evidence="戸籍謄本により、請求者が本人（15歳）の母であり親権者であることを確認した。"),
        step("confirm_identity", "office", 1.1, "法定代理人（親権者）からの請求として受け付ける。",
             identity_method=IdentityMethod.ID_COPY, identity_result=IdentityResult.CONFIRMED,
             identity_checked_on=TODAY),
        update("office", 4, data_searched="オンライン講座の申込データと学習管理システム（受講履歴）を検索した。"),
        decide("office", 6, RequestKind.DISCLOSURE, decision=Decision.FULL,
               outcome="申込時の受講者情報と受講履歴をCSVファイルで開示した。"),
        attach("office", 6.5, EvidencePurpose.DISCLOSED_DATA, "開示データ_岡田陽斗.csv", OKADA_DATA,
               "開示した保有個人データ（CSV）"),
        step("answer", "office", 7, "パスワード付きファイルを請求者のメールアドレスに送付し、パスワードは郵送で通知した。",
             method_used=AnswerMethod.ELECTRONIC, sent_on=TODAY),
    ]),
    Case(REQUEST, "office", 150, kinds=(RequestKind.DISCLOSURE,), data={
        "channel": CaseChannel.POST, "requester_name": "森本 隆", "requester_address": "東京都杉並区阿佐谷南3-11-2",
        "summary": "在職中（2015年〜2022年）に御社が作成した私の人事記録を開示してほしい。",
        "method_requested": AnswerMethod.PAPER, "enclosures": POST_ENCLOSED, "postage_by_requester": True,
        "handler": "manager", "department": "HR",
    }, steps=[
        step("check_identity", "manager", 0.3, identity_method=IdentityMethod.ID_COPY),
        step("confirm_identity", "manager", 1, "マイナンバーカード（表面のみ）の写しで本人と確認した。",
             identity_method=IdentityMethod.ID_COPY, identity_result=IdentityResult.CONFIRMED,
             identity_checked_on=TODAY),
        update("manager", 10, data_searched="人事システム、給与システム、紙の人事ファイルを検索した。紙のファイルの"
                                            "一部が外部倉庫に保管されており、取寄せに日数を要した。"),
        decide("manager", 17, RequestKind.DISCLOSURE, decision=Decision.FULL,
               outcome="人事記録（異動・評価・研修履歴）の写しを書面で開示した。"),
        step("answer", "manager", 18, "簡易書留で送付した。", method_used=AnswerMethod.PAPER, sent_on=TODAY,
             late_reason="紙の人事ファイルの一部が外部倉庫に保管されており、取寄せに日数を要したため。"
                         "10日目に請求者へ電話で遅れる見込みを伝えた。",
             consequence_acknowledged=True),
        step("close", "manager", 25),
    ]),
    Case(REQUEST, "office", 120, kinds=(RequestKind.DISCLOSURE,), data={
        "channel": CaseChannel.EMAIL, "requester_name": "三浦 直樹", "requester_contact": "n.miura@example.jp",
        "summary": "私の苦情について社内で検討した際の検討記録と対応方針の資料を開示してほしい。",
        "method_requested": AnswerMethod.ELECTRONIC, "handler": "manager", "department": "CS",
    }, steps=[
        step("check_identity", "manager", 0.2, identity_method=IdentityMethod.REGISTERED_DETAILS),
        step("confirm_identity", "manager", 1, "会員ID・生年月日・登録住所の照合で本人と確認した。",
             identity_method=IdentityMethod.REGISTERED_DETAILS, identity_result=IdentityResult.CONFIRMED,
             identity_checked_on=TODAY),
        update("manager", 5, data_searched="カスタマーサポート部の苦情対応記録と社内会議の議事録を確認した。"),
        decide("manager", 8, RequestKind.DISCLOSURE, decision=Decision.REFUSED, ground=ExceptionGround.BUSINESS,
               reason="ご請求の資料は、苦情への対応方針を社内で検討した記録であり、開示すると今後の苦情対応業務の"
                      "適正な実施に著しい支障を及ぼすおそれがあるため、開示いたしかねます（個人情報保護法第33条"
                      "第2項第2号）。なお、応対履歴に記録されたお客様の個人データは別途開示が可能です。"),
        step("refuse", "manager", 9, "全部不開示（法第33条第2項第2号）。理由を書面で説明した。",
             sent_on=TODAY, consequence_acknowledged=True),
        step("close", "manager", 20),
    ]),
    Case(REQUEST, "office", 60, kinds=(RequestKind.DISCLOSURE,), data={
        "channel": CaseChannel.POST, "requester_name": "吉田 さくら", "requester_address": "大阪府吹田市江坂町1-23-5",
        "summary": "御社からキャンペーンのメールが届くが、どこで私の情報を取得したのか。保有している個人データを"
                   "開示してほしい。",
        "method_requested": AnswerMethod.PAPER, "enclosures": POST_ENCLOSED, "postage_by_requester": True,
        "handler": "office", "department": "SALES",
    }, steps=[
        step("check_identity", "office", 0.2, identity_method=IdentityMethod.ID_COPY),
        step("confirm_identity", "office", 1, "運転免許証の写しで本人と確認した。",
             identity_method=IdentityMethod.ID_COPY, identity_result=IdentityResult.CONFIRMED,
             identity_checked_on=TODAY),
        update("office", 4, data_searched="顧客管理システムを氏名・住所・電話番号で検索したが、該当する顧客データは"
                                          "見つからなかった。"),
        decide("office", 5, RequestKind.DISCLOSURE, decision=Decision.REFUSED, ground=ExceptionGround.NOT_HELD,
               reason="当社は、ご請求者に関する保有個人データを保有しておりません。"),
        step("refuse", "office", 6, "保有個人データなしとして不開示を通知した。", sent_on=TODAY,
             consequence_acknowledged=True),
        judge_wrongful(
            "manager", 30,
            "請求者から「今もキャンペーンメールが届く」との再度の申出があり再調査したところ、メール配信システムに"
            "請求者の氏名とメールアドレスが登録されていた。検索対象に配信システムを含めていなかったため、"
            "保有個人データを保有していないと誤って回答した。", "SALES"),
        incident_step("triage", "manager", 30.05, "開示等の求めの拒否（事故等の種類⑧）として対応する。",
                      severity="L2", kind="violation", event_class="other", pmark_event="request_refusal"),
        assign_incident("manager", 30.06, "office"),
        incident_step("contain", "office", 33, "",
                      containment_summary="請求者にお詫びし、メール配信システムの登録データを含めて改めて開示した。"
                                          "請求者の希望によりキャンペーンメールの配信を停止した。",
                      correction_taken="改めての開示と配信停止。"),
        file_report("pmark_final", "office", 40, "審査機関の事故報告書の様式で報告した。",
                    recipient_reference="Pマークポータル 受付番号 PM-{year}-1147", method="online_form",
                    filing_note="開示請求に対し、保有個人データを保有していないと誤って回答した事案（1名）。"
                                "改めて開示を行ったこと、検索対象システムの一覧化を進めていることを記載した。"),
        incident_step("analyse", "manager", 42, "",
                      root_cause="開示請求への対応手順に検索対象のシステムが定められておらず、担当者が顧客管理"
                                 "システムのみを検索していた。",
                      cause="rule_breach"),
    ]),
    Case(REQUEST, "office", 45, kinds=(RequestKind.STOP_USE,), data={
        "channel": CaseChannel.PHONE, "requester_name": "山下 恵美", "requester_contact": "080-4471-2093",
        "summary": "ダイレクトメールが不要なので、私の個人情報の利用を停止してほしい。",
        "method_requested": AnswerMethod.PAPER, "handler": "office", "department": "SALES",
    }, steps=[
        step("check_identity", "office", 0.2, identity_method=IdentityMethod.REGISTERED_DETAILS),
        step("withdraw", "office", 3, "本人から電話で取下げの申出があった（会員サイトで自ら配信停止の手続を済ませた"
                                      "ため）。"),
    ]),
    Case(REQUEST, "office", 90, kinds=(RequestKind.CORRECTION,), data={
        "channel": CaseChannel.POST, "requester_name": "高木 修", "requester_address": "東京都世田谷区経堂2-4-17",
        "summary": "退会したので、登録している私の個人情報をすべて削除してほしい。",
        "method_requested": AnswerMethod.PAPER, "enclosures": POST_ENCLOSED, "postage_by_requester": True,
        "handler": "office", "department": "CS",
    }, steps=[
        step("check_identity", "office", 0.2, identity_method=IdentityMethod.ID_COPY),
        step("confirm_identity", "office", 1, "運転免許証の写しで本人と確認した。",
             identity_method=IdentityMethod.ID_COPY, identity_result=IdentityResult.CONFIRMED,
             identity_checked_on=TODAY),
        update("office", 5, data_searched="顧客管理システム、問合せ管理システム、バックアップ媒体（テープ、保管期間"
                                          "1年）を確認した。"),
        decide("office", 7, RequestKind.CORRECTION, decision=Decision.ALTERNATIVE, ground=ExceptionGround.COST,
               reason="稼働中のシステムからは削除しましたが、バックアップ媒体は一括で管理しており個別の削除が困難な"
                      "ため、保管期間の満了（最長1年）まで利用を停止し、満了後に媒体ごと消去いたします。",
               outcome="顧客管理システム・問合せ管理システムから削除。バックアップ媒体上のデータは利用を停止し、"
                       "復元時に削除する手順を設定した。"),
        step("answer", "office", 8, "書面で回答した。", method_used=AnswerMethod.PAPER, sent_on=TODAY),
        step("close", "office", 15),
    ]),
    # ---- complaints and consultations
    Case(COMPLAINT, "head_sales", 250, data={
        "channel": CaseChannel.PHONE, "complainant_name": "渡部 美穂", "complainant_contact": "03-5982-4410",
        "summary": "御社の営業担当者から電話で勧誘を受けたが、どこで私の電話番号を知ったのか尋ねても説明して"
                   "もらえなかった。不信感がある。",
    }, steps=[
        update("office", 0.1, handler="office", department="SALES"),
        step("start", "office", 0.2, "営業部に取得元の確認を依頼した。"),
        step("answer", "office", 3, "電話で説明し、お詫びした。", answered_on=TODAY,
             outcome="電話番号は2年前に当社展示会で記入いただいたアンケートから取得したものであることを説明し、"
                     "取得元を即答できなかったことをお詫びした。本人の希望により今後の電話勧誘を停止した。"),
        step("close", "office", 5),
    ]),
    Case(COMPLAINT, "office", 180, data={
        "channel": CaseChannel.EMAIL, "complainant_name": "田村 光", "complainant_contact": "hikaru.t@example.jp",
        "summary": "退会した後、登録していた個人情報はいつまで保管されるのか知りたい。",
        "classification": ComplaintClass.CONSULTATION, "handler": "office",
    }, steps=[
        step("answer", "office", 1, "メールで回答した。", answered_on=TODAY,
             outcome="退会後の保管期間（契約関係書類は法令に基づき7年、その他の登録情報は退会後1年）と、"
                     "期間経過後に消去することを回答した。"),
        step("close", "office", 2),
    ]),
    Case(COMPLAINT, "head_sales", 4, data={
        "channel": CaseChannel.PHONE, "complainant_name": "青木 真由美", "complainant_contact": "03-6421-0937",
        "summary": "中学生の子どもが御社の無料体験に申し込んだ。子どもだけで申し込めるのか、保護者として"
                   "どのような情報が登録されているのか知りたい。",
        "classification": ComplaintClass.CONSULTATION,
    }, steps=[
        update("office", 0.1, handler="office", department="SALES"),
        step("answer", "office", 1, "電話で回答した。", answered_on=TODAY,
             outcome="16歳未満の申込みには保護者の同意を確認していること、登録情報（氏名、学年、メールアドレス）"
                     "を説明し、保護者として開示等の請求ができることと請求書の送付方法を案内した。"),
    ]),
    Case(COMPLAINT, "staff", 110, data={
        "channel": CaseChannel.PHONE, "complainant_name": "橋本 和子", "complainant_contact": "045-331-7786",
        "summary": "毎月届くカタログを止めてほしいと何度も電話しているのに止まらない。私の情報をもう使わないで"
                   "ほしい。",
    }, steps=[
        update("office", 0.1, handler="office", department="SALES"),
        step("start", "office", 0.2, "利用停止の請求にあたるため、請求として受け付ける。"),
        convert("office", 0.3, [RequestKind.STOP_USE], requester_address="神奈川県横浜市港南区日野1-6-20",
                method_requested=AnswerMethod.PAPER, handler="office"),
        request_step("confirm_identity", "office", 0.4, "氏名・住所・電話番号が顧客登録と一致した。",
                     identity_method=IdentityMethod.REGISTERED_DETAILS, identity_result=IdentityResult.CONFIRMED,
                     identity_checked_on=TODAY),
        decide("office", 2, RequestKind.STOP_USE, decision=Decision.FULL,
               outcome="カタログ送付リストから削除し、販売促進目的での利用を停止した。"),
        request_step("answer", "office", 3, "書面で回答した。", method_used=AnswerMethod.PAPER, sent_on=TODAY),
        step("answer", "office", 3.1, answered_on=TODAY,
             outcome="利用停止の請求として受け付け、カタログの送付を停止したことを書面で回答した。以前の電話での"
                     "申出が記録されていなかったことをお詫びした。"),
        step("close", "office", 5),
        request_step("close", "office", 10),
    ]),
    Case(COMPLAINT, "head_cs", 25, data={
        "channel": CaseChannel.PHONE, "complainant_name": "松井 智子", "complainant_contact": "042-718-3305",
        "summary": "届いた請求書の封筒に、別の人の請求書が一緒に入っていた。",
    }, steps=[
        update("office", 0.05, handler="office", department="GA"),
        raise_incident("office", 0.1, "GA", title="請求書の封入誤り（他の顧客1名分の請求書を同封）", kind="leak",
                       description="顧客から、届いた請求書の封筒に別の顧客の請求書が同封されていたとの電話があった。"
                                   "月次の請求書発送で、2名分の請求書を1通の封筒に封入していた。",
                       data_items="氏名、住所、請求金額", affected_count=1),
        incident_step("triage", "manager", 0.15, "誤封入による漏えい（1名）として対応する。", severity="L2",
                      kind="leak", event_class="misdelivery"),
        assign_incident("manager", 0.16, "office"),
        step("start", "office", 0.2),
        incident_step("contain", "office", 1, "",
                      containment_summary="誤って同封された請求書を申出者から回収し、請求書を同封されてしまった"
                                          "顧客1名に経緯を説明してお詫びした。",
                      correction_taken="請求書の回収と、双方へのお詫び。"),
        step("answer", "office", 2, answered_on=TODAY,
             outcome="請求書を回収してお詫びし、封入時の照合手順を見直すことを説明した。"),
        step("close", "office", 3),
        file_report("pmark_final", "office", 10, "審査機関の事故報告書の様式で報告した。",
                    recipient_reference="Pマークポータル 受付番号 PM-{year}-1203", method="online_form",
                    filing_note="請求書の誤封入による漏えい（1名）。回収とお詫びを完了したことを記載した。"),
        incident_step("analyse", "manager", 12, "",
                      root_cause="請求書の封入作業を1名で行っており、宛名と同封物を照合する手順がなかった。",
                      cause="insufficient_checking"),
    ]),
    Case(COMPLAINT, "office", 140, data={
        "channel": CaseChannel.EMAIL, "complainant_name": "佐々木 拓海", "complainant_contact": "takumi.s@example.jp",
        "summary": "コールセンターに電話したところ、氏名を名乗っただけで登録している住所を読み上げられた。"
                   "家族でも他人でも聞き出せてしまうのではないか。",
        "handler": "manager", "department": "CS",
    }, steps=[
        step("start", "manager", 0.1, "カスタマーサポート部に応対状況の確認を依頼した。"),
        update("manager", 2, reveals_weakness=True,
               weakness_note="コールセンターで、電話での本人確認（登録電話番号・生年月日の照合）を行わずに"
                             "登録情報を回答していた。"),
        add_action("manager", 3, "CS", "head_cs", "manager", 60, kind="corrective",
                   title="コールセンターの電話応対における本人確認手順の見直し"),
        step("answer", "manager", 4, "メールで回答した。", answered_on=TODAY,
             outcome="本人確認の不備をお詫びし、電話応対での本人確認手順を見直すことを回答した。"),
        step("close", "manager", 5, "是正処置を計画したため完了とする。"),
        action_step("start", "head_cs", 5),
        action_step("implement", "head_cs", 40,
                    implementation_note="電話応対マニュアルを改訂し、登録情報を回答する前に登録電話番号と生年月日を"
                                        "照合する手順を追加した。オペレーター全員（30名）に研修を実施した。"),
        action_step("verify_effective", "manager", 75,
                    effectiveness_note="改訂後2か月分の通話録音から50件を抜き取り、全件で本人確認が行われていることを"
                                       "確認した。"),
    ]),
    Case(COMPLAINT, None, 0.9, data={
        "channel": CaseChannel.WEB_FORM, "complainant_name": "近藤 綾", "complainant_contact": "aya.kondo@example.jp",
        "summary": "メールマガジンの配信停止の手続をしたのに、まだ届く。",
    }),
    Case(COMPLAINT, "office", 6, data={
        "channel": CaseChannel.IN_PERSON, "complainant_name": "藤井 雅人", "complainant_contact": "090-6620-1184",
        "summary": "店頭の申込書記入台に、前の人の申込書の控えが置かれたままになっていた。",
        "handler": "office", "department": "SALES",
    }, steps=[
        step("start", "office", 0.3, "営業部に店頭の状況の確認を依頼した。"),
    ]),
]


# --- playing them


def add_cases(seeder) -> None:
    """Put the steps of every case still missing on the seeder's timeline."""
    seeder.created.setdefault("requests", 0)
    seeder.created.setdefault("complaints", 0)
    default = Company.objects.default()
    # The desk of the published policy (§6), printed on the letters and the request form.
    PrivacyDesk.objects.get_or_create(company=default, defaults={
        "manager": "個人情報保護管理者 管理本部長", "telephone": "03-6895-9500", "hours": "平日 10:00〜17:00",
        "postal_code": "105-0000", "address": "東京都港区（デモ用の住所）",
    })
    for case in CASES:
        model = RightsRequest if case.record == REQUEST else Complaint
        if model.objects.filter(company=default, summary=case.data["summary"]).exists():
            continue
        received_at = seeder.local_time(case.days_ago)
        cast = Cast()
        thread = seeder.timeline.thread(f"{case.record} {case.data['summary'][:20]}")
        thread.add(received_at, "receive", partial(_receive, seeder, cast, case))
        for what, at, by, args in case.steps:
            thread.add(seeder.at(received_at, at), what, partial(_STEPS[what], seeder, cast, by, **args))


def _resolved(seeder, values: dict) -> dict:
    """The users, departments and days a case names, looked up when its step is played."""
    resolved = {}
    for name, value in values.items():
        if name in ("handler", "owner", "verifier") and isinstance(value, str):
            value = seeder.users[value]
        elif name == "department" and isinstance(value, str):
            value = seeder.departments[value]
        elif isinstance(value, Today):
            value = timezone.localdate()
        resolved[name] = value
    return resolved


def _user(seeder, username):
    return seeder.users[username] if username else None


def _receive(seeder, cast: Cast, case: Case) -> None:
    data = _resolved(seeder, {"received_on": TODAY, "company": Company.objects.default(), **case.data})
    by = _user(seeder, case.by)
    if case.record == REQUEST:
        cast.request = case_services.request_receive(by=by, kinds=list(case.kinds), **data)
        seeder.created["requests"] += 1
    else:
        cast.complaint = case_services.complaint_receive(by=by, **data)
        seeder.created["complaints"] += 1


def _main(cast: Cast):
    """The case's own record: the complaint, or the request when the case is one."""
    return cast.complaint if cast.complaint is not None else cast.request


def _fresh(record):
    return type(record).objects.get(pk=record.pk)


def _step(seeder, cast: Cast, by, *, name, comment, changes) -> None:
    record = _fresh(_main(cast))
    services.transition_record(record, name, by=_user(seeder, by), comment=comment,
                               changes=_resolved(seeder, changes))


def _request_step(seeder, cast: Cast, by, *, name, comment, changes) -> None:
    services.transition_record(_fresh(cast.request), name, by=_user(seeder, by), comment=comment,
                               changes=_resolved(seeder, changes))


def _update(seeder, cast: Cast, by, **fields) -> None:
    record = _fresh(_main(cast))
    if isinstance(record, RightsRequest):
        case_services.request_update(request=record, by=_user(seeder, by), version=None,
                                     **_resolved(seeder, fields))
    else:
        case_services.complaint_update(complaint=record, by=_user(seeder, by), version=None,
                                       **_resolved(seeder, fields))


def _decide(seeder, cast: Cast, by, *, kind, **fields) -> None:
    item = cast.request.items.get(kind=kind)
    case_services.request_item_update(item=item, by=_user(seeder, by), version=None, **fields)


def _attach(seeder, cast: Cast, by, *, purpose, name, content, description) -> None:
    attachments.attachment_add(record=_fresh(cast.request), by=_user(seeder, by), purpose=purpose,
                               description=description, file=SimpleUploadedFile(name, content))


def _pause(seeder, cast: Cast, by, *, reason) -> None:
    case_services.request_pause(request=_fresh(cast.request), by=_user(seeder, by), version=None, reason=reason)


def _purge(seeder, cast: Cast, by) -> None:
    case_services.purge_identity_documents()


def _judge_wrongful(seeder, cast: Cast, by, *, explanation, department) -> None:
    cast.incident = case_services.request_raise_refusal_incident(
        request=_fresh(cast.request), by=_user(seeder, by), explanation=explanation,
        department=seeder.departments[department])
    seeder.created["incidents"] += 1


def _convert(seeder, cast: Cast, by, *, kinds, data) -> None:
    cast.request = case_services.complaint_convert_to_request(
        complaint=_fresh(cast.complaint), by=_user(seeder, by), kinds=kinds, **_resolved(seeder, data))
    seeder.created["requests"] += 1


def _raise_incident(seeder, cast: Cast, by, *, department, **data) -> None:
    cast.incident = case_services.complaint_raise_incident(
        complaint=_fresh(cast.complaint), by=_user(seeder, by), department=seeder.departments[department], **data)
    seeder.created["incidents"] += 1


def _add_action(seeder, cast: Cast, by, *, department, owner, verifier, due, **fields) -> None:
    cast.action = case_services.complaint_add_action(
        complaint=_fresh(cast.complaint), by=_user(seeder, by), department=seeder.departments[department],
        owner=seeder.users[owner], verifier=seeder.users[verifier],
        due_date=timezone.localdate() + dt.timedelta(days=due), **fields)
    seeder.created["actions"] += 1


def _incident_step(seeder, cast: Cast, by, *, name, comment, changes) -> None:
    cast.incident = services.transition_record(_fresh(cast.incident), name, by=_user(seeder, by), comment=comment,
                                               changes=seeder.resolved(changes))


def _assign_incident(seeder, cast: Cast, by, *, handler) -> None:
    incident = _fresh(cast.incident)
    cast.incident = services.incident_assign_handler(incident=incident, by=_user(seeder, by),
                                                     handler=seeder.users[handler], version=None)


def _file_report(seeder, cast: Cast, by, *, kind, comment, changes) -> None:
    track = cast.incident.tracks.get(kind=kind)
    now = timezone.now()
    changes = {**changes, "filed_at": now,
               "recipient_reference": changes.get("recipient_reference", "").format(year=timezone.localtime(now).year)}
    services.transition_record(track, "file", by=_user(seeder, by), comment=comment, changes=changes)


def _action_step(seeder, cast: Cast, by, *, name, comment, changes) -> None:
    cast.action = services.transition_record(_fresh(cast.action), name, by=_user(seeder, by), comment=comment,
                                             changes=changes)


_STEPS = {
    "step": _step, "request_step": _request_step, "update": _update, "decide": _decide, "attach": _attach,
    "pause": _pause, "purge": _purge, "judge_wrongful": _judge_wrongful, "convert": _convert,
    "raise_incident": _raise_incident, "add_action": _add_action, "incident_step": _incident_step,
    "assign_incident": _assign_incident, "file_report": _file_report, "action_step": _action_step,
}
