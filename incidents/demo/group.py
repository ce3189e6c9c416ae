"""The group companies' incidents, which show the duties that follow the company:

- at 株式会社INE保険サービス (PrivacyMark, reports leaks to 金融庁), the mis-sent list of
  customers taken from the data the group uses jointly (共同利用): its own PMS manager runs
  it, tells 株式会社INE, the company responsible for jointly used data, within the hour
  (the joint-use notice is filed), and owes its own report to the PrivacyMark body; INE's
  PMS office sees the incident as well;
- at 株式会社INEソリューションズ (ISO/IEC 27001 only), applicants' résumés exposed by a
  cloud folder's sharing setting: over 1,000 people, so a reportable situation owing the
  PPC's reports and the notice to the data subjects, but no report to a PrivacyMark body
  (the company holds no PrivacyMark). The group's PMS office runs it.
"""

from __future__ import annotations

from .story import Story, act, assign, edit, file, plan, progress, step

GROUP_INCIDENTS = [
    Story(
        title="共同利用している顧客情報の一覧を添付した保険案内メールの誤送信",
        reporter="ins_staff", department="INS-SALES", kind="leak", days_ago=9, occurred=0.05,
        description=(
            "自動車保険の更新案内を顧客1名にメールで送る際、グループで共同利用している顧客情報から抽出した"
            "顧客62名分の一覧（氏名・電話番号・メールアドレス・利用中のグループのサービス）を誤って添付した。"
            "受信した顧客からの電話で判明した。"
        ),
        report={
            "data_items": "氏名、電話番号、メールアドレス、利用中のグループのサービス（グループで共同利用している顧客情報）",
            "affected_count": 62, "involves_joint_use": True,
        },
        steps=[
            step("triage", "ins_manager", 0.04,
                 "グループで共同利用している顧客情報の漏えい。管理責任者の株式会社INEに直ちに通知する。"
                 "報告対象事態には該当しない（62名、要配慮個人情報を含まない）。",
                 severity="L2", kind="leak", event_class="mis_sending"),
            assign("ins_manager", 0.05, "ins_manager"),
            file("joint_use", "ins_manager", 0.08, "株式会社INEの個人情報保護推進室に電話で第一報を入れた。",
                 recipient_reference="株式会社INE 個人情報保護推進室 高橋様（受領の返信あり）", method="phone",
                 filing_note="共同利用の管理責任者である株式会社INEに、概要、項目、人数、誤送信先と対応の状況を"
                             "電話で伝え、同日中に報告書をメールで送付した。"),
            step("contain", "ins_manager", 0.5, "",
                 containment_summary="誤送信先の顧客に連絡してメールと添付ファイルの削除を依頼し、削除したことと"
                                     "第三者に転送していないことを確認した。",
                 correction_taken="誤送信先からの削除の確認。一覧に記載された62名へのお詫びの連絡は株式会社INEと"
                                  "協議のうえ行う。"),
            step("analyse", "ins_manager", 4, "",
                 root_cause="共同利用の顧客情報から抽出した一覧を、個人の作業用フォルダに保存したまま"
                            "案内メールの作成に使っていた。添付ファイルを送信前に確認する手順がなかった。",
                 cause="insufficient_checking"),
            plan("extract_rule", "ins_manager", 4, kind="corrective",
                 title="共同利用の顧客情報からの抽出ファイルの保存禁止と、案内メールの配信システムへの限定",
                 department="INS-SALES", owner="ins_head", verifier="ins_manager", due=30),
            step("plan_actions", "ins_manager", 5, "是正処置を計画。株式会社INEに原因と再発防止策を報告する。"),
            act("extract_rule", "start", "ins_head", 6),
        ],
    ),
    Story(
        title="クラウドストレージの共有設定の誤りによる採用応募者情報の漏えいのおそれ",
        reporter="sol_head_adm", department="SOL-ADM", kind="leak", days_ago=20, occurred=40,
        description=(
            "採用応募者の履歴書を保存しているクラウドストレージのフォルダが、作成時から「リンクを知っている全員」が"
            "閲覧できる共有設定になっていたことが、ISMSの内部点検で判明した。対象は過去2年間の応募者1,080名。"
            "アクセスログに、社外のIPアドレスからの閲覧が2件記録されていた。"
        ),
        report={
            "data_items": "氏名、住所、電話番号、メールアドレス、生年月日、学歴・職歴（履歴書）",
            "affected_count": 1080,
        },
        steps=[
            step("triage", "manager", 0.1,
                 "報告対象事態（規則第7条第4号：1,000人超）。個人情報保護委員会への速報を準備する。"
                 "株式会社INEソリューションズはプライバシーマークを取得していないため、審査機関への報告はない。",
                 severity="L3", kind="leak", event_class="wrong_display"),
            assign("manager", 0.12, "office"),
            step("contain", "manager", 0.5, "",
                 containment_summary="当該フォルダの共有リンクを無効にし、共有範囲を管理部の担当者に限定した。"
                                     "他のフォルダの共有設定を点検し、同様の設定がないことを確認した。",
                 correction_taken="共有リンクの無効化と共有範囲の修正。"),
            edit("manager", 1.5,
                 discovery_route="ISMSの内部点検でクラウドストレージの共有設定を一覧にした管理部の担当者が、"
                                 "「リンクを知っている全員」の設定に気付いて判明した。",
                 secondary_harm="現時点で二次被害は確認されていない。社外からの閲覧2件の閲覧者は特定できていない。",
                 subject_response="対象の応募者1,080名への通知文（お詫び、経緯、問合せ窓口）を準備中。",
                 publication="当社Webサイトで公表する予定（個人を特定できる情報は含めない）。",
                 recurrence_prevention="共有設定の既定値を組織内に限定し、共有設定の月次点検を行う。",
                 other_information="クラウドサービス事業者にアクセスログの保全を依頼済み。"),
            file("ppc_preliminary", "manager", 2, "判明している事項で速報した。",
                 recipient_reference="PPC受付番号 {year}-0061873", method="online_form",
                 filing_note="個人情報保護委員会の漏えい等報告フォームにより、株式会社INEソリューションズの"
                             "名で速報した。"),
            file("data_subjects", "office", 4, "",
                 method="notice",
                 filing_note="対象の応募者1,080名に、メールでお詫び、経緯、問合せ窓口を通知した。"
                             "メールが届かなかった14名には書面で通知した。"),
            progress("sol_head_adm", 6, "通知後1週間の応募者からの問合せは6件。いずれも経緯と対応を説明し、"
                                        "二次被害の申出はない。"),
            step("analyse", "manager", 8, "",
                 root_cause="クラウドストレージの共有設定の既定値が「リンクを知っている全員」になっており、"
                            "フォルダを作成した担当者が設定を確認していなかった。共有設定の定期的な点検がなかった。",
                 cause="design_flaw"),
            plan("sharing", "manager", 8, kind="corrective",
                 title="クラウドストレージの共有設定の既定値の変更と月次点検",
                 department="SOL-DEV", owner="sol_head_dev", verifier="office", due=30),
            step("plan_actions", "manager", 9),
            act("sharing", "start", "sol_head_dev", 10),
        ],
    ),
]
