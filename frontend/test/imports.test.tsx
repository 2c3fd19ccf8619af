// @vitest-environment jsdom
// The import page against a fake API: the file sent as it is with its media type and the query,
// the progress while it runs, the report of a refused file by line, and applying a file after its
// dry run.
import { cleanup, fireEvent, screen, waitFor, within } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { importMediaType } from "../src/features/imports/api";
import { Imports } from "../src/features/imports/Imports";
import type { Import } from "../src/features/imports/types";
import { pagesFor } from "../src/state";
import { calls, resetFakeApi, route } from "./fake-api";
import { renderAs } from "./render";

const CSV = "code,name,kind,parent_code\nSH-01,Shanghai Branch,branch,HO\n";
const XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

const imp = (over: Partial<Import> = {}): Import => ({
  id: "imp-1",
  kind: "org_units",
  dry_run: true,
  file_name: "units.csv",
  sha256: "9f2c4e0b1d7a6f35c8e2b4a19d0f7e6c5b3a2918d7c6e5f4a3b2c1d0e9f8a7b6",
  status: "running",
  phase: "reading",
  rows_read: 0,
  rows_total: null,
  rows_per_second: 0,
  inserted: 0,
  updated: 0,
  unchanged: 0,
  errors: [],
  errors_total: 0,
  created_by: "admin",
  started_at: "2026-11-30T04:00:00Z",
  finished_at: null,
  ...over,
});

/** A file Node's fetch sends as it is (jsdom's File it cannot read): Node's Blob with a name. */
async function fileOf(text: string, name: string): Promise<File> {
  const blob = await new Response(text).blob();
  return Object.assign(blob, { name, lastModified: 0 }) as unknown as File;
}

const posts = () => calls.filter((c) => c.method === "POST" && c.path === "/api/v1/imports");

async function choose(kind: string, text: string, name: string) {
  fireEvent.change(await screen.findByLabelText(/What the file holds/), { target: { value: kind } });
  fireEvent.change(screen.getByLabelText(/^File/), { target: { files: [await fileOf(text, name)] } });
}

beforeEach(() => {
  resetFakeApi();
  route("GET", "/api/v1/imports", { status: 200, body: { items: [], next_cursor: null } });
});
afterEach(cleanup);

describe("the imports page", () => {
  it("is offered to administrators only", () => {
    expect(pagesFor(["admin"])).toContain("imports");
    for (const role of ["risk_officer", "manager", "auditor", "committee", "rm"] as const) expect(pagesFor([role])).not.toContain("imports");
  });

  it("sends a CSV as text/csv with kind, dry_run and file_name, then shows the progress until it is done", async () => {
    route("POST", "/api/v1/imports", { status: 202, body: imp() });
    let reads = 0;
    route("GET", "/api/v1/imports/{id}", () => {
      reads += 1;
      return reads === 1
        ? { status: 200, body: imp({ phase: "validating", rows_read: 40, rows_total: 100, rows_per_second: 1234.6 }) }
        : { status: 200, body: imp({ status: "succeeded", phase: "done", rows_read: 100, rows_total: 100, inserted: 98, updated: 1, unchanged: 1, finished_at: "2026-11-30T04:00:02Z" }) };
    });
    renderAs(<Imports />, { roles: ["admin"] });
    expect((screen.getByLabelText(/Dry run/) as HTMLInputElement).checked).toBe(true);
    await choose("org_units", CSV, "units.csv");
    fireEvent.click(screen.getByRole("button", { name: "Check the file" }));

    // The answer (202) shows at once: reading, no total yet, so the bar moves without a value.
    const progress = await screen.findByTestId("import-progress");
    expect(progress.textContent).toContain("Reading the file");
    expect(within(progress).getByRole("progressbar").hasAttribute("value")).toBe(false);
    const [sent] = posts();
    expect(sent.headers.get("content-type")).toBe("text/csv");
    expect(sent.headers.get("authorization")).toBe("Bearer test-token");
    expect(Object.fromEntries(sent.query)).toEqual({ kind: "org_units", dry_run: "true", file_name: "units.csv" });
    expect(sent.body).toBe(CSV);

    // Polled every second while it runs: the phase, rows against the total, rows/s.
    await waitFor(() => expect(screen.getByTestId("import-progress").getAttribute("data-phase")).toBe("validating"), { timeout: 3000 });
    const bar = within(screen.getByTestId("import-progress")).getByRole("progressbar") as HTMLProgressElement;
    expect([bar.value, bar.max]).toEqual([40, 100]);
    expect(screen.getByTestId("import-progress").textContent).toMatch(/40 of 100 rows · 1,235 rows\/s/);

    const outcome = await screen.findByTestId("import-outcome", undefined, { timeout: 3000 });
    expect(outcome.textContent).toMatch(/The file is valid/);
    expect(screen.queryByTestId("import-progress")).toBeNull();
    expect(screen.getByTestId("import-counts").textContent).toMatch(/To add98To change1Unchanged1/);
    const polled = reads;
    await new Promise((r) => setTimeout(r, 1300));
    expect(reads, "no more polling once it is done").toBe(polled);
  });

  it("shows a refused file's problems by line, with the total when more than shown, and offers no apply", async () => {
    const errors = [
      { line: 3, field: "parent_code", rule: null, message: "no org unit with code XX-99" },
      { line: 7, field: "valid_from", rule: "A-1", message: "overlaps the assignment from 2019-01-01" },
    ];
    route("POST", "/api/v1/imports", { status: 202, body: imp({ status: "refused", phase: "done", rows_read: 1200, rows_total: 1200, errors, errors_total: 1500, finished_at: "2026-11-30T04:00:01Z" }) });
    renderAs(<Imports />, { roles: ["admin"] });
    await choose("org_units", CSV, "units.csv");
    fireEvent.click(screen.getByRole("button", { name: "Check the file" }));

    expect((await screen.findByTestId("import-outcome")).textContent).toMatch(/Refused: the file has 1,500 problems/);
    expect(screen.getByTestId("import-report").getAttribute("data-status")).toBe("refused");
    const rows = within(screen.getByTestId("import-errors")).getAllByRole("row").slice(1);
    expect(rows.map((r) => Array.from(r.querySelectorAll("td"), (td) => td.textContent))).toEqual([
      ["3", "parent_code", "—", "no org unit with code XX-99"],
      ["7", "valid_from", "A-1", "overlaps the assignment from 2019-01-01"],
    ]);
    expect(screen.getByTestId("import-errors-total").textContent).toBe("Showing the first 2 of 1,500 problems.");
    expect(screen.queryByRole("button", { name: "Apply this file" })).toBeNull();
    expect(screen.queryByTestId("import-counts")).toBeNull();
  });

  it("applies the same file after a clean dry run: sent again with dry_run=false, after asking", async () => {
    let posted = 0;
    route("POST", "/api/v1/imports", (call) => {
      posted += 1;
      const dry = call.query.get("dry_run") === "true";
      return { status: 202, body: imp({ id: dry ? "imp-dry" : "imp-apply", kind: "customers", file_name: "book.xlsx", dry_run: dry, status: "succeeded", phase: "done", rows_read: 2, rows_total: 2, inserted: 2, finished_at: "2026-11-30T04:00:01Z" }) };
    });
    renderAs(<Imports />, { roles: ["admin"] });
    await choose("customers", "PK\u0003\u0004 pretend workbook", "book.xlsx");
    fireEvent.click(screen.getByRole("button", { name: "Check the file" }));
    await screen.findByText(/The file is valid/);

    fireEvent.click(screen.getByRole("button", { name: "Apply this file" }));
    expect(posted, "asks first").toBe(1);
    fireEvent.click(screen.getByRole("button", { name: "Yes, go ahead" }));
    await screen.findByText(/Imported: the whole file is loaded/);
    expect(screen.getByRole("heading", { level: 2, name: /Import: book\.xlsx/ })).toBeTruthy();

    const [dry, apply] = posts();
    expect(Object.fromEntries(dry.query)).toEqual({ kind: "customers", dry_run: "true", file_name: "book.xlsx" });
    expect(Object.fromEntries(apply.query)).toEqual({ kind: "customers", dry_run: "false", file_name: "book.xlsx" });
    for (const c of [dry, apply]) expect(c.headers.get("content-type")).toBe(XLSX);
    expect(apply.body).toBe(dry.body);
    expect(screen.getByTestId("import-counts").textContent).toMatch(/Added2Changed0Unchanged0/);
    expect(screen.queryByRole("button", { name: "Apply this file" })).toBeNull();
  });

  it("asks before importing without a dry run, and refuses a file of another type before sending it", async () => {
    route("POST", "/api/v1/imports", { status: 202, body: imp({ dry_run: false, kind: "loans", file_name: "loans.ndjson" }) });
    route("GET", "/api/v1/imports/{id}", { status: 200, body: imp({ dry_run: false, kind: "loans", file_name: "loans.ndjson" }) });
    renderAs(<Imports />, { roles: ["admin"] });
    fireEvent.click(await screen.findByRole("button", { name: "Check the file" }));
    expect(await screen.findByText("Choose what the file holds.")).toBeTruthy();
    expect(screen.getByText("Choose the file to import.")).toBeTruthy();

    await choose("loans", "hello", "loans.txt");
    fireEvent.click(screen.getByRole("button", { name: "Check the file" }));
    expect(await screen.findByText(/loans\.txt is not a CSV, XLSX or NDJSON file/)).toBeTruthy();
    expect(posts()).toHaveLength(0);

    await choose("loans", '{"loan_no":"L-1"}\n', "loans.ndjson");
    fireEvent.click(screen.getByLabelText(/Dry run/));
    fireEvent.click(screen.getByRole("button", { name: "Import the file" }));
    expect(posts()).toHaveLength(0);
    fireEvent.click(screen.getByRole("button", { name: "Yes, go ahead" }));
    await screen.findByTestId("import-progress");
    expect(posts()[0].headers.get("content-type")).toBe("application/x-ndjson");
    expect(posts()[0].query.get("dry_run")).toBe("false");
  });

  it("lists recent imports and shows the report of one", async () => {
    const old = imp({ id: "imp-old", file_name: "rms.csv", kind: "rms", status: "refused", phase: "done", rows_read: 10, errors: [{ line: 2, field: "employee_no", rule: null, message: "already used" }], errors_total: 1, finished_at: "2026-11-29T04:00:00Z" });
    route("GET", "/api/v1/imports", { status: 200, body: { items: [old], next_cursor: null } });
    route("GET", "/api/v1/imports/{id}", (_, p) => (p.id === "imp-old" ? { status: 200, body: old } : { status: 404, body: { code: "not_found" } }));
    renderAs(<Imports />, { roles: ["admin"] });
    const row = within(await screen.findByTestId("imports")).getAllByRole("row")[1];
    expect(row.textContent).toContain("Relationship managers");
    expect(row.textContent).toContain("rms.csv");
    fireEvent.click(within(row).getByRole("button", { name: /Show report/ }));
    await screen.findByTestId("import-errors");
    expect(screen.getByTestId("import-report").getAttribute("data-status")).toBe("refused");
  });

  it("reads the list and one import through the typed client, and copes with the optional fields absent", async () => {
    // The schema makes file_name, rows_total, finished_at and a problem's field and rule optional:
    // absent must read as null does (no total, no name, a dash).
    const { file_name: _name, rows_total: _total, finished_at: _finished, ...bare } = imp({ id: "imp-bare", phase: "validating", rows_read: 40 });
    const done = { ...bare, id: "imp-done", status: "refused" as const, phase: "done" as const, errors: [{ line: 4, message: "not a number" }], errors_total: 1 };
    route("GET", "/api/v1/imports", { status: 200, body: { items: [bare, done] } });
    route("GET", "/api/v1/imports/{id}", (_, p) => ({ status: 200, body: p.id === "imp-bare" ? bare : done }));
    renderAs(<Imports />, { roles: ["admin"] });
    const table = await screen.findByTestId("imports");
    const listed = calls.find((c) => c.method === "GET" && c.path === "/api/v1/imports");
    expect(Object.fromEntries(listed!.query)).toEqual({ limit: "20" });
    expect(listed!.headers.get("authorization")).toBe("Bearer test-token");

    fireEvent.click(within(within(table).getAllByRole("row")[1]).getByRole("button", { name: /Show report/ }));
    const progress = await screen.findByTestId("import-progress");
    expect(within(progress).getByRole("progressbar").hasAttribute("value")).toBe(false);
    expect(progress.textContent).toMatch(/40 rows read/);
    expect(screen.getByRole("heading", { level: 2, name: /Dry run: file without a name/ })).toBeTruthy();
    expect(calls.some((c) => c.method === "GET" && c.path === "/api/v1/imports/imp-bare")).toBe(true);

    fireEvent.click(within(within(table).getAllByRole("row")[2]).getByRole("button", { name: /Show report/ }));
    const rows = within(await screen.findByTestId("import-errors")).getAllByRole("row").slice(1);
    expect(rows.map((r) => Array.from(r.querySelectorAll("td"), (td) => td.textContent))).toEqual([["4", "—", "—", "not a number"]]);
    expect(screen.getByTestId("import-report").textContent).not.toMatch(/finished/);
  });

  it("reads the media type from the file name", () => {
    expect(importMediaType({ name: "客户.CSV" })).toBe("text/csv");
    expect(importMediaType({ name: "book.xlsx" })).toBe(XLSX);
    expect(importMediaType({ name: "a.jsonl" })).toBe("application/x-ndjson");
    expect(importMediaType({ name: "a.xls" })).toBeNull();
  });

  it("speaks Chinese", async () => {
    renderAs(<Imports />, { roles: ["admin"], lang: "zh-CN" });
    expect(await screen.findByRole("heading", { level: 1, name: "数据导入" })).toBeTruthy();
    expect(screen.getByRole("option", { name: "管户关系（含历史）" })).toBeTruthy();
  });
});
