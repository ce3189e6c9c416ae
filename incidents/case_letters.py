"""The letters of requests from individuals and of complaints (issue 15), as Japanese PDFs.

- request_form_pdf(): the company's blank 保有個人データ開示等請求書, which the desk sends
  by post, fax or mail (policy §6: the requester fills it in and posts it back with the
  documents enclosed, postage at the requester's charge);
- request_letter_text() / request_letter_pdf(): the answer to a request (開示等の請求に対
  する回答書): the default text is drafted from the case, the office edits it (letter_body)
  before printing it on the company's letterhead;
- complaint_reply_text() / complaint_reply_pdf(): the same for a complaint's reply.

They are written for a person in Japan: always Japanese, whatever the language of the
page that asks for them (literal Japanese here, not translations; the shared machinery's
few labels are rendered under translation.override("ja")). Where the company's published
procedure lags the law, the letters follow the law (the person chooses the method of
disclosure, art. 33(1)); article numbers are those of the Act on the Protection of Personal
Information after the 2022 renumbering (domain.md §1.14).

The desk's details (address, telephone, fee, postage) are the company's PrivacyDesk, which
the PMS office edits in the admin on the company's page.
User text reaches a Paragraph only through esc() (xml.sax.saxutils.escape).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.utils import formats, timezone
from django.utils.translation import override
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.styles import ParagraphStyle, StyleSheet1
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Paragraph, Spacer, Table, TableStyle

from .models import (
    AnswerMethod,
    Company,
    Complaint,
    ComplaintClass,
    Decision,
    EvidencePurpose,
    ExceptionGround,
    IdentityResult,
    PrivacyDesk,
    RequesterType,
    RequestKind,
    RequestState,
    RightsRequest,
)
from .models.requests import DISCLOSURE_KINDS
from .pdf.base import (
    ACCENT,
    CONTENT_WIDTH,
    FONT_NAME,
    HEADER_FILL,
    MUTED,
    RULE,
    build_pdf,
    company_line,
    esc,
    styles,
    wrapped,
)

__all__ = [
    "DESK", "complaint_reply_pdf", "complaint_reply_text", "desk_details", "disclosed_files", "request_form_pdf",
    "request_letter_pdf", "request_letter_text",
]

LAW = "個人情報の保護に関する法律"

# The desk of the company's procedure (policy §6) until the office describes it (models.PrivacyDesk).
DESK = {
    "name": "個人情報問合せ窓口",
    "manager": "個人情報保護管理者",
    "postal_code": "",
    "address": "",
    "telephone": "",
    "fax": "",
    "email": "",
    "hours": "",
    # The fee per request for a notice of the purpose of use or a disclosure (art. 38), in
    # yen; 0: not set (the form then says the desk tells the amount), and how to pay it.
    "fee": 0,
    "fee_payment": "",
    # Policy §6: 送付にかかる費用はご請求者のご負担となります.
    "postage_by_requester": True,
}

KIND_TEXT = {
    RequestKind.PURPOSE: "利用目的の通知（法第32条第2項）",
    RequestKind.DISCLOSURE: "開示（法第33条第1項）",
    RequestKind.PROVISION_RECORDS: "第三者提供記録の開示（法第33条第5項）",
    RequestKind.CORRECTION: "内容の訂正・追加・削除（法第34条第1項）",
    RequestKind.STOP_USE: "利用の停止・消去（法第35条第1項・第5項）",
    RequestKind.STOP_PROVISION: "第三者への提供の停止（法第35条第3項・第5項）",
}

DECISION_TEXT = {
    Decision.FULL: "ご請求のとおり対応いたしました。",
    Decision.PARTIAL: "ご請求の一部について対応いたしました。",
    Decision.ALTERNATIVE: "ご請求の措置に代えて、利用の停止の措置をとりました。",
    Decision.REFUSED: "誠に恐れ入りますが、ご請求には応じられません。",
    Decision.PENDING: "現在確認中です。",
}

GROUND_TEXT = {
    ExceptionGround.NOT_HELD: "ご請求に係る保有個人データを当社が保有していないため（法第33条第3項）",
    ExceptionGround.IDENTITY: "ご請求者がご本人又はその代理人であることを確認できなかったため（法第37条第1項）",
    ExceptionGround.PURPOSE_EXEMPT: "利用目的を通知することにより、法第21条第4項第1号から第4号までのいずれかに該当するため"
                                    "（法第32条第2項）",
    ExceptionGround.HARM: "本人又は第三者の生命、身体、財産その他の権利利益を害するおそれがあるため（法第33条第2項第1号）",
    ExceptionGround.BUSINESS: "当社の業務の適正な実施に著しい支障を及ぼすおそれがあるため（法第33条第2項第2号）",
    ExceptionGround.OTHER_LAW: "他の法令に違反することとなるため（法第33条第2項第3号）",
    ExceptionGround.NOT_INCORRECT: "保有個人データの内容が事実でないとは認められないため、又は利用目的の達成に必要な範囲を"
                                   "超えるため（法第34条第2項）",
    ExceptionGround.NO_GROUNDS: "利用停止等又は第三者提供の停止の要件に該当しないため（法第35条）",
    ExceptionGround.COST: "多額の費用を要する等、ご請求の措置をとることが困難であるため、これに代わる措置をとったため"
                          "（法第35条第2項・第4項・第6項ただし書）",
    ExceptionGround.OTHER: "その他（下記の理由のとおり）",
}

METHOD_TEXT = {
    AnswerMethod.ELECTRONIC: "電磁的記録の提供による方法",
    AnswerMethod.PAPER: "書面の交付による方法",
    AnswerMethod.OTHER: "その他の方法",
}

REQUESTER_TEXT = {
    RequesterType.PERSON: "ご本人",
    RequesterType.LEGAL_REPRESENTATIVE: "法定代理人",
    RequesterType.AGENT: "任意代理人",
}

COMPLAINT_TEXT = {
    ComplaintClass.COMPLAINT: "苦情",
    ComplaintClass.CONSULTATION: "ご相談",
    ComplaintClass.RIGHTS_REQUEST: "お申し出",
    ComplaintClass.INCIDENT_REPORT: "お申し出",
}


# ---------------------------------------------------------------------------
# What every letter shares


def japanese_date(value: dt.date | None) -> str:
    """2026年11月2日; "　　年　　月　　日" (to fill in by hand) for no date."""
    if value is None:
        return "　　　　年　　月　　日"
    return f"{value.year}年{value.month}月{value.day}日"


def yen(amount: int) -> str:
    return f"{formats.number_format(amount, force_grouping=True)}円"


def _company(company) -> Company:
    if isinstance(company, Company):
        return company
    if company is None:
        return Company.objects.default()
    return Company.objects.get(pk=company)


def desk_details(company: Company) -> dict:
    """The desk of `company` as the office set it in the admin (models.PrivacyDesk, on the
    company's page), else DESK's defaults."""
    details = dict(DESK)
    desk = PrivacyDesk.objects.filter(company=company).first()
    if desk is not None:
        details.update(desk.details())
    return details


def desk_lines(company: Company, details: dict | None = None) -> list[str]:
    """The desk as a letter names it: company and desk, address, telephone, …"""
    details = details or desk_details(company)
    lines = [f"{company.name}　{details['name']}"]
    address = " ".join(part for part in (f"〒{details['postal_code']}" if details["postal_code"] else "",
                                         details["address"]) if part)
    if address:
        lines.append(address)
    contact = "　".join(f"{label} {details[key]}" for label, key in (("TEL", "telephone"), ("FAX", "fax"),
                                                                    ("E-mail", "email")) if details[key])
    if contact:
        lines.append(contact)
    if details["hours"]:
        lines.append(f"受付時間 {details['hours']}")
    lines.append(f"責任者：{details['manager']}")
    return lines


def _sheet() -> StyleSheet1:
    """base.styles() plus the letters' own styles; nothing under 8 pt."""
    sheet = styles()
    sheet.add(ParagraphStyle("letter", parent=sheet["body"], fontSize=10, leading=16, spaceAfter=0))
    sheet.add(ParagraphStyle("letter_right", parent=sheet["letter"], alignment=TA_RIGHT))
    sheet.add(ParagraphStyle("letter_center", parent=sheet["letter"], alignment=TA_CENTER))
    sheet.add(ParagraphStyle("letter_title", parent=sheet["letter"], fontSize=15, leading=24, alignment=TA_CENTER,
                             textColor=ACCENT, spaceBefore=10, spaceAfter=12))
    sheet.add(ParagraphStyle("addressee", parent=sheet["letter"], fontSize=12, leading=20))
    sheet.add(ParagraphStyle("form_title", parent=sheet["title"], fontSize=17, leading=24, alignment=TA_CENTER,
                             spaceAfter=2))
    sheet.add(ParagraphStyle("form_h", parent=sheet["h2"], fontSize=10.5, leading=15, spaceBefore=7, spaceAfter=3))
    sheet.add(ParagraphStyle("form_note", parent=sheet["small"], fontSize=8, leading=11.5, textColor=MUTED))
    sheet.add(ParagraphStyle("form_cell", parent=sheet["cell"], fontSize=9, leading=13))
    sheet.add(ParagraphStyle("form_label", parent=sheet["cell_header"], fontSize=9, leading=13))
    return sheet


# reportlab collapses a run of spaces, the ideographic space (U+3000) included, into one:
# the blanks of the form and the spaces of a letter are no-break spaces, about 1 em each.
EM_SPACE = "&nbsp;" * 4


def _p(markup: str, style: ParagraphStyle) -> Paragraph:
    """A paragraph of markup that is already safe (literal labels, esc()'d user text)."""
    markup = markup.replace("\u3000", EM_SPACE)
    return Paragraph(markup, wrapped(style, markup))


def _text_flowables(text: str, sheet: StyleSheet1) -> list[Flowable]:
    """The letter's text, line by line (escaped): blank lines as space, 敬具 and 以上 at the
    right and 記 in the middle as a Japanese business letter sets them."""
    flowables: list[Flowable] = []
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        stripped = line.strip()
        if not stripped:
            flowables.append(Spacer(1, 6))
        elif stripped in ("敬具", "以上", "草々"):
            flowables.append(_p(esc(stripped), sheet["letter_right"]))
        elif stripped == "記":
            flowables.append(_p(esc(stripped), sheet["letter_center"]))
        else:
            # An indented line (the items under 記) keeps its indent on the lines it wraps onto.
            body = line.rstrip().lstrip(" \u3000")
            indent = sum(1 if char == "\u3000" else 0.5 for char in line[:len(line.rstrip()) - len(body)])
            style = sheet["letter"]
            if indent:
                style = ParagraphStyle("letter_indented", parent=style, leftIndent=indent * style.fontSize)
            flowables.append(_p(esc(body), style))
    return flowables


def _letterhead(*, sheet: StyleSheet1, company: Company, day: dt.date, reference: str, addressee: list[str],
                title: str) -> list[Flowable]:
    """Date and reference at the right, the addressee at the left, the company at the right,
    then the title."""
    details = desk_details(company)
    flowables: list[Flowable] = [
        _p(esc(japanese_date(day)), sheet["letter_right"]),
        _p(esc(f"受付番号 {reference}"), sheet["letter_right"]),
        Spacer(1, 6),
    ]
    flowables += [_p(esc(line), sheet["addressee"] if index == len(addressee) - 1 else sheet["letter"])
                  for index, line in enumerate(addressee)]
    flowables.append(Spacer(1, 6))
    company_style = ParagraphStyle("company", parent=sheet["letter_right"], fontSize=9.5, leading=14)
    flowables += [_p(esc(line), company_style) for line in desk_lines(company, details)]
    flowables.append(_p(esc(title), sheet["letter_title"]))
    return flowables


def _build(story: Sequence[Flowable], *, title: str, company: Company) -> bytes:
    with override("ja"):
        return build_pdf(story, title=title, confidential_mark="", cover=True,
                         company=company_line(company.name, company.corporate_number))


# ---------------------------------------------------------------------------
# The request form (保有個人データ開示等請求書)


def _box_table(rows: list[tuple[str, str | Flowable]], sheet: StyleSheet1, *, label_width: float = 38 * mm,
               height: float = 9 * mm) -> Table:
    """Label / space-to-write rows of the form."""
    data = [[_p(esc(label), sheet["form_label"]),
             value if isinstance(value, Flowable) else _p(value, sheet["form_cell"])] for label, value in rows]
    table = Table(data, colWidths=[label_width, CONTENT_WIDTH - label_width], rowHeights=[height] * len(data),
                  hAlign="LEFT")
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), FONT_NAME, 9),
        ("GRID", (0, 0), (-1, -1), 0.5, RULE),
        ("BACKGROUND", (0, 0), (0, -1), HEADER_FILL),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("LEFTPADDING", (0, 0), (-1, -1), 4),
        ("RIGHTPADDING", (0, 0), (-1, -1), 4),
    ]))
    return table


def _lines_table(count: int) -> Table:
    """`count` empty ruled lines to write on."""
    table = Table([[""] for _ in range(count)], colWidths=[CONTENT_WIDTH], rowHeights=[8 * mm] * count,
                  hAlign="LEFT")
    table.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), FONT_NAME, 9), ("BOX", (0, 0), (-1, -1), 0.5, RULE),
                               ("LINEBELOW", (0, 0), (-1, -2), 0.3, RULE)]))
    return table


def request_form_pdf(company=None) -> bytes:
    """The blank request form of `company` (the default company if None), one or two A4
    pages a person fills in by hand."""
    company = _company(company)
    details = desk_details(company)
    sheet = _sheet()
    note, cell = sheet["form_note"], sheet["form_cell"]
    box = "□"
    fee = (f"1件につき{yen(details['fee'])}" if details["fee"] else "当社所定の額（金額は窓口にお問い合わせください）")
    story: list[Flowable] = [
        _p("保有個人データ開示等請求書", sheet["form_title"]),
        _p(esc(f"{company.name}　{details['name']}　御中"), sheet["letter"]),
        _p(esc(f"請求日　{japanese_date(None)}"), sheet["letter_right"]),
        _p(esc(f"私は、{LAW}に基づき、貴社が保有する保有個人データについて、下記のとおり請求します。"), sheet["letter"]),

        _p("1. 請求者（この用紙を記入される方）", sheet["form_h"]),
        _box_table([
            ("フリガナ", ""),
            ("氏名", ""),
            ("住所", "〒"),
            ("電話番号", ""),
            ("メールアドレス", ""),
            ("請求者の区分", f"{box} 本人　　{box} 法定代理人（親権者・成年後見人等）　　{box} 任意代理人（委任による代理人）"),
        ], sheet),

        _p("2. 本人（保有個人データのご本人）　※代理人による請求の場合のみご記入ください", sheet["form_h"]),
        _box_table([
            ("フリガナ", ""),
            ("氏名", ""),
            ("住所", "〒"),
            ("本人との関係", ""),
        ], sheet),
        _p("代理人の方は、次の書類を同封してください（いずれも発行から3か月以内のもの）。"
           "法定代理人：本人との関係がわかる戸籍謄本・抄本（未成年者の親権者）、後見登記等に関する登記事項証明書"
           "（成年後見人）など。"
           "任意代理人：本人が署名し実印を押印した委任状と、本人の印鑑登録証明書。"
           "あわせて、代理人ご自身の本人確認書類の写しを同封してください。", note),

        _p("3. 保有個人データを特定するための情報", sheet["form_h"]),
        _box_table([
            ("本人の生年月日", "　　　　年　　月　　日"),
            ("ご利用のサービス・会員番号等", ""),
            ("当社に登録の住所・電話番号・メールアドレス（上記と異なる場合）", ""),
        ], sheet, label_width=58 * mm, height=10 * mm),

        KeepTogether([
            _p("4. 請求の内容（該当する□にレ印を付けてください。複数選択できます）", sheet["form_h"]),
            *[_p(esc(f"{box} {KIND_TEXT[kind]}"), cell) for kind in RequestKind],
            _p("対象となる保有個人データの内容、ご請求の理由（訂正等の場合は訂正後の内容、利用停止等の場合はその理由）：",
               cell),
            _lines_table(3),
        ]),

        _p("5. 開示の方法（開示・第三者提供記録の開示をご請求の場合）", sheet["form_h"]),
        _p(esc(f"{box} 電磁的記録の提供（電子ファイル。送付先メールアドレス：　　　　　　　　　　　　　　）"
               f"{box} 書面の交付（郵送）　{box} その他（　　　　　　　　　　）"), cell),
        _p("開示の方法はご本人が指定できます（法第33条第1項）。当社の定める手続では回答を書面によりお送りすることとして"
           "いますが、法令に従い、ご指定の方法により開示いたします。ご指定の方法によることに多額の費用を要する場合その他"
           "困難な場合は、その旨をお知らせのうえ書面により開示いたします（同条第2項）。", note),

        _p("6. 同封いただく書類", sheet["form_h"]),
        _p(esc(f"{box} この請求書　{box} 本人確認書類の写し（次のいずれか1点）"), cell),
        _p("運転免許証、パスポート、個人番号カード（表面のみ）、在留カード、健康保険の資格確認書、住民票の写し"
           "（発行から3か月以内）など、氏名・住所・生年月日が確認できるもの。個人番号（マイナンバー）、本籍地、"
           "健康保険の保険者番号及び被保険者等記号・番号が記載されている部分は、黒く塗りつぶしてからお送りください。"
           "本人確認書類の写しは、確認後、当社所定の期間の経過後に廃棄いたします。", note),
        _p(esc(f"{box} 代理人による請求の場合：2. に記載の書類　{box} 手数料（下記 7.）"), cell),

        _p("7. 手数料（法第38条）", sheet["form_h"]),
        _p(esc(f"利用目的の通知、開示及び第三者提供記録の開示のご請求には、手数料として{fee}をいただきます。"
               "訂正・追加・削除、利用の停止・消去及び第三者への提供の停止のご請求には、手数料はかかりません。"
               + (f"お支払い方法：{details['fee_payment']}" if details["fee_payment"] else "")), cell),
    ]
    if details["postage_by_requester"]:
        story.append(_p("8. 送付にかかる費用", sheet["form_h"]))
        story.append(_p("この請求書及び必要書類の送付にかかる費用は、ご請求者のご負担となります。", cell))
    story += [
        _p("送付先・お問い合わせ先", sheet["form_h"]),
        _p("ご記入のうえ、必要書類を同封し、郵便にて下記までお送りください。ご本人又は代理人であることを確認のうえ、"
           "遅滞なく回答いたします。", cell),
        *[_p(esc(line), sheet["letter"]) for line in desk_lines(company, details)],
        Spacer(1, 6),
        KeepTogether([
            _p("当社記入欄", sheet["form_note"]),
            _box_table([("受付日", ""), ("受付番号", ""), ("本人確認", f"{box} 確認済　{box} 確認できず　方法："),
                        ("担当", "")], sheet, height=7.5 * mm),
        ]),
    ]
    return _build(story, title="保有個人データ開示等請求書", company=company)


# ---------------------------------------------------------------------------
# The answer to a request


def disclosed_files(request: RightsRequest) -> list:
    """The files of the disclosed data (purpose DISCLOSED_DATA), oldest first."""
    from .attachments import attachments_of

    return list(attachments_of(request).filter(purpose=EvidencePurpose.DISCLOSED_DATA).order_by("uploaded_at", "pk"))


def _identity_refused(request: RightsRequest) -> bool:
    """Refused because the identity could not be confirmed (art. 37(1)): nothing decided."""
    return request.identity_result == IdentityResult.FAILED and not any(item.decision for item in request.item_list())


def request_letter_text(request: RightsRequest) -> str:
    """The default body of the answer letter, drafted from the case (Japanese)."""
    company = request.company
    items = request.item_list()
    lines = [
        "拝啓　時下ますますご清祥のこととお慶び申し上げます。",
        f"さて、{japanese_date(request.received_on)}に受け付けました保有個人データの開示等のご請求"
        f"（受付番号：{request.reference}）につきまして、下記のとおり回答いたします。",
    ]
    if request.requester_type != RequesterType.PERSON and request.subject_name:
        lines.append(f"なお、本件は{REQUESTER_TEXT[request.requester_type]}である{request.requester_name}様から、"
                     f"{request.subject_name}様ご本人の保有個人データについてご請求いただいたものです。")
    if request.state == RequestState.WITHDRAWN:
        lines += ["本件は、ご請求の取下げのお申し出をいただきましたので、手続を終了いたしました。", "", "敬具"]
        lines += ["", *_contact_lines(company, request=True), "", "以上"]
        return "\n".join(lines)
    refused_items = [item for item in items if item.decision in (Decision.PARTIAL, Decision.ALTERNATIVE,
                                                                   Decision.REFUSED)]
    if refused_items or _identity_refused(request):
        lines.append(f"ご請求の全部又は一部に応じられない理由等は、{LAW}（以下「法」といいます。）第36条に基づき、"
                     "あわせてご説明いたします。")
    else:
        lines.append(f"（文中の「法」は{LAW}をいいます。）")
    lines += ["", "敬具", "", "記", ""]

    if _identity_refused(request):
        lines += [
            "1. ご請求への回答",
            f"　{DECISION_TEXT[Decision.REFUSED]}",
            f"　根拠：{GROUND_TEXT[ExceptionGround.IDENTITY]}",
            "　ご本人確認のための書類をあらためてお送りいただければ、あらためて手続いたします。",
            "",
        ]
    else:
        for number, item in enumerate(items, start=1):
            lines.append(f"{number}. {KIND_TEXT.get(item.kind, item.get_kind_display())}")
            lines.append(f"　回答：{DECISION_TEXT.get(item.decision, DECISION_TEXT[Decision.PENDING])}")
            if item.outcome.strip():
                lines.append(f"　内容：{item.outcome.strip()}")
            if item.decision in (Decision.PARTIAL, Decision.ALTERNATIVE, Decision.REFUSED):
                if item.ground:
                    lines.append(f"　根拠：{GROUND_TEXT.get(item.ground, item.get_ground_display())}")
                if item.reason.strip():
                    lines.append(f"　理由：{item.reason.strip()}")
            lines.append("")

    lines += _method_lines(request, items)
    if request.fee_amount:
        received = (f"（{japanese_date(request.fee_received_on)}に受領いたしました）" if request.fee_received_on
                    else "")
        lines.append(f"手数料：{yen(request.fee_amount)}{received}（法第38条）")
    if request.postage_by_requester:
        lines.append("送付費用：当社所定の手続により、本書の送付にかかる費用はご請求者のご負担とさせていただいております。")
    if request.sent_on and request.answered_late_on(request.sent_on):
        lines.append("回答が遅くなりましたことを、深くお詫び申し上げます。")
    lines += ["", *_contact_lines(company, request=True), "", "以上"]
    return "\n".join(lines)


def _method_lines(request: RightsRequest, items) -> list[str]:
    """How the answer is given: the method used (and, for electronic disclosure, the files);
    paper against an electronic request with the reason (art. 33(2))."""
    disclosing = any(item.kind in DISCLOSURE_KINDS and item.decision in (Decision.FULL, Decision.PARTIAL)
                     for item in items)
    method = request.method_used or (request.method_requested if disclosing else "")
    if not method:
        return []
    lines = [f"回答の方法：{METHOD_TEXT.get(method, method)}"]
    if disclosing and method == AnswerMethod.ELECTRONIC:
        files = disclosed_files(request)
        lines.append("　開示する保有個人データは、次の電子ファイルにより提供いたします"
                     "（本書に添付し、又は電子的方法によりお送りします）。")
        lines += [f"　・{attachment.original_name}" for attachment in files] or ["　・（添付ファイル）"]
    elif disclosing and request.method_requested == AnswerMethod.ELECTRONIC and method == AnswerMethod.PAPER:
        lines.append("　電磁的記録の提供による開示をご請求いただきましたが、次の理由により、書面の交付により開示いたします"
                     "（法第33条第2項）。")
        if request.paper_reason.strip():
            lines.append(f"　理由：{request.paper_reason.strip()}")
    return lines


def _contact_lines(company: Company, *, request: bool) -> list[str]:
    subject = "本書の内容" if request else "本件"
    return [f"{subject}についてご不明な点がございましたら、下記の窓口までお問い合わせください。",
            *(f"　{line}" for line in desk_lines(company))]


def _addressee(name: str, address: str, *, extra: str = "") -> list[str]:
    lines = [line.strip() for line in (address or "").splitlines() if line.strip()]
    if extra:
        lines.append(extra)
    lines.append(f"{name.strip() or 'ご請求者'}　様")
    return lines


def request_letter_pdf(request: RightsRequest) -> bytes:
    """The answer letter of `request` on the company's letterhead (letter_body if written,
    else the default text), with the disclosed files it carries listed."""
    company = request.company
    sheet = _sheet()
    title = "保有個人データの開示等の請求に対する回答書"
    story = _letterhead(
        sheet=sheet, company=company, day=request.sent_on or timezone.localdate(), reference=request.reference,
        addressee=_addressee(request.requester_name, request.requester_address), title=title,
    )
    story += _text_flowables(request.letter_body.strip() or request_letter_text(request), sheet)
    files = disclosed_files(request)
    if files:
        rows = [[_p("添付ファイル（開示する保有個人データ）", sheet["form_label"]), _p("サイズ", sheet["form_label"]),
                 _p("SHA-256", sheet["form_label"])]]
        rows += [[_p(esc(attachment.original_name), sheet["form_cell"]),
                  _p(esc(attachment.size_display), sheet["form_cell"]),
                  _p(esc(attachment.sha256), sheet["form_note"])] for attachment in files]
        table = Table(rows, colWidths=[CONTENT_WIDTH * 0.42, CONTENT_WIDTH * 0.13, CONTENT_WIDTH * 0.45],
                      repeatRows=1, hAlign="LEFT")
        table.setStyle(TableStyle([
            ("FONT", (0, 0), (-1, -1), FONT_NAME, 9),
            ("GRID", (0, 0), (-1, -1), 0.5, RULE),
            ("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ]))
        story += [Spacer(1, 10), table]
    return _build(story, title=f"{title} {request.reference}", company=company)


# ---------------------------------------------------------------------------
# The reply to a complaint


def complaint_reply_text(complaint: Complaint) -> str:
    """The default body of the reply to `complaint` (Japanese)."""
    kind = COMPLAINT_TEXT.get(complaint.classification, "お申し出")
    lines = ["拝啓　時下ますますご清祥のこととお慶び申し上げます。"]
    if complaint.classification == ComplaintClass.CONSULTATION:
        lines.append("このたびは、当社の個人情報の取扱いについてお問い合わせいただき、誠にありがとうございます。")
    else:
        lines.append("このたびは、当社の個人情報の取扱いに関し、ご心配とご迷惑をおかけしておりますことを"
                     "お詫び申し上げます。")
    lines += [
        f"{japanese_date(complaint.received_on)}にお寄せいただきました{kind}（受付番号：{complaint.reference}）"
        "につきまして、下記のとおりご回答申し上げます。",
        "", "敬具", "", "記", "",
        "1. お申し出の内容",
        *(f"　{line}" for line in complaint.summary.strip().splitlines()),
        "",
        "2. 当社からの回答",
    ]
    outcome = complaint.outcome.strip()
    lines += [f"　{line}" for line in outcome.splitlines()] if outcome else ["　（回答の内容をご記入ください）"]
    follow_up = []
    if complaint.request_id:
        follow_up.append(f"　お申し出は保有個人データの開示等のご請求として受け付けました（受付番号：{complaint.request.reference}）。"
                         "ご請求については別途回答いたします。")
    if complaint.incident_id:
        follow_up.append("　お申し出の事象については、社内で調査を行い、必要な措置を講じております。")
    if complaint.reveals_weakness:
        follow_up.append("　いただいたご指摘を踏まえ、当社における個人情報の取扱いを見直し、改善に取り組んでまいります。")
    if follow_up:
        lines += ["", "3. 今後の対応", *follow_up]
    lines += ["", *_contact_lines(complaint.company, request=False), "", "以上"]
    return "\n".join(lines)


def complaint_reply_pdf(complaint: Complaint) -> bytes:
    """The reply to `complaint` on the company's letterhead (reply_body if written, else
    the default text)."""
    company = complaint.company
    sheet = _sheet()
    title = ("個人情報の取扱いに関するご相談への回答書" if complaint.classification == ComplaintClass.CONSULTATION
             else "個人情報の取扱いに関するお申し出への回答書")
    contact = complaint.complainant_contact.strip()
    story = _letterhead(
        sheet=sheet, company=company, day=complaint.answered_on or timezone.localdate(),
        reference=complaint.reference, addressee=_addressee(complaint.complainant_name or "お申し出者", contact),
        title=title,
    )
    story += _text_flowables(complaint.reply_body.strip() or complaint_reply_text(complaint), sheet)
    return _build(story, title=f"{title} {complaint.reference}", company=company)
