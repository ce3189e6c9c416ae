"""The J items of the PrivacyMark guideline, プライバシーマークにおける個人情報保護マネジメント
システム構築・運用指針【JIS Q 15001:2023準拠 ver1.0】 (JIPDEC, December 2023), against which
PrivacyMark applications have been assessed since 2024-10-01 (domain.md §2.1, §2.3, §7).

The guideline is not reproduced: titles are short descriptions in our own words. Chapters J.1–J.11
and their items are listed in the guideline's order (`position`); each item's parent is its
number without the last part (J.3.1.1 → J.3.1 → J.3).

`verified` is True where a public source we read names the item's number (on its own, in a list
of items or in a cross-reference); a heading known only because a sub-item of it is named
(J.2.3, J.3.1, J.4.4, J.4.5) and every item no source named stay False. Where the source gives a
number without its title (J.4.3, J.8.7, J.9.2, J.10.2, J.10.7, J.11.1), the title is inferred from
the JIS Q 15001 structure the guideline follows (2017 Annex A, 2023 clauses 4–10): check it
against the guideline. Sources read:

- JIPDEC, 内部監査への対応 (items in scope of a conformity audit; written for the 2022 version,
  same numbering): https://www.privacymark.jp/system/operation/audit/index.html — J.1.3, J.1.4,
  J.2.2, J.2.3.1, J.2.3.2, J.2.4, J.3.1.1, J.3.1.3, J.6.2. (J.2.4 is seen there only, in the
  2022 version: left unverified for ver1.0.)
- SecureNavi, JIS Q 15001:2023への改正に伴うPマーク構築・運用指針の変更点について:
  https://support.secure-navi.jp/hc/ja/articles/33524729533593 — J.3.4 (the only new item),
  J.8.3, J.8.8.4, J.8.9, J.8.10, J.8.7, J.3.1.1, J.3.1.3, J.4.4.2, J.8.8, J.9.2, J.10.2, J.10.7,
  J.11.1.
- SecureNavi, リスクの洗い出しに着手する (Pマーク):
  https://support.secure-navi.jp/hc/ja/articles/12431817899673 — J.3.1.3, J.3.1.4.
- Runway labo., 構築・運用指針の項目解説 Vol.1–5: https://runway-labo.com/2140 (J.1, J.1.1,
  J.1.4, J.3.1.2, J.6.3), https://runway-labo.com/2527 (J.4, J.4.1, J.4.2, J.1.2, J.4.3),
  https://runway-labo.com/2596 (J.8, J.8.1, J.8.2), https://runway-labo.com/2663 (J.8.8, J.8.5,
  J.8.7), https://runway-labo.com/2724 (J.9, J.9.1; the part covers J.9–J.11: 適正管理,
  本人の権利, 苦情及び相談).
- JTRUST, 構築・運用指針2023版の全貌: https://jtrustc.co.jp/knowledge/jis-q-15001-2023_240228/ —
  chapters J.1–J.8 against JIS Q 15001:2023, the J.1–J.11 structure unchanged from the 2022 version.
- http://blog.livedoor.jp/yamadaryouta/archives/58862303.html — J.3.4 変更の計画策定, the only
  item added by the revision.

A consultancy's list of the items changed in ver1.0, read through a search index that kept no
address for it, also names J.1.5, J.3.1.4, J.4.4.2 (緊急事態への準備), J.4.5.4 (内部規程),
J.4.5.5 (記録の管理), J.5.1, J.6.1, J.7.1, J.8.4, J.8.5, J.8.6: without an address to check,
those it alone names stay unverified. Not listed because no source told its subject: J.3.3
(J.3.4 follows it); J.5 and J.9 may have items beyond those listed.
"""

from django.db import migrations

STANDARD, EDITION = "pmark_guideline", "2023v1.0"

# (number, title_ja, title_en, verified), in the guideline's order.
J_ITEMS = [
    ("J.1", "組織の状況", "Context of the organisation", True),
    ("J.1.1", "組織とその状況の把握", "Understanding the organisation and its context", True),
    ("J.1.2", "利害関係者のニーズ・期待の把握", "Needs and expectations of interested parties", True),
    ("J.1.3", "適用される法令・国の指針その他の規範の特定", "Applicable laws, national guidelines and other norms",
     True),
    ("J.1.4", "PMSの適用範囲の決定", "Scope of the PMS", True),
    ("J.1.5", "PMSの確立・実施・維持・改善", "Establishing, running and improving the PMS", False),
    ("J.2", "リーダーシップ", "Leadership", True),
    ("J.2.1", "トップマネジメントのリーダーシップとコミットメント", "Leadership and commitment of top management",
     False),
    ("J.2.2", "個人情報保護方針", "Personal-information protection policy", True),
    ("J.2.3", "役割・責任・権限", "Roles, responsibilities and authority", False),
    ("J.2.3.1", "組織内の役割・責任・権限の割当て", "Assigning roles, responsibilities and authority", True),
    ("J.2.3.2", "個人情報保護管理者と個人情報保護監査責任者", "The PMS manager and the audit lead", True),
    ("J.2.4", "管理目的及び管理策の全般", "Control objectives and controls in general", False),
    ("J.3", "計画", "Planning", True),
    ("J.3.1", "リスク及び機会への取組み", "Actions on risks and opportunities", False),
    ("J.3.1.1", "取り扱う個人情報の特定", "Identifying the personal information handled", True),
    ("J.3.1.2", "リスク及び機会に対処する活動の計画", "Planning actions on risks and opportunities", True),
    ("J.3.1.3", "個人情報保護リスクアセスメント", "Privacy risk assessment", True),
    ("J.3.1.4", "個人情報保護リスク対応", "Privacy risk treatment", True),
    ("J.3.2", "個人情報保護目的と達成の計画", "Privacy objectives and plans to achieve them", False),
    ("J.3.4", "PMSの変更の計画策定", "Planning changes to the PMS", True),
    ("J.4", "支援", "Support", True),
    ("J.4.1", "資源の決定と提供", "Resources", True),
    ("J.4.2", "力量", "Competence", True),
    ("J.4.3", "認識", "Awareness", True),
    ("J.4.4", "コミュニケーション", "Communication", False),
    ("J.4.4.1", "内部・外部とのコミュニケーション", "Internal and external communication", False),
    ("J.4.4.2", "緊急事態への準備", "Emergency preparedness", True),
    ("J.4.5", "文書化した情報", "Documented information", False),
    ("J.4.5.1", "文書化した情報の範囲", "Scope of documented information", False),
    ("J.4.5.2", "文書の作成及び更新", "Creating and updating documents", False),
    ("J.4.5.3", "文書化した情報の管理", "Control of documented information", False),
    ("J.4.5.4", "内部規程", "Internal rules", False),
    ("J.4.5.5", "記録の管理", "Control of records", False),
    ("J.5", "運用", "Operation", True),
    ("J.5.1", "運用の計画と管理", "Operational planning and control", False),
    ("J.6", "パフォーマンス評価", "Performance evaluation", True),
    ("J.6.1", "監視・測定・分析・評価（運用の確認）",
     "Monitoring, measurement, analysis and evaluation (operational checks)", False),
    ("J.6.2", "内部監査", "Internal audit", True),
    ("J.6.3", "マネジメントレビュー", "Management review", True),
    ("J.7", "改善", "Improvement", True),
    ("J.7.1", "不適合と是正処置", "Nonconformity and corrective action", False),
    ("J.7.2", "継続的改善", "Continual improvement", False),
    ("J.8", "取得・利用・提供の原則", "Acquisition, use and provision", True),
    ("J.8.1", "利用目的の特定", "Specifying the purpose of use", True),
    ("J.8.2", "適正な取得", "Lawful acquisition", True),
    ("J.8.3", "要配慮個人情報等の取得", "Acquiring sensitive personal information", True),
    ("J.8.4", "個人情報を取得したときの措置", "Measures on acquisition", False),
    ("J.8.5", "本人から書面で直接取得するときの措置", "Direct written acquisition from the person", True),
    ("J.8.6", "利用に関する措置", "Measures on use", False),
    ("J.8.7", "本人に連絡・接触するときの措置", "Contacting the person", True),
    ("J.8.8", "個人データの提供に関する措置", "Providing personal data", True),
    ("J.8.8.1", "外国にある第三者への提供の制限", "Provision to third parties abroad", False),
    ("J.8.8.2", "第三者提供の記録の作成", "Records of third-party provision", False),
    ("J.8.8.3", "第三者から提供を受けるときの確認", "Checks when receiving data from a third party", False),
    ("J.8.8.4", "個人関連情報の第三者提供の制限", "Provision of person-related information", True),
    ("J.8.9", "匿名加工情報", "Anonymously processed information", True),
    ("J.8.10", "仮名加工情報", "Pseudonymously processed information", True),
    ("J.9", "適正管理", "Proper management", True),
    ("J.9.1", "正確性の確保", "Keeping personal data accurate", True),
    ("J.9.2", "安全管理措置", "Security measures", True),
    ("J.9.3", "従業者の監督", "Supervising staff", False),
    ("J.9.4", "委託先の監督", "Supervising contractors", False),
    ("J.10", "個人情報に関する本人の権利", "Rights of the data subject", True),
    ("J.10.1", "本人の権利の範囲", "The rights the person holds", False),
    ("J.10.2", "開示等の請求等に応じる手続", "Procedures for requests from individuals", True),
    ("J.10.3", "保有個人データに関する事項の周知", "Informing about retained personal data", False),
    ("J.10.4", "利用目的の通知", "Notifying the purpose of use", False),
    ("J.10.5", "開示", "Disclosure", False),
    ("J.10.6", "訂正・追加・削除", "Correction, addition or deletion", False),
    ("J.10.7", "利用停止・消去・第三者提供の停止", "Stopping use or provision, deletion", True),
    ("J.11", "苦情及び相談への対応", "Complaints and consultation", True),
    ("J.11.1", "苦情及び相談の受付と対応", "Receiving and handling complaints and consultation", True),
]


def forwards(apps, schema_editor):
    Requirement = apps.get_model("audits", "Requirement")
    by_clause = {}
    for position, (clause, title_ja, title_en, verified) in enumerate(J_ITEMS, start=1):
        parent_clause = clause.rsplit(".", 1)[0] if clause.count(".") > 1 else None
        requirement, _ = Requirement.objects.get_or_create(
            standard=STANDARD, edition=EDITION, clause=clause,
            defaults={"title_ja": title_ja, "title_en": title_en, "verified": verified, "position": position * 10,
                      "parent": by_clause[parent_clause] if parent_clause else None},
        )
        by_clause[clause] = requirement


def backwards(apps, schema_editor):
    # Children first: a parent is protected while an item points to it. (An item on an audit's
    # checklist is protected too: the migration is not reversed while audits use the J items.)
    Requirement = apps.get_model("audits", "Requirement")
    items = Requirement.objects.filter(standard=STANDARD, edition=EDITION)
    for clause in sorted(items.values_list("clause", flat=True), key=lambda c: c.count("."), reverse=True):
        items.filter(clause=clause).delete()


class Migration(migrations.Migration):
    dependencies = [("audits", "0010_pmark_guideline_standard")]

    operations = [migrations.RunPython(forwards, backwards)]
