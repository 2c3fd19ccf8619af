// @vitest-environment jsdom
import { cleanup, screen } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ReasonText, RulePill } from "../src/components/ReasonText";
import { date, formatLocale, month, type Lang } from "../src/format";
import { placeholders, reasonTemplates, reasonText, ruleName, ruleNames } from "../src/reasons";
import { resetFakeApi } from "./fake-api";
import { renderAs } from "./render";

// The server's sources and RULES.md, read with node's fs (the specifier in a variable: the
// dashboard has no node types). RULES.md lives beside the repository (/work/shared/domain), not in
// it: the check of its IDs runs where the file is.
const nodeFs = "node:fs";
const fs = (await import(/* @vite-ignore */ nodeFs)) as { existsSync(path: string): boolean; readFileSync(path: string, encoding: "utf8"): string };
/** A path from this file, as a plain path (jsdom has its own `URL`, which node's fs refuses). */
const beside = (relative: string) => decodeURIComponent(new URL(relative, import.meta.url).pathname);
const problemsRs = fs.readFileSync(beside("../../api/src/problems.rs"), "utf8");
const exitCasesRs = fs.readFileSync(beside("../../api/src/commands/exit_cases.rs"), "utf8");
const RULES_MD = "/work/shared/domain/RULES.md";
const rulesMd = fs.existsSync(RULES_MD) ? fs.readFileSync(RULES_MD, "utf8") : null;

/** The locale the dashboard formats with in this browser (jsdom), as `I18nProvider` chooses it. */
const localeOf = (lang: Lang) => formatLocale(lang, navigator.languages ?? [navigator.language]);

beforeEach(resetFakeApi);
afterEach(cleanup);

describe("the reason templates", () => {
  it("have every code in English and Chinese, with the same parameters", () => {
    for (const [code, t] of Object.entries(reasonTemplates)) {
      expect(t.en.trim(), code).toBeTruthy();
      expect(t.zh, code).toMatch(/[\u4e00-\u9fff]/);
      expect(placeholders(t.zh).sort(), code).toEqual(placeholders(t.en).sort());
    }
  });
});

describe("a reason the system wrote", () => {
  it("is shown in English from its code, the date in the user's locale", () => {
    renderAs(<ReasonText code="loan_npl" params={{ loan_no: "L-0042", as_of: "2026-11-20" }} text="loan L-0042 classified substandard or worse as of 2026-11-20" />);
    const shown = `Loan L-0042 classified substandard or worse as of ${date("2026-11-20", localeOf("en"))}`;
    expect(screen.getByText(shown).getAttribute("data-reason-code")).toBe("loan_npl");
    expect(shown).not.toContain("2026-11-20");
  });

  it("is shown in Chinese: dates, the ratio as a percent, the counts", () => {
    renderAs(
      <ReasonText
        code="r4_overdue_ratio"
        params={{ ratio: "0.125", overdue: 5, loan_customers: 40, as_of: "2026-11-20" }}
        text="overdue-interest ratio 0.125 (5 of 40 loan customers) on 2026-11-20"
      />,
      { lang: "zh-CN" },
    );
    const el = document.querySelector("[data-reason-code=r4_overdue_ratio]")!;
    expect(el.textContent).toBe("2026年11月20日欠息占比 12.5%（40 户贷款客户中 5 户欠息）");
    expect(el.getAttribute("lang")).toBeNull();
  });

  it("shows a month as a month and names the rule that triggered the case", () => {
    renderAs(<ReasonText code="monthly_run_trigger" params={{ trigger: "X-2.5", month: "2026-10" }} text="X-2.5 found by the monthly run for 2026-10" />, { lang: "zh-CN" });
    const el = document.querySelector("[data-reason-code=monthly_run_trigger]")!;
    expect(el.textContent).toBe(`${month("2026-10", localeOf("zh-CN"))}的月度考核发现：X-2.5（新增不良连续 3 个月 ≥ 1%）`);
    expect(el.textContent).toContain("2026年10月");
  });

  it("names enum values in the user's language", () => {
    expect(reasonText("zh-CN", "zh-CN", "related_party", { customer_name: "华强实业", kind: "blacklisted" }, "related to customer 华强实业 (c-1) flagged blacklisted")).toBe("关联客户 华强实业 有“污点客户”预警");
    expect(reasonText("en", "en-GB", "required_check_overdue", { check_kind: "post_loan_inspection", customer_name: "Acme", due_on: "2026-11-10" }, "")).toBe(
      "D-5: the required post-loan inspection of customer Acme was due on 10 Nov 2026 and is not done",
    );
    expect(reasonText("en", "en-GB", "demotion_below_standard", { year: 2025, standard: "60.00" }, "")).toBe("2025 average score below the rank standard 60");
  });

  it("falls back to the stored English when the code is unknown, marked as English in a Chinese page", () => {
    renderAs(<ReasonText code="some_new_code" params={{ x: 1 }} text="something the server says" />, { lang: "zh-CN" });
    expect(screen.getByText("something the server says").getAttribute("lang")).toBe("en");
  });

  it("shows a reason a person typed as typed", () => {
    renderAs(<ReasonText code={null} params={null} text="客户拒绝配合贷后检查" />, { lang: "zh-CN" });
    const el = screen.getByText("客户拒绝配合贷后检查");
    expect(el.getAttribute("lang")).toBeNull();
    expect(el.getAttribute("data-reason-code")).toBeNull();
  });

  it("falls back to the stored text when a parameter is missing or not a string or number", () => {
    expect(reasonText("zh-CN", "zh-CN", "loan_npl", { loan_no: "L-1" }, "loan L-1 classified substandard or worse as of 2026-11-20")).toBe("loan L-1 classified substandard or worse as of 2026-11-20");
    expect(reasonText("zh-CN", "zh-CN", "interest_unpaid", { as_of: { y: 2026 } }, "interest unpaid as of 2026-11-20")).toBe("interest unpaid as of 2026-11-20");
    expect(reasonText("en", "en-GB", "interest_unpaid", {}, null)).toBe("Interest unpaid as of —");
    expect(reasonText("en", "en-GB", "toString", {}, "kept")).toBe("kept");
    expect(reasonText("en", "en-GB", undefined, undefined, undefined)).toBe("");
  });

  it("fills a reason without parameters", () => {
    expect(reasonText("zh-CN", "zh-CN", "overdue_interest_not_reported", null, "overdue interest not acted on or reported in time")).toBe("对欠息未及时采取有力措施或反映情况");
  });
});

describe("rule names", () => {
  it.skipIf(!rulesMd)("name every rule ID of RULES.md in both languages", () => {
    const ids = [...rulesMd!.matchAll(/^- \*\*([A-Z]-\d+)\*\*/gm)].map((m) => m[1]);
    expect(ids.length).toBeGreaterThan(40);
    expect(ids.filter((id) => !ruleName("en", id) || !ruleName("zh-CN", id))).toEqual([]);
    // and nothing RULES.md does not have (the items of X-2 are the exit-case triggers)
    expect(Object.keys(ruleNames).filter((id) => !ids.includes(id) && !/^X-2\.\d$/.test(id))).toEqual([]);
  });

  it("name every rule the server refuses with and every exit-case trigger", () => {
    const cited = [...problemsRs.matchAll(/"([A-Z]-\d+)"/g)].map((m) => m[1]);
    const triggers = [...(exitCasesRs.match(/TRIGGERS[^=]*=\s*\[([^\]]*)\]/)?.[1] ?? "").matchAll(/"([A-Z]-[\d.]+)"/g)].map((m) => m[1]);
    expect(triggers).toContain("X-2.3");
    expect([...cited, ...triggers].filter((id) => !ruleName("zh-CN", id))).toEqual([]);
    expect(ruleName("en", "X-3")).toBe("Forced exit");
    expect(ruleName("zh-CN", "X-3")).toBe("强行退出");
    expect(ruleName("en", "Z-9")).toBeNull();
  });

  it("title a rule pill with the rule's name", () => {
    renderAs(<RulePill rule="A-3" />, { lang: "zh-CN" });
    expect(screen.getByText("A-3").getAttribute("title")).toBe("A-3：管户上限");
  });
});
