// The texts of the checks pages added with "my day", in English and Chinese (`zh` names every key of `en`).

export const en = {
  "checks.action": "Action",
  "checks.record": "Record check",
  "checks.rmRecord": "RM …{id}",
  "checks.reason.a6": "The customer entered an A-6 category (two RMs needed).",
  "checks.reason.r4": "Overdue-interest ratio {ratio} ({overdue} of {loans} loan customers) on {date}: on-site inspection required.",
} as const;

export const zh: Record<keyof typeof en, string> = {
  "checks.action": "操作",
  "checks.record": "登记检查",
  "checks.rmRecord": "客户经理 …{id}",
  "checks.reason.a6": "客户进入 A-6 类别（须双人办理）。",
  "checks.reason.r4": "{date} 欠息客户占比 {ratio}（{loans} 户贷款客户中 {overdue} 户）：须现场贷后检查。",
};
