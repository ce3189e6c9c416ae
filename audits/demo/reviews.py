"""The demo's management reviews: what the PMS manager wrote, top management's decisions and
what their owners have done since (last fiscal year's), and this year's draft.
"""

from __future__ import annotations

# The management reviews: last fiscal year's, approved with decisions whose improvement
# actions are under way, and this year's, a draft. Moments are days of the current fiscal
# year (the audits' `day`); users are usernames.

PREVIOUS_REVIEW = {
    "prepared": 8, "written": 20, "submitted": 28, "approved": 42,
    "submit_comment": "前年度の実績と入力をまとめた。ご審議をお願いします。",
    "issues_changes": (
        "・個人情報保護法の改正（いわゆる3年ごと見直し）の動向：本人への通知の緩和や課徴金制度の導入を含む改正が"
        "検討されていると報じられている。成立・公布を確認したうえで、施行までに規程と報告の手順"
        "（本システムの報告ルール表を含む）を見直す。\n"
        "・プライバシーマークの審査はJIS Q 15001:2023準拠の構築・運用指針で行われている。次回の更新審査に向けて"
        "規程類の対応状況を確認した。\n"
        "・営業部とカスタマーサポート部で、顧客管理にクラウド型のCRMを導入する計画がある。導入前に委託先としての"
        "評価とリスクアセスメントが必要である。\n"
        "・取引先で標的型メールによる被害が相次いで報告されている。"
    ),
    "interested_parties": (
        "・取引先・委託元からのセキュリティチェックシートへの回答依頼が年間23件（前年度15件）に増えた。"
        "うち2社からは標的型メール訓練の実施状況を問われた。\n"
        "・通販コールセンター業務の委託元から、再委託先を含む管理状況の年1回の報告を求められるようになった。\n"
        "・本人からは、ダイレクトメールの送付停止を簡単に申し出たいとの要望が寄せられている。"
    ),
    "feedback": (
        "・個人情報の取扱いに関する苦情・問合せ：14件（前年度11件）。うちダイレクトメールの送付停止の依頼が9件で、"
        "すべて2営業日以内に対応した。\n"
        "・開示等の請求：開示請求2件、利用停止の請求1件。いずれも法定の期限内に回答した。\n"
        "・委託元による監査：1社（指摘事項なし）。"
    ),
    "risk_status": (
        "・4月にリスクアセスメントを見直し、個人情報管理台帳の126項目を評価した。残留リスクはすべて受容基準内として"
        "承認した。\n"
        "・リスク対応計画12項目のうち10項目を完了した（メール配信システムの導入、外部記録媒体の書込み禁止など）。"
        "個人情報管理台帳の一元管理と委託先評価手順の見直しの2項目は未完了で、次年度に継続する。"
    ),
    "improvement_notes": (
        "・標的型メールへの備えとして、全社員を対象にした訓練を提案する。\n"
        "・個人情報管理台帳が部門ごとのExcelファイルで、更新漏れが起きやすい（営業部の台帳の更新漏れを"
        "運用の確認で指摘）。クラウド上での一元管理を提案する。"
    ),
    "conclusion": (
        "当社の個人情報保護マネジメントシステムは、引き続き適切、妥当かつ有効であると判断する。"
        "一方、同じ部署で同じ原因（確認不足）の誤送信が再発したこと、委託元や取引先からセキュリティ対策の確認を"
        "求められる機会が増えていることから、次の3点を決定する。"
    ),
    "attendees": "山田 太郎（代表取締役社長）、高橋 誠（個人情報保護管理者）、加藤 裕子（個人情報保護監査責任者）、各部門長",
    "comment": "決定事項3件を承認した。推進室は進捗を四半期ごとに報告すること。",
    # Each decision: its due date (the later of a day of the fiscal year and a number of days
    # from today, so that it is never in the past when approved) and what its owner did since.
    "decisions": [
        {"title": "標的型メール訓練の全社実施", "kind": "improvement", "owner": "head_it", "verifier": "manager",
         "detail": "全社員を対象に標的型メール訓練を年2回実施し、開封率と報告率を測定する。"
                   "結果を次回のマネジメントレビューに報告する。",
         "due": (274, 30),
         "steps": [("start", "head_it", 60, "訓練サービスの選定を開始した。第1回は下期に実施する。", {})]},
        # No verifier named: top management, who approved it, verifies it (services.review_approve);
        # implemented in the week before the seed, it is news in the executive's inbox.
        {"title": "委託先評価手順の見直し（クラウドサービスの評価項目の追加）", "kind": "system_change",
         "owner": "manager", "verifier": None,
         "detail": "委託先の選定・評価の基準に、クラウドサービスの評価項目（データの保管場所、暗号化、"
                   "アクセスログ、第三者認証）を加え、委託先管理規程を改訂する。",
         "due": (244, 14),
         "steps": [("start", "manager", 50, "", {}),
                   ("implement", "manager", 228, "",
                    {"implementation_note": "委託先評価表にクラウドサービスの評価項目を追加し、委託先管理規程を改訂した。"
                                            "新しいCRMの事業者を改訂後の評価表で評価し、選定した。"})]},
        {"title": "個人情報管理台帳のクラウド移行", "kind": "resources", "owner": "head_it", "verifier": "manager",
         "detail": "部門ごとのExcelファイルで管理している個人情報管理台帳を、アクセス権と変更履歴を管理できる"
                   "クラウドサービスに移行する。必要な予算を次年度に確保する。",
         "due": (455, 60), "steps": []},
    ],
}

CURRENT_REVIEW = {
    "prepared": 212, "written": 220,
    # feedback and risk_status are left to write: submitting now shows what is missing.
    "issues_changes": (
        "・改正個人情報保護法が2026年7月17日に公布されたと報じられている（公布から2年以内に施行。未施行。"
        "一次情報での確認が必要）。本人への通知の緩和と課徴金制度の導入が含まれるとされる。施行日と個人情報保護"
        "委員会規則・ガイドラインの改正を確認し、報告ルール表と規程を見直す。\n"
        "・営業部とカスタマーサポート部でクラウド型のCRMの利用を開始した。"
    ),
    "interested_parties": (
        "・取引先・委託元からのセキュリティチェックシートへの回答依頼：上期だけで17件。\n"
        "・受託業務での誤送信を受け、委託元から再発防止策の実施状況の報告を求められている。"
    ),
}
