import { describe, expect, it } from "vitest";
import { ApiError, errorKind } from "../src/api/problem";
import { codeName, initialLang, translate } from "../src/i18n";
import { en, zh } from "../src/messages";
import { appendPage, loadReducer, pagesFor, type Load } from "../src/state";

describe("a page's load", () => {
  it("goes loading → ready and keeps the shown data while reloading", () => {
    let s: Load<number> = { status: "loading" };
    s = loadReducer(s, { type: "done", data: 1 });
    expect(s).toEqual({ status: "ready", data: 1 });
    s = loadReducer(s, { type: "start" });
    expect(s).toEqual({ status: "loading", data: 1 });
    const error = new ApiError(503, { detail: "down" });
    s = loadReducer(s, { type: "fail", error });
    expect(s).toEqual({ status: "error", error, data: 1 });
  });

  it("appends cursor pages in order and keeps the next cursor", () => {
    const first = appendPage<number>(null, { items: [1, 2], next_cursor: "c1" });
    const both = appendPage(first, { items: [3], next_cursor: null });
    expect(both).toEqual({ items: [1, 2, 3], next: null });
  });
});

describe("problems from the API", () => {
  it("reads problem+json and tells the user what kind of trouble it is", () => {
    const e = new ApiError(422, { code: "capacity_exceeded", detail: "the RM holds 25 of 25", rule: "A-3", request_id: "r-1", errors: [] });
    expect([e.message, e.code, e.rule, e.requestId]).toEqual(["the RM holds 25 of 25", "capacity_exceeded", "A-3", "r-1"]);
    expect(errorKind(e)).toBe("refused");
    expect(errorKind(new ApiError(401, null))).toBe("signed_out");
    expect(errorKind(new ApiError(403, {}))).toBe("forbidden");
    expect(errorKind(new ApiError(404, {}))).toBe("not_found");
    expect(errorKind(new ApiError(409, {}))).toBe("conflict");
    expect(errorKind(new ApiError(0, { detail: "Failed to fetch" }))).toBe("unavailable");
  });
});

describe("pages offered by role", () => {
  it("offers audit and exports to auditors, approvals to checkers, neither to RMs", () => {
    expect(pagesFor(["auditor"])).toContain("audit");
    expect(pagesFor(["rm"])).not.toContain("approvals");
    expect(pagesFor(["rm"])).not.toContain("audit");
    expect(pagesFor(["manager"])).toContain("approvals");
  });
});

describe("two languages", () => {
  it("has every English text in Chinese, placeholders included", () => {
    for (const key of Object.keys(en) as (keyof typeof en)[]) {
      expect(zh[key], key).toBeTruthy();
      const names = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
      expect(names(zh[key]), key).toEqual(names(en[key]));
    }
  });
  it("fills placeholders and names API codes", () => {
    expect(translate("en", "overview.critical", { count: 3 })).toBe("3 critical");
    expect(translate("zh-CN", "overview.critical", { count: 3 })).toBe("严重 3 条");
    expect(codeName("zh-CN", "overdue_interest")).toBe("欠息");
    expect(codeName("en", "assistant", "assignment")).toBe("Assistant RM");
    expect(codeName("en", "assistant")).toBe("Assistant");
    expect(codeName("en", "something_new")).toBe("something_new");
  });
  it("starts in the remembered language, else the browser's", () => {
    expect(initialLang("en", ["zh-CN"])).toBe("en");
    expect(initialLang(null, ["zh-CN", "en"])).toBe("zh-CN");
    expect(initialLang("fr", ["en-US"])).toBe("en");
  });
});
