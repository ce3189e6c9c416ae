"""The clause catalogue: JIS Q 15001:2023 clauses 4–10 as far as domain.md §2.2 confirms
them, the 2017 Annex A list of §2.3, and ISO/IEC 27001:2022 clauses 4–10 (§3).

Titles are in our own words. `verified` marks what domain.md confirms in the primary text
([V]); the rest is best knowledge, to be checked against the standard a company holds.
"""

from django.db import migrations

JIS_2023 = [
    ("4", "組織の状況", "Context of the organisation", True),
    ("4.1", "組織及びその状況の理解（適用される法令・国の指針その他の規範の特定を含む）",
     "Understanding the organisation and its context, including applicable laws and norms", True),
    ("4.2", "利害関係者のニーズ及び期待の理解", "Needs and expectations of interested parties", True),
    ("4.3", "個人情報保護マネジメントシステムの適用範囲の決定", "Scope of the PMS", True),
    ("4.4", "個人情報保護マネジメントシステム", "The PMS itself", True),
    ("5", "リーダーシップ", "Leadership", True),
    ("5.1", "リーダーシップ及びコミットメント", "Leadership and commitment", True),
    ("5.2", "個人情報保護方針", "Personal-information protection policy", True),
    ("5.2.1", "個人情報保護方針の策定", "Establishing the policy", True),
    ("5.2.2", "個人情報保護方針に含める事項", "What the policy must contain", True),
    ("5.3", "役割、責任及び権限", "Roles, responsibilities and authority", True),
    ("5.3.1", "役割、責任及び権限の定め", "Defining roles, responsibilities and authority", True),
    ("5.3.2", "役割、責任及び権限の割当て", "Assigning them", True),
    ("6", "計画", "Planning", False),
    ("6.1", "個人情報の特定", "Identifying the personal information held", True),
    ("6.2", "リスク及び機会への取組み（リスクアセスメント及びリスク対応）",
     "Actions on risks and opportunities (risk assessment and treatment)", False),
    ("7", "支援（資源、力量、認識、コミュニケーション、文書化した情報）",
     "Support: resources, competence, awareness, communication, documented information", False),
    ("8", "運用（運用手順、緊急事態への準備を含む）", "Operation, including procedures and emergency preparedness", False),
    ("9", "パフォーマンス評価", "Performance evaluation", False),
    ("9.1", "監視、測定、分析及び評価（運用の確認を含む）",
     "Monitoring, measurement, analysis and evaluation (including operational checks)", False),
    ("9.2", "内部監査", "Internal audit", True),
    ("9.2.1", "内部監査の実施", "Conducting internal audits", True),
    ("9.2.2", "内部監査プログラム", "The internal audit programme", True),
    ("9.3", "マネジメントレビュー", "Management review", False),
    ("10", "改善（不適合及び是正処置、継続的改善）", "Improvement: nonconformity, corrective action, continual improvement",
     False),
]

JIS_2017_ANNEX_A = [
    ("A.3.1.1", "一般", "General"),
    ("A.3.2.1", "内部向け個人情報保護方針", "Internal personal-information protection policy"),
    ("A.3.2.2", "外部向け個人情報保護方針", "External personal-information protection policy"),
    ("A.3.3", "計画", "Planning"),
    ("A.3.3.1", "個人情報の特定", "Identifying personal information"),
    ("A.3.3.2", "法令、国が定める指針その他の規範", "Laws, national guidelines and other norms"),
    ("A.3.3.3", "リスクアセスメント及びリスク対策", "Risk assessment and treatment"),
    ("A.3.3.4", "資源、役割、責任及び権限", "Resources, roles, responsibilities and authority"),
    ("A.3.3.5", "内部規程", "Internal rules"),
    ("A.3.3.6", "計画策定", "Plans"),
    ("A.3.3.7", "緊急事態への準備", "Emergency preparedness"),
    ("A.3.4", "実施及び運用", "Implementation and operation"),
    ("A.3.4.1", "運用手順", "Operating procedures"),
    ("A.3.4.2", "取得、利用及び提供に関する原則", "Acquisition, use and provision"),
    ("A.3.4.2.1", "利用目的の特定", "Specifying the purpose of use"),
    ("A.3.4.2.2", "適正な取得", "Lawful acquisition"),
    ("A.3.4.2.3", "要配慮個人情報", "Sensitive personal information"),
    ("A.3.4.2.4", "個人情報を取得した場合の措置", "Measures on acquisition"),
    ("A.3.4.2.5", "本人から直接書面によって取得する場合の措置", "Direct written acquisition from the person"),
    ("A.3.4.2.6", "利用に関する措置", "Measures on use"),
    ("A.3.4.2.7", "本人に連絡又は接触する場合の措置", "Contacting the person"),
    ("A.3.4.2.8", "個人データの提供に関する措置", "Providing personal data"),
    ("A.3.4.2.8.1", "外国にある第三者への提供の制限", "Provision to third parties abroad"),
    ("A.3.4.2.8.2", "第三者提供に係る記録の作成など", "Records of third-party provision"),
    ("A.3.4.2.8.3", "第三者提供を受ける際の確認など", "Checks when receiving data"),
    ("A.3.4.2.9", "匿名加工情報", "Anonymised information"),
    ("A.3.4.3", "適正管理", "Proper management"),
    ("A.3.4.4", "個人情報に関する本人の権利", "Rights of the data subject"),
    ("A.3.4.5", "認識", "Awareness"),
    ("A.3.5", "文書化した情報", "Documented information"),
    ("A.3.5.1", "文書の範囲", "Scope of documents"),
    ("A.3.5.2", "文書化した情報の管理", "Control of documented information"),
    ("A.3.5.3", "文書化した情報のうち記録の管理", "Control of records"),
    ("A.3.6", "苦情及び相談への対応", "Complaints and consultation"),
    ("A.3.7", "パフォーマンス評価", "Performance evaluation"),
    ("A.3.7.1", "運用の確認", "Operational checks"),
    ("A.3.7.2", "内部監査", "Internal audit"),
    ("A.3.7.3", "マネジメントレビュー", "Management review"),
    ("A.3.8", "是正処置", "Corrective action"),
]

ISO_27001_2022 = [
    ("4", "組織の状況", "Context of the organisation", True),
    ("4.1", "組織及びその状況の理解", "Understanding the organisation and its context", True),
    ("4.2", "利害関係者のニーズ及び期待の理解", "Needs and expectations of interested parties", True),
    ("4.3", "ISMSの適用範囲の決定", "Scope of the ISMS", True),
    ("4.4", "情報セキュリティマネジメントシステム", "The ISMS", True),
    ("5", "リーダーシップ", "Leadership", True),
    ("5.1", "リーダーシップ及びコミットメント", "Leadership and commitment", True),
    ("5.2", "方針", "Policy", True),
    ("5.3", "組織の役割、責任及び権限", "Roles, responsibilities and authorities", True),
    ("6", "計画策定", "Planning", True),
    ("6.1", "リスク及び機会に対処する活動", "Actions to address risks and opportunities", True),
    ("6.1.2", "情報セキュリティリスクアセスメント", "Information security risk assessment", True),
    ("6.1.3", "情報セキュリティリスク対応", "Information security risk treatment", True),
    ("6.2", "情報セキュリティ目的及びそれを達成するための計画策定", "Information security objectives and plans", True),
    ("6.3", "変更の計画策定", "Planning of changes", True),
    ("7", "支援", "Support", True),
    ("7.1", "資源", "Resources", True),
    ("7.2", "力量", "Competence", True),
    ("7.3", "認識", "Awareness", True),
    ("7.4", "コミュニケーション", "Communication", True),
    ("7.5", "文書化した情報", "Documented information", True),
    ("8", "運用", "Operation", True),
    ("8.1", "運用の計画策定及び管理", "Operational planning and control", True),
    ("8.2", "情報セキュリティリスクアセスメント", "Risk assessment (operation)", True),
    ("8.3", "情報セキュリティリスク対応", "Risk treatment (operation)", True),
    ("9", "パフォーマンス評価", "Performance evaluation", True),
    ("9.1", "監視、測定、分析及び評価", "Monitoring, measurement, analysis and evaluation", True),
    ("9.2", "内部監査", "Internal audit", True),
    ("9.3", "マネジメントレビュー", "Management review", True),
    ("10", "改善", "Improvement", True),
    ("10.1", "継続的改善", "Continual improvement", True),
    ("10.2", "不適合及び是正処置", "Nonconformity and corrective action", True),
]


def _seed(Requirement, standard, edition, rows):
    by_clause = {}
    for position, row in enumerate(rows, start=1):
        clause, title_ja, title_en = row[:3]
        verified = row[3] if len(row) > 3 else False
        parent_clause = clause.rsplit(".", 1)[0] if "." in clause else None
        while parent_clause and parent_clause not in by_clause and "." in parent_clause:
            parent_clause = parent_clause.rsplit(".", 1)[0]
        requirement, _ = Requirement.objects.get_or_create(
            standard=standard, edition=edition, clause=clause,
            defaults={"title_ja": title_ja, "title_en": title_en, "verified": verified, "position": position * 10,
                      "parent": by_clause.get(parent_clause)},
        )
        by_clause[clause] = requirement


def forwards(apps, schema_editor):
    Requirement = apps.get_model("audits", "Requirement")
    _seed(Requirement, "jis_q_15001", "2023", JIS_2023)
    _seed(Requirement, "jis_q_15001", "2017", JIS_2017_ANNEX_A)
    _seed(Requirement, "iso_iec_27001", "2022", ISO_27001_2022)


def backwards(apps, schema_editor):
    apps.get_model("audits", "Requirement").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("audits", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
