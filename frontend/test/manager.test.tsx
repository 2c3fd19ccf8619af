// @vitest-environment jsdom
import { cleanup, fireEvent, screen, waitFor, within } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Schemas } from "../src/api/client";
import { Rebalancing } from "../src/features/manager/Rebalancing";
import { CustomerAssignment } from "../src/features/manager/slots";
import { calls, resetFakeApi, route } from "./fake-api";
import { renderAs } from "./render";

const customer = {
  id: "c-1",
  name: "Hangzhou Textiles Co.",
  kind: "corporate",
  org_unit_id: "ou-team",
  categories: ["high_value"],
  is_key_account: true,
  is_vip: false,
  needs_second_rm_since: "2026-11-01T00:00:00Z",
  version: 1,
  created_at: "2026-01-01T00:00:00Z",
  updated_at: "2026-01-01T00:00:00Z",
} as Schemas["Customer"];

const primary: Schemas["Assignment"] = {
  id: "a-1",
  customer_id: "c-1",
  rm_id: "rm-1",
  role: "primary",
  share: "1",
  reason: "new",
  valid_from: "2025-01-01T00:00:00Z",
  valid_to: null,
  created_by: "system",
};

function rm(id: string, name: string, line: Schemas["Line"] = "corporate", unit = "ou-team", held = 3) {
  const cap = line === "retail" ? 400 : 15;
  return { id, name, employee_no: `E-${id}`, line, grade: "senior", status: "active", org_unit_id: unit, national_id: "x", qualified_on: "2026-01-01", qualification_valid_until: "2028-01-01", qualification_lapsed: false, term_starts_on: "2026-01-01", term_ends_on: "2027-01-01", term_expired: false, performance_level: 2, version: 1, created_at: "", updated_at: "", capacity: { held, cap, utilisation: String(held / cap) } };
}

function bank() {
  route("GET", "/api/v1/rms", { status: 200, body: { items: [rm("rm-1", "Li Na"), rm("rm-2", "Wang Wei"), rm("rm-5", "Sun Tao", "corporate", "ou-team", 15), rm("rm-3", "Zhao Min", "retail"), rm("rm-4", "Chen Jun", "sme", "ou-other")], next_cursor: null } });
  route("GET", "/api/v1/org-units", { status: 200, body: { items: [{ id: "ou-team", name: "Shanghai 1 Corporate Team", kind: "team", depth: 4 }], next_cursor: null } });
  route("GET", "/api/v1/policy", { status: 200, body: { version: 1, created_at: "", policy: { assignment: { assistant_share: "0.4" }, qualification: { term_years: 1 } } } });
}

const posted = (path: string) => calls.filter((c) => c.method === "POST" && c.path === path);

async function chooseRm(form: HTMLElement, name: string) {
  const select = within(form).getByRole("combobox", { name: "RM" });
  await waitFor(() => expect(within(select).getByRole("option", { name: new RegExp(name) })).toBeTruthy());
  const option = within(select).getByRole("option", { name: new RegExp(name) }) as HTMLOptionElement;
  fireEvent.change(select, { target: { value: option.value } });
}

beforeEach(() => {
  resetFakeApi();
  history.replaceState(null, "", "/");
});
afterEach(cleanup);

describe("assigning an RM on the customer page", () => {
  it("offers only RMs of the customer's line, its unit and the least loaded first, with their load against the cap", async () => {
    bank();
    renderAs(<CustomerAssignment customer={customer} history={[primary]} />, { roles: ["manager"] });
    const form = await screen.findByTestId("assign-form");
    const select = within(form).getByRole("combobox", { name: "RM" });
    await waitFor(() => expect(within(select).getAllByRole("option").length).toBe(4));
    const names = within(select).getAllByRole("option").map((o) => o.textContent);
    expect(names[1]).toMatch(/^Wang Wei .*3\/15 under the cap$/); // same unit, least loaded first
    expect(names[2]).toMatch(/^Sun Tao .*at the cap \(15\/15\)$/);
    expect(names[3]).toMatch(/^Chen Jun/);
    expect(names.join()).not.toMatch(/Zhao Min|Li Na/); // retail line; the primary itself
  });

  it("201: says the RM is assigned and sends the role and the RM", async () => {
    bank();
    route("POST", "/api/v1/assignments", { status: 201, body: { ...primary, id: "a-2", rm_id: "rm-2", role: "assistant", share: "0.4" } });
    renderAs(<CustomerAssignment customer={customer} history={[primary]} />, { roles: ["manager"] });
    const form = await screen.findByTestId("assign-form");
    await chooseRm(form, "Wang Wei");
    fireEvent.click(within(form).getByRole("button", { name: "Assign" }));
    const answer = await screen.findByTestId("manager-answer");
    expect(answer.textContent).toContain("Assigned.");
    expect(answer.getAttribute("data-waiting")).toBe("false");
    expect(posted("/api/v1/assignments")[0].body).toMatchObject({ customer_id: "c-1", rm_id: "rm-2", role: "assistant", reason: "second_rm" });
  });

  it("202: says the assignment waits for a second person, with its rule and the way to the approvals", async () => {
    bank();
    route("POST", "/api/v1/assignments", { status: 202, body: { approval_id: "ap-1", status: "pending", rule: "R-3", reason: "new assignment for blacklisted customer" } });
    renderAs(<CustomerAssignment customer={customer} history={[primary]} />, { roles: ["manager"] });
    const form = await screen.findByTestId("assign-form");
    await chooseRm(form, "Wang Wei");
    fireEvent.click(within(form).getByRole("button", { name: "Assign" }));
    const answer = await screen.findByTestId("manager-answer");
    expect(answer.getAttribute("data-waiting")).toBe("true");
    expect(answer.textContent).toMatch(/waits for a second person/);
    expect(answer.textContent).toContain("Rule R-3");
    expect(within(answer).getByRole("link").getAttribute("href")).toBe("/approvals");
  });

  it("A-3: shows the refusal with its rule, then asks for the override reason and sends it", async () => {
    bank();
    route("POST", "/api/v1/assignments", (call) =>
      (call.body as { override_reason?: string }).override_reason
        ? { status: 202, body: { approval_id: "ap-2", status: "pending", rule: "A-3", reason: "cap override" } }
        : { status: 422, body: { code: "capacity_exceeded", rule: "A-3", detail: "the RM holds 15 of 15 key accounts" } },
    );
    renderAs(<CustomerAssignment customer={customer} history={[primary]} />, { roles: ["manager"] });
    const form = await screen.findByTestId("assign-form");
    expect(within(form).queryByLabelText(/Why the cap should be exceeded/)).toBeNull();
    await chooseRm(form, "Wang Wei");
    fireEvent.click(within(form).getByRole("button", { name: "Assign" }));
    const refusal = await within(form).findByText(/Rule A-3/);
    expect(refusal.closest("[data-problem]")?.getAttribute("data-problem")).toBe("capacity_exceeded");
    const why = within(form).getByLabelText(/Why the cap should be exceeded/);
    fireEvent.change(why, { target: { value: "Key client of the branch; the RM knows the group." } });
    fireEvent.click(within(form).getByRole("button", { name: "Ask for a cap override" }));
    const answer = await screen.findByTestId("manager-answer");
    expect(answer.getAttribute("data-waiting")).toBe("true");
    expect(answer.textContent).toContain("Rule A-3");
    expect(posted("/api/v1/assignments")[1].body).toMatchObject({ rm_id: "rm-2", override_reason: "Key client of the branch; the RM knows the group." });
  });

  it("is not offered to a role that may not assign", () => {
    bank();
    renderAs(<CustomerAssignment customer={customer} history={[primary]} />, { roles: ["risk_officer"] });
    expect(screen.queryByTestId("customer-assignment")).toBeNull();
  });
});

describe("rebalancing", () => {
  const moves = [
    { customer_id: "c-1", from_rm_id: "rm-1", to_rm_id: "rm-2", customer_value: "500000.00" },
    { customer_id: "c-2", from_rm_id: "rm-1", to_rm_id: "rm-4", customer_value: "0.00" },
  ];
  const spread = (max: number) => ({ rms: 3, min_customers: 50, max_customers: max, customers_stddev: "3.2", value_stddev: "1250000.00" });

  function proposals() {
    let applied = new Set<string>();
    const names: Record<string, string> = { "c-1": "Hangzhou Textiles Co.", "c-2": "Xu Xin" };
    route("GET", "/api/v1/customers", (call) => ({
      status: 200,
      body: { items: (call.query.get("ids") ?? "").split(",").map((id) => ({ id, name: names[id] })), next_cursor: null },
    }));
    route("GET", "/api/v1/rebalancing/proposals", () => ({
      status: 200,
      body: { org_unit_id: "ou-1", before: spread(135 - applied.size), after: spread(130), moves: moves.filter((m) => !applied.has(m.customer_id)) },
    }));
    return {
      apply: (id: string) => (applied = new Set([...applied, id])),
    };
  }

  it("applies one move through the reassignment API and reads the proposal again", async () => {
    bank();
    const state = proposals();
    route("POST", "/api/v1/customers/{id}/reassign", (call, { id }) => {
      state.apply(id);
      return { status: 200, body: { ...primary, id: "a-9", customer_id: id, rm_id: (call.body as { to_rm_id: string }).to_rm_id } };
    });
    renderAs(<Rebalancing />, { roles: ["manager"] });
    const table = await screen.findByTestId("rebalancing-moves");
    const apply = await within(table).findByRole("button", { name: "Apply: move Hangzhou Textiles Co. to Wang Wei" });
    expect(screen.getByTestId("rebalancing-spread").textContent).toContain("135");
    fireEvent.click(apply);
    await screen.findByText("Moved Hangzhou Textiles Co. from Li Na to Wang Wei.");
    await waitFor(() => expect(within(screen.getByTestId("rebalancing-moves")).getAllByRole("row").length).toBe(2));
    expect(screen.getByTestId("rebalancing-moves").textContent).not.toContain("Hangzhou");
    expect(screen.getByTestId("rebalancing-spread").textContent).toContain("134");
    expect(posted("/api/v1/customers/c-1/reassign")[0].body).toEqual({ to_rm_id: "rm-2", reason: "rebalancing" });
    expect(calls.filter((c) => c.path === "/api/v1/rebalancing/proposals").length).toBe(2);
    // The moves' customers are named by one bulk read, not one read per move.
    expect(calls.find((c) => c.path === "/api/v1/customers")?.query.get("ids")).toBe("c-1,c-2");
    expect(calls.find((c) => c.path === "/api/v1/rebalancing/proposals")?.query.get("org_unit_id")).toBe("ou-1");
  });

  it("shows a refused move's rule next to that move, and a waiting one as waiting", async () => {
    bank();
    proposals();
    route("POST", "/api/v1/customers/{id}/reassign", (_, { id }) =>
      id === "c-1"
        ? { status: 422, body: { code: "capacity_exceeded", rule: "A-3", detail: "the RM holds 15 of 15" } }
        : { status: 202, body: { approval_id: "ap-3", status: "pending", rule: "A-10", reason: "flagged customer" } },
    );
    renderAs(<Rebalancing />, { roles: ["manager"] });
    const table = await screen.findByTestId("rebalancing-moves");
    fireEvent.click(await within(table).findByRole("button", { name: /Hangzhou/ }));
    const row = (await within(table).findByText(/Rule A-3/)).closest("tr");
    expect(row?.getAttribute("data-customer")).toBe("c-1");
    fireEvent.click(within(table).getByRole("button", { name: /Xu Xin/ }));
    const answer = await screen.findByTestId("manager-answer");
    expect(answer.getAttribute("data-waiting")).toBe("true");
    expect(answer.textContent).toContain("Rule A-10");
  });
});
