"""The demo's actions raised outside an incident (for example by a management review), with
the steps their owners and verifiers took.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class StandaloneAction:
    """An action raised outside an incident (for example by a management review)."""

    title: str
    by: str
    days_ago: float
    fields: dict
    steps: list[tuple] = field(default_factory=list)  # (name, by, at, comment, changes)


STANDALONE_ACTIONS = [
    StandaloneAction(
        title="個人情報保護教育のeラーニング化（マネジメントレビューの決定事項）",
        by="manager", days_ago=300,
        fields={"kind": "improvement", "department": "HR", "owner": "head_hr", "verifier": "manager", "due": 90,
                "description": "前年度のマネジメントレビューで、教育の受講率向上のため決定した改善。"},
        steps=[
            ("start", "head_hr", 5, "", {}),
            ("implement", "head_hr", 80, "",
             {"implementation_note": "eラーニングシステムを導入し、年次教育をオンライン化した。"}),
            ("verify_effective", "manager", 140, "",
             {"effectiveness_note": "年次教育の受講率が前年度の87%から100%に向上した。"}),
        ],
    ),
    StandaloneAction(
        title="委託先の個人情報取扱い状況の年次評価",
        by="manager", days_ago=30,
        fields={"kind": "improvement", "department": "PMS", "owner": "office", "verifier": "auditlead", "due": 60,
                "description": "委託先12社について、契約内容と安全管理措置の実施状況を年1回評価する。"},
    ),
]
