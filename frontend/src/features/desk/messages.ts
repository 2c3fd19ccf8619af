// Texts of the desk: navigation of the new pages and "waiting for me".

export const en = {
  "nav.myday": "My day",
  "nav.flags": "Flags",
  "nav.queues": "Queues & rebalancing",
  "nav.evaluations": "Evaluations",
  "nav.policy": "Policy",
  "waiting.title": "Waiting for me",
  "waiting.none": "Nothing waits for you right now.",
  "waiting.navCount": "{count} waiting for you",
  "waiting.approvals": "approvals you may decide (not your own requests)",
  "waiting.checksToConfirm": "dual checks to confirm as the second RM (D-3)",
  "waiting.myChecksOverdue": "required checks of your customers past their due date (D-5)",
  "waiting.myChecksDue": "required checks of your customers coming due",
  "waiting.cases": "exit cases for the committee to decide (X-5)",
  "waiting.handovers": "handover plans to review and confirm (A-9)",
  "waiting.unitChecksOverdue": "required checks overdue in your unit (D-5)",
  "waiting.flags": "flags raised and not yet acknowledged (R-2)",
} as const;

export const zh: Record<keyof typeof en, string> = {
  "nav.myday": "我的今日",
  "nav.flags": "预警",
  "nav.queues": "队列与再平衡",
  "nav.evaluations": "评估",
  "nav.policy": "制度参数",
  "waiting.title": "待我处理",
  "waiting.none": "目前没有待您处理的事项。",
  "waiting.navCount": "{count} 项待您处理",
  "waiting.approvals": "项待您审批（不含您本人提交的申请）",
  "waiting.checksToConfirm": "项双人调查待您作为协查客户经理确认（D-3）",
  "waiting.myChecksOverdue": "项您管户客户的必查事项已逾期（D-5）",
  "waiting.myChecksDue": "项您管户客户的必查事项即将到期",
  "waiting.cases": "件退出案件待考评领导小组决定（X-5）",
  "waiting.handovers": "份移交方案待审核确认（A-9）",
  "waiting.unitChecksOverdue": "项本机构必查事项已逾期（D-5）",
  "waiting.flags": "个风险标记已提示尚未确认（R-2）",
};
