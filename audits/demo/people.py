"""The demo users the audits app adds to the incidents app's (incidents/demo/people.py)."""

from __future__ import annotations

from incidents.demo.people import GROUP, GROUP_USERS, USERS, DemoUser

# A second internal auditor of the group, so that every department can be audited by someone
# from outside it.
AUDITOR2 = DemoUser("auditor2", "松本", "亮", "IT", ("staff", "auditor"), "情報システム部（内部監査員）", scope=GROUP,
                    kana="マツモト リョウ")

DEMO_USERS = [*USERS, AUDITOR2, *GROUP_USERS]
