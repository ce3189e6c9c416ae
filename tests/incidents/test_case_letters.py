"""The letters of issue 15 (incidents/case_letters.py): the blank request form, the answer to
a request and the reply to a complaint, as Japanese PDFs read back with pypdf: the text
extracts exactly, the sections come in order, nothing is set under 8 pt, user text stays
literal, refused items name their article, electronic disclosure lists its files."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from pypdf import PdfReader

from incidents import attachments, case_letters, case_services
from incidents.models import (
    AnswerMethod,
    Company,
    ComplaintClass,
    Decision,
    EvidencePurpose,
    ExceptionGround,
    IdentityMethod,
    IdentityResult,
    PrivacyDesk,
    RequesterType,
    RequestKind,
    RightsRequest,
)
from incidents.pdf.base import FONT_NAME
from incidents.workflow.service import transition_record

TOKYO = dt.timezone(dt.timedelta(hours=9))
RECEIVED = dt.date(2026, 11, 2)
HOSTILE = '<b>太字</b> <img src="/etc/passwd"> R&D <unclosed'

pytestmark = pytest.mark.django_db


def at(day: dt.date):
    return time_machine.travel(dt.datetime.combine(day, dt.time(10), tzinfo=TOKYO), tick=False)


def read(pdf: bytes) -> PdfReader:
    assert pdf.startswith(b"%PDF")
    return PdfReader(io.BytesIO(pdf))


def text_of(reader: PdfReader) -> str:
    """The text without whitespace: wrapped lines come back with breaks inside."""
    return "".join("".join(page.extract_text() for page in reader.pages).split())


def squash(value: str) -> str:
    return "".join(value.split())


def font_sizes(reader: PdfReader) -> set[float]:
    """Every size a `Tf` operator sets in the pages' content streams."""
    sizes = set()
    for page in reader.pages:
        content = page.get_contents().get_data().decode("latin-1")
        sizes |= {float(size) for size in re.findall(r"/\S+\s+([\d.]+)\s+Tf", content)}
    return sizes


def assert_fonts(reader: PdfReader) -> None:
    sizes = font_sizes(reader)
    assert sizes and min(sizes) >= 8, sizes
    fonts = {font.get_object()["/BaseFont"] for page in reader.pages
             for font in (page["/Resources"].get("/Font") or {}).values()}
    assert fonts and all(FONT_NAME in str(name) for name in fonts), fonts  # embedded subset, no Helvetica


def in_order(text: str, *parts: str) -> None:
    """Each part found in `text` after the one before it."""
    position = 0
    for part in parts:
        found = text.find(squash(part), position)
        assert found >= 0, f"{part!r} not found after position {position}: {text[position:position + 80]!r}…"
        position = found + len(squash(part))


def receive(by, kinds=(RequestKind.DISCLOSURE,), **data) -> RightsRequest:
    data = {"channel": "post", "received_on": RECEIVED, "requester_name": "山田 花子",
            "requester_address": "〒100-0001\n東京都千代田区千代田1-1", "summary": "保有個人データの開示を求める", **data}
    return case_services.request_receive(by=by, kinds=list(kinds), **data)


def confirmed(request, by) -> RightsRequest:
    return transition_record(request, "confirm_identity", by=by, changes={
        "identity_method": IdentityMethod.ID_COPY, "identity_result": IdentityResult.CONFIRMED,
        "identity_checked_on": RECEIVED})


def decide(request, by, kind, decision, **data) -> None:
    item = request.items.get(kind=kind)
    case_services.request_item_update(item=item, by=by, version=item.version, decision=decision, **data)


# ---------------------------------------------------------------------------
# The blank form


def test_the_request_form_has_every_section_in_order_in_japanese_at_eight_points_or_more(manager, settings):
    PrivacyDesk.objects.create(company=Company.objects.default(), address="東京都港区芝5-1-1", postal_code="108-0014",
                               telephone="03-0000-0000", fee=1000)
    with translation.override("en"):  # the page may be English: the form is Japanese all the same
        reader = read(case_letters.request_form_pdf())
    assert 1 <= len(reader.pages) <= 2
    assert_fonts(reader)
    text = text_of(reader)
    company = Company.objects.default()
    in_order(
        text, "保有個人データ開示等請求書", f"{company.name}", "1.請求者", "請求者の区分", "□本人", "□法定代理人",
        "□任意代理人", "2.本人", "委任状", "3.保有個人データを特定するための情報", "4.請求の内容",
        "利用目的の通知（法第32条第2項）", "開示（法第33条第1項）", "第三者提供記録の開示（法第33条第5項）",
        "内容の訂正・追加・削除（法第34条第1項）", "利用の停止・消去（法第35条第1項・第5項）",
        "第三者への提供の停止（法第35条第3項・第5項）", "5.開示の方法", "電磁的記録の提供", "書面の交付",
        "法第33条第1項", "6.同封いただく書類", "本人確認書類の写し", "7.手数料（法第38条）", "1件につき1,000円",
        "8.送付にかかる費用", "ご請求者のご負担", "送付先", "〒108-0014東京都港区芝5-1-1", "TEL03-0000-0000",
        "当社記入欄",
    )
    # The fee is for the purpose and disclosure only; the others are free (art. 38).
    assert squash("訂正・追加・削除、利用の停止・消去及び第三者への提供の停止のご請求には、手数料はかかりません") in text
    assert "Generated" not in text


def test_the_form_leaves_out_the_postage_note_when_the_company_does_not_ask_for_it(manager, settings):
    PrivacyDesk.objects.create(company=Company.objects.default(), postage_by_requester=False)
    text = text_of(read(case_letters.request_form_pdf(Company.objects.default())))
    assert "送付にかかる費用" not in text
    assert squash("当社所定の額（金額は窓口にお問い合わせください）") in text


# ---------------------------------------------------------------------------
# The answer to a request


def test_the_answer_letter_names_each_decision_and_the_article_of_each_refusal(manager):
    with at(RECEIVED):
        request = confirmed(receive(manager, kinds=[RequestKind.DISCLOSURE, RequestKind.CORRECTION,
                                                    RequestKind.STOP_USE]), manager)
        decide(request, manager, RequestKind.DISCLOSURE, Decision.PARTIAL, ground=ExceptionGround.HARM,
               reason="第三者の個人情報が含まれるため、その部分を除いて開示します", outcome="会員登録情報")
        decide(request, manager, RequestKind.CORRECTION, Decision.REFUSED, ground=ExceptionGround.NOT_INCORRECT,
               reason="登録内容は事実と相違しないため")
        decide(request, manager, RequestKind.STOP_USE, Decision.ALTERNATIVE, ground=ExceptionGround.COST,
               reason="バックアップからの削除が困難なため、利用を停止しました")
        request = case_services.request_update(request=RightsRequest.objects.get(pk=request.pk), by=manager,
                                               version=request.version, fee_amount=1000)
    with translation.override("en"):
        letter = case_letters.request_letter_text(RightsRequest.objects.get(pk=request.pk))
    assert "2026年11月2日に受け付けました" in letter
    assert request.reference in letter
    assert "第36条" in letter
    lines = letter.splitlines()
    # Each item: its kind with its article, the answer, the article relied on and the reason.
    disclosure = lines.index("1. 開示（法第33条第1項）")
    assert lines[disclosure + 1] == "　回答：ご請求の一部について対応いたしました。"
    assert "法第33条第2項第1号" in lines[disclosure + 3]
    correction = lines.index("2. 内容の訂正・追加・削除（法第34条第1項）")
    assert lines[correction + 1] == "　回答：誠に恐れ入りますが、ご請求には応じられません。"
    assert lines[correction + 2].startswith("　根拠：") and "法第34条第2項" in lines[correction + 2]
    assert lines[correction + 3] == "　理由：登録内容は事実と相違しないため"
    assert "利用の停止の措置" in lines[lines.index("3. 利用の停止・消去（法第35条第1項・第5項）") + 1]
    assert "手数料：1,000円（法第38条）" in lines
    assert lines[-1] == "以上"


def test_electronic_disclosure_lists_the_attached_files_in_the_text_and_the_pdf(manager):
    with at(RECEIVED):
        request = receive(manager, method_requested=AnswerMethod.ELECTRONIC,
                          requester_type=RequesterType.LEGAL_REPRESENTATIVE, requester_name="佐藤 一郎",
                          subject_name="佐藤 翔太")
        request = case_services.request_update(request=request, by=manager, version=request.version,
                                               authority_evidence="戸籍謄本（親子関係）")
        request = confirmed(request, manager)
        decide(request, manager, RequestKind.DISCLOSURE, Decision.FULL)
        for name in ("会員情報_開示.csv", "購入履歴.txt"):
            attachments.attachment_add(record=request, by=manager, purpose=EvidencePurpose.DISCLOSED_DATA,
                                       file=SimpleUploadedFile(name, "氏名,住所\n佐藤,東京\n".encode()))
        attachments.attachment_add(record=request, by=manager, purpose=EvidencePurpose.IDENTITY,
                                   file=SimpleUploadedFile("免許証.csv", b"x"))
        request = transition_record(RightsRequest.objects.get(pk=request.pk), "answer", by=manager, changes={
            "method_used": AnswerMethod.ELECTRONIC, "sent_on": RECEIVED + dt.timedelta(days=5)})
    letter = case_letters.request_letter_text(request)
    assert "法定代理人である佐藤 一郎様から、佐藤 翔太様ご本人" in letter
    assert "回答の方法：電磁的記録の提供による方法" in letter
    assert "　・会員情報_開示.csv" in letter.splitlines() and "　・購入履歴.txt" in letter.splitlines()
    assert "免許証" not in letter  # an identity copy is not disclosed data

    reader = read(case_letters.request_letter_pdf(request))
    assert_fonts(reader)
    text = text_of(reader)
    in_order(text, "2026年11月7日", f"受付番号{request.reference}", "佐藤一郎様", "保有個人データの開示等の請求に対する回答書",
             "拝啓", "記", "1.開示（法第33条第1項）", "回答の方法", "以上", "添付ファイル（開示する保有個人データ）",
             "会員情報_開示.csv", "購入履歴.txt")
    assert "東京都千代田区千代田1-1" in text
    assert "免許証" not in text


def test_the_letter_prints_the_edited_text_escaped(manager):
    with at(RECEIVED):
        request = receive(manager, requester_name=HOSTILE)
        request = case_services.request_update(request=request, by=manager, version=request.version,
                                               letter_body=f"本文の一行目\n{HOSTILE}\n以上")
    reader = read(case_letters.request_letter_pdf(request))
    text = text_of(reader)
    assert squash(HOSTILE) in text  # the markup is text, not bold or an image
    assert "本文の一行目" in text and "拝啓" not in text  # the edited body replaces the default
    assert not any("/XObject" in page["/Resources"] for page in reader.pages)
    assert_fonts(reader)


def test_a_refusal_for_identity_names_article_37(manager):
    with at(RECEIVED):
        request = transition_record(receive(manager), "check_identity", by=manager,
                                    changes={"identity_method": IdentityMethod.REGISTERED_DETAILS})
        request = case_services.request_update(request=request, by=manager, version=request.version,
                                               identity_result=IdentityResult.FAILED)
        request = transition_record(request, "refuse", by=manager, comment="登録情報と一致しない",
                                    changes={"sent_on": RECEIVED, "consequence_acknowledged": True})
    letter = case_letters.request_letter_text(request)
    assert "ご請求には応じられません" in letter and "法第37条第1項" in letter


def test_paper_against_an_electronic_request_gives_the_reason(manager):
    with at(RECEIVED):
        request = confirmed(receive(manager, method_requested=AnswerMethod.ELECTRONIC), manager)
        decide(request, manager, RequestKind.DISCLOSURE, Decision.FULL)
        request = transition_record(RightsRequest.objects.get(pk=request.pk), "answer", by=manager, changes={
            "method_used": AnswerMethod.PAPER, "sent_on": RECEIVED, "paper_reason": "対象データが紙の申込書のみのため"})
    letter = case_letters.request_letter_text(request)
    assert "書面の交付により開示いたします（法第33条第2項）" in letter
    assert "理由：対象データが紙の申込書のみのため" in letter


# ---------------------------------------------------------------------------
# The reply to a complaint


def test_the_complaint_reply_has_the_summary_the_answer_and_what_followed(manager):
    with at(RECEIVED):
        complaint = case_services.complaint_receive(
            by=manager, channel="phone", received_on=RECEIVED, complainant_name="鈴木 一郎",
            complainant_contact="東京都新宿区西新宿2-8-1", summary=f"DMの停止を依頼したのに届いた {HOSTILE}",
            classification=ComplaintClass.COMPLAINT)
        complaint = case_services.complaint_update(complaint=complaint, by=manager, version=complaint.version,
                                                   reveals_weakness=True, weakness_note="配信停止の反映漏れ")
        complaint = transition_record(complaint, "answer", by=manager, changes={
            "answered_on": RECEIVED + dt.timedelta(days=3), "outcome": "配信停止を反映し、お詫びしました。"})
    with translation.override("en"):
        reply = case_letters.complaint_reply_text(complaint)
    assert f"2026年11月2日にお寄せいただきました苦情（受付番号：{complaint.reference}）" in reply
    in_order(squash(reply), "1. お申し出の内容", "DMの停止を依頼した", "2. 当社からの回答", "配信停止を反映し", "3. 今後の対応",
             "改善に取り組んでまいります", "以上")

    reader = read(case_letters.complaint_reply_pdf(complaint))
    assert_fonts(reader)
    text = text_of(reader)
    in_order(text, "2026年11月5日", f"受付番号{complaint.reference}", "鈴木一郎様",
             "個人情報の取扱いに関するお申し出への回答書", "1.お申し出の内容", "2.当社からの回答", "以上")
    assert squash(HOSTILE) in text
