"""The demo group's companies, departments and people: a user for every role, one shared
password.

株式会社INE, the default company, holds PrivacyMark and is the group's company responsible
for jointly used data (共同利用の管理責任者); its PMS office, its auditors, its audit lead and
its president hold their roles for the whole group. Two group companies: 株式会社INE
ソリューションズ, certified to ISO/IEC 27001 only (no PrivacyMark), and 株式会社INE保険サービス,
an insurance agency holding PrivacyMark that reports leaks to 金融庁 (the PPC delegated its
authority over the sector), with its own PMS manager and president, who hold their roles
for that company only.

The audits app adds its second internal auditor (audits/demo/people.py).
"""

from __future__ import annotations

from dataclasses import dataclass

PASSWORD = "demo-pass-2026"
EMAIL_DOMAIN = "ine.example"

# A DemoUser's `scope` for roles held for the whole group (RoleScope with no company).
GROUP = "GROUP"


@dataclass(frozen=True)
class DemoCompany:
    code: str
    name: str
    corporate_number: str  # 法人番号, its check digit first
    privacy_officer: str  # username of the 個人情報保護管理者
    holds_privacymark: bool = False
    privacymark_number: str = ""
    privacymark_body: str = ""
    iso27001_certified: bool = False
    iso27001_certificate: str = ""
    leak_authority: str = "ppc"
    leak_authority_name: str = ""
    joint_use_manager: bool = False
    is_default: bool = False


JIPDEC = "一般財団法人日本情報経済社会推進協会（JIPDEC）"

COMPANIES = [
    DemoCompany("INE", "株式会社INE", "8010001145678", "manager", holds_privacymark=True,
                privacymark_number="第10820345(07)号", privacymark_body=JIPDEC, joint_use_manager=True,
                is_default=True),
    DemoCompany("SOL", "株式会社INEソリューションズ", "1011001098765", "sol_head_adm",
                iso27001_certified=True, iso27001_certificate="JQA-IM1842"),
    DemoCompany("INS", "株式会社INE保険サービス", "3011101067890", "ins_manager", holds_privacymark=True,
                privacymark_number="第10861572(03)号", privacymark_body=JIPDEC,
                leak_authority="delegated", leak_authority_name="金融庁"),
]

# code, name, username of the head, company code
DEPARTMENTS = [
    ("SALES", "営業部", "head_sales", "INE"),
    ("CS", "カスタマーサポート部", "head_cs", "INE"),
    ("HR", "人事部", "head_hr", "INE"),
    ("IT", "情報システム部", "head_it", "INE"),
    ("GA", "総務部", "head_ga", "INE"),
    ("PMS", "個人情報保護推進室", "manager", "INE"),
    ("SOL-DEV", "開発部", "sol_head_dev", "SOL"),
    ("SOL-ADM", "管理部", "sol_head_adm", "SOL"),
    ("INS-SALES", "保険営業部", "ins_head", "INS"),
    ("INS-ADM", "管理部", "ins_manager", "INS"),
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
    # For which company the roles (other than staff and department head) are held: GROUP for
    # the whole group, a company's code for that company; empty, the user's own company.
    scope: str = ""
    # How the name reads (UserProfile.name_kana), in katakana: the person pickers find
    # 田中 美咲 by たなか, タナカ or ﾀﾅｶ.
    kana: str = ""


# 株式会社INE. The PMS office (manager, office) gets is_staff for the admin's reference data.
USERS = [
    DemoUser("staff", "佐藤", "花子", "SALES", ("staff",), "営業部 営業担当", kana="サトウ ハナコ"),
    DemoUser("manager", "高橋", "誠", "PMS", ("staff", "pms_manager"), "個人情報保護推進室長（個人情報保護管理者）",
             is_staff=True, scope=GROUP, kana="タカハシ マコト"),
    DemoUser("office", "田中", "美咲", "PMS", ("staff", "pms_manager"), "個人情報保護推進室（事務局）", is_staff=True,
             scope=GROUP, kana="タナカ ミサキ"),
    DemoUser("head_sales", "鈴木", "一郎", "SALES", ("staff", "department_head"), "営業部長", kana="スズキ イチロウ"),
    DemoUser("head_cs", "伊藤", "直美", "CS", ("staff", "department_head"), "カスタマーサポート部長", kana="イトウ ナオミ"),
    DemoUser("head_hr", "山本", "恵子", "HR", ("staff", "department_head"), "人事部長", kana="ヤマモト ケイコ"),
    DemoUser("head_it", "渡辺", "健太", "IT", ("staff", "department_head"), "情報システム部長", kana="ワタナベ ケンタ"),
    DemoUser("head_ga", "中村", "浩", "GA", ("staff", "department_head"), "総務部長", kana="ナカムラ ヒロシ"),
    DemoUser("auditor", "小林", "大輔", "HR", ("staff", "auditor"), "人事部（内部監査員）", scope=GROUP,
             kana="コバヤシ ダイスケ"),
    DemoUser("auditlead", "加藤", "裕子", "GA", ("staff", "audit_lead"), "総務部（個人情報保護監査責任者）",
             scope=GROUP, kana="カトウ ユウコ"),
    DemoUser("executive", "山田", "太郎", "GA", ("executive",), "代表取締役社長（トップマネジメント）", scope=GROUP,
             kana="ヤマダ タロウ"),
    DemoUser("admin", "システム", "管理者", "IT", (), "情報システム部（システム管理者）", is_staff=True,
             is_superuser=True, kana="システム カンリシャ"),
]

# The group companies' people. 株式会社INEソリューションズ has no PMS office of its own (the
# group's runs its incidents); its internal auditor audits the other group company.
GROUP_USERS = [
    DemoUser("sol_head_dev", "森", "拓也", "SOL-DEV", ("staff", "department_head"), "開発部長", kana="モリ タクヤ"),
    DemoUser("sol_head_adm", "井上", "由美", "SOL-ADM", ("staff", "department_head"),
             "管理部長（個人情報保護管理者）", kana="イノウエ ユミ"),
    DemoUser("sol_auditor", "木村", "翔", "SOL-ADM", ("staff", "auditor"), "管理部（内部監査員）", kana="キムラ ショウ"),
    DemoUser("ins_manager", "林", "真理子", "INS-ADM", ("staff", "pms_manager"), "管理部長（個人情報保護管理者）",
             scope="INS", kana="ハヤシ マリコ"),
    DemoUser("ins_exec", "清水", "修", "INS-ADM", ("executive",), "代表取締役社長（トップマネジメント）", scope="INS",
             kana="シミズ オサム"),
    DemoUser("ins_head", "山口", "健", "INS-SALES", ("staff", "department_head"), "保険営業部長", kana="ヤマグチ ケン"),
    DemoUser("ins_staff", "松田", "彩", "INS-SALES", ("staff",), "保険営業部 募集人", kana="マツダ アヤ"),
]
