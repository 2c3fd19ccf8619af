// @vitest-environment jsdom
import { cleanup, fireEvent, screen, waitFor, within } from "@testing-library/react";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { Submitted, ToConfirm } from "../src/features/myday/FieldChecks";
import { byUrgency, MyDay } from "../src/features/myday/MyDay";
import { SubmitCheck } from "../src/features/myday/SubmitCheck";
import type { RmsInScope } from "../src/features/checks/rms";
import { calls, resetFakeApi, route } from "./fake-api";
import { renderAs } from "./render";

beforeAll(() => {
  // jsdom has <dialog> without its modal methods.
  HTMLDialogElement.prototype.showModal ??= function (this: HTMLDialogElement) {
    this.setAttribute("open", "");
  };
  HTMLDialogElement.prototype.close ??= function (this: HTMLDialogElement) {
    this.removeAttribute("open");
  };
});
beforeEach(resetFakeApi);
afterEach(cleanup);

const rm = (id: string, name: string) => ({
  id,
  name,
  employee_no: "E1",
  national_id: "110***",
  line: "sme",
  grade: "rm",
  status: "active",
  org_unit_id: "ou-1",
  qualified_on: "2025-01-01",
  qualification_valid_until: "2027-01-01",
  qualification_lapsed: false,
  term_starts_on: "2025-01-01",
  term_ends_on: "2028-01-01",
  term_expired: false,
  performance_level: 2,
  version: 1,
  created_at: "2025-01-01T00:00:00Z",
  updated_at: "2025-01-01T00:00:00Z",
});
const lead = rm("rm-1", "Zhou Min");
const second = rm("rm-2", "Wang Lei");
const rms = { list: [lead, second], byId: new Map([lead, second].map((r) => [r.id, r])) } as unknown as RmsInScope;

const check = {
  id: "fc-1",
  customer_id: "c-1",
  customer_name: "Tianjin Steel Co.",
  kind: "post_loan_inspection",
  lead_rm_id: "rm-1",
  second_rm_id: "rm-2",
  performed_at: "2026-11-29T08:00:00Z",
  place: "customer's premises",
  findings: "stock and receivables seen",
  outcome: null,
  status: "awaiting_confirmation",
  submitted_by: "rm.lead",
  confirmed_by: null,
  decided_at: null,
  version: 1,
  created_at: "2026-11-30T04:00:00Z",
};

describe("confirming as the second RM (D-3)", () => {
  it("lists only the checks naming me as second, and shows a refusal with its rule", async () => {
    route("GET", "/api/v1/field-checks", { status: 200, body: { items: [check, { ...check, id: "fc-mine", lead_rm_id: "rm-2", second_rm_id: "rm-1" }], next_cursor: null } });
    route("POST", "/api/v1/field-checks/{id}/confirm", { status: 422, body: { code: "second_must_confirm", rule: "D-3", detail: "only the second RM confirms, from their own login" } });
    renderAs(<ToConfirm rmId="rm-2" rms={rms} />, { roles: ["rm"], rmId: "rm-2" });
    const list = await screen.findByTestId("to-confirm");
    expect(within(list).getAllByRole("listitem").length).toBe(1);
    expect(list.textContent).toContain("Zhou Min");
    const query = calls.find((c) => c.path === "/api/v1/field-checks")?.query;
    expect(query?.get("rm_id")).toBe("rm-2");
    expect(query?.get("status")).toBe("awaiting_confirmation");

    fireEvent.click(screen.getByRole("button", { name: "Confirm check" }));
    fireEvent.click(await screen.findByRole("button", { name: "Yes, go ahead" }));
    const alert = await screen.findByRole("alert");
    expect(alert.getAttribute("data-problem")).toBe("second_must_confirm");
    expect(alert.textContent).toContain("Rule D-3");
    expect(alert.textContent).toContain("What to do:");
    const post = calls.find((c) => c.method === "POST");
    expect(post?.path).toBe("/api/v1/field-checks/fc-1/confirm");
  });

  it("confirms with the note, says so, and reads the list again", async () => {
    let status = "awaiting_confirmation";
    route("GET", "/api/v1/field-checks", () => ({ status: 200, body: { items: status === "confirmed" ? [] : [check], next_cursor: null } }));
    route("POST", "/api/v1/field-checks/{id}/confirm", () => {
      status = "confirmed";
      return { status: 200, body: { ...check, status: "confirmed", confirmed_by: "rm.second" } };
    });
    renderAs(<ToConfirm rmId="rm-2" rms={rms} />, { roles: ["rm"], rmId: "rm-2" });
    await screen.findByTestId("to-confirm");
    fireEvent.change(screen.getByLabelText("Note (optional)"), { target: { value: "I was there." } });
    fireEvent.click(screen.getByRole("button", { name: "Confirm check" }));
    fireEvent.click(await screen.findByRole("button", { name: "Yes, go ahead" }));
    const done = await screen.findByTestId("decided");
    expect(done.textContent).toContain("Confirmed: Post-loan inspection of Tianjin Steel Co.");
    expect(calls.find((c) => c.method === "POST")?.body).toEqual({ note: "I was there." });
    await screen.findByText("No check waits for your confirmation.");
    expect(calls.filter((c) => c.path === "/api/v1/field-checks").length).toBe(2);
  });

  it("asks for a reason before rejecting, next to the field", async () => {
    route("GET", "/api/v1/field-checks", { status: 200, body: { items: [check], next_cursor: null } });
    renderAs(<ToConfirm rmId="rm-2" rms={rms} />, { roles: ["rm"], rmId: "rm-2" });
    await screen.findByTestId("to-confirm");
    fireEvent.click(screen.getByRole("button", { name: "Reject check" }));
    fireEvent.click(await screen.findByRole("button", { name: "Yes, go ahead" }));
    const reason = screen.getByLabelText(/Reason for rejecting/);
    await waitFor(() => expect(reason.getAttribute("aria-invalid")).toBe("true"));
    expect(screen.getByText("Say why you reject the check.")).toBeTruthy();
    expect(calls.some((c) => c.method === "POST")).toBe(false);
  });
});

describe("the lead's checks waiting for the second RM", () => {
  it("lists the lead's own, and withdraws one only with a reason, after asking", async () => {
    route("GET", "/api/v1/field-checks", { status: 200, body: { items: [check, { ...check, id: "fc-other", lead_rm_id: "rm-9" }], next_cursor: null } });
    route("POST", "/api/v1/field-checks/{id}/cancel", { status: 200, body: { ...check, status: "cancelled" } });
    renderAs(<Submitted rmId="rm-1" rms={rms} />, { roles: ["rm"], rmId: "rm-1" });
    const list = await screen.findByTestId("submitted-waiting");
    expect(within(list).getAllByRole("listitem").length).toBe(1);
    fireEvent.click(screen.getByText("Withdraw this check"));
    fireEvent.click(await screen.findByRole("button", { name: "Withdraw check" }));
    fireEvent.click(await screen.findByRole("button", { name: "Yes, go ahead" }));
    await screen.findByText("Say why you withdraw the check.");
    fireEvent.change(screen.getByLabelText(/Why you withdraw it/), { target: { value: "Wrong customer chosen." } });
    fireEvent.click(screen.getByRole("button", { name: "Withdraw check" }));
    fireEvent.click(await screen.findByRole("button", { name: "Yes, go ahead" }));
    await waitFor(() => expect(calls.find((c) => c.method === "POST")?.body).toEqual({ note: "Wrong customer chosen." }));
    expect(calls.find((c) => c.method === "POST")?.path).toBe("/api/v1/field-checks/fc-1/cancel");
  });
});

describe("submitting a field check", () => {
  const customers = { items: [{ id: "c-1", name: "Tianjin Steel Co.", kind: "sme", org_unit_id: "ou-1", categories: [], is_key_account: false, is_vip: false, version: 1, created_at: "", updated_at: "", needs_second_rm_since: "2026-11-01T00:00:00Z" }], next_cursor: null };

  it("shows what is missing next to each field without asking the API", async () => {
    route("GET", "/api/v1/customers", { status: 200, body: customers });
    renderAs(<SubmitCheck rmId="rm-1" rms={rms} draft={null} />, { roles: ["rm"], rmId: "rm-1" });
    await screen.findByRole("option", { name: /Tianjin Steel Co\. · A-6/ });
    fireEvent.click(screen.getByRole("button", { name: "Submit check" }));
    for (const label of ["Customer", "Kind", "Performed at", "Findings"]) {
      const field = screen.getByLabelText(new RegExp(`^${label}`));
      await waitFor(() => expect(field.getAttribute("aria-invalid")).toBe("true"));
    }
    expect(screen.getByLabelText(/^Place/).getAttribute("aria-invalid")).toBeNull();
    expect(calls.some((c) => c.method === "POST")).toBe(false);
  });

  it("sends the check with the second RM, shows the API's field message and the D-3 refusal", async () => {
    route("GET", "/api/v1/customers", { status: 200, body: customers });
    let answer: { status: number; body: unknown } = { status: 422, body: { code: "validation_failed", detail: "1 field is invalid", errors: [{ field: "performed_at", message: "must not be in the future" }] } };
    route("POST", "/api/v1/field-checks", () => answer);
    renderAs(<SubmitCheck rmId="rm-1" rms={rms} draft={{ customerId: "c-1", kind: "post_loan_inspection" }} />, { roles: ["rm"], rmId: "rm-1" });
    await screen.findByRole("option", { name: /Tianjin Steel Co\./ });
    // The lead is never offered as their own second RM.
    const seconds = within(screen.getByLabelText(/^Second RM/)).getAllByRole("option").map((o) => o.textContent);
    expect(seconds).toEqual(["No second RM (single-RM check)", "Wang Lei · RM"]);
    expect(screen.getByRole("note").textContent).toContain("D-2");
    fireEvent.change(screen.getByLabelText(/^Second RM/), { target: { value: "rm-2" } });
    fireEvent.change(screen.getByLabelText(/^Performed at/), { target: { value: "2026-11-29T10:00" } });
    fireEvent.change(screen.getByLabelText(/^Findings/), { target: { value: "Stock seen." } });
    fireEvent.click(screen.getByRole("button", { name: "Submit check" }));
    const performed = screen.getByLabelText(/^Performed at/);
    await waitFor(() => expect(performed.getAttribute("aria-invalid")).toBe("true"));
    expect(screen.getByText("must not be in the future")).toBeTruthy();
    const sent = calls.find((c) => c.method === "POST")?.body as Record<string, unknown>;
    expect(sent).toMatchObject({ customer_id: "c-1", kind: "post_loan_inspection", lead_rm_id: "rm-1", second_rm_id: "rm-2", findings: "Stock seen.", place: null });
    expect(sent.performed_at).toBe(new Date("2026-11-29T10:00").toISOString());

    answer = { status: 422, body: { code: "same_person", rule: "D-3", detail: "the lead and the second RM are one person (same national ID)" } };
    fireEvent.click(screen.getByRole("button", { name: "Submit check" }));
    const alert = await screen.findByRole("alert");
    await waitFor(() => expect(alert.getAttribute("data-problem")).toBe("same_person"));
    expect(alert.textContent).toContain("Rule D-3");
  });

  it("says a check with a second RM waits for their confirmation, then offers evidence", async () => {
    route("GET", "/api/v1/customers", { status: 200, body: customers });
    route("POST", "/api/v1/field-checks", { status: 201, body: { ...check, id: "fc-new" } });
    route("GET", "/api/v1/field-checks/{id}", { status: 200, body: { ...check, id: "fc-new", evidence: [] } });
    renderAs(<SubmitCheck rmId="rm-1" rms={rms} draft={{ customerId: "c-1", kind: "post_loan_inspection" }} />, { roles: ["rm"], rmId: "rm-1" });
    await screen.findByRole("option", { name: /Tianjin Steel Co\./ });
    fireEvent.change(screen.getByLabelText(/^Second RM/), { target: { value: "rm-2" } });
    fireEvent.change(screen.getByLabelText(/^Performed at/), { target: { value: "2026-11-29T10:00" } });
    fireEvent.change(screen.getByLabelText(/^Findings/), { target: { value: "Stock seen." } });
    fireEvent.click(screen.getByRole("button", { name: "Submit check" }));
    const outcome = await screen.findByTestId("outcome");
    expect(outcome.textContent).toContain("waits for Wang Lei to confirm");
    await screen.findByText("No evidence file attached yet.");
    expect(screen.getByLabelText("Evidence file")).toBeTruthy();
  });
});

describe("my day", () => {
  it("says so when the account has no RM record", async () => {
    renderAs(<MyDay />, { roles: ["rm"], rmId: null });
    expect((await screen.findByTestId("no-rm")).textContent).toContain("not linked to an RM record");
  });

  it("puts overdue required checks first, then by due date", () => {
    const c = (id: string, due_on: string, overdue: boolean) => ({ id, due_on, overdue }) as never;
    expect(byUrgency([c("a", "2026-12-10", false), c("b", "2026-11-26", true), c("c", "2026-12-01", false), c("d", "2026-11-20", true)]).map((x: { id: string }) => x.id)).toEqual(["d", "b", "c", "a"]);
  });
});
