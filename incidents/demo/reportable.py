"""The reportable situations (報告対象事態, APPI rule art. 7) of the demo and the leak of data
entrusted to the company: the stories that show the legal clocks.

- the web-skimming leak of 430 members' input: PPC 速報 and 確報, the PrivacyMark body and
  the data subjects, all filed; the incident is being verified;
- the mis-sent customer list of a 委託元: the notice to the 委託元 releases the company
  from the PPC report and the notice to the data subjects (法第26条第1項ただし書);
- the health-check result delivered to the wrong employee (sensitive data, one person is
  enough): the 速報 to the PPC and the notice to the person filed, the PrivacyMark body's
  速報 overdue, the 確報 still to come;
- the leak of 1,200 customers' addresses through the delivery system, discovered 60 hours
  before the seed runs (`hours_ago`), so that its 速報 are due within 24 hours whenever the
  demo is loaded; handled by the PMS manager, with a progress log (発覚, 初動対応, the
  questions to the cloud provider and its answer, the notice to the customers) that is the
  事実経過 of its report to the PPC;
- a laptop holding employees' medical certificates, lost under full-disk encryption: not a
  reportable situation for the PPC (strong encryption), but a 事故等 for the PrivacyMark
  assessment body with a 速報 due (要配慮個人情報, no encryption exemption: domain.md §1.13).

The web-skimming leak also shows the PrivacyMark three steps: its 確報 was followed by the
assessment body's 事故措置の通知, and the report on measures is now due.
"""

from __future__ import annotations

from .story import Story, act, assign, edit, file, notice, plan, progress, step

REPORTABLE_INCIDENTS = [
    Story(
        title="会員登録フォームの改ざん（Webスキミング）による入力情報の漏えいのおそれ",
        reporter="head_it", department="IT", kind="leak", days_ago=80, occurred=21,
        description=(
            "会員向けWebサイトの会員登録フォームに、CMSプラグインの脆弱性を突いて不正なJavaScriptが埋め込まれ、"
            "入力された氏名・住所・電話番号・メールアドレスが外部のサーバーに送信されていたおそれがあることが、"
            "セキュリティ関連機関からの連絡で判明した。改ざんされていた約3週間の会員登録者は430名。"
            "データベースに登録済みの会員情報への不正アクセスは確認されていない。"
        ),
        report={
            "data_items": "氏名、住所、電話番号、メールアドレス（会員登録フォームへの入力内容。クレジットカード情報は扱っていない）",
            "affected_count": 430, "suspected_unauthorized_purpose": True, "data_in_collection": True,
        },
        steps=[
            step("triage", "manager", 0.1,
                 "報告対象事態（規則第7条第3号。2024年4月施行の改正により、取得中の個人情報も対象）に該当。"
                 "確報の期限は60日。個人情報保護委員会への速報を準備する。経営層に報告済み。",
                 severity="L3", kind="leak", event_class="unauthorized_access"),
            assign("manager", 0.12, "manager"),
            step("contain", "manager", 1, "",
                 containment_summary="会員登録フォームを停止して不正なスクリプトを除去し、改ざんされたファイルを"
                                     "バックアップから復元した。外部送信先のドメインへの通信を遮断した。",
                 correction_taken="脆弱なプラグインを削除し、サイトを再構築して再開した。"),
            edit("manager", 1.5,
                 discovery_route="セキュリティ関連機関から、当社の会員登録フォームに不審なスクリプトが埋め込まれて"
                                 "いるとの連絡を受け、情報システム部が調査して判明した。",
                 subject_response="対象の会員430名へのお詫びと注意喚起の通知を準備中。専用の問合せ窓口を開設した。",
                 publication="当社Webサイトにお知らせを掲載した（個人を特定できる情報は含めていない）。",
                 recurrence_prevention="調査中。改ざんの原因となったプラグインは削除済み。",
                 other_information="警察（サイバー犯罪相談窓口）に相談済み。"),
            file("ppc_preliminary", "manager", 2, "判明している事項で速報した。",
                 recipient_reference="PPC受付番号 {year}-0038412", method="online_form",
                 filing_note="個人情報保護委員会の漏えい等報告フォームにより速報。人数は改ざん期間の登録者数による。"),
            file("pmark_preliminary", "office", 2.2, "",
                 recipient_reference="審査機関 受付番号 PM-{year}-0977", method="email",
                 filing_note="個人情報保護委員会への速報の写しを添付して報告した。"),
            file("data_subjects", "office", 6, "",
                 method="notice",
                 filing_note="対象の会員430名に、メールと書面でお詫び、経緯、不審な連絡への注意喚起、"
                             "問合せ窓口を通知した。"),
            step("analyse", "manager", 12, "",
                 root_cause="CMSプラグインの既知の脆弱性（修正版の公開から4か月経過）が未適用だった。"
                            "パッチ適用の担当と期限が定められていなかった。",
                 cause="missing_patch"),
            plan("plugins", "manager", 12, kind="correction", title="会員サイトの全プラグインを最新版に更新",
                 department="IT", owner="head_it", verifier="office", due=20),
            plan("waf", "manager", 12, kind="corrective", title="WAFの導入と脆弱性診断の定期実施（四半期ごと）",
                 department="IT", owner="head_it", verifier="manager", due=60),
            plan("patch_rule", "manager", 13, kind="preventive",
                 title="外部公開システムの脆弱性管理手順の策定（委託先を含む）",
                 department="PMS", owner="office", verifier="auditor", due=60),
            act("plugins", "start", "head_it", 13),
            step("plan_actions", "manager", 14),
            act("waf", "start", "head_it", 15),
            act("patch_rule", "start", "office", 15),
            act("plugins", "implement", "head_it", 16,
                implementation_note="全プラグインを最新版に更新し、不要なプラグイン5件を削除した。"),
            act("plugins", "verify_effective", "office", 30,
                effectiveness_note="脆弱性スキャンで既知の脆弱性が検出されないことを確認した。"),
            edit("manager", 40,
                 subject_response="対象の会員430名にメールと書面でお詫びと経緯を通知し、不審な連絡への注意を"
                                  "呼びかけた。問合せ窓口への問合せは57件で、二次被害の申出はない。",
                 recurrence_prevention="CMSと全プラグインの更新（実施済み）、WAFの導入と四半期ごとの脆弱性診断、"
                                       "委託先を含む脆弱性管理手順の制定（実施中）。",
                 other_information="警察（サイバー犯罪相談窓口）に相談済み。改ざんされていたのは会員登録フォームのみで、"
                                   "登録済みの会員データベースへの不正アクセスはフォレンジック調査で否定された。"),
            edit("manager", 44,
                 ppc_unknown_items={"secondary_harm": "取得された情報の悪用の有無を、フォレンジック調査会社と"
                                                      "会員からの問合せ状況で確認中。最終報告は翌月の予定。"}),
            file("ppc_final", "manager", 45, "確報を提出した。二次被害の有無は追完する。",
                 recipient_reference="PPC受付番号 {year}-0038412（確報）", method="online_form",
                 filing_note="速報と同じ受付番号で確報。原因と再発防止策（実施済み・実施予定）を報告した。"),
            file("pmark_final", "office", 46, "",
                 recipient_reference="審査機関 受付番号 PM-{year}-0977（確報）", method="email",
                 filing_note="個人情報保護委員会への確報の写しを添付した。"),
            edit("manager", 54,
                 secondary_harm="フォレンジック調査の最終報告と会員からの問合せ57件の内容から、取得された情報を"
                                "悪用したフィッシングメール等の二次被害は確認されていない。引き続き問合せ窓口で"
                                "受け付ける。"),
            file("ppc_supplement", "manager", 54.2, "二次被害の有無を追完した。",
                 recipient_reference="PPC受付番号 {year}-0038412（追完）", method="online_form",
                 filing_note="確報で調査中とした二次被害の有無を報告した。"),
            act("waf", "implement", "head_it", 55,
                implementation_note="WAFを導入し、初回の外部脆弱性診断を実施した。高リスクの指摘なし。"),
            act("patch_rule", "implement", "office", 60,
                implementation_note="脆弱性情報の収集・評価・適用期限を定めた手順書を制定し、"
                                    "情報システム部と委託先に周知した。"),
            step("verify", "manager", 62, "全処置の実施を確認。WAFの運用とパッチの適用状況を3か月間確認する。"),
            notice("manager", 70, "WAFの運用状況と四半期ごとの脆弱性診断の結果、委託先を含む脆弱性管理手順の"
                                  "運用状況を報告すること。", 30),
        ],
    ),
    Story(
        title="受託業務（通販コールセンター）の顧客リストの誤送信",
        reporter="head_cs", department="CS", kind="leak", days_ago=100, occurred=0.05,
        description=(
            "通信販売事業者から受託しているコールセンター業務で、委託元の顧客1,500名分の氏名・住所・電話番号・"
            "購入履歴を含むファイルを、別の取引先の担当者宛てのメールに誤って添付して送信した。"
            "送信から約1時間後に送信者本人が気付いた。"
        ),
        report={
            "data_items": "氏名、住所、電話番号、購入履歴（委託元の顧客情報）",
            "affected_count": 1500, "entrusted_by": "株式会社みどり通販",
        },
        steps=[
            step("triage", "manager", 0.05,
                 "委託元から預かった個人データの漏えい（1,000人超）。委託元へ直ちに通知する。",
                 severity="L3", kind="leak", event_class="mis_sending"),
            file("entrusting_party", "manager", 0.1, "委託元に電話で第一報を入れ、同日中に報告書をメールで送付した。",
                 recipient_reference="株式会社みどり通販 個人情報保護管理者 山口様（受領の返信あり）", method="email",
                 filing_note="規則第9条により、判明している事項（概要、項目、人数、原因の見込み）を通知した。"
                             "個人情報保護委員会への報告と本人への通知は委託元が行う。"),
            step("contain", "manager", 0.5, "",
                 containment_summary="誤送信先の担当者に連絡してメールと添付ファイルの削除を依頼し、削除したことと"
                                     "第三者に転送していないことを書面で確認した。",
                 correction_taken="誤送信先からの削除確認書の取得。"),
            file("pmark_preliminary", "office", 2, "",
                 recipient_reference="審査機関 受付番号 PM-{year}-1204", method="email",
                 filing_note="委託元への通知済みであることを付記した。"),
            edit("manager", 3,
                 discovery_route="送信から約1時間後、送信者本人が送信済みメールを確認して気付き、"
                                 "カスタマーサポート部長に報告した。",
                 secondary_harm="誤送信先は当社の別の取引先で、ファイルの削除と第三者への転送がないことを書面で"
                                "確認しており、二次被害のおそれは低い。",
                 subject_response="本人への通知は委託元が行う。当社は通知文の作成と問合せ対応に協力した。",
                 publication="委託元の判断により公表は行わない。",
                 recurrence_prevention="委託元ごとの作業フォルダとメールアカウントの分離、外部宛ての添付ファイル"
                                       "送信時の上長承認の導入。",
                 other_information="当社は委託先として取り扱っていた。委託元への通知により、個人情報保護委員会への"
                                   "報告と本人への通知は委託元が行う（法第26条第1項ただし書、第2項）。"),
            step("analyse", "manager", 7, "",
                 root_cause="委託元ごとのファイルが同じ共有フォルダに置かれ、メールへの添付時にファイル名だけで"
                            "選んでいた。外部宛てに添付ファイルを送る際の確認の手順がなかった。",
                 cause="insufficient_checking"),
            plan("separate", "manager", 7, kind="corrective",
                 title="委託元ごとの作業フォルダとメールアカウントの分離",
                 department="IT", owner="head_it", verifier="manager", due=40),
            plan("approval", "manager", 7, kind="corrective",
                 title="外部宛ての添付ファイル送信時の上長承認の導入（受託業務）",
                 department="CS", owner="head_cs", verifier="office", due=30),
            step("plan_actions", "manager", 8, "是正処置2件を計画。委託元に再発防止策を報告する。"),
            act("separate", "start", "head_it", 9),
            act("approval", "start", "head_cs", 9),
            file("pmark_final", "office", 20, "",
                 recipient_reference="審査機関 受付番号 PM-{year}-1204（確報）", method="email",
                 filing_note="原因と再発防止策を報告した。"),
            act("approval", "implement", "head_cs", 25,
                implementation_note="メール送信システムで、外部宛ての添付ファイル付きメールは上長の承認後に"
                                    "送信される設定とした。"),
            act("separate", "implement", "head_it", 38,
                implementation_note="委託元ごとに作業フォルダとメールアカウントを分け、他の委託元のフォルダには"
                                    "アクセスできない権限設定とした。"),
            step("verify", "manager", 40),
            act("approval", "verify_effective", "office", 70,
                effectiveness_note="1か月間の承認記録を確認し、添付ファイル付きの外部宛てメール全件が承認を経て"
                                   "送信されていることを確認した。"),
            act("separate", "verify_effective", "manager", 70,
                effectiveness_note="権限設定を抜き取りで確認し、他の委託元のフォルダにアクセスできないことを確認した。"),
            step("close", "manager", 75, "委託元に再発防止策の実施結果を報告し、完了とする。"),
        ],
    ),
    Story(
        title="健康診断結果の誤配付（別の社員宛て）",
        reporter="head_hr", department="HR", kind="leak", days_ago=7, occurred=1,
        description=(
            "定期健康診断の結果通知書を社内便で配付した際、社員1名の結果通知書が同姓の別の社員の席に届けられ、"
            "受け取った社員が開封していたことが、受け取った社員からの申告で判明した。"
        ),
        report={
            "data_items": "氏名、社員番号、健康診断結果（既往歴、検査値）", "affected_count": 1,
            "involves_sensitive_data": True,
        },
        steps=[
            step("triage", "manager", 0.1,
                 "要配慮個人情報の漏えい（規則第7条第1号）。1名でも個人情報保護委員会への報告対象となる。",
                 severity="L3", kind="leak", event_class="misdelivery"),
            assign("manager", 0.12, "manager"),
            step("contain", "manager", 0.4, "",
                 containment_summary="受け取った社員から結果通知書を回収し、複写・撮影・第三者への開示がないことを"
                                     "確認した。",
                 correction_taken="結果通知書を本人に手渡しで届け直した。"),
            file("data_subjects", "office", 1, "",
                 method="notice",
                 filing_note="人事部長と個人情報保護推進室長が本人と面談し、経緯を説明して謝罪した（面談記録あり）。"),
            edit("manager", 2,
                 discovery_route="誤って結果通知書を受け取った社員が人事部に申し出て判明した。",
                 secondary_harm="受け取った社員は内容を一部閲覧したが、複写・撮影・第三者への開示はないことを"
                                "確認した。二次被害のおそれは低い。",
                 subject_response="人事部長と個人情報保護推進室長が本人と面談し、経緯を説明して謝罪した。",
                 publication="本人1名の事案であり、本人の権利利益の保護のため公表は行わない。",
                 recurrence_prevention="健康診断結果の配付を、社内便から本人への手渡しまたは本人限定の電子配付に"
                                       "変更する。",
                 other_information="産業医に報告済み。"),
            file("ppc_preliminary", "manager", 3, "速報を提出した。審査機関への速報は未提出。",
                 recipient_reference="PPC受付番号 {year}-0051270", method="online_form",
                 filing_note="個人情報保護委員会の漏えい等報告フォームにより速報。"),
        ],
    ),
    Story(
        title="配送管理システムへの不正アクセスによる顧客住所の漏えいのおそれ",
        reporter="head_it", department="IT", kind="leak", days_ago=2.5, hours_ago=60, occurred=0.3,
        description=(
            "配送管理システム（クラウドサービス）の管理者アカウントに海外のIPアドレスから不正にログインされ、"
            "顧客1,200名分の氏名・住所・電話番号を含む配送先データがCSV形式でエクスポートされていたことが判明した。"
            "他のサービスから流出したパスワードの使い回しによる不正ログインの疑いがある。"
        ),
        report={
            "data_items": "氏名、住所、電話番号（配送先情報。クレジットカード情報は含まない）",
            "affected_count": 1200, "suspected_unauthorized_purpose": True,
        },
        steps=[
            step("triage", "manager", 0.1,
                 "報告対象事態（規則第7条第3号・第4号）。速報は3日以内を目標に、遅くとも5日以内。"
                 "確報は第3号に当たるため60日以内。経営層に報告済み。",
                 severity="L3", kind="leak", event_class="unauthorized_access"),
            assign("manager", 0.12, "manager"),
            progress("head_it", 0.2,
                     "配送管理システムから「新しい場所からのログイン」の通知メールが届き、情報システム部員が"
                     "管理者アカウントへの身に覚えのないログインに気付いた。操作ログを調べ、海外のIPアドレスから"
                     "顧客1,200名分の配送先データがCSV形式でエクスポートされていたことを確認し、情報システム部長に"
                     "報告した。", occurred=0),
            progress("head_it", 0.3,
                     "不正にログインされた管理者アカウントを停止してパスワードを変更し、不正ログイン元のIPアドレス"
                     "からのアクセスを遮断した。", occurred=0.15),
            edit("manager", 0.5,
                 discovery_route="配送管理システムから届いた「新しい場所からのログイン」の通知メールを確認した"
                                 "情報システム部員が、管理者アカウントへの身に覚えのないログインに気付き、"
                                 "操作ログを調査して判明した。",
                 secondary_harm="現時点で二次被害は確認されていない。住所と電話番号を悪用した詐欺の電話や"
                                "郵便物、なりすましのおそれがある。",
                 subject_response="対象の顧客1,200名への通知文（お詫び、経緯、不審な連絡への注意喚起、"
                                  "問合せ窓口）を準備中。",
                 publication="本人への通知とあわせて当社Webサイトで公表する予定（個人を特定できる情報は含めない）。",
                 recurrence_prevention="全管理者アカウントに多要素認証を設定済み。管理画面へのアクセス元の制限と、"
                                       "パスワードの使い回し禁止の徹底を検討中。",
                 other_information="クラウドサービス事業者に操作ログの保全を依頼済み。警察への相談を予定している。"),
            progress("office", 0.6,
                     "配送管理システムの提供事業者（委託先）に、操作ログの保全と、同じ期間に他のアカウントへの"
                     "不正ログインやデータの持出しがないかの調査を依頼した。警察署のサイバー犯罪相談窓口に"
                     "相談の日程を申し込んだ。"),
            step("contain", "manager", 1, "",
                 containment_summary="不正にログインされた管理者アカウントを停止してパスワードを変更し、"
                                     "全管理者アカウントに多要素認証を設定した。不正ログイン元のIPアドレスからの"
                                     "アクセスを遮断した。",
                 correction_taken="配送管理システムの全アカウントのパスワードを再設定した。"),
            progress("office", 1.3,
                     "配送管理システムの提供事業者（委託先）から回答を受領した。不正ログインは当該管理者アカウントの"
                     "みで、エクスポートは1回（1,200件）。同システムではクレジットカード情報を扱っておらず、"
                     "流出した項目に含まれないことを確認した。", occurred=1.25),
            progress("manager", 2.2,
                     "対象の顧客1,200名への通知文（お詫び、経緯、不審な連絡への注意喚起、問合せ窓口）を確定した。"
                     "明日から書面とメールで本人に通知し、同日に当社Webサイトで公表する。問合せ専用ダイヤルを"
                     "開設した。"),
        ],
    ),
    Story(
        title="休職者の診断書を保存したノートPCの紛失（暗号化済み）",
        reporter="head_hr", department="HR", kind="loss", days_ago=1, occurred=0.2,
        description=(
            "人事部員が帰宅途中の電車内に業務用ノートPCを置き忘れ、鉄道会社に届け出たが見つかっていない。"
            "PCには休職・復職の手続きのため、社員38名分の診断書の写し（病名を含む）が保存されていた。"
            "ディスク全体は暗号化（BitLocker、TPM＋PIN）されており、PINは本人のみが知っている。"
        ),
        report={
            "data_items": "氏名、社員番号、診断書の写し（病名、療養期間）", "affected_count": 38,
            "involves_sensitive_data": True, "strongly_encrypted": True,
        },
        steps=[
            step("triage", "manager", 0.1,
                 "高度な暗号化により個人情報保護委員会への報告対象事態には当たらない（規則第7条）。"
                 "プライバシーマークでは暗号化による除外がなく、要配慮個人情報のため審査機関への速報が必要。",
                 severity="L2", kind="loss", event_class="loss_damage"),
            assign("manager", 0.12, "office"),
            step("contain", "manager", 0.4, "",
                 containment_summary="遺失届を警察に提出し、鉄道会社に捜索を依頼した。当該PCのアカウントを停止し、"
                                     "MDMからリモートワイプを指示した（PCがネットワークに接続された時点で実行）。",
                 correction_taken="アカウントの停止とリモートワイプの指示。"),
            progress("head_hr", 0.5, "鉄道会社の忘れ物センターに再度照会したが、該当するPCは届いていない。"
                                     "診断書の写しが保存されていた38名の一覧を作成し、個人情報保護推進室に提出した。"),
        ],
    ),
]
