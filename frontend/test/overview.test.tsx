// @vitest-environment jsdom
// The overview by org unit (issue 22): the caller's scope shows its direct sub-units with their
// pooled R-4 figures; a unit opens its own overview (`?org_unit_id=`, the only parameter the route
// takes), with the way back up to the caller's scope; the heat map is the riskiest RMs of the unit.
import { cleanup, fireEvent, screen, waitFor, within } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Schemas } from "../src/api/client";
import { Overview, overviewPath, trailOf } from "../src/features/overview/Overview";
import { calls, resetFakeApi, route } from "./fake-api";
import { renderAs } from "./render";

// Chart.js needs a canvas jsdom does not have; the charts are not what is tested here.
vi.mock("../src/components/charts", () => ({ BarChart: () => null, LineChart: () => null }));

type UnitRisk = Schemas["UnitRisk"];
type RmRisk = Schemas["RmRisk"];

function unit(id: string, name: string, kind: string, rms: number, loans: number, overdue: number, byBand: [number, number, number, number]): UnitRisk {
  const [normal, above_normal, action_required, out_of_control] = byBand;
  return { org_unit_id: id, name, kind, rms, loan_customers: loans, overdue_customers: overdue, overdue_ratio: loans ? (overdue / loans).toFixed(4) : "0", rms_by_band: { normal, above_normal, action_required, out_of_control } };
}

function rm(id: string, name: string, ratio: string, band: Schemas["RiskBand"], asOf = "2026-11-30"): RmRisk {
  return { rm_id: id, name, org_unit_id: "ou-t1", loan_customers: 40, overdue_customers: Math.round(Number(ratio) * 40), overdue_ratio: ratio, band, ratio_applies: true, as_of: asOf };
}

function overview(units: UnitRisk[], rmRisk: RmRisk[], rmsEvaluated: number): Schemas["Overview"] {
  return {
    as_of: "2026-11-30",
    flags: [{ kind: "npl", severity: "critical", count: 3 }],
    rm_risk: rmRisk,
    rms_evaluated: rmsEvaluated,
    units,
    bands: { normal: "0.05", action_required: "0.10", out_of_control: "0.20" },
    required_checks: { due: 2, overdue: 1 },
    approvals_pending: 4,
    exit_cases_open: 1,
    job_failures: [],
    trends: [],
  };
}

const SCOPES: Record<string, Schemas["Overview"]> = {
  "": overview(
    [unit("ou-r1", "East Region", "region", 120, 3000, 155, [80, 25, 10, 5]), unit("ou-r2", "North Region", "region", 0, 0, 0, [0, 0, 0, 0])],
    [rm("rm-1", "Li Na", "0.3000", "out_of_control"), rm("rm-2", "Wang Wei", "0.1200", "action_required", "2026-11-27")],
    120,
  ),
  "ou-r1": overview([unit("ou-b1", "Shanghai Branch", "branch", 60, 1500, 90, [40, 12, 5, 3])], [rm("rm-1", "Li Na", "0.3000", "out_of_control")], 60),
  "ou-b1": overview([unit("ou-t1", "Pudong Corporate Team", "team", 6, 150, 12, [4, 1, 1, 0])], [rm("rm-1", "Li Na", "0.3000", "out_of_control")], 1),
  "ou-t1": overview([], [rm("rm-1", "Li Na", "0.3000", "out_of_control")], 1),
};

function bank() {
  route("GET", "/api/v1/me/waiting", { status: 200, body: { as_of: "2026-11-30", now: "2026-11-30T04:00:00Z", approvals_to_decide: 0, checks_to_confirm: 0, my_checks_due: 0, my_checks_overdue: 0, cases_to_decide: 0, handovers_to_confirm: 0, flags_to_acknowledge: 0, unit_checks_overdue: 0 } });
  route("GET", "/api/v1/overview", (call) => {
    const body = SCOPES[call.query.get("org_unit_id") ?? ""];
    return body ? { status: 200, body } : { status: 404, body: { code: "not_found", detail: "org unit not found" } };
  });
  const names: Record<string, [string, string]> = { "ou-r1": ["East Region", "region"], "ou-b1": ["Shanghai Branch", "branch"], "ou-t1": ["Pudong Corporate Team", "team"] };
  route("GET", "/api/v1/org-units/{id}", (_, { id }) =>
    names[id] ? { status: 200, body: { id, name: names[id][0], kind: names[id][1], depth: 1, version: 1, created_at: "", updated_at: "" } } : { status: 404, body: { code: "not_found", detail: "org unit not found" } },
  );
}

const overviewCalls = () => calls.filter((c) => c.path === "/api/v1/overview");
const trail = () => screen.getByRole("navigation", { name: "Where you are in the bank" });

beforeEach(() => {
  resetFakeApi();
  history.replaceState(null, "", "/");
});
afterEach(cleanup);

describe("the overview's address", () => {
  it("keeps the units drilled into, in order, in the query", () => {
    expect(trailOf(new URLSearchParams(""))).toEqual([]);
    expect(trailOf(new URLSearchParams("unit=ou-r1,ou-b1"))).toEqual(["ou-r1", "ou-b1"]);
    expect(trailOf(new URLSearchParams(overviewPath(["ou-r1", "ou-b1"]).slice(2)))).toEqual(["ou-r1", "ou-b1"]);
    expect(overviewPath([])).toBe("/");
  });
});

describe("the overview by org unit", () => {
  it("shows the caller's direct sub-units with their pooled figures and counts per band, asking with no parameter", async () => {
    bank();
    renderAs(<Overview />);
    const table = await screen.findByTestId("units");
    const headers = within(table).getAllByRole("columnheader").map((h) => h.textContent);
    expect(headers).toEqual(["Unit", "Kind", "RMs evaluated", "Loan customers", "Overdue customers", "Pooled ratio", "≤ 5% normal", "above 5%", "≥ 10% action required", "≥ 20% out of control"]);
    const east = within(table).getByRole("row", { name: /East Region/ });
    expect(within(east).getAllByRole("cell").map((c) => c.textContent)).toEqual(["Region", "120", "3,000", "155", "5.2%", "80", "25", "10", "5"]);
    // A unit without evaluated RMs has no ratio rather than 0%.
    expect(within(within(table).getByRole("row", { name: /North Region/ })).getAllByRole("cell")[4].textContent).toBe("—");
    expect(within(table).getByRole("link", { name: "East Region" }).getAttribute("href")).toBe("/?unit=ou-r1");
    expect(overviewCalls()).toHaveLength(1);
    expect([...overviewCalls()[0].query.keys()]).toEqual([]);
    // At the caller's own scope the trail is only where one stands.
    expect(within(trail()).getByText("Your part of the bank").getAttribute("aria-current")).toBe("location");
    expect(within(trail()).queryAllByRole("link")).toHaveLength(0);
  });

  it("labels the heat map as the riskiest RMs of those evaluated, with an evaluation's date where it is not the overview's", async () => {
    bank();
    renderAs(<Overview />);
    await screen.findByTestId("heatmap");
    expect(screen.getByRole("heading", { name: "Riskiest RMs: overdue-interest ratio (R-4)" })).toBeTruthy();
    expect(screen.getByTestId("riskiest-count").textContent).toBe("The 2 riskiest of 120 RMs with an evaluated book.");
    const tiles = within(screen.getByTestId("heatmap")).getAllByRole("link");
    expect(tiles.map((a) => a.getAttribute("href"))).toEqual(["/rms/rm-1", "/rms/rm-2"]);
    expect(tiles[0].textContent).not.toMatch(/R-4 of/); // evaluated on the overview's date
    expect(tiles[1].textContent).toMatch(/R-4 of Nov 27, 2026/); // an older evaluation says so
    expect(tiles[1].getAttribute("title")).toBe("Wang Wei: 12% (5/40), Action required; evaluated on Nov 27, 2026");
  });

  it("drills down region, branch and team, reading each unit's overview once, and climbs back up by the trail", async () => {
    bank();
    renderAs(<Overview />);
    fireEvent.click(await screen.findByRole("link", { name: "East Region" }));
    expect(location.search).toBe("?unit=ou-r1");
    fireEvent.click(await screen.findByRole("link", { name: "Shanghai Branch" }));
    expect(trailOf(new URLSearchParams(location.search))).toEqual(["ou-r1", "ou-b1"]);
    fireEvent.click(await screen.findByRole("link", { name: "Pudong Corporate Team" }));
    await screen.findByText("This unit has no sub-units: its riskiest RMs are below.");
    expect(screen.getByTestId("riskiest-count").textContent).toBe("All 1 RMs with an evaluated book.");

    // Each unit asked for by its id alone; the names of the trail came with the parents' overviews.
    expect(overviewCalls().map((c) => [...c.query.entries()])).toEqual([[], [["org_unit_id", "ou-r1"]], [["org_unit_id", "ou-b1"]], [["org_unit_id", "ou-t1"]]]);
    expect(calls.filter((c) => c.path.startsWith("/api/v1/org-units"))).toHaveLength(0);
    const here = within(trail()).getByText("Pudong Corporate Team");
    expect(here.getAttribute("aria-current")).toBe("location");
    await waitFor(() => expect(document.activeElement).toBe(here)); // the keyboard continues from here
    expect(within(trail()).getAllByRole("link").map((a) => [a.textContent, a.getAttribute("href")])).toEqual([
      ["Your part of the bank", "/"],
      ["East Region", "/?unit=ou-r1"],
      ["Shanghai Branch", `/?unit=${encodeURIComponent("ou-r1,ou-b1")}`],
    ]);

    // Up to the region: read from the cache, no new request.
    fireEvent.click(within(trail()).getByRole("link", { name: "East Region" }));
    await screen.findByRole("link", { name: "Shanghai Branch" });
    fireEvent.click(within(trail()).getByRole("link", { name: "Your part of the bank" }));
    await screen.findByRole("link", { name: "North Region" });
    expect(location.pathname + location.search).toBe("/");
    expect(overviewCalls()).toHaveLength(4);
  });

  it("opened from a link as it stands, names the units of the trail by reading them, and shows the unit", async () => {
    bank();
    history.replaceState(null, "", overviewPath(["ou-r1", "ou-b1"]));
    renderAs(<Overview />);
    await screen.findByRole("link", { name: "Pudong Corporate Team" });
    await waitFor(() => expect(within(trail()).getByText("Shanghai Branch").getAttribute("aria-current")).toBe("location"));
    expect(within(trail()).getByRole("link", { name: "East Region" })).toBeTruthy();
    expect(overviewCalls().map((c) => c.query.get("org_unit_id"))).toEqual(["ou-b1"]);
    expect(calls.filter((c) => c.path.startsWith("/api/v1/org-units/")).map((c) => c.path).sort()).toEqual(["/api/v1/org-units/ou-b1", "/api/v1/org-units/ou-r1"]);
  });

  it("a unit outside the caller's scope is refused with the way back up", async () => {
    bank();
    history.replaceState(null, "", "/?unit=ou-elsewhere");
    renderAs(<Overview />);
    await screen.findByRole("alert");
    expect(screen.getByRole("alert").textContent).toMatch(/Not found, or outside your part of the bank/);
    expect(within(trail()).getByRole("link", { name: "Your part of the bank" }).getAttribute("href")).toBe("/");
    expect(within(trail()).getByText("Unit ewhere")).toBeTruthy();
  });

  it("reads in Chinese", async () => {
    bank();
    renderAs(<Overview />, { lang: "zh-CN" });
    const table = await screen.findByTestId("units");
    expect(within(table).getAllByRole("columnheader").slice(0, 6).map((h) => h.textContent)).toEqual(["机构", "类型", "已评估客户经理", "贷款客户", "欠息客户", "合并欠息率"]);
    expect(within(table).getByRole("row", { name: /East Region/ }).textContent).toContain("区域");
    expect(screen.getByRole("navigation", { name: "当前所在机构" }).textContent).toContain("您的管辖范围");
    expect(screen.getByTestId("riskiest-count").textContent).toBe("已评估的 120 名客户经理中欠息率最高的 2 名。");
  });
});
