"""The six role groups of design.md and the JIPDEC pick-lists (domain.md §5.1)."""

from django.db import migrations

ROLES = ["staff", "pms_manager", "department_head", "auditor", "audit_lead", "executive"]

EVENT_CLASSES = [
    ("mis_sending", "誤送信（メール・FAX）", "Mis-sent email or fax"),
    ("misdelivery", "誤配達・誤交付", "Misdelivery or handing to the wrong person"),
    ("loss_damage", "紛失・滅失・き損", "Loss, destruction or damage"),
    ("unauthorized_access", "不正アクセス", "Unauthorized access"),
    ("wrong_display", "誤表示", "Wrong display"),
    ("wrong_registration", "誤登録", "Wrong registration"),
    ("malware", "マルウェア感染", "Malware infection"),
    ("wrong_disposal", "誤廃棄", "Wrong disposal"),
    ("theft", "盗難", "Theft"),
    ("insider", "内部不正行為", "Insider wrongdoing"),
    ("other", "その他", "Other"),
]

CAUSES = [
    ("operating_error", "操作ミス", "Operating error"),
    ("insufficient_checking", "確認不足", "Insufficient checking"),
    ("rule_breach", "規程・手順の不遵守", "Procedures or rules not followed"),
    ("insufficient_training", "教育不足", "Insufficient training"),
    ("weak_risk_assessment", "リスク評価の不足", "Weak risk assessment"),
    ("weak_password", "脆弱なパスワード", "Weak passwords"),
    ("access_control_gap", "アクセス制御の不備", "Gaps in access control"),
    ("design_flaw", "設計・設定の不備", "Design or configuration flaw"),
    ("missing_patch", "修正プログラムの未適用", "Missing security patches"),
    ("malicious_act", "第三者・内部者による不正行為", "Malicious act by an outsider or insider"),
    ("other", "その他", "Other"),
]


def forwards(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in ROLES:
        Group.objects.get_or_create(name=name)
    for model_name, rows in (("EventClass", EVENT_CLASSES), ("CauseCategory", CAUSES)):
        model = apps.get_model("incidents", model_name)
        for position, (code, name_ja, name_en) in enumerate(rows, start=1):
            model.objects.get_or_create(
                code=code, defaults={"name_ja": name_ja, "name_en": name_en, "position": position * 10}
            )


def backwards(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
