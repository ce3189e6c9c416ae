"""The demo company's departments and people: a user for every role, one shared password.

The audits app adds its second internal auditor (audits/demo/people.py).
"""

from __future__ import annotations

from dataclasses import dataclass

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
