"""The group companies' internal audits and this year's management reviews of the group.

- 株式会社INE保険サービス's internal audit is a cross-audit: led by 木村 (sol_auditor), the
  internal auditor of 株式会社INEソリューションズ, with 小林 (auditor) of the group. Its
  minor nonconformity (lists taken from the jointly used customer data left in personal
  folders) has its corrective action under way; the audit is closed.
- 株式会社INEソリューションズ, certified to ISO/IEC 27001 only, is audited against ISO/IEC
  27001:2022 by the group's auditors; the fieldwork is under way.
- This year's reviews: 株式会社INE保険サービス's, prepared by its own PMS manager, and the
  whole group's (MR-GROUP-…), prepared by the group's PMS office; both drafts.
"""

from __future__ import annotations

from incidents.demo.people import GROUP

from ..models import Grade
from .story import AuditStory, act, action, check, close_audit, finding, report, start, step

ISO_27001 = ("iso_iec_27001", "2022")

GROUP_AUDITS = [
    AuditStory(
        title="株式会社INE保険サービス 内部監査（クロス監査）",
        kind="internal", departments=("INS-SALES", "INS-ADM"), clauses=("6.1", "7", "8", "9.1"),
        planned_by="auditlead", lead="sol_auditor", auditors=("auditor",), planned_at=100, start=130, end=131,
        steps=[
            start("sol_auditor", 130, "開始会議で、株式会社INEソリューションズの内部監査員によるクロス監査であることと、"
                                      "監査の範囲を確認した。"),
            check("6.1", "sol_auditor", 130.2, "conforming",
                  "個人情報管理台帳（保険契約者情報と、グループで共同利用している顧客情報を含む）。"),
            check("7", "auditor", 130.4, "conforming", "教育受講記録（保険営業部・管理部とも受講率100%）。"),
            finding("work_folder", "sol_auditor", 130.6, clause="8", department="INS-SALES", grade=Grade.MINOR,
                    item=True,
                    description="グループで共同利用している顧客情報から抽出した顧客一覧が、募集人3名の個人の"
                                "作業用フォルダに保存されたままになっていた（最も古いものは半年前の抽出）。"
                                "抽出したデータの保管期限と削除の手順が定められていない。",
                    evidence="作業用フォルダの点検結果（3名分）、顧客情報の抽出記録"),
            check("8", "sol_auditor", 130.7, "nonconforming", "作業用フォルダの点検、顧客情報の抽出記録",
                  "抽出した顧客一覧の保存。"),
            check("9.1", "auditor", 131, "conforming", "運用の確認の記録（第1四半期）。"),
            report("sol_auditor", 135, "保険営業部で軽微な不適合1件（共同利用の顧客情報から抽出した一覧の保存）を"
                                       "検出した。その他の項目は規程どおり運用されている。",
                   "監査報告書を株式会社INE保険サービスの代表取締役に提出した。"),
            action("work_folder", "folder_cleanup", "ins_head", 137, kind="corrective",
                   title="抽出した顧客一覧の削除と、抽出データの保管期限・削除手順の制定",
                   description="作業用フォルダの顧客一覧を削除し、抽出したデータは使用後ただちに削除する手順を定める。",
                   owner="ins_head", verifier="ins_manager", due=200),
            step("work_folder", "respond", "ins_head", 138,
                 cause="抽出したデータの扱いが募集人に任されており、保管期限と削除の手順がなかった。",
                 plan="顧客一覧を削除し、抽出データの保管期限と削除の手順を定めて募集人に周知する。"),
            step("work_folder", "accept", "sol_auditor", 140, "計画を承認する。"),
            act("folder_cleanup", "start", "ins_head", 141),
            close_audit("auditlead", 145, "監査報告を承認。指摘事項は保険営業部の是正処置で追跡する。"),
        ],
    ),
    AuditStory(
        title="株式会社INEソリューションズ 内部監査（ISO/IEC 27001）",
        kind="internal", departments=("SOL-DEV", "SOL-ADM"), clauses=("6.1.2", "7.2", "8.1", "9.1"),
        standard=ISO_27001,
        planned_by="auditlead", lead="auditor2", auditors=("auditor",), planned_at=150, start=224, end=226,
        steps=[
            start("auditor2", 224, "開始会議で監査の範囲（ISMSの適用範囲：開発部・管理部）と日程を確認した。"),
            check("6.1.2", "auditor2", 224.4, "conforming", "情報セキュリティリスクアセスメントの記録（2026年度）。"),
            check("7.2", "auditor", 224.8, "conforming", "開発部員の力量の記録と教育計画。"),
        ],
    ),
]

# This year's reviews of the group: `company` is a company's code, or GROUP for the whole
# group's review; `by` the PMS manager who prepares and writes it; days of the fiscal year.
GROUP_REVIEWS = [
    {
        "company": "INS", "by": "ins_manager", "prepared": 214, "written": 222,
        "issues_changes": (
            "・保険業法に基づく監督指針の改正に合わせ、保険募集に関する顧客情報の管理規程を見直す。\n"
            "・グループで共同利用している顧客情報の取扱いについて、管理責任者の株式会社INEと手順を統一する。"
        ),
        "interested_parties": (
            "・引受保険会社から、募集人の顧客情報管理の点検結果の報告を年1回求められている。"
        ),
    },
    {
        "company": GROUP, "by": "manager", "prepared": 216, "written": 224,
        "issues_changes": (
            "・グループ3社の個人情報保護マネジメントシステムを一つのシステムで運用し始めた（プライバシーマークは"
            "株式会社INEと株式会社INE保険サービス、株式会社INEソリューションズはISO/IEC 27001）。\n"
            "・共同利用している顧客情報の漏えい等は、管理責任者の株式会社INEに遅滞なく通知する運用とした。"
        ),
        "interested_parties": (
            "・グループのプライバシーポリシーに基づき、個人情報問合せ窓口をグループで一つにしている。"
            "共同利用に関する本人からの問合せは株式会社INEが受け付ける。"
        ),
    },
]
