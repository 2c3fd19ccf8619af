// @vitest-environment jsdom
// Downloading a working list as XLSX or CSV: the URL with the list's filters and the dashboard's
// language, the token sent, the file saved under the name the server gives.
import { cleanup, fireEvent, screen, waitFor } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { attachmentName } from "../src/api/client";
import { DownloadButtons } from "../src/components/DownloadButtons";
import { Flags } from "../src/features/risk/Flags";
import { calls, resetFakeApi, route } from "./fake-api";
import { renderAs } from "./render";

const downloads = () => calls.filter((c) => c.path.startsWith("/api/v1/downloads/"));
let saved: { name: string; href: string }[] = [];

beforeEach(() => {
  resetFakeApi();
  saved = [];
  URL.createObjectURL = vi.fn(() => "blob:saved");
  URL.revokeObjectURL = vi.fn();
  // What a click on the temporary link would save, without jsdom navigating.
  vi.spyOn(HTMLAnchorElement.prototype, "click").mockImplementation(function (this: HTMLAnchorElement) {
    saved.push({ name: this.download, href: this.getAttribute("href") ?? "" });
  });
  route("GET", "/api/v1/downloads/{list}", (call, p) => ({
    status: 200,
    raw: `${p.list},${call.query.get("format")}`,
    headers: {
      "Content-Type": call.query.get("format") === "csv" ? "text/csv; charset=utf-8" : "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
      "Content-Disposition": `attachment; filename="rmdesk-${p.list}.${call.query.get("format")}"; filename*=UTF-8''${encodeURIComponent(`预警-${p.list}`)}.${call.query.get("format")}`,
    },
  }));
});
afterEach(() => {
  cleanup();
  vi.restoreAllMocks();
  history.replaceState(null, "", "/");
});

describe("downloading a list", () => {
  it("asks for the list as XLSX with its filters, the language and the token, and saves it under the server's name", async () => {
    renderAs(<DownloadButtons list="required-checks" filters={{ status: "overdue", rm_id: "rm-7", org_unit_id: undefined, kind: "" }} />);
    fireEvent.click(screen.getByRole("button", { name: "Download as XLSX" }));
    await waitFor(() => expect(saved).toHaveLength(1));
    const [call] = downloads();
    expect(call.path).toBe("/api/v1/downloads/required-checks");
    expect(Object.fromEntries(call.query)).toEqual({ status: "overdue", rm_id: "rm-7", format: "xlsx", lang: "en" });
    expect(call.headers.get("authorization")).toBe("Bearer test-token");
    expect(saved[0]).toEqual({ name: "预警-required-checks.xlsx", href: "blob:saved" });
  });

  it("asks for Chinese headers in a Chinese dashboard", async () => {
    renderAs(<DownloadButtons list="due-list" filters={{ rm_id: "rm-1", month: "2026-11" }} />, { lang: "zh-CN" });
    fireEvent.click(screen.getByRole("button", { name: "下载为 CSV" }));
    await waitFor(() => expect(saved).toHaveLength(1));
    expect(Object.fromEntries(downloads()[0].query)).toEqual({ rm_id: "rm-1", month: "2026-11", format: "csv", lang: "zh" });
  });

  it("shows a refusal instead of saving", async () => {
    route("GET", "/api/v1/downloads/{list}", { status: 403, body: { code: "forbidden", detail: "not in your scope" } });
    renderAs(<DownloadButtons list="scores" />);
    fireEvent.click(screen.getByRole("button", { name: "Download as CSV" }));
    expect((await screen.findByRole("alert")).textContent).toMatch(/Your role does not allow this/);
    expect(saved).toEqual([]);
  });

  it("on the flags page, downloads what the filter shows", async () => {
    route("GET", "/api/v1/flags", { status: 200, body: { items: [], next_cursor: null } });
    history.replaceState(null, "", "/flags?status=any&kind=npl");
    renderAs(<Flags />);
    fireEvent.click(await screen.findByRole("button", { name: "Download as CSV" }));
    await waitFor(() => expect(saved).toHaveLength(1));
    expect(Object.fromEntries(downloads()[0].query)).toEqual({ kind: "npl", format: "csv", lang: "en" });
  });
});

describe("the name of a downloaded file", () => {
  it("prefers the encoded name, falls back to the plain one, keeps no directory", () => {
    expect(attachmentName(`attachment; filename="flags.xlsx"; filename*=UTF-8''%E9%A2%84%E8%AD%A6.xlsx`)).toBe("预警.xlsx");
    expect(attachmentName('attachment; filename="rmdesk \\"flags\\".csv"')).toBe('rmdesk "flags".csv');
    expect(attachmentName("attachment; filename=rms.csv")).toBe("rms.csv");
    expect(attachmentName('attachment; filename="../../etc/passwd"')).toBe("passwd");
    expect(attachmentName("attachment")).toBeNull();
    expect(attachmentName(null)).toBeNull();
  });
});
