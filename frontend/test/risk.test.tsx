// @vitest-environment jsdom
// The risk desk's forms against a fake API: what they send, and how they show what comes back
// (done, waiting for a second person, a refusal next to its field), and that the lists they change
// are read again.
import { cleanup, fireEvent, screen, waitFor, within } from "@testing-library/react";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { Evaluations } from "../src/features/risk/Evaluations";
import { Flags } from "../src/features/risk/Flags";
import { ExitCaseForm, RaiseFlagForm, ResolveForm } from "../src/features/risk/forms";
import { Policy } from "../src/features/risk/Policy";
import { CustomerRiskActions, FlagActions, RmRiskActions } from "../src/features/risk/slots";
import type { Schemas } from "../src/api/client";
import { calls, resetFakeApi, route } from "./fake-api";
import { renderAs } from "./render";

type Flag = Schemas["Flag"];

const flag = (over: Partial<Flag> = {}): Flag => ({
  id: "f-1",
  customer_id: "c-1",
  customer_name: "Acme Steel",
  rm_id: null,
  kind: "npl",
  severity: "critical",
  source: "rule",
  reason: "loan classified substandard or worse",
  status: "open",
  raised_by: "system",
  raised_at: "2026-11-16T04:00:00Z",
  updated_at: "2026-11-16T04:00:00Z",
  version: 1,
  ...over,
});

const customer: Schemas["Customer"] = {
  id: "c-1",
  name: "Acme Steel",
  kind: "corporate",
  org_unit_id: "ou-1",
  categories: [],
  is_key_account: true,
  is_vip: false,
  version: 1,
  created_at: "2026-01-01T00:00:00Z",
  updated_at: "2026-01-01T00:00:00Z",
};

const body = (path: string, method = "POST") => calls.filter((c) => c.path === path && c.method === method).map((c) => c.body);

beforeAll(() => {
  // jsdom has <dialog> without its modal methods: what `confirm` needs of them.
  const proto = HTMLDialogElement.prototype as { showModal?: () => void; close?: () => void };
  proto.showModal ??= function (this: HTMLDialogElement) {
    this.setAttribute("open", "");
  };
  proto.close ??= function (this: HTMLDialogElement) {
    this.removeAttribute("open");
  };
});
beforeEach(() => {
  resetFakeApi();
  // The business date the date fields start at (P-2): "waiting for me" carries it.
  route("GET", "/api/v1/me/waiting", { status: 200, body: { as_of: "2026-11-30", now: "2026-11-30T04:00:00Z", approvals_to_decide: 0, checks_to_confirm: 0, my_checks_due: 0, my_checks_overdue: 0, cases_to_decide: 0, handovers_to_confirm: 0, flags_to_acknowledge: 0, unit_checks_overdue: 0 } });
});
afterEach(cleanup);

describe("raising a flag", () => {
  it("raises an anomaly at once (201) with the severity chosen, and links to the flag", async () => {
    route("POST", "/api/v1/flags", { status: 201, body: flag({ id: "f-9", kind: "anomaly", severity: "warning", source: "manual" }) });
    renderAs(<RaiseFlagForm customer={{ id: "c-1", name: "Acme Steel" }} />);
    fireEvent.change(screen.getByLabelText(/Kind/), { target: { value: "anomaly" } });
    fireEvent.change(screen.getByLabelText(/Severity/), { target: { value: "warning" } });
    fireEvent.change(screen.getByLabelText(/Reason/), { target: { value: "Owner left the country" } });
    fireEvent.click(screen.getByRole("button", { name: "Raise the flag" }));
    await screen.findByText(/Flag raised/);
    expect(body("/api/v1/flags")).toEqual([{ customer_id: "c-1", kind: "anomaly", reason: "Owner left the country", severity: "warning" }]);
    expect(screen.getByRole("link", { name: "Open the flag" }).getAttribute("href")).toBe("/flags/f-9");
    expect(screen.getByTestId("risk-outcome").getAttribute("data-waiting")).toBe("false");
  });

  it("says a blacklisting waits for a second person (202) and names the approval", async () => {
    route("POST", "/api/v1/flags", { status: 202, body: { approval_id: "a-7", status: "pending", rule: "R-2", reason: "blacklist customer Acme Steel: bureau" } });
    renderAs(<RaiseFlagForm customer={{ id: "c-1", name: "Acme Steel" }} />);
    fireEvent.change(screen.getByLabelText(/Kind/), { target: { value: "blacklisted" } });
    // A blacklisting is critical by rule: no severity to choose.
    expect(screen.queryByLabelText(/Severity/)).toBeNull();
    fireEvent.change(screen.getByLabelText(/Reason/), { target: { value: "bureau" } });
    fireEvent.click(screen.getByRole("button", { name: "Ask to blacklist" }));
    const outcome = await screen.findByTestId("risk-outcome");
    expect(outcome.textContent).toMatch(/waits for a second person's approval/);
    expect(outcome.textContent).toMatch(/Rule R-2/);
    expect(outcome.getAttribute("data-approval")).toBe("a-7");
    expect(within(outcome).getByRole("link", { name: "Open Approvals" }).getAttribute("href")).toBe("/approvals");
    expect(body("/api/v1/flags")).toEqual([{ customer_id: "c-1", kind: "blacklisted", reason: "bureau", severity: null }]);
  });

  it("shows the API's message next to the field it names (422)", async () => {
    route("POST", "/api/v1/flags", {
      status: 422,
      body: { code: "validation_failed", detail: "reason: must be 1 to 2000 characters", errors: [{ field: "reason", message: "must be 1 to 2000 characters" }] },
    });
    renderAs(<RaiseFlagForm customer={{ id: "c-1", name: "Acme Steel" }} />);
    fireEvent.change(screen.getByLabelText(/Kind/), { target: { value: "anomaly" } });
    fireEvent.click(screen.getByRole("button", { name: "Raise the flag" }));
    const reason = screen.getByLabelText(/Reason/);
    await waitFor(() => expect(reason.getAttribute("aria-invalid")).toBe("true"));
    const message = document.getElementById(reason.getAttribute("aria-describedby") ?? "");
    expect(message?.textContent).toBe("must be 1 to 2000 characters");
    expect(screen.queryByTestId("risk-outcome")).toBeNull();
  });

  it("finds the customer by name when the page does not fix it", async () => {
    route("GET", "/api/v1/customers", (call) => ({ status: 200, body: { items: call.query.get("name") === "Acm" ? [customer] : [], next_cursor: null } }));
    route("POST", "/api/v1/flags", { status: 201, body: flag({ kind: "anomaly" }) });
    renderAs(<RaiseFlagForm />);
    const search = screen.getByLabelText("Customer name starts with");
    fireEvent.change(search, { target: { value: "Acm" } });
    // Enter looks the name up; it does not send the form.
    fireEvent.keyDown(search, { key: "Enter" });
    await screen.findByRole("option", { name: "Acme Steel" });
    expect(body("/api/v1/flags")).toEqual([]);
    fireEvent.change(screen.getByLabelText(/^Customer/, { selector: "select" }), { target: { value: "c-1" } });
    fireEvent.change(screen.getByLabelText(/Kind/), { target: { value: "anomaly" } });
    fireEvent.change(screen.getByLabelText(/Reason/), { target: { value: "x" } });
    fireEvent.click(screen.getByRole("button", { name: "Raise the flag" }));
    await screen.findByText(/Flag raised/);
    expect((body("/api/v1/flags")[0] as { customer_id: string }).customer_id).toBe("c-1");
  });
});

describe("resolving a flag", () => {
  it("asks first, then sends the evidence (200)", async () => {
    route("POST", "/api/v1/flags/{id}/resolve", (_, p) => ({ status: 200, body: flag({ id: p.id, status: "resolved" }) }));
    renderAs(<ResolveForm flag={flag()} />);
    fireEvent.change(screen.getByLabelText(/Evidence/), { target: { value: "Repaid in full" } });
    fireEvent.click(screen.getByRole("button", { name: "Resolve" }));
    const dialog = await screen.findByRole("dialog");
    expect(dialog.textContent).toMatch(/It closes for good/);
    expect(body("/api/v1/flags/f-1/resolve")).toEqual([]);
    fireEvent.click(within(dialog).getByRole("button", { name: "Yes, go ahead" }));
    await screen.findByText("Resolved.");
    expect(body("/api/v1/flags/f-1/resolve")).toEqual([{ evidence: "Repaid in full" }]);
  });

  it("un-blacklisting waits for a second person (202)", async () => {
    route("POST", "/api/v1/flags/{id}/resolve", { status: 202, body: { approval_id: "a-8", status: "pending", rule: "R-2", reason: "remove blacklisting" } });
    renderAs(<ResolveForm flag={flag({ kind: "blacklisted" })} />);
    fireEvent.change(screen.getByLabelText(/Evidence/), { target: { value: "Bureau corrected" } });
    fireEvent.click(screen.getByRole("button", { name: "Resolve" }));
    const outcome = await screen.findByTestId("risk-outcome");
    expect(outcome.textContent).toMatch(/waits for a second person's approval/);
    expect(outcome.getAttribute("data-approval")).toBe("a-8");
  });

  it("shows a refusal with its meaning (409: resolved meanwhile)", async () => {
    route("POST", "/api/v1/flags/{id}/resolve", { status: 409, body: { code: "version_conflict", detail: "the flag is resolved already" } });
    renderAs(<ResolveForm flag={flag({ kind: "blacklisted" })} />);
    fireEvent.change(screen.getByLabelText(/Evidence/), { target: { value: "x" } });
    fireEvent.click(screen.getByRole("button", { name: "Resolve" }));
    const alert = await screen.findByRole("alert");
    expect(alert.getAttribute("data-problem")).toBe("version_conflict");
  });
});

describe("the flag list", () => {
  it("reads the list again after a flag is acknowledged from it", async () => {
    let open = [flag(), flag({ id: "f-2", customer_id: "c-2", customer_name: "Beta Foods", kind: "overdue_interest", severity: "warning" })];
    route("GET", "/api/v1/flags", (call) => ({ status: 200, body: { items: call.query.get("status") === "open" ? open : [], next_cursor: null } }));
    route("POST", "/api/v1/flags/{id}/acknowledge", (_, p) => {
      const acked = open.find((f) => f.id === p.id)!;
      open = open.filter((f) => f.id !== p.id);
      return { status: 200, body: { ...acked, status: "acknowledged" } };
    });
    renderAs(<Flags />);
    const table = await screen.findByTestId("flags");
    const row = within(table).getByRole("link", { name: "Non-performing loan" }).closest("tr")!;
    fireEvent.click(await within(row).findByRole("button", { name: "Acknowledge" }));
    fireEvent.change(within(row).getByLabelText(/Note/), { target: { value: "seen" } });
    fireEvent.click(within(within(row).getByTestId("ack-f-1")).getByRole("button", { name: "Acknowledge" }));
    await waitFor(() => expect(within(screen.getByTestId("flags")).queryByText("Acme Steel")).toBeNull());
    expect(within(screen.getByTestId("flags")).getByText("Beta Foods")).toBeTruthy();
    expect(body("/api/v1/flags/f-1/acknowledge")).toEqual([{ note: "seen" }]);
    expect(calls.filter((c) => c.method === "GET" && c.path === "/api/v1/flags").length).toBe(2);
    // A raise form for a risk officer.
    expect(screen.getByRole("heading", { name: "Raise a flag" })).toBeTruthy();
  });

  it("offers no action on a flag to an auditor, and acknowledging only to a manager", async () => {
    const { unmount } = renderAs(<FlagActions flag={flag()} />, { roles: ["auditor"] });
    await waitFor(() => expect(calls.some((c) => c.path === "/api/v1/me")).toBe(true));
    expect(screen.queryByRole("button")).toBeNull();
    unmount();
    renderAs(<FlagActions flag={flag()} />, { roles: ["manager"] });
    await screen.findByRole("button", { name: "Acknowledge" });
    expect(screen.queryByRole("button", { name: "Resolve" })).toBeNull();
  });

  it("shows the customer's risk actions to a risk officer, none to an RM", async () => {
    const { unmount } = renderAs(<CustomerRiskActions customer={customer} />, { roles: ["rm"] });
    await waitFor(() => expect(calls.some((c) => c.path === "/api/v1/me")).toBe(true));
    expect(screen.queryByRole("heading", { name: "Risk actions" })).toBeNull();
    unmount();
    renderAs(<CustomerRiskActions customer={customer} />);
    await screen.findByRole("heading", { name: "Risk actions" });
    expect(screen.getByRole("button", { name: "Raise a flag" })).toBeTruthy();
    expect(screen.getByRole("button", { name: "Record a complaint about its RM" })).toBeTruthy();
  });

  it("reads in Chinese, a rule's reason from its code, a person's as typed", async () => {
    const byRule = flag({ kind: "overdue_interest", reason: "interest unpaid as of 2026-11-30", reason_code: "interest_unpaid", reason_params: { as_of: "2026-11-30" } as never });
    const byHand = flag({ id: "f-2", kind: "anomaly", source: "manual", reason: "Owner left the country", reason_code: null });
    route("GET", "/api/v1/flags", { status: 200, body: { items: [byRule, byHand], next_cursor: null } });
    renderAs(<Flags />, { lang: "zh-CN" });
    await screen.findByRole("heading", { level: 1, name: "预警" });
    const table = await screen.findByTestId("flags");
    expect(within(table).getByText("欠息")).toBeTruthy();
    expect(within(table).getAllByText("未处理").length).toBe(2);
    expect(table.textContent).toMatch(/利息未付/);
    expect(table.textContent).not.toMatch(/interest unpaid/);
    expect(within(table).getByText("Owner left the country")).toBeTruthy();
  });
});

describe("an RM's conduct", () => {
  it("records a complaint from the RM's page, the customer found by name, and reads the record again", async () => {
    let complaints: unknown[] = [];
    route("GET", "/api/v1/rms/{id}/conduct", (_, p) => ({
      status: 200,
      body: { rm_id: p.id, window_from: "2025-12-01", window_to: "2026-11-30", verified_complaints: complaints, complaints_threshold_reached: complaints.length >= 3, incidents: [] },
    }));
    route("GET", "/api/v1/customers", { status: 200, body: { items: [customer], next_cursor: null } });
    route("POST", "/api/v1/complaints", (call) => {
      complaints = [...complaints, call.body];
      return { status: 201, body: { id: "co-1", ...(call.body as object), recorded_by: "me", created_at: "2026-11-30T04:00:00Z" } };
    });
    const rm = { id: "rm-1", name: "Li Lei", status: "active" } as Schemas["Rm"];
    renderAs(<RmRiskActions rm={rm} />);
    await waitFor(() => expect(screen.getByTestId("conduct").textContent).toMatch(/Verified complaints .*: 0\./));
    fireEvent.click(screen.getByRole("button", { name: "Record a complaint" }));
    fireEvent.change(screen.getByLabelText("Customer name starts with"), { target: { value: "Acme" } });
    fireEvent.click(screen.getByRole("button", { name: "Find" }));
    await screen.findByRole("option", { name: "Acme Steel" });
    fireEvent.change(screen.getByLabelText(/^Customer/, { selector: "select" }), { target: { value: "c-1" } });
    // The date defaults to the bank's business date.
    await waitFor(() => expect((screen.getByLabelText(/Received on/) as HTMLInputElement).value).toBe("2026-11-30"));
    fireEvent.click(screen.getByLabelText(/Verified/));
    fireEvent.change(screen.getByLabelText(/What the customer complains about/), { target: { value: "Pushed an unsuitable product" } });
    fireEvent.click(screen.getByRole("button", { name: "Record the complaint" }));
    await screen.findByText(/Complaint recorded/);
    expect(body("/api/v1/complaints")).toEqual([{ customer_id: "c-1", rm_id: "rm-1", received_on: "2026-11-30", verified: true, summary: "Pushed an unsuitable product" }]);
    await waitFor(() => expect(screen.getByTestId("conduct").textContent).toMatch(/: 1\./));
  });

  it("records an incident with its evidence, the refusal of a date to come next to the field", async () => {
    route("GET", "/api/v1/rms/{id}/conduct", { status: 200, body: { rm_id: "rm-1", window_from: "2025-12-01", window_to: "2026-11-30", verified_complaints: [], complaints_threshold_reached: false, incidents: [] } });
    route("POST", "/api/v1/incidents", { status: 422, body: { code: "validation_failed", detail: "occurred_on", errors: [{ field: "occurred_on", message: "must not be in the future" }] } });
    renderAs(<RmRiskActions rm={{ id: "rm-1", name: "Li Lei", status: "active" } as Schemas["Rm"]} />, { roles: ["manager"] });
    fireEvent.click(await screen.findByRole("button", { name: "Record an incident" }));
    fireEvent.change(screen.getByLabelText(/What it is/), { target: { value: "X-2.4" } });
    fireEvent.change(screen.getByLabelText(/Happened on/), { target: { value: "2026-12-24" } });
    fireEvent.change(screen.getByLabelText(/What happened/), { target: { value: "Forged a site-visit report" } });
    fireEvent.change(screen.getByLabelText(/^Evidence/), { target: { value: "report 2026-117" } });
    fireEvent.click(screen.getByRole("button", { name: "Record the incident" }));
    await screen.findByText("must not be in the future");
    expect(screen.getByLabelText(/Happened on/).getAttribute("aria-invalid")).toBe("true");
    expect(body("/api/v1/incidents")).toEqual([{ rm_id: "rm-1", item: "X-2.4", occurred_on: "2026-12-24", description: "Forged a site-visit report", evidence: "report 2026-117" }]);
  });
});

describe("a complaint from the customer's page", () => {
  it("names the customer's current RM, read with the others in one request", async () => {
    route("GET", "/api/v1/customers/{id}/assignments", {
      status: 200,
      body: [
        { id: "as-1", customer_id: "c-1", rm_id: "rm-old", role: "primary", share: "1", valid_from: "2024-01-01T00:00:00Z", valid_to: "2025-01-01T00:00:00Z", reason: "", created_by: "x" },
        { id: "as-2", customer_id: "c-1", rm_id: "rm-1", role: "primary", share: "1", valid_from: "2025-01-01T00:00:00Z", valid_to: null, reason: "", created_by: "x" },
      ],
    });
    route("GET", "/api/v1/rms", { status: 200, body: { items: [{ id: "rm-1", name: "Zhu Hao" }], next_cursor: null } });
    route("POST", "/api/v1/complaints", (call) => ({ status: 201, body: { id: "co-1", ...(call.body as object) } }));
    renderAs(<CustomerRiskActions customer={customer} />);
    fireEvent.click(await screen.findByRole("button", { name: "Record a complaint about its RM" }));
    const rm = (await screen.findByLabelText(/RM complained about/)) as HTMLSelectElement;
    await waitFor(() => expect(rm.value).toBe("rm-1"));
    expect(rm.selectedOptions[0].textContent).toBe("Zhu Hao · Primary RM");
    expect(calls.filter((c) => c.path === "/api/v1/rms").map((c) => c.query.get("ids"))).toEqual(["rm-1"]);
    fireEvent.change(screen.getByLabelText(/What the customer complains about/), { target: { value: "Rude on the phone" } });
    fireEvent.click(screen.getByRole("button", { name: "Record the complaint" }));
    await screen.findByText(/Complaint recorded/);
    expect(body("/api/v1/complaints")).toEqual([{ customer_id: "c-1", rm_id: "rm-1", received_on: "2026-11-30", verified: false, summary: "Rude on the phone" }]);
  });
});

describe("an exit case", () => {
  it("offers the triggers of the kind and links to the new case", async () => {
    route("POST", "/api/v1/exit-cases", (call) => ({ status: 201, body: { id: "case-3", ...(call.body as object), status: "proposed" } }));
    renderAs(<ExitCaseForm rmId="rm-1" rmName="Li Lei" />);
    fireEvent.change(screen.getByLabelText(/Kind/), { target: { value: "disqualification" } });
    const trigger = screen.getByLabelText(/Trigger/) as HTMLSelectElement;
    expect([...trigger.options].map((o) => o.value)).toEqual(["", "X-2.1", "X-2.2", "X-2.3", "X-2.4", "X-2.5", "X-2.6"]);
    fireEvent.change(trigger, { target: { value: "X-2.3" } });
    fireEvent.change(screen.getByLabelText(/Reason/), { target: { value: "three verified complaints" } });
    fireEvent.change(screen.getByLabelText(/Evidence/), { target: { value: "complaints of May, June, Sept" } });
    fireEvent.click(screen.getByRole("button", { name: "Propose the case" }));
    const link = await screen.findByRole("link", { name: "Open the case" });
    expect(link.getAttribute("href")).toBe("/exit-cases/case-3");
    expect(body("/api/v1/exit-cases")).toEqual([{ rm_id: "rm-1", kind: "disqualification", trigger: "X-2.3", reason: "three verified complaints", evidence: "complaints of May, June, Sept" }]);
  });
});

describe("the R-4 evaluation", () => {
  const result = {
    as_of: "2026-11-26",
    policy_version: 1,
    rms: [
      { rm_id: "rm-1", indicator: { loan_customers: 40, overdue_customers: 10, overdue_ratio: "0.25", checkpoint: "second_check", target: "0.03", within_target: false, ratio_applies: true, action_required: false, out_of_control: true, inspections_required: false }, rm_flags: ["management_out_of_control"], overdue_interest_flags: 4, inspections_required: 0 },
      { rm_id: "rm-2", indicator: { loan_customers: 35, overdue_customers: 0, overdue_ratio: "0", checkpoint: "second_check", target: "0.03", within_target: true, ratio_applies: true, action_required: false, out_of_control: false, inspections_required: false }, rm_flags: [], overdue_interest_flags: 0, inspections_required: 0 },
    ],
  };

  it("runs a date (201), then reads it again (200) with the RMs by name", async () => {
    let runs = 0;
    route("POST", "/api/v1/evaluations", () => ({ status: runs++ === 0 ? 201 : 200, body: result }));
    route("GET", "/api/v1/rms", { status: 200, body: { items: [{ id: "rm-1", name: "Li Lei" }, { id: "rm-2", name: "Han Mei" }], next_cursor: null } });
    renderAs(<Evaluations />);
    const date = await screen.findByLabelText(/Business date/);
    await waitFor(() => expect((date as HTMLInputElement).value).toBe("2026-11-30"));
    fireEvent.change(date, { target: { value: "2026-11-26" } });
    fireEvent.click(screen.getByRole("button", { name: "Evaluate" }));
    expect((await screen.findByTestId("evaluation-status")).textContent).toMatch(/Evaluated now/);
    await screen.findByRole("link", { name: "Li Lei" });
    const rows = within(screen.getByTestId("evaluation-rms")).getAllByRole("row");
    expect(rows[1].textContent).toMatch(/Li Lei.*25%.*Out of control/);
    expect(body("/api/v1/evaluations")).toEqual([{ as_of: "2026-11-26" }]);
    // The names in one bulk read, not one per row.
    expect(calls.filter((c) => c.path === "/api/v1/rms").map((c) => c.query.get("ids"))).toEqual(["rm-1,rm-2"]);
    fireEvent.click(screen.getByRole("button", { name: "Evaluate" }));
    await waitFor(() => expect(screen.getByTestId("evaluation-status").textContent).toMatch(/Evaluated before/));
  });

  it("shows a date refused next to its field", async () => {
    route("POST", "/api/v1/evaluations", { status: 422, body: { code: "validation_failed", detail: "as_of", errors: [{ field: "as_of", message: "must not be after today (2026-11-30)" }] } });
    renderAs(<Evaluations />);
    await screen.findByRole("button", { name: "Evaluate" });
    fireEvent.click(screen.getByRole("button", { name: "Evaluate" }));
    await screen.findByText("must not be after today (2026-11-30)");
    expect(screen.getByLabelText(/Business date/).getAttribute("aria-invalid")).toBe("true");
  });
});

describe("the policy", () => {
  const policy = {
    version: 3,
    created_at: "2026-10-01T00:00:00Z",
    created_by: "security.admin",
    policy: {
      capacity: { corporate_key_accounts: 15, retail_vip_customers: 400 },
      assignment: { max_marketers: 2, primary_share: "0.6", assistant_share: "0.4", rotation_years: 3, second_rm_due_days: 30 },
      qualification: { validity_years: 2, min_counter_experience_years: 2, term_years: 1 },
      field_checks: { independence_required: false, required_inspection_due_days: 10, evidence_max_bytes: 10485760, daily_targets: { new_customer_visits: 2, existing_customer_visits: 3, calls: 4 } },
      risk: { settlement_day: 20, settlement_day_normal_ratio: "0.05", action_required_ratio: "0.10", second_check_day: 26, second_check_target_ratio: "0.03", month_end_target_ratio: "0.01", month_end_inspection_ratio: "0.03", out_of_control_ratio: "0.20", min_loans_for_ratios: 30, new_npl_ratio_trigger: "0.01", new_npl_consecutive_months: 3, due_collection_day: 3 },
      exit: { complaints_threshold: 3, complaints_window_months: 12, bottom_score_share: "0.20", level_shares: ["0.30", "0.50", "0.20"], first_rating_months: 6 },
      pay: { level_allowances: ["1500", "1200", "900"], transition_allowance: "1000", manager_linked_share: "0.10" },
      duties: { grants: [{ role: "admin", may_grant: ["manager", "rm"] }] },
      scoring: { tables: { sub_branch_rm: { loans: { new_loan_accounts: { full: 10, cap: 20 } } } } },
    },
  };

  it("reads as labelled sections, and shows a pending change as what it changes", async () => {
    route("GET", "/api/v1/policy", { status: 200, body: policy });
    const changed = structuredClone(policy.policy);
    changed.risk.settlement_day = 21;
    route("GET", "/api/v1/approvals", { status: 200, body: { items: [{ id: "a-1", command: "change_policy", payload: { policy: changed, based_on_version: 3 }, maker_username: "security.admin", created_at: "2026-11-30T00:00:00Z" }], next_cursor: null } });
    renderAs(<Policy />);
    const sections = await screen.findByTestId("policy-sections");
    const risk = within(sections).getByRole("heading", { name: /Credit risk/ }).closest("section")!;
    expect(risk.textContent).toMatch(/Out of control from20%/);
    expect(sections.textContent).toMatch(/Performance levels 1 \/ 2 \/ 330% \/ 50% \/ 20%/);
    expect(screen.getByTestId("policy-version").textContent).toMatch(/Version 3/);
    expect((await screen.findByTestId("policy-pending")).textContent).toMatch(/Settlement day of the month: 20 → 21/);
    // A risk officer approves; it is an administrator who proposes.
    expect(screen.queryByRole("button", { name: "Propose a change" })).toBeNull();
  });

  it("an administrator proposes a field's change (202), the API's refusal shown next to the field", async () => {
    route("GET", "/api/v1/policy", { status: 200, body: policy });
    route("GET", "/api/v1/approvals", { status: 200, body: { items: [], next_cursor: null } });
    route("PUT", "/api/v1/policy", (call) =>
      (call.body as typeof policy.policy).risk.settlement_day > 28
        ? { status: 422, body: { code: "validation_failed", detail: "1 field", errors: [{ field: "risk.settlement_day", message: "must be a day between 1 and 28" }] } }
        : { status: 202, body: { approval_id: "a-9", status: "pending", rule: "P-1", reason: "policy change from version 3" } },
    );
    renderAs(<Policy />, { roles: ["admin"] });
    fireEvent.click(await screen.findByRole("button", { name: "Propose a change" }));
    const day = screen.getByLabelText("Settlement day of the month");
    fireEvent.change(day, { target: { value: "30" } });
    fireEvent.click(screen.getByRole("button", { name: "Propose this version" }));
    await screen.findByText("must be a day between 1 and 28");
    expect(day.getAttribute("aria-invalid")).toBe("true");
    fireEvent.change(day, { target: { value: "21" } });
    fireEvent.click(screen.getByRole("button", { name: "Propose this version" }));
    expect((await screen.findByTestId("risk-outcome")).textContent).toMatch(/waits for a second person's approval/);
    const sent = body("/api/v1/policy", "PUT")[1] as typeof policy.policy;
    expect(sent.risk.settlement_day).toBe(21);
    expect(sent.exit.level_shares).toEqual(["0.30", "0.50", "0.20"]);
  });
});
