// The state of one load (a page's data, an action's result): a small reducer, tested on its own.

import { ApiError } from "./api/problem";

export type Load<T> =
  | { status: "loading"; data?: T }
  | { status: "ready"; data: T }
  | { status: "error"; error: ApiError; data?: T };

export type LoadAction<T> = { type: "start" } | { type: "done"; data: T } | { type: "fail"; error: ApiError };

/** Reloading keeps what was shown until the new answer arrives. */
export function loadReducer<T>(state: Load<T>, action: LoadAction<T>): Load<T> {
  switch (action.type) {
    case "start":
      return { status: "loading", data: state.data };
    case "done":
      return { status: "ready", data: action.data };
    case "fail":
      return { status: "error", error: action.error, data: state.data };
  }
}

/** Cursor pagination: pages appended in order, the next cursor kept. */
export interface Paged<T> {
  items: T[];
  next: string | null;
}

export function appendPage<T>(current: Paged<T> | null, page: { items: T[]; next_cursor?: string | null }): Paged<T> {
  return { items: [...(current?.items ?? []), ...page.items], next: page.next_cursor ?? null };
}

/** Roles of the signed-in user decide which pages are offered (the API decides what is allowed). */
export type Role = "admin" | "manager" | "risk_officer" | "committee" | "auditor" | "rm";

export type PageId =
  | "overview"
  | "myday"
  | "customers"
  | "rms"
  | "flags"
  | "approvals"
  | "queues"
  | "checks"
  | "exits"
  | "evaluations"
  | "policy"
  | "audit"
  | "jobs"
  | "imports";

export function pagesFor(roles: readonly Role[]): PageId[] {
  const has = (...r: Role[]) => roles.some((x) => r.includes(x));
  const pages: PageId[] = ["overview"];
  if (has("rm")) pages.push("myday");
  pages.push("customers", "rms", "flags");
  if (has("admin", "manager", "risk_officer", "committee", "auditor")) pages.push("approvals");
  if (has("admin", "manager", "risk_officer")) pages.push("queues");
  pages.push("checks", "exits");
  if (has("admin", "risk_officer", "auditor", "committee")) pages.push("evaluations", "policy");
  if (has("admin", "auditor", "risk_officer")) pages.push("audit", "jobs");
  if (has("admin")) pages.push("imports");
  return pages;
}
