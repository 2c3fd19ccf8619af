// Texts of the desk: navigation of the new pages and "waiting for me".

export const en = {
  "nav.myday": "My day",
  "nav.flags": "Flags",
  "nav.queues": "Queues & rebalancing",
  "nav.evaluations": "Evaluations",
  "nav.policy": "Policy",
} as const;

export const zh: Record<keyof typeof en, string> = {
  "nav.myday": "我的今日",
  "nav.flags": "风险标记",
  "nav.queues": "队列与再平衡",
  "nav.evaluations": "评价",
  "nav.policy": "制度参数",
};
