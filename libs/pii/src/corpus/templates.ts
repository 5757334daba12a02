// Sentences of the labelled corpus. `{v}` marks the value. Templates of types that need context
// carry their context words; the others come both with and without them.
import { type PiiType } from '../types.js';

export type Lang = 'en' | 'zh' | 'ja' | 'ko' | 'ar' | 'de' | 'fr' | 'es' | 'it' | 'nl' | 'pl' | 'sv' | 'pt' | 'da' | 'fi' | 'no';

/** Language of each type's templates (for filler sentences around them). */
export const TEMPLATES: Readonly<Partial<Record<PiiType, readonly (readonly [Lang, string])[]>>> = {
  EMAIL: [
    ['en', 'You can reach me at {v} any time.'],
    ['en', 'Forward the report to {v} please.'],
    ['de', 'Bitte schicken Sie die Unterlagen an {v}.'],
    ['zh', '请把文件发到{v}，谢谢。'],
    ['ja', '詳細は{v}までご連絡ください。'],
    ['fr', 'Mon adresse est {v}.'],
  ],
  CREDIT_CARD: [
    ['en', 'My credit card number is {v}, expiry 09/27.'],
    ['en', 'Charge it to {v} please.'],
    ['en', 'Visa {v} was declined yesterday.'],
    ['de', 'Meine Kreditkarte: {v}.'],
    ['fr', 'Voici ma carte {v} pour le paiement.'],
    ['es', 'Pague con la tarjeta {v}.'],
  ],
  IBAN: [
    ['en', 'Please wire the money to IBAN {v}.'],
    ['de', 'Überweisen Sie bitte auf {v}.'],
    ['fr', 'Mon RIB : {v}'],
    ['en', 'Account {v} belongs to the supplier.'],
    ['nl', 'Maak het bedrag over naar {v} graag.'],
  ],
  SWIFT_BIC: [
    ['en', 'The SWIFT code is {v}.'],
    ['de', 'BIC: {v}'],
    ['en', 'Use bank code {v} for the transfer.'],
  ],
  ICD_CODE: [
    ['en', 'The patient was diagnosed with {v} last spring.'],
    ['en', 'Diagnosis code {v} was entered in the chart.'],
    ['de', 'Diagnose: {v}, Kontrolle in drei Monaten.'],
    ['zh', '诊断编码为{v}，需要复查。'],
  ],
  PHONE_NUMBER: [
    ['en', 'Call our Berlin office on {v}.'],
    ['fr', 'Mon portable : {v}'],
    ['it', 'Il mio numero è {v}.'],
    ['en', 'Reach Marta at {v} after six.'],
  ],

  OPENAI_API_KEY: [['en', 'Here is my key {v}, why does it fail?'], ['en', 'OPENAI_API_KEY={v}']],
  ANTHROPIC_API_KEY: [['en', 'export ANTHROPIC_API_KEY="{v}"'], ['en', 'The key {v} returns 401.']],
  AWS_ACCESS_KEY_ID: [['en', 'aws_access_key_id = {v}'], ['en', 'Our access key {v} leaked.']],
  GITHUB_TOKEN: [['en', 'git clone https://{v}@github.com/acme/app.git'], ['en', 'token: {v}']],
  SLACK_TOKEN: [['en', 'The bot uses {v} to post.'], ['en', 'SLACK_TOKEN={v}']],
  GOOGLE_API_KEY: [['en', 'maps key={v}&callback=init'], ['en', 'The Google key {v} hit its quota.']],
  STRIPE_SECRET_KEY: [['en', 'stripe.api_key = "{v}"']],
  PRIVATE_KEY: [['en', 'Why does ssh reject this?\n{v}\nThanks.']],
  JWT: [['en', 'Authorization: Bearer {v}'], ['en', 'Decode this token {v} for me.']],

  CN_RESIDENT_ID: [
    ['zh', '我的身份证号码是{v}，请帮我核对。'],
    ['zh', '身份证：{v}'],
    ['zh', '请核实{v}这个证件。'],
    ['en', 'Her Chinese ID is {v}.'],
  ],
  CN_PHONE: [
    ['zh', '我的手机号是{v}，有事请联系。'],
    ['zh', '请拨打{v}预约。'],
    ['zh', '联系电话：{v}'],
    ['en', 'My mobile in Shanghai is {v}.'],
  ],
  CN_BANK_CARD: [
    ['zh', '我的银行卡号是{v}，开户行是招商银行。'],
    ['zh', '收款账户：{v}'],
    ['zh', '工商银行卡号{v}，户名张三。'],
  ],
  CN_USCC: [
    ['zh', '公司统一社会信用代码：{v}'],
    ['zh', '营业执照上的信用代码是{v}。'],
    ['zh', '请开票，税号{v}。'],
  ],
  CN_SECURITIES_ACCOUNT: [
    ['zh', '我的证券账户是{v}，请查询持仓。'],
    ['zh', '股东账户：{v}'],
  ],

  US_SSN: [
    ['en', 'My SSN is {v}.'],
    ['en', 'Social security number: {v}'],
    ['en', 'Please verify {v} against the W-2.'],
  ],
  NANP_PHONE: [
    ['en', 'Call me at {v} tomorrow.'],
    ['en', 'The front desk number is {v}.'],
    ['en', 'Text {v} when you arrive.'],
    ['en', 'Phone: {v}'],
  ],
  UK_PHONE: [
    ['en', 'Ring the surgery on {v}.'],
    ['en', 'My mobile is {v}.'],
    ['en', 'Tel: {v}'],
  ],
  UK_NINO: [
    ['en', 'My National Insurance number is {v}.'],
    ['en', 'NI number: {v}'],
    ['en', 'Payroll has {v} on file.'],
  ],
  UK_NHS_NUMBER: [
    ['en', 'NHS number {v}, date of birth attached.'],
    ['en', 'Her NHS no. is {v}.'],
  ],
  EN_PASSPORT: [
    ['en', 'My passport number is {v}.'],
    ['en', 'Passport: {v}, expires next year.'],
  ],
  EN_DRIVER_LICENSE: [
    ["en", "Driver's license number: {v}"],
    ['en', 'My driving licence number is {v}.'],
  ],
  EN_MEDICAL_RECORD: [
    ['en', 'Patient MRN {v}, admitted Monday.'],
    ['en', 'Medical record number: {v}'],
  ],

  JP_MY_NUMBER: [
    ['ja', '私のマイナンバーは{v}です。'],
    ['ja', '個人番号：{v}'],
    ['ja', '番号{v}（マイナンバー）で登録しました。'],
  ],
  JP_PHONE: [
    ['ja', '電話番号は{v}です。'],
    ['ja', '携帯：{v}'],
    ['ja', '{v}までお電話ください。'],
  ],
  JP_POSTAL_CODE: [
    ['ja', '住所は〒{v} 東京都千代田区です。'],
    ['ja', '郵便番号{v}の地域です。'],
  ],
  JP_HEALTH_INSURANCE: [
    ['ja', '保険者番号は{v}です。'],
    ['ja', '保険証の保険者番号：{v}'],
  ],

  KR_RRN: [
    ['ko', '제 주민등록번호는 {v}입니다.'],
    ['ko', '주민번호: {v}'],
    ['ko', '아래 번호 확인 부탁드립니다: {v}'],
  ],
  KR_PHONE: [
    ['ko', '제 전화번호는 {v}입니다.'],
    ['ko', '연락처: {v}'],
    ['ko', '급하면 {v}로 연락 주세요.'],
  ],
  KR_PASSPORT: [
    ['ko', '여권번호는 {v}입니다.'],
    ['ko', '여권: {v}'],
  ],
  KR_BRN: [
    ['ko', '사업자등록번호: {v}'],
    ['ko', '저희 회사 {v} 기준으로 세금계산서 발행해 주세요.'],
  ],

  DE_TAX_ID: [
    ['de', 'Meine Steuer-ID lautet {v}.'],
    ['de', 'Steueridentifikationsnummer: {v}'],
    ['en', 'His German tax ID is {v}.'],
  ],
  DE_ID_CARD: [
    ['de', 'Personalausweisnummer: {v}'],
    ['de', 'Die Ausweisnummer {v} ist abgelaufen.'],
  ],
  FR_NIR: [
    ['fr', 'Mon numéro de sécurité sociale est {v}.'],
    ['fr', 'NIR : {v}'],
    ['fr', 'Merci de mettre à jour le dossier {v}.'],
  ],
  ES_DNI: [
    ['es', 'Mi DNI es {v}.'],
    ['es', 'Adjunto copia del documento {v}.'],
  ],
  ES_NIE: [
    ['es', 'Mi NIE es {v}.'],
    ['es', 'Número de extranjero: {v}'],
  ],
  IT_FISCAL_CODE: [
    ['it', 'Il mio codice fiscale è {v}.'],
    ['it', 'Intestare la fattura a {v}.'],
  ],
  NL_BSN: [
    ['nl', 'Mijn BSN is {v}.'],
    ['nl', 'Burgerservicenummer: {v}'],
  ],
  PL_PESEL: [
    ['pl', 'Mój numer PESEL to {v}.'],
    ['pl', 'PESEL: {v}'],
  ],
  SE_PERSONNUMMER: [
    ['sv', 'Mitt personnummer är {v}.'],
    ['sv', 'Patienten {v} väntar i rum tre.'],
  ],
  PT_NIF: [
    ['pt', 'O meu NIF é {v}.'],
    ['pt', 'Número de contribuinte: {v}'],
  ],
  BE_NATIONAL_NUMBER: [
    ['nl', 'Mijn rijksregisternummer is {v}.'],
    ['fr', 'Numéro national : {v}'],
  ],
  CH_AHV: [
    ['de', 'Meine AHV-Nummer ist {v}.'],
    ['fr', 'Numéro AVS {v}'],
    ['de', 'Bitte {v} im Formular eintragen.'],
  ],
  DK_CPR: [
    ['da', 'Mit CPR-nummer er {v}.'],
    ['da', 'CPR: {v}'],
  ],
  FI_HETU: [
    ['fi', 'Henkilötunnukseni on {v}.'],
    ['fi', 'Potilas {v} odottaa.'],
  ],
  NO_FNR: [
    ['no', 'Mitt fødselsnummer er {v}.'],
    ['no', 'Fnr: {v}'],
  ],
  AT_SVNR: [
    ['de', 'Meine Sozialversicherungsnummer ist {v}.'],
    ['de', 'SVNR: {v}'],
  ],

  SA_NATIONAL_ID: [
    ['ar', 'رقم الهوية الوطنية {v} يرجى التحقق منه.'],
    ['ar', 'هويتي رقم الهوية: {v}'],
    ['en', 'My Saudi national ID is {v}.'],
  ],
  SA_IQAMA: [
    ['ar', 'رقم الإقامة {v} ينتهي قريبا.'],
    ['en', 'Iqama number: {v}'],
  ],
  AE_EMIRATES_ID: [
    ['ar', 'رقم الهوية الإماراتية {v}.'],
    ['en', 'Emirates ID {v} attached.'],
    ['en', 'Please verify {v} for the visa.'],
  ],
  QA_QID: [
    ['en', 'My QID is {v}.'],
    ['ar', 'الرقم الشخصي: {v}'],
  ],
  MA_CIN: [
    ['fr', 'Mon numéro CIN est {v}.'],
    ['ar', 'رقم البطاقة الوطنية {v}'],
  ],
  NG_NIN: [
    ['en', 'My NIN is {v}.'],
    ['en', 'National Identification Number: {v}'],
  ],
  MENA_PHONE: [
    ['ar', 'رقم جوالي {v} اتصل بي.'],
    ['ar', 'هاتف: {v}'],
    ['en', 'Call our Dubai desk on {v}.'],
  ],
};

/** Names per language and the phrases that introduce them (`{v}` is the name). */
export const NAME_TEMPLATES: readonly (readonly [Lang, string, readonly string[]])[] = [
  ['en', 'Hi, my name is {v} and I need help with my account.', ['John Smith', 'Emily Carter', 'Michael O\'Brien', 'Sarah Johnson']],
  ['en', 'Full name: {v}\nDepartment: Sales', ['Robert Brown', 'Linda Martinez', 'James Wilson']],
  ['de', 'Guten Tag, ich heiße {v} und habe eine Frage.', ['Jürgen Müller', 'Anna Schmidt', 'Lukas Weber']],
  ['fr', "Bonjour, je m'appelle {v} et j'habite à Lyon.", ['Marie Dubois', 'Jean-Pierre Martin', 'Chloé Bernard']],
  ['es', 'Hola, me llamo {v} y tengo una consulta.', ['Lucía García', 'Carlos Fernández', 'Sofía López']],
  ['it', 'Buongiorno, mi chiamo {v} e scrivo da Milano.', ['Giulia Rossi', 'Marco Bianchi']],
  ['nl', 'Hallo, ik heet {v} en ik woon in Utrecht.', ['Sanne de Vries', 'Daan Jansen']],
  ['pl', 'Dzień dobry, nazywam się {v} i mam pytanie.', ['Anna Nowak', 'Piotr Kowalski']],
  ['sv', 'Hej, jag heter {v} och bor i Malmö.', ['Erik Andersson', 'Maja Nilsson']],
  ['zh', '你好，我叫{v}，想咨询一下。', ['王小明', '李娜', '张伟', '欧阳娜娜']],
  ['ja', 'こんにちは、私の名前は{v}です。', ['山田太郎', '佐藤花子', '鈴木一郎']],
  ['ko', '안녕하세요, 제 이름은 {v}입니다.', ['김민수', '이지은', '박서준']],
  ['ar', 'مرحبا، اسمي {v} وأريد المساعدة.', ['محمد أحمد', 'فاطمة علي', 'خالد']],
];

/** Neutral sentences per language, some with harmless numbers. */
export const FILLERS: Readonly<Record<Lang, readonly string[]>> = {
  en: [
    'Please help me draft a polite reply.',
    'Summarize the thread below in three bullet points.',
    'The meeting moved to 3 pm on Thursday.',
    'We shipped 1,250 units in Q3 and expect 20% growth.',
    'Thanks in advance for your help!',
    'Can you translate this into Spanish?',
  ],
  zh: ['请帮我写一封回复邮件。', '会议改到周四下午3点。', '谢谢你的帮助！', '这个季度销量增长了20%。'],
  ja: ['よろしくお願いいたします。', '会議は木曜日の15時に変更になりました。', '返信の下書きを手伝ってください。'],
  ko: ['도와주셔서 감사합니다.', '회의는 목요일 오후 3시로 변경되었습니다.', '답장 초안을 작성해 주세요.'],
  ar: ['شكرا لمساعدتك.', 'تم تأجيل الاجتماع إلى يوم الخميس.', 'أرجو كتابة رد مهذب.'],
  de: ['Vielen Dank für Ihre Hilfe.', 'Das Meeting wurde auf Donnerstag, 15 Uhr, verschoben.', 'Bitte fassen Sie den Text kurz zusammen.'],
  fr: ['Merci pour votre aide.', 'La réunion est reportée à jeudi 15 h.', 'Pouvez-vous résumer ce texte ?'],
  es: ['Gracias por su ayuda.', 'La reunión se movió al jueves a las 15:00.', '¿Puede resumir este texto?'],
  it: ['Grazie per l\'aiuto.', 'La riunione è spostata a giovedì alle 15.', 'Può riassumere questo testo?'],
  nl: ['Bedankt voor je hulp.', 'De vergadering is verplaatst naar donderdag 15.00 uur.'],
  pl: ['Dziękuję za pomoc.', 'Spotkanie przeniesiono na czwartek na 15:00.'],
  sv: ['Tack för hjälpen.', 'Mötet är flyttat till torsdag kl. 15.'],
  pt: ['Obrigado pela ajuda.', 'A reunião passou para quinta-feira às 15h.'],
  da: ['Tak for hjælpen.', 'Mødet er flyttet til torsdag kl. 15.'],
  fi: ['Kiitos avusta.', 'Kokous siirtyi torstaille klo 15.'],
  no: ['Takk for hjelpen.', 'Møtet er flyttet til torsdag kl. 15.'],
};
