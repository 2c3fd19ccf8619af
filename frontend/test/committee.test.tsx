// @vitest-environment jsdom
import { cleanup, fireEvent, screen, waitFor, within } from "@testing-library/react";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { Handover } from "../src/features/committee/Handover";
import { ExitCaseDetail } from "../src/features/exits/ExitCases";
import { readEvidence, readStepNote } from "../src/features/exits/evidence";
import { calls, resetFakeApi, route } from "./fake-api";
import { renderAs } from "./render";

// jsdom knows <dialog> but not its modal methods: enough of them to open and close it.
beforeAll(() => {
  const proto = HTMLDialogElement.prototype as HTMLDialogElement & { showModal: () => void; close: () => void };
  if (!proto.showModal || !String(proto.showModal).includes("open")) {
    proto.showModal = function (this: HTMLDialogElement) {
      this.setAttribute("open", "");
    };
    proto.close = function (this: HTMLDialogElement) {
      this.removeAttribute("open");
    };
  }
});
beforeEach(resetFakeApi);
afterEach(cleanup);

const INDICATOR =
  '{"action_required":false,"checkpoint":"month_end","inspections_required":false,"loan_customers":14,"out_of_control":false,"overdue_customers":3,"overdue_ratio":"0.2143","ratio_applies":false,"target":"0.01","within_target":false}';

function aCase(over: Record<string, unknown> = {}) {
  return {
    id: "case-1",
    rm_id: "rm-1",
    kind: "disqualification",
    trigger: "X-2.2",
    status: "proposed",
    reason: "overdue interest not acted on or reported in time",
    evidence: `R-4 evaluation of 2026-11-30: ${INDICATOR}`,
    proposed_by: "system",
    decided_by: null,
    decision_note: null,
    handover_id: null,
    created_at: "2026-11-30T04:00:01Z",
    updated_at: "2026-11-30T04:00:01Z",
    version: 1,
    timeline: [{ action: "propose", note: "overdue interest not acted on or reported in time", by: "system", at: "2026-11-30T04:00:01Z" }],
    ...over,
  };
}

const RM = {
  id: "rm-1", employee_no: "E1", national_id: "x", name: "Lin Wei", line: "sme", grade: "rm", status: "active", org_unit_id: "team-1",
  qualified_on: "2025-05-28", qualification_valid_until: "2027-05-28", qualification_lapsed: false, term_starts_on: "2026-07-14",
  term_ends_on: "2027-07-14", term_expired: false, performance_level: 1, version: 1, created_at: "2026-01-01T00:00:00Z", updated_at: "2026-01-01T00:00:00Z",
};

function portfolio(rmId: string, held = 15) {
  return {
    rm_id: rmId, line: "sme", grade: "rm", customers: 55, capacity: { held, cap: 15, utilisation: String(held / 15) }, by_role: { primary: 55 }, by_category: {}, share_total: "55",
    risk: { loan_customers: 14, overdue_customers: 3, overdue_ratio: "0.2143", checkpoint: "month_end", target: "0.01", within_target: false, ratio_applies: false, action_required: false, out_of_control: false, inspections_required: false },
    thresholds: { settlement_day_target: "0.05", second_check_target: "0.03", month_end_target: "0.01", action_required: "0.10", month_end_inspections: "0.03", out_of_control: "0.20", min_loans: 30 },
    npl: { since: "2026-07-14", originated_balance: "1000.00", npl_balance: "0.00", npl_ratio: "0", npl_points: 6, new_npl_series: [], exit_trigger_reached: false },
  };
}

function caseApi(c: ReturnType<typeof aCase>) {
  route("GET", "/api/v1/exit-cases/{id}", { status: 200, body: c });
  route("GET", "/api/v1/rms/{id}", { status: 200, body: RM });
  route("GET", "/api/v1/rms/{id}/portfolio", (_, p) => ({ status: 200, body: portfolio(p.id) }));
  route("GET", "/api/v1/flags", {
    status: 200,
    body: { items: [{ id: "f-1", kind: "overdue_interest", severity: "warning", source: "rule", reason: "interest unpaid as of 2026-11-30", status: "open", raised_by: "system", raised_at: "2026-11-30T04:00:00Z", updated_at: "2026-11-30T04:00:00Z", version: 1, customer_id: "cu-1", customer_name: "Acme Steel" }], next_cursor: null },
  });
}

describe("the evidence of a case", () => {
  it("reads the system's shapes and leaves a person's words as they are", () => {
    const r4 = readEvidence(`R-4 evaluation of 2026-11-30: ${INDICATOR}`);
    expect(r4.kind).toBe("r4");
    expect(readEvidence("3 verified complaints from 2025-12-01 to 2026-11-30")).toEqual({ kind: "complaints", count: 3, from: "2025-12-01", to: "2026-11-30" });
    expect(readEvidence("monthly new-NPL ratios to 2026-01: 0.012, 0.015, 0.011")).toEqual({
      kind: "new_npl",
      months: [
        { month: "2025-11", ratio: "0.012" },
        { month: "2025-12", ratio: "0.015" },
        { month: "2026-01", ratio: "0.011" },
      ],
    });
    expect(readEvidence("12-month average score 61.2 to 2026-10: bottom 2 of 9 in unit and line").kind).toBe("bottom_score");
    expect(readEvidence('{"rm_id":"rm-1","note":"x"}').kind).toBe("json");
    expect(readEvidence("Saw the customer's books on 3 Nov: {not json}")).toEqual({ kind: "text", text: "Saw the customer's books on 3 Nov: {not json}" });
    expect(readStepNote("approve", "ok — handover h-1 proposed; the case closes when it is confirmed")).toEqual({ kind: "approved_handover", note: "ok", handoverId: "h-1" });
  });

  it("shows the R-4 indicator as labelled facts in Chinese, never as JSON", async () => {
    caseApi(aCase({ reason_code: "overdue_interest_not_reported", reason_params: {} }));
    renderAs(<ExitCaseDetail id="case-1" />, { roles: ["committee"], lang: "zh-CN" });
    const facts = await screen.findByTestId("r4-facts");
    expect(facts.textContent).toContain("欠息占比");
    expect(facts.textContent).toContain("21.43%");
    expect(document.body.textContent).not.toContain('"overdue_ratio"');
    expect(screen.getByTestId("evidence-summary").textContent).toContain("14 户贷款客户中有 3 户欠息");
    // The trigger by ID with its name, and the reason from its code, in Chinese.
    const facts2 = screen.getByTestId("case-facts").textContent;
    expect(facts2).toContain("未及时采取措施或反映情况");
    expect(facts2).toContain("对欠息未及时采取有力措施或反映情况");
    expect(facts2).not.toContain("overdue interest not acted on");
  });
});

describe("deciding a case", () => {
  it("offers no decision on one's own proposal, and says why", async () => {
    caseApi(aCase({ proposed_by: "me" }));
    renderAs(<ExitCaseDetail id="case-1" />, { roles: ["committee"] });
    await screen.findByTestId("own-proposal");
    expect(screen.queryByRole("radio")).toBeNull();
    expect(screen.queryByRole("button", { name: /Approve|Reject|Record the decision/ })).toBeNull();
  });

  it("asks before approving, then sends the decision with its note", async () => {
    const c = aCase();
    caseApi(c);
    route("POST", "/api/v1/exit-cases/{id}/decide", { status: 200, body: { ...c, status: "handover", decided_by: "me", handover_id: "h-1", timeline: undefined } });
    renderAs(<ExitCaseDetail id="case-1" />, { roles: ["committee"] });
    await screen.findByRole("heading", { level: 1, name: /Lin Wei/ });
    fireEvent.click(screen.getByRole("radio", { name: /Approve/ }));
    fireEvent.change(screen.getByLabelText("Note for the record"), { target: { value: "Evidence checked." } });
    fireEvent.click(screen.getByRole("button", { name: "Approve the case" }));
    const dialog = document.querySelector("dialog[open]") as HTMLElement;
    expect(dialog).toBeTruthy();
    expect(dialog.textContent).toContain("Approve the case (Disqualification) of Lin Wei?");
    expect(calls.some((x) => x.method === "POST")).toBe(false);
    fireEvent.click(within(dialog).getByRole("button", { name: "Yes, go ahead" }));
    const outcome = await screen.findByTestId("decision-outcome");
    expect(within(outcome).getByRole("link").getAttribute("href")).toBe("/handovers/h-1");
    const sent = calls.find((x) => x.method === "POST");
    expect(sent?.body).toEqual({ decision: "approve", note: "Evidence checked." });
  });

  it("shows the API's refusal with its rule", async () => {
    caseApi(aCase({ proposed_by: "li.na" }));
    route("POST", "/api/v1/exit-cases/{id}/decide", {
      status: 422,
      body: { code: "same_person", rule: "M-1", detail: "the proposer of a case cannot decide it; another committee member must" },
    });
    renderAs(<ExitCaseDetail id="case-1" />, { roles: ["committee"] });
    fireEvent.click(await screen.findByRole("radio", { name: /Reject/ }));
    fireEvent.click(screen.getByRole("button", { name: "Reject the case" }));
    fireEvent.click(within(document.querySelector("dialog[open]") as HTMLElement).getByRole("button", { name: "Yes, go ahead" }));
    const alert = await screen.findByRole("alert");
    expect(alert.getAttribute("data-problem")).toBe("same_person");
    expect(alert.textContent).toContain("Rule M-1");
  });
});

describe("a handover plan", () => {
  const UNIT_RMS = [
    RM,
    { ...RM, id: "rm-2", name: "Wang Lei", grade: "assistant" },
    { ...RM, id: "rm-3", name: "Zhou Min" },
    { ...RM, id: "rm-9", name: "Far Away", org_unit_id: "team-9" },
  ];
  const withLoad = UNIT_RMS.map((r) => ({ ...r, capacity: { held: 10, cap: 15, utilisation: "0.6667" } }));
  // The RM list, by `ids` when asked so (the bulk read).
  function rmList() {
    route("GET", "/api/v1/rms", (call) => {
      const ids = call.query.get("ids")?.split(",");
      return { status: 200, body: { items: ids ? withLoad.filter((r) => ids.includes(r.id)) : withLoad, next_cursor: null } };
    });
  }
  function plan(to: string | null, version = 1) {
    return {
      id: "h-1", from_rm_id: "rm-1", status: "proposed", reason: "exit case case-1 (X-2.2)", created_by: "committee", created_at: "2026-11-30T04:01:00Z", version,
      moves: [
        { assignment_id: "a-1", customer_id: "cu-1", customer_name: "Acme Steel", role: "primary", to_rm_id: "rm-2", to_rm_name: "Wang Lei", note: "lowest load relative to the cap in the unit" },
        { assignment_id: "a-2", customer_id: "cu-2", customer_name: "Bright Foods", role: "primary", to_rm_id: to, to_rm_name: to === "rm-3" ? "Zhou Min" : null, note: to ? "chosen by me" : "no RM in the unit fits (A-3)" },
      ],
    };
  }

  it("changes the receiving RM of one customer, among the eligible RMs of the unit", async () => {
    let current = plan(null);
    route("GET", "/api/v1/handovers/{id}", () => ({ status: 200, body: current }));
    route("GET", "/api/v1/rms/{id}", { status: 200, body: RM });
    rmList();
    route("PATCH", "/api/v1/handovers/{id}", () => {
      current = plan("rm-3", 2);
      return { status: 200, body: current };
    });
    renderAs(<Handover id="h-1" />, { roles: ["manager"] });
    // A-9 said before anyone tries to confirm.
    expect((await screen.findByTestId("handover-open")).textContent).toContain("A-9");
    await screen.findByRole("row", { name: /Zhou Min/ });
    fireEvent.click(screen.getByRole("button", { name: "Change the receiving RM of Bright Foods" }));
    const select = screen.getByLabelText(/Receiving RM for Bright Foods/) as HTMLSelectElement;
    const offered = [...select.options].map((o) => o.textContent);
    expect(offered).toEqual(["Choose…", "Wang Lei · Assistant", "Zhou Min · RM"]);
    fireEvent.change(select, { target: { value: "rm-3" } });
    fireEvent.click(screen.getByRole("button", { name: "Save" }));
    await screen.findByText("Bright Foods now goes to Zhou Min.");
    const patch = calls.find((c) => c.method === "PATCH");
    expect(patch?.body).toEqual({ moves: [{ assignment_id: "a-2", to_rm_id: "rm-3" }], version: 1 });
    await waitFor(() => expect(document.querySelector('tr[data-move="a-2"] [data-testid="move-to"]')?.textContent).toBe("Zhou Min"));
    expect(screen.queryByTestId("handover-open")).toBeNull();
    // Names and loads come with the plan and one bulk read: nothing is asked per row or per RM.
    expect(calls.filter((c) => c.path.startsWith("/api/v1/rms/") || c.path.startsWith("/api/v1/customers")).map((c) => c.path)).toEqual(["/api/v1/rms/rm-1"]);
    expect((await screen.findByTestId("handover-receivers")).textContent).toContain("10 / 15");
  });

  it("confirms after asking, and says when the confirmation waits for a second person", async () => {
    route("GET", "/api/v1/handovers/{id}", { status: 200, body: plan("rm-3") });
    route("GET", "/api/v1/rms/{id}", { status: 200, body: RM });
    rmList();
    route("POST", "/api/v1/handovers/{id}/confirm", { status: 202, body: { approval_id: "ap-1", status: "pending", rule: "A-10", reason: "the handover moves the primary RM of Acme Steel (the customer is high-value)" } });
    renderAs(<Handover id="h-1" />, { roles: ["manager"] });
    await screen.findByRole("heading", { level: 1, name: /Lin Wei/ });
    fireEvent.click(screen.getByRole("button", { name: "Confirm the handover" }));
    const dialog = document.querySelector("dialog[open]") as HTMLElement;
    expect(dialog.textContent).toContain("Move all 2 customers of Lin Wei");
    fireEvent.click(within(dialog).getByRole("button", { name: "Yes, go ahead" }));
    expect((await screen.findByTestId("outcome")).textContent).toMatch(/waits for a second person/);
    expect(screen.getByTestId("handover-approval").getAttribute("data-approval-id")).toBe("ap-1");
  });

  it("says a confirmation already waits for approval instead of asking again", async () => {
    route("GET", "/api/v1/handovers/{id}", { status: 200, body: plan("rm-3") });
    route("GET", "/api/v1/rms/{id}", { status: 200, body: RM });
    rmList();
    route("GET", "/api/v1/approvals", {
      status: 200,
      body: { items: [{ id: "ap-7", command: "confirm_handover", payload: { handover_id: "h-1", version: 1 }, reason: "x", rule: "A-10", approver_roles: ["manager", "admin"], status: "pending", maker_user_id: "u-2", maker_username: "branch.manager", version: 1, created_at: "2026-11-30T04:02:00Z" }], next_cursor: null },
    });
    renderAs(<Handover id="h-1" />, { roles: ["manager"] });
    const notice = await screen.findByTestId("handover-approval");
    expect(notice.getAttribute("data-approval-id")).toBe("ap-7");
    expect(notice.textContent).toContain("branch.manager confirmed this plan");
    expect(screen.queryByRole("button", { name: "Confirm the handover" })).toBeNull();
  });

  it("shows a refused confirmation with its rule", async () => {
    route("GET", "/api/v1/handovers/{id}", { status: 200, body: plan(null) });
    route("GET", "/api/v1/rms/{id}", { status: 200, body: RM });
    rmList();
    route("POST", "/api/v1/handovers/{id}/confirm", { status: 422, body: { code: "handover_incomplete", rule: "A-9", detail: "customer cu-2 has no RM to take it over" } });
    renderAs(<Handover id="h-1" />, { roles: ["manager"] });
    fireEvent.click(await screen.findByRole("button", { name: "Confirm the handover" }));
    fireEvent.click(within(document.querySelector("dialog[open]") as HTMLElement).getByRole("button", { name: "Yes, go ahead" }));
    const alert = await screen.findByRole("alert");
    expect(alert.getAttribute("data-problem")).toBe("handover_incomplete");
    expect(alert.textContent).toContain("Rule A-9");
  });

  it("is read-only for the committee", async () => {
    route("GET", "/api/v1/handovers/{id}", { status: 200, body: plan("rm-3") });
    route("GET", "/api/v1/rms/{id}", { status: 200, body: RM });
    rmList();
    renderAs(<Handover id="h-1" />, { roles: ["committee"] });
    await screen.findByText("A manager of the unit adjusts and confirms this plan (A-9).");
    expect(screen.queryByRole("button", { name: /Change|Confirm/ })).toBeNull();
    expect(screen.getAllByText("Zhou Min").length).toBeGreaterThan(0);
  });
});
