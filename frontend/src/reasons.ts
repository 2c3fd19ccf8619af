// Texts the system writes itself (flag reasons, exit-case reasons, required-check reasons), shown
// from their code and parameters in the user's language; and the short name of each rule ID of
// RULES.md, for the title of a rule pill. A reason a person typed has no code and is shown as typed;
// a code the dashboard does not know falls back to the stored English text.

import { count, date, decimal, month, percent, type Lang } from "./format";
import { codeName } from "./i18n";

export interface ReasonTemplate {
  en: string;
  zh: string;
}

/**
 * One template per reason code, `{name}` standing for the parameter `name` of `reason_params`.
 * The server writes the same code and parameters (the English is its stored `reason`).
 */
export const reasonTemplates = {
  // R-2 `npl`, raised by a loan snapshot.
  loan_npl: {
    en: "Loan {loan_no} classified substandard or worse as of {as_of}",
    zh: "截至{as_of}，贷款 {loan_no} 五级分类为次级类及以下（不良）",
  },
  // R-2 `overdue_interest`, raised by a loan snapshot.
  loan_interest_unpaid: {
    en: "Loan {loan_no}: interest of the period unpaid as of {as_of}",
    zh: "截至{as_of}，贷款 {loan_no} 本期利息未付（欠息）",
  },
  // R-2 `overdue_interest`, raised by the R-4 evaluation.
  interest_unpaid: {
    en: "Interest unpaid as of {as_of}",
    zh: "截至{as_of}，利息未付（欠息）",
  },
  // `action_required` and `management_out_of_control` on the RM, and the D-5 inspections.
  r4_overdue_ratio: {
    en: "Overdue-interest ratio {ratio} ({overdue} of {loan_customers} loan customers) on {as_of}",
    zh: "{as_of}欠息占比 {ratio}（{loan_customers} 户贷款客户中 {overdue} 户欠息）",
  },
  // X-2 items 3, 5 and 6: an exit case the monthly run proposes.
  monthly_run_trigger: {
    en: "{trigger} found by the monthly run for {month}",
    zh: "{month}的月度考核发现：{trigger}",
  },
  // a demotion case of the yearly rating.
  demotion_below_standard: {
    en: "{year} average score below the rank standard {standard}",
    zh: "{year}年平均得分低于所任等级标准（{standard} 分）",
  },
  // X-2 item 2.
  overdue_interest_not_reported: {
    en: "Overdue interest not acted on or reported in time",
    zh: "对欠息未及时采取有力措施或反映情况",
  },
  // a borrower with a loan classified substandard or worse, the loan not named (the demo's history).
  npl_borrower: {
    en: "Loan classified substandard or worse as of {as_of}",
    zh: "截至{as_of}，贷款五级分类为次级类及以下（不良）",
  },
  // a required check for a customer of a named A-6 category.
  a6_customer: {
    en: "A-6 ({category}): the customer needs a second RM's check",
    zh: "A-6（{category}）：该客户须有第二名客户经理参与检查",
  },
  // a required check for a customer that entered an A-6 category (the server's text today).
  a6_entered: {
    en: "The customer entered an A-6 category: it needs two RMs",
    zh: "客户进入 A-6 类别：须有两名客户经理共同作业",
  },
  // R-2 `related_party`: spread from a guarantor or group member with an `npl` or `blacklisted` flag.
  related_party: {
    en: "Related to customer {customer_name} (flag: {kind})",
    zh: "关联客户 {customer_name} 有“{kind}”预警",
  },
  // D-5 / X-2 item 2: the incident recorded when a required check is overdue.
  required_check_overdue: {
    en: "D-5: the required {check_kind} of customer {customer_name} was due on {due_on} and is not done",
    zh: "D-5：客户 {customer_name} 的必查{check_kind}应于{due_on}完成，至今未完成",
  },
} satisfies Record<string, ReasonTemplate>;

export type ReasonCode = keyof typeof reasonTemplates;

/** The parameters of a reason: strings and numbers by name (anything else counts as missing). */
export type ReasonParams = Readonly<Record<string, unknown>>;

export function isReasonCode(code: string | null | undefined): code is ReasonCode {
  return !!code && Object.hasOwn(reasonTemplates, code);
}

/** The names of the parameters a template uses. */
export function placeholders(template: string): string[] {
  return [...template.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
}

type Format = (value: string | number, locale: string, lang: Lang) => string;

const asDate: Format = (v, locale) => date(String(v), locale);
const asCount: Format = (v, locale) => (Number.isFinite(Number(v)) ? count(Number(v), locale) : String(v));
/** An enum value (check kind, A-6 category) by its name, in lower case inside an English sentence. */
const asCodeInSentence: Format = (v, _locale, lang) => {
  const name = codeName(lang, String(v));
  return lang === "en" && /^[A-Z][a-z]/.test(name) ? name[0].toLowerCase() + name.slice(1) : name;
};

/** How a parameter is shown, by its name; any other is shown as sent. */
const paramFormats: Record<string, Format> = {
  as_of: asDate,
  date: asDate,
  valid_until: asDate,
  term_ends_on: asDate,
  due_on: asDate,
  month: (v, locale) => month(String(v), locale),
  ratio: (v, locale) => percent(v, locale),
  overdue: asCount,
  loan_customers: asCount,
  standard: (v, locale) => decimal(v, locale, 2),
  trigger: (v, _locale, lang) => ruleWithName(lang, String(v)),
  kind: (v, _locale, lang) => codeName(lang, String(v)),
  check_kind: asCodeInSentence,
  category: asCodeInSentence,
};

export interface RenderedReason {
  text: string;
  /** False when the stored text is shown: a person's words, or a code or parameter not known here. */
  translated: boolean;
}

/** A reason in the user's language: the template of `code` filled with `params`, else `text`. */
export function renderReason(lang: Lang, locale: string, code: string | null | undefined, params: ReasonParams | null | undefined, text: string | null | undefined): RenderedReason {
  const stored = { text: text ?? "", translated: false };
  if (!isReasonCode(code)) return stored;
  const template = reasonTemplates[code][lang === "zh-CN" ? "zh" : "en"];
  let missing = false;
  const filled = template.replace(/\{(\w+)\}/g, (_whole, name: string) => {
    const value = params?.[name];
    if (typeof value !== "string" && typeof value !== "number") {
      missing = true;
      return "—";
    }
    const format = paramFormats[name];
    return format ? format(value, locale, lang) : String(value);
  });
  // A parameter the server did not send: its own words say more than a dash.
  if (missing && text) return stored;
  return { text: filled, translated: true };
}

/** [`renderReason`] as a plain string, for titles and exports. */
export function reasonText(lang: Lang, locale: string, code: string | null | undefined, params: ReasonParams | null | undefined, text: string | null | undefined): string {
  return renderReason(lang, locale, code, params, text).text;
}

// Rule names: the short name of each rule ID of RULES.md (and the items of X-2, the triggers of
// exit cases), for the title of a rule pill.

export const ruleNames: Record<string, { en: string; zh: string }> = {
  "P-1": { en: "Versioned policy", zh: "政策版本管理" },
  "P-2": { en: "Business dates and calendar", zh: "营业日期与工作日历" },
  "O-1": { en: "Org tree and data scope", zh: "机构树与数据范围" },
  "O-2": { en: "Lines and grades", zh: "条线与等级" },
  "O-3": { en: "Who approves a grade", zh: "等级资格审批权限" },
  "O-4": { en: "Entry requirements and qualification validity", zh: "任职条件与资格有效期" },
  "O-5": { en: "Appointment term", zh: "聘期" },
  "O-6": { en: "Permanent ban after a forced exit", zh: "强行退出者不得再任" },
  "A-1": { en: "One primary RM per customer", zh: "每户一名主办客户经理" },
  "A-2": { en: "At most two RMs per customer, or a team", zh: "单户最多两名客户经理或客户经理小组" },
  "A-3": { en: "Capacity caps", zh: "管户上限" },
  "A-4": { en: "Who may receive customers", zh: "接收客户的资格" },
  "A-5": { en: "Grade matching", zh: "等级匹配" },
  "A-6": { en: "Customers needing two RMs", zh: "须双人作业的客户" },
  "A-7": { en: "Attribution and shares", zh: "业绩归属与分配系数" },
  "A-8": { en: "Stability and rotation", zh: "稳定与轮换" },
  "A-9": { en: "Handover", zh: "管户移交" },
  "A-10": { en: "Approval of sensitive reassignments", zh: "敏感客户更换管户须审批" },
  "A-11": { en: "Workload fairness", zh: "管户均衡" },
  "D-1": { en: "Field check record", zh: "现场调查记录" },
  "D-2": { en: "Two RMs for A-6 checks", zh: "双人调查、双人贷后检查" },
  "D-3": { en: "Two-step confirmation", zh: "双人两步确认" },
  "D-4": { en: "Independent second RM", zh: "协查客户经理独立性" },
  "D-5": { en: "Required checks and due dates", zh: "必查事项与期限" },
  "D-6": { en: "Reporting duties", zh: "报告职责" },
  "R-1": { en: "Credit inputs", zh: "信贷数据" },
  "R-2": { en: "Customer flags", zh: "客户风险预警" },
  "R-3": { en: "Shared flags", zh: "风险预警共享" },
  "R-4": { en: "Overdue-interest ratio", zh: "欠息占比" },
  "R-5": { en: "NPL ratio", zh: "不良贷款占比" },
  "R-6": { en: "Monthly due list", zh: "月度到期与欠息催收清单" },
  "X-1": { en: "Monthly score", zh: "月度考核得分" },
  "X-2": { en: "Disqualification triggers", zh: "取消资格情形" },
  "X-2.1": { en: "Negligence causing a loan loss", zh: "工作失职造成贷款损失" },
  "X-2.2": { en: "Not acting or reporting in time", zh: "未及时采取措施或反映情况" },
  "X-2.3": { en: "3 complaints in 12 months", zh: "12 个月内被投诉 3 次以上" },
  "X-2.4": { en: "Falsification or violations", zh: "弄虚作假或违规违纪" },
  "X-2.5": { en: "New NPLs ≥ 1% for 3 months running", zh: "新增不良连续 3 个月 ≥ 1%" },
  "X-2.6": { en: "Bottom 20% by 12-month average score", zh: "12 个月平均得分居后 20%" },
  "X-3": { en: "Forced exit", zh: "强行退出" },
  "X-4": { en: "Other exits and demotion", zh: "其他退出与降级" },
  "X-5": { en: "Exit case", zh: "退出案件" },
  "X-6": { en: "Pay effects", zh: "薪酬影响" },
  "M-1": { en: "Maker-checker approval", zh: "双人复核审批" },
  "M-2": { en: "Audit trail", zh: "审计留痕" },
  "M-3": { en: "Audit exports", zh: "审计导出" },
  "M-4": { en: "Separation of duties", zh: "职责分离" },
};

/** The short name of a rule ID ("X-3" → "Forced exit"), or null for an ID not in RULES.md. */
export function ruleName(lang: Lang, id: string | null | undefined): string | null {
  if (!id || !Object.hasOwn(ruleNames, id)) return null;
  return ruleNames[id][lang === "zh-CN" ? "zh" : "en"];
}

/** "X-3: Forced exit", for the title of a pill that shows "X-3"; the ID alone if unknown. */
export function ruleTitle(lang: Lang, id: string): string {
  const name = ruleName(lang, id);
  return name ? `${id}${lang === "zh-CN" ? "：" : ": "}${name}` : id;
}

/** "X-2.5 (New NPLs ≥ 1% for 3 months running)" inside a sentence. */
function ruleWithName(lang: Lang, id: string): string {
  const name = ruleName(lang, id);
  if (!name) return id;
  return lang === "zh-CN" ? `${id}（${name}）` : `${id} (${name[0].toLowerCase()}${name.slice(1)})`;
}
