"""The year's incidents that owe no report to the PPC: each kind of incident (leak, loss,
damage, rule violation, weakness, near miss, and a report that turned out not to be an
incident) at each stage of the workflow, from a report not yet triaged to incidents closed
on effective actions, one of them reopened when it recurred. (The one stage missing here,
verification, is shown by the web-skimming leak in reportable.py.) Their reports to the
PrivacyMark body are filed on time, one filed late, decided not required (with the
reason), or still pending.

Every case the PMS office runs has a handler (担当者), given when the response starts; the
lost smartphone has a short progress log, written by the department head and the handler.
The malware infection's actions fall in the last week: its owner (a staff member) and the
department head who verifies it find them in their inboxes.
"""

from __future__ import annotations

from .story import Story, act, assign, edit, file, not_required, notice, plan, progress, step

INCIDENTS = [
    Story(
        title="顧客向け案内メールのCC誤送信（メールアドレス38件）",
        reporter="staff", department="SALES", kind="leak", days_ago=340, occurred=0.1,
        description=(
            "新商品の案内メールを顧客38名に一斉送信した際、BCCではなくCCに宛先を入力したため、"
            "受信者全員に他の受信者のメールアドレスが表示された。送信直後に顧客1名からの指摘で判明した。"
        ),
        report={"data_items": "氏名（メールアドレスの表示名）、メールアドレス", "affected_count": 38},
        steps=[
            step("triage", "manager", 0.1, "個人情報の漏えいとして初動対応を開始。営業部長に状況確認を依頼。",
                 severity="L2", kind="leak", event_class="mis_sending"),
            step("contain", "manager", 1, "受信者への連絡と削除依頼を完了。",
                 containment_summary="受信者38名全員に電話とメールでお詫びし、当該メールの削除を依頼した。"
                                     "38名全員から削除完了の回答を得た。",
                 correction_taken="お詫び文の送付と削除依頼。"),
            step("analyse", "manager", 5, "",
                 root_cause="一斉送信を通常のメールソフトで手作業により行っており、"
                            "送信前の宛先確認手順がなかった。",
                 cause="insufficient_checking"),
            plan("delivery", "manager", 5, kind="corrective", title="顧客への一斉送信をメール配信システムに限定",
                 department="IT", owner="head_it", verifier="manager", due=45),
            plan("procedure", "manager", 5, kind="corrective",
                 title="メール送信手順書の改訂（外部宛て一斉送信の宛先確認）",
                 department="PMS", owner="manager", verifier="office", due=30),
            plan("training", "manager", 5.5, kind="preventive", title="全社員向け誤送信防止教育の実施",
                 department="HR", owner="head_hr", verifier="auditor", due=60),
            step("plan_actions", "manager", 6, "是正処置2件と予防処置1件を計画。"),
            act("delivery", "start", "head_it", 7),
            act("procedure", "start", "manager", 7),
            act("training", "start", "head_hr", 10),
            file("pmark_final", "office", 14, "審査機関の事故報告書の様式で報告した。",
                 recipient_reference="審査機関 受付番号 PM-{year}-0412", method="email",
                 filing_note="漏えい38名（メールアドレス）。全員から削除完了の回答を得たこと、"
                             "再発防止策（配信システムへの限定、手順書の改訂）を記載した。"),
            act("procedure", "implement", "manager", 20,
                implementation_note="メール送信手順書を改訂し、外部宛て一斉送信時のBCC確認と"
                                    "送信前の上長確認を追加した。全部署に周知済み。"),
            notice("office", 30, "メール送信手順書の改訂と宛先確認の仕組みの導入について、実施状況と効果の"
                                 "確認結果を報告すること。", 30),
            act("delivery", "implement", "head_it", 40,
                implementation_note="メール配信システムを導入し、顧客への一斉送信は配信システム経由に限定した。"
                                    "メールソフトの宛先上限を10件に設定。"),
            act("training", "implement", "head_hr", 55,
                implementation_note="全社員112名を対象にeラーニングで誤送信防止教育を実施。受講率100%。"),
            file("pmark_measures", "office", 55, "再発防止策の実施状況を報告した。",
                 recipient_reference="Pマークポータル 受付番号 PM-{year}-0412（再発防止策）", method="online_form",
                 filing_note="手順書の改訂、一斉送信の配信システムへの移行、全社員への教育の実施結果を報告した。"),
            step("verify", "manager", 56, "全処置の実施を確認。有効性確認に移行。"),
            act("procedure", "verify_effective", "office", 100,
                effectiveness_note="改訂後3か月間、外部宛て一斉送信での誤送信ゼロ。手順の遵守を抜き取りで確認した。"),
            act("delivery", "verify_effective", "manager", 100,
                effectiveness_note="配信システムの送信ログを確認し、手作業による一斉送信がないことを確認した。"),
            act("training", "verify_effective", "auditor", 101,
                effectiveness_note="理解度テストの平均点92点。基準未達の3名は再受講済み。"),
            step("close", "office", 105, "全処置の有効性を確認し、完了とする。"),
        ],
    ),
    Story(
        title="顧客対応記録を保存したUSBメモリの紛失",
        reporter="head_cs", department="CS", kind="loss", days_ago=290, occurred=2,
        description=(
            "出張先の研修で使用したUSBメモリ（暗号化機能付き）を、帰社後に紛失していることに気付いた。"
            "顧客からの問合せ対応記録250件が保存されていた。移動経路と研修会場に問い合わせたが発見に至っていない。"
        ),
        report={"data_items": "氏名、電話番号、問合せ内容", "affected_count": 250, "strongly_encrypted": True},
        steps=[
            step("triage", "manager", 0.2, "暗号化済みのため報告対象事態には該当しない見込み。審査機関への報告要否を確認する。",
                 severity="L2", kind="loss", event_class="loss_damage"),
            step("contain", "manager", 3, "",
                 containment_summary="研修会場と交通機関に問い合わせ、警察に遺失届を提出した。"
                                     "USBメモリはハードウェア暗号化製品で、パスワードは本人のみが保持していることを確認した。",
                 correction_taken="遺失届の提出。"),
            step("analyse", "manager", 8, "",
                 root_cause="外部記録媒体の持出し時に管理台帳への記録と返却確認が行われていなかった。"
                            "業務上USBメモリを使う必要がないにもかかわらず、慣習的に使用していた。",
                 cause="rule_breach"),
            plan("no_usb", "manager", 8, kind="corrective", title="外部記録媒体の書込み禁止とクラウドストレージへの移行",
                 department="IT", owner="head_it", verifier="office", due=60),
            plan("ledger", "head_cs", 9, kind="preventive", title="外部記録媒体の持出し管理台帳の運用徹底",
                 department="CS", owner="head_cs", verifier="manager", due=30),
            step("plan_actions", "manager", 10),
            act("ledger", "start", "head_cs", 10),
            act("no_usb", "start", "head_it", 12),
            file("pmark_final", "manager", 20, "",
                 recipient_reference="審査機関 受付番号 PM-{year}-0583", method="email",
                 filing_note="ハードウェア暗号化製品であり、個人情報保護委員会への報告対象事態には"
                             "該当しない旨を付記した。"),
            act("ledger", "implement", "head_cs", 25,
                implementation_note="持出し管理台帳を整備し、月次で部門長が台帳と現物を照合する運用を開始した。"),
            act("no_usb", "implement", "head_it", 50,
                implementation_note="資産管理ツールでUSBメモリへの書込みを禁止し、業務データを部門別のクラウドストレージに移行した。"),
            step("verify", "manager", 51),
            notice("manager", 52, "外部記録媒体の利用制限と持出し管理の実施状況を、全端末への適用結果とあわせて"
                                  "報告すること。", 90),
            act("ledger", "verify_effective", "manager", 80, effectiveness_note="3か月分の台帳照合記録を確認。不一致なし。"),
            act("no_usb", "verify_ineffective", "office", 80,
                effectiveness_note="営業部の3台で書込み禁止が適用されていなかった（資産管理ツールの対象外端末）。"),
            act("no_usb", "implement", "head_it", 90,
                implementation_note="対象外だった3台を資産管理ツールに登録し、全端末で書込み禁止を適用した。"),
            act("no_usb", "verify_effective", "office", 110,
                effectiveness_note="全端末の適用状況レポートで書込み禁止を確認した。"),
            step("close", "manager", 115, "再実施分を含め、全処置の有効性を確認した。"),
            file("pmark_measures", "manager", 125, "完了後に、審査機関の求めた再発防止策の報告を提出した。",
                 recipient_reference="Pマークポータル 受付番号 PM-{year}-0583（再発防止策）", method="online_form",
                 filing_note="全端末への書込み禁止の適用（再実施を含む）と持出し管理台帳の運用結果を報告した。"),
        ],
    ),
    Story(
        title="FAX送信先番号の入力誤り（送信前に発見）",
        reporter="staff", department="SALES", kind="near_miss", days_ago=200, occurred=0.01,
        description=(
            "見積書をFAXで送信する際に番号を1桁誤って入力したが、送信前の読み上げ確認で同僚が気付き、"
            "送信を中止した。"
        ),
        report={"data_items": "見積書（会社名、担当者氏名）", "affected_count": 0},
        steps=[
            step("triage", "manager", 0.2, "ヒヤリハットとして記録する。", severity="L0", kind="near_miss",
                 event_class="mis_sending"),
            step("contain", "manager", 0.3, "", containment_summary="送信は行われておらず、封じ込めの必要はない。"),
            step("analyse", "manager", 3, "", root_cause="FAX番号を手入力しており、短縮ダイヤルが登録されていなかった。",
                 cause="operating_error"),
            plan("speed_dial", "manager", 3.5, kind="preventive", title="主要取引先FAX番号の短縮ダイヤル登録",
                 department="SALES", owner="head_sales", verifier="office", due=20),
            step("plan_actions", "manager", 4, "ヒヤリハットのため是正処置は不要。予防処置として短縮ダイヤル登録を行う。"),
            act("speed_dial", "start", "head_sales", 5),
            act("speed_dial", "implement", "head_sales", 12,
                implementation_note="主要取引先42社のFAX番号を複合機に登録し、手入力を原則禁止とした。"),
            step("verify", "manager", 13),
            act("speed_dial", "verify_effective", "office", 45, effectiveness_note="1か月間、手入力によるFAX送信なし。"),
            step("close", "office", 46),
        ],
    ),
    Story(
        title="顧客データベースの一括更新による住所データのき損",
        reporter="head_cs", department="CS", kind="damage", days_ago=250, occurred=1,
        description=(
            "住所変更の一括更新作業で、CSVファイルの列がずれたまま取り込んだため、顧客約150名の住所が"
            "別の顧客の住所で上書きされた。ダイレクトメール発送前の点検で判明した。"
        ),
        report={"data_items": "住所", "affected_count": 150, "affected_count_estimated": True},
        steps=[
            step("triage", "manager", 0.1, "ダイレクトメールの発送を停止。", severity="L1", kind="damage",
                 event_class="wrong_registration"),
            assign("manager", 0.12, "office"),
            step("contain", "manager", 1, "",
                 containment_summary="ダイレクトメールの発送を停止し、前日のバックアップから該当150件の住所を復元した。",
                 correction_taken="バックアップからの復元。"),
            step("analyse", "manager", 5, "",
                 root_cause="一括更新の手順に、取込み前のデータ検証と更新後の抜取り確認がなかった。",
                 cause="operating_error"),
            plan("validation", "manager", 5, kind="corrective", title="一括更新ツールへの取込み前検証（列名・件数）の実装",
                 department="IT", owner="head_it", verifier="manager", due=45),
            step("plan_actions", "manager", 6),
            act("validation", "start", "head_it", 7),
            act("validation", "implement", "head_it", 35,
                implementation_note="取込み前に列名と件数を検証し、不一致の場合は取込みを中止する機能を実装した。"),
            step("verify", "manager", 36),
            file("pmark_final", "office", 45, "期限を過ぎての報告となった。",
                 recipient_reference="審査機関 受付番号 PM-{year}-0731", method="email",
                 filing_note="期限を過ぎての報告となった。影響を受けた顧客の特定（150名）に時間を要したこと、"
                             "報告期限の管理を個人情報保護推進室で一元化することを報告書に記載した。"),
            act("validation", "verify_effective", "manager", 70,
                effectiveness_note="2か月間の一括更新12回で、検証機能が正常に動作したことを確認した。"),
            step("close", "office", 72, "完了。"),
            step("reopen", "manager", 200,
                 "同様の住所上書きが再発した（画面からの個別更新で発生）。一括更新以外の更新経路も是正の対象とするため再開する。"),
            plan("confirm_screen", "manager", 201, kind="corrective", title="個別更新画面への変更前後の確認表示の追加",
                 department="IT", owner="head_it", verifier="office", due=270),
            plan("cs_training", "manager", 202, kind="improvement", title="顧客データ更新手順の教育（カスタマーサポート部）",
                 department="CS", owner="head_cs", verifier="auditor", due=260),
            act("confirm_screen", "start", "head_it", 205, "開発会社に見積りを依頼済み。"),
        ],
    ),
    Story(
        title="クリアデスク規程違反（申込書の机上放置）",
        reporter="head_cs", department="CS", kind="violation", days_ago=120, occurred=0.5,
        description=(
            "終業後の点検で、顧客の申込書12件が施錠されないまま執務室の机上に放置されているのが見つかった。"
            "執務室は入館管理されており、外部への持出しは確認されていない。"
        ),
        report={"data_items": "氏名、住所、生年月日、口座番号", "affected_count": 12},
        steps=[
            step("triage", "manager", 0.3, "規程違反として対応する。漏えいは確認されていない。", severity="L1",
                 kind="violation", event_class="other"),
            assign("manager", 0.32, "office"),
            step("contain", "manager", 1, "",
                 containment_summary="申込書を施錠保管庫に移し、12件全ての所在を確認した。",
                 correction_taken="担当者への注意喚起。"),
            step("analyse", "manager", 7, "",
                 root_cause="施錠できる保管庫が不足しており、処理途中の書類を机上に置く慣習があった。"
                            "終業時のクリアデスク確認が形骸化していた。",
                 cause="rule_breach"),
            plan("cabinet", "manager", 7, kind="corrective", title="施錠キャビネットの増設",
                 department="GA", owner="head_ga", verifier="manager", due=40),
            plan("camera", "manager", 7, kind="corrective", title="執務室への監視カメラの設置",
                 department="GA", owner="head_ga", verifier="office", due=60),
            plan("checklist", "head_cs", 8, kind="preventive", title="終業時クリアデスク点検のチェックリスト化",
                 department="CS", owner="head_cs", verifier="auditor", due=30),
            step("plan_actions", "manager", 9),
            act("checklist", "start", "head_cs", 9),
            act("cabinet", "start", "head_ga", 10, "見積りを取得中。"),
            act("camera", "cancel", "manager", 12,
                cancel_reason="施錠キャビネットの増設と終業時点検で対応できるため、監視カメラは不要と判断した。"),
            act("checklist", "implement", "head_cs", 28,
                implementation_note="終業時点検のチェックリストを作成し、毎日の点検結果を部門長が確認する運用を開始した。"),
            act("checklist", "verify_effective", "auditor", 70, effectiveness_note="2か月分の点検記録を確認。放置事例なし。"),
        ],
    ),
    Story(
        title="不審な営業メールの受信（顧客情報の流出を懸念）",
        reporter="staff", department="SALES", kind="leak", days_ago=60,
        description=(
            "当社の顧客名を記載した不審な営業メールを受信した。当社から顧客情報が流出したのではないかと"
            "心配になり報告した。"
        ),
        steps=[
            step("dismiss", "manager", 1.5, "PMSの対象外として記録を終える。",
                 dismissal_reason="調査の結果、メールに記載された顧客名は当該顧客の公開Webサイトから取得されたものと判断した。"
                                  "当社からの漏えいを示す事実はない。迷惑メールとして情報システム部でブロック済み。"),
        ],
    ),
    Story(
        title="共有フォルダのアクセス権設定不備（人事評価ファイル）",
        reporter="head_hr", department="HR", kind="weakness", days_ago=45,
        description=(
            "人事部の共有フォルダの一部に全社員が閲覧できるアクセス権が設定されており、人事評価ファイルが"
            "他部署から閲覧できる状態だったことが定期点検で判明した。アクセスログ上、他部署からの閲覧は"
            "確認されていない。"
        ),
        report={"data_items": "氏名、社員番号、人事評価", "affected_count": 85},
        steps=[
            step("triage", "manager", 0.2, "弱点として対応する。", severity="L1", kind="weakness", event_class="other"),
            assign("manager", 0.22, "office"),
            edit("manager", 0.25, pmark_event="leak", pmark_suspected=True),
            step("contain", "manager", 1, "",
                 containment_summary="当該フォルダのアクセス権を人事部のみに修正し、他部署からのアクセス履歴がないことを"
                                     "ログで確認した。",
                 correction_taken="アクセス権の修正。"),
            not_required("pmark_final", "manager", 2,
                         "アクセスログの調査で、他部署の社員による人事評価ファイルの閲覧がないことを確認した。"
                         "個人情報の漏えい等は発生しておらず、弱点の発見として社内で是正するため、"
                         "審査機関への報告は要しないと判断した。"),
            step("analyse", "manager", 10, "",
                 root_cause="フォルダ作成時に上位フォルダの権限が継承される設定を見落とした。"
                            "アクセス権の定期的な棚卸しが行われていなかった。",
                 cause="access_control_gap"),
            plan("inventory", "manager", 11, kind="corrective", title="全共有フォルダのアクセス権棚卸し",
                 department="IT", owner="head_it", verifier="office", due=60),
            plan("review_rule", "manager", 11, kind="preventive", title="アクセス権の半期ごとの棚卸し手順の制定",
                 department="HR", owner="head_hr", verifier="manager", due=90),
        ],
    ),
    Story(
        title="不審なメールの添付ファイル開封によるマルウェア感染の疑い",
        reporter="staff", department="SALES", kind="other", days_ago=20, occurred=0.02,
        description=(
            "取引先を装ったメールの添付ファイルを開封した直後、PCの動作が不安定になった。"
            "ウイルス対策ソフトが不審なプログラムを検知したため、情報システム部に連絡した。"
        ),
        report={"data_items": "営業部の顧客リスト（PC内に保存）"},
        steps=[
            step("triage", "manager", 0.05, "外部への送信の有無を調査する。", severity="L1", kind="other",
                 event_class="malware"),
            assign("manager", 0.06, "office"),
            step("contain", "manager", 0.5, "",
                 containment_summary="当該PCをネットワークから隔離し、調査会社にフォレンジック調査を依頼した。"
                                     "プロキシのログ上、外部への不審な通信は確認されていない。",
                 correction_taken="PCの初期化と再セットアップ。"),
            step("analyse", "office", 13, "フォレンジック調査の報告書を受領。外部への送信はなかった。",
                 root_cause="取引先を装ったメールの添付ファイル（マクロ付き文書）を開いたことによる感染。"
                            "顧客リストを営業支援システムではなく各自のPC内に保存する運用が黙認されており、"
                            "感染したPCに個人情報が残っていた。",
                 cause="rule_breach"),
            plan("pc_list", "office", 14, kind="correction",
                 title="PC内に保存していた顧客リストの営業支援システムへの移行と削除",
                 description="当該PCの再セットアップ前に退避した顧客リストを営業支援システムに登録し、退避したファイルを削除する。",
                 department="SALES", owner="staff", verifier="head_sales", due=25),
            plan("sales_pcs", "office", 14, kind="corrective",
                 title="営業部全員のPCの個人情報保存状況の点検と、PC内への保存禁止の周知",
                 description="営業部員全員のPCに顧客リスト等が保存されていないかを点検し、保存場所を営業支援システムに"
                             "限定することを部内に周知する。",
                 department="SALES", owner="head_sales", verifier="office", due=40),
            step("plan_actions", "office", 14.1, "是正処置2件を計画。"),
            act("pc_list", "start", "staff", 15),
            act("pc_list", "implement", "staff", 17,
                implementation_note="顧客リスト（取引先86社の担当者）を営業支援システムに登録し、退避したファイルを削除した。"),
        ],
    ),
    Story(
        title="社用スマートフォンの紛失",
        reporter="head_sales", department="SALES", kind="loss", days_ago=6, occurred=0.1,
        description=(
            "外出先からの帰社途中に社用スマートフォンを紛失した。端末には顧客の連絡先約300件が登録されている。"
            "画面ロックは設定済み。"
        ),
        report={"data_items": "氏名、電話番号、メールアドレス（連絡先）", "affected_count": 300,
                "affected_count_estimated": True},
        steps=[
            step("triage", "manager", 0.1, "MDMによる遠隔ロックを指示。遺失届の提出を依頼した。", severity="L2",
                 kind="loss", event_class="loss_damage"),
            assign("manager", 0.12, "office"),
            progress("head_sales", 0.3, "MDMで端末の遠隔ロックを実行した。端末の電源が切れているため、遠隔消去は"
                                        "次にネットワークに接続した時点で実行される設定とした。", occurred=0.2),
            progress("head_sales", 0.35, "最寄りの警察署に遺失届を提出した（受理番号あり）。"),
            progress("office", 1.2, "立ち寄り先の飲食店と鉄道会社の忘れ物窓口に問い合わせたが、見つかっていない。"
                                    "携帯電話会社に回線の利用停止を依頼した。"),
        ],
    ),
    Story(
        title="請求書の誤送付（別の顧客宛て）",
        reporter="staff", department="SALES", kind="leak", days_ago=2, occurred=3,
        description="A社宛ての請求書を封入する際にB社の請求書を同封して郵送したことが、A社からの連絡で判明した。",
        report={"data_items": "会社名、担当者氏名、請求金額", "affected_count": 1},
    ),
]
