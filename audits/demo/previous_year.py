"""The previous fiscal year, for the management review of that year: its last incidents and
its internal audits.
"""

from __future__ import annotations

from incidents.demo import story as incident_story

from ..models import Grade
from .story import AuditStory, act, action, check, close_audit, finding, report, start, step

# The previous fiscal year, for the management review of that year (MR-INE-FY2025 when seeded
# in the 2026 fiscal year): two more incidents, a near miss and a recurrence (the same cause
# in the same department within twelve months), dated in days before today like the
# incidents app's stories (so they fall in the previous fiscal year when the demo is seeded
# in the second half of a fiscal year, as the incidents' stories of that winter do), and the
# year's internal audits, dated in days of the previous fiscal year.

PREVIOUS_YEAR_STORIES = [
    incident_story.Story(
        title="見積書の添付ファイルの取り違えによる誤送信（別の取引先の担当者情報）",
        reporter="staff", department="SALES", kind="leak", days_ago=300, occurred=0.05,
        description=(
            "取引先A社に送る見積書のメールに、誤ってB社宛ての見積書のPDFを添付して送信した。"
            "見積書にはB社の担当者1名の氏名・部署・電話番号・メールアドレスが記載されていた。"
            "送信から約30分後、A社の担当者からの連絡で判明した。"
        ),
        report={"data_items": "取引先担当者の氏名、部署、電話番号、メールアドレス", "affected_count": 1},
        steps=[
            incident_story.step("triage", "manager", 0.05,
                                "誤送信として初動対応を開始。12月の一斉送信の誤送信とは別の経路（添付ファイル）で発生。",
                                severity="L1", kind="leak", event_class="mis_sending"),
            incident_story.step("contain", "manager", 0.5, "",
                                containment_summary="A社の担当者にメールと添付ファイルの削除を依頼し、削除したことを"
                                                    "電話とメールで確認した。B社の担当者に経緯を説明して謝罪した。",
                                correction_taken="A社への削除依頼とB社への謝罪。"),
            incident_story.step("analyse", "manager", 4, "",
                                root_cause="添付するファイルをファイル名だけで選び、送信前に添付ファイルの中身を"
                                           "確かめる手順がなかった。12月の誤送信の是正処置（手順書の改訂）は宛先の"
                                           "確認に限られ、添付ファイルを対象にしていなかった。",
                                cause="insufficient_checking"),
            incident_story.plan("attachment_check", "manager", 4, kind="corrective",
                                title="外部宛てメールの送信前確認に添付ファイルの中身の確認を追加",
                                department="SALES", owner="head_sales", verifier="manager", due=30),
            incident_story.step("plan_actions", "manager", 5,
                                "同じ部署で同じ原因（確認不足）の再発。送信前確認の対象を添付ファイルに広げる。"),
            incident_story.act("attachment_check", "start", "head_sales", 5),
            incident_story.file("pmark_final", "office", 10, "",
                                recipient_reference="審査機関 受付番号 PM-{year}-0049", method="email",
                                filing_note="漏えい1名（取引先担当者の連絡先）。削除の確認と、送信前確認の対象を"
                                            "添付ファイルに広げる再発防止策を記載した。"),
            incident_story.act("attachment_check", "implement", "head_sales", 24,
                               implementation_note="メール送信手順書の送信前確認に、添付ファイルを開いて宛先と"
                                                   "内容を照合する項目を追加し、営業部の全員に説明した。"),
            incident_story.step("verify", "manager", 25),
            incident_story.act("attachment_check", "verify_effective", "manager", 55,
                               effectiveness_note="1か月間の外部宛てメールの抜取り確認（40件）で、添付ファイルの"
                                                  "取り違えがないことを確認した。"),
            incident_story.step("close", "office", 58, "再発防止策の有効性を確認し、完了とする。"),
        ],
    ),
    incident_story.Story(
        title="源泉徴収票の封入誤り（発送前のダブルチェックで発見）",
        reporter="head_hr", department="HR", kind="near_miss", days_ago=270, occurred=0.01,
        description=(
            "退職者への源泉徴収票を郵送する準備で、別の退職者の源泉徴収票を封筒に入れかけたが、"
            "発送前のダブルチェックで担当者とは別の社員が気付き、封入し直した。"
        ),
        report={"data_items": "氏名、住所、給与の支払額、源泉徴収税額", "affected_count": 0},
        steps=[
            incident_story.step("triage", "manager", 0.2, "ヒヤリハットとして記録する。", severity="L0",
                                kind="near_miss", event_class="misdelivery"),
            incident_story.step("contain", "manager", 0.3, "",
                                containment_summary="発送前に発見し、正しい源泉徴収票を封入し直した。外部への送付はない。"),
            incident_story.step("analyse", "manager", 3, "",
                                root_cause="同じ日に複数の退職者の書類を並行して封入しており、宛名と書類の氏名を"
                                           "照合する手順がなかった。",
                                cause="insufficient_checking"),
            incident_story.plan("envelope", "manager", 3.5, kind="preventive",
                                title="郵送書類の封入時の宛名と書類の氏名の照合（2名確認）の手順化",
                                department="HR", owner="head_hr", verifier="office", due=20),
            incident_story.step("plan_actions", "manager", 4,
                                "ヒヤリハットのため是正処置は不要。予防処置として封入の手順を定める。"),
            incident_story.act("envelope", "start", "head_hr", 4),
            incident_story.act("envelope", "implement", "head_hr", 10,
                               implementation_note="封入時に1件ずつ宛名と書類の氏名を照合し、照合した者が封筒の控えに"
                                                   "押印する手順を人事部の手順書に追加した。"),
            incident_story.step("verify", "manager", 11),
            incident_story.act("envelope", "verify_effective", "office", 40,
                               effectiveness_note="翌月の発送分（給与明細を含む86件）の照合記録を確認した。照合漏れなし。"),
            incident_story.step("close", "manager", 41),
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
