// End-to-end: the real rmdesk (SQLite, demo bank) on a free port, driven through Debian's
// Chromium by playwright-core. Screenshots of every page go to test-results/; timings and the
// bundle size to test-results/results.json (reported, never asserted).
//
//   RMDESK_BIN   the server binary (default ../target/debug/rmdesk)
//   CHROMIUM     the browser (default /usr/bin/chromium)

import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import assert from "node:assert/strict";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
const frontend = resolve(here, "..");
const results = join(frontend, "test-results");
const bin = resolve(frontend, process.env.RMDESK_BIN ?? "../target/debug/rmdesk");
const PASSWORD = "e2e-password-1";

function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once("error", fail);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

async function waitReady(base, server) {
  for (let i = 0; i < 1800; i++) {
    if (server.exitCode !== null) throw new Error(`rmdesk exited with ${server.exitCode}`);
    try {
      const r = await fetch(`${base}/ready`);
      if (r.ok) return;
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("rmdesk did not become ready in 180 s");
}

function firstLoadJsGzipBytes() {
  const html = readFileSync(join(frontend, "dist/index.html"), "utf8");
  const scripts = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+\.js)"/g)].map((m) => m[1]);
  return scripts.reduce((n, s) => n + gzipSync(readFileSync(join(frontend, "dist", s)), { level: 9 }).length, 0);
}

const steps = [];
async function step(name, fn) {
  const started = Date.now();
  try {
    await fn();
    steps.push({ name, ok: true, ms: Date.now() - started });
    console.log(`ok   ${name} (${Date.now() - started} ms)`);
  } catch (e) {
    steps.push({ name, ok: false, error: String(e) });
    console.log(`FAIL ${name}\n     ${String(e.stack ?? e).split("\n").join("\n     ")}`);
    throw e;
  }
}

async function main() {
  rmSync(results, { recursive: true, force: true });
  mkdirSync(results, { recursive: true });
  const dataDir = mkdtempSync(join(tmpdir(), "rmdesk-e2e-"));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const env = { ...process.env, RMDESK_DATA_DIR: dataDir, RMDESK_BIND: `127.0.0.1:${port}`, RMDESK_ADMIN_PASSWORD: PASSWORD, RMDESK_FRONTEND_DIR: join(frontend, "dist"), RMDESK_NOW: process.env.RMDESK_NOW ?? "2026-11-30T04:00:00Z", RUST_LOG: "warn" };
  delete env.DATABASE_URL;
  const server = spawn(bin, ["serve", "--demo"], { env, stdio: ["ignore", "ignore", "pipe"] });
  let serverLog = "";
  server.stderr.on("data", (d) => (serverLog = (serverLog + d).slice(-20000)));
  let browser;
  const timings = {};
  try {
    await waitReady(base, server);
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
      args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: "en-GB", acceptDownloads: true });
    const page = await context.newPage();
    page.setDefaultTimeout(15000);
    const errors = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    // Every route answers an undocumented query parameter with 422: the dashboard never sends one.
    page.on("response", (r) => {
      if (r.request().method() === "GET" && r.status() === 422 && new URL(r.url()).pathname.startsWith("/api/")) errors.push(`422 for GET ${r.url()}`);
    });
    const shot = (name) => page.screenshot({ path: join(results, `${name}.png`), fullPage: true });

    const signIn = async (username) => {
      await page.goto(`${base}/`);
      await page.getByLabel("Username").fill(username);
      await page.getByLabel("Password").fill(PASSWORD);
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.getByTestId("who").waitFor();
    };
    const signOut = async () => {
      await page.getByRole("button", { name: /Sign out|退出登录/ }).click();
      await page.getByLabel(/Username|用户名/).waitFor();
    };

    // E2E_ONLY=risk,manager runs only those role walks (after the sign-in); unset runs everything.
    const only = process.env.E2E_ONLY?.split(",");
    if (!only) {
    await step("sign in: a wrong password is refused with a message", async () => {
      await page.goto(`${base}/`);
      await shot("01-sign-in");
      await page.getByLabel("Username").fill("risk.officer");
      await page.getByLabel("Password").fill("not-the-password");
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.getByText("Wrong username or password.").waitFor();
    });

    await step("sign in as the risk officer and open the overview", async () => {
      await signIn("risk.officer");
      await page.locator("body[data-overview-ready=true]").waitFor();
      assert.match(await page.getByTestId("who").innerText(), /Risk officer/);
      const flags = Number((await page.getByTestId("kpi-flags").innerText()).replace(/\D/g, ""));
      assert.ok(flags > 0, "the demo bank has open flags");
      assert.ok((await page.getByTestId("heatmap").locator("a").count()) > 0, "the heat map shows RMs");
      assert.ok((await page.locator("canvas").count()) >= 2, "flag and trend charts are drawn");
      await shot("02-overview");
    });

    await step("overview rendered with demo data in a fresh load (measured)", async () => {
      const runs = [];
      for (let i = 0; i < 3; i++) {
        await page.reload();
        await page.locator("body[data-overview-ready=true]").waitFor();
        runs.push(await page.evaluate(() => performance.getEntriesByName("rmdesk:overview-rendered")[0]?.startTime ?? NaN));
      }
      timings.overview_rendered_ms = runs.map((ms) => Math.round(ms));
      timings.overview_rendered_median_ms = [...timings.overview_rendered_ms].sort((a, b) => a - b)[1];
      assert.ok(runs.every(Number.isFinite), "the overview marks its render");
    });

    await step("overview: drill down by org unit from the head office and back up by the trail", async () => {
      const units = page.getByTestId("units");
      const trail = page.getByRole("navigation", { name: "Where you are in the bank" });
      const here = trail.locator("[aria-current=location]");
      assert.match(await page.getByTestId("riskiest-count").innerText(), /RMs with an evaluated book/);
      // Down two levels (a region, then its first sub-unit), each named in the trail.
      const names = [];
      for (let level = 1; level <= 2; level++) {
        const link = units.locator("tbody tr th a").first();
        names.push(await link.innerText());
        await link.click();
        await page.waitForURL((url) => (url.searchParams.get("unit") ?? "").split(",").length === level);
        assert.equal(await here.innerText(), names.at(-1), "the trail names the unit looked at");
        await page.getByTestId("kpi-flags").waitFor();
      }
      assert.equal(await trail.getByRole("link").count(), 2, "the way back: the caller's scope and the region");
      assert.ok((await page.getByTestId("heatmap").locator("a").count()) > 0, "a unit shows its riskiest RMs");
      await shot("02b-overview-unit");
      await trail.getByRole("link", { name: names[0] }).click();
      await page.waitForURL((url) => url.searchParams.get("unit")?.split(",").length === 1);
      await units.getByRole("link", { name: names[1] }).waitFor();
      await trail.getByRole("link", { name: "Your part of the bank" }).click();
      await page.waitForURL(`${base}/`);
      await units.getByRole("link", { name: names[0] }).waitFor();
    });

    await step("open a flagged customer: flags, relations and the assignment timeline", async () => {
      await page.getByRole("navigation").getByRole("link", { name: "Customers" }).click();
      const flagged = page.getByTestId("flagged-customers").locator("tbody tr").first();
      await flagged.waitFor();
      await shot("03-customers");
      const name = await flagged.locator("a").first().innerText();
      await flagged.locator("a").first().click();
      await page.getByRole("heading", { level: 1, name }).waitFor();
      await page.getByTestId("customer-flags").locator("li").first().waitFor();
      await page.getByTestId("assignment-history").locator("li").first().waitFor();
      await shot("04-customer-detail");
    });

    await step("RMs: list with load against cap, detail with indicators and score trend", async () => {
      await page.getByRole("navigation").getByRole("link", { name: "Relationship managers" }).click();
      const first = page.locator("tbody tr").first();
      await first.locator(".capbar").waitFor();
      await shot("05-rms");
      await first.locator("a").first().click();
      await page.getByRole("heading", { name: "Monthly score (X-1)" }).waitFor();
      await page.locator("canvas").first().waitFor();
      await page.getByTestId("rm-customers").locator("li").first().waitFor();
      await shot("06-rm-detail");
    });

    await step("dual-check queue and exit cases with their timeline", async () => {
      await page.getByRole("navigation").getByRole("link", { name: "Dual checks" }).click();
      await page.locator("tbody tr").first().waitFor();
      assert.match(await page.locator("tbody").first().innerText(), /Due/, "overdue required checks are listed first");
      await page.getByText("Awaiting second RM").first().waitFor();
      await shot("07-dual-checks");
      await page.getByRole("navigation").getByRole("link", { name: "Exit cases" }).click();
      await page.locator("tbody tr a").first().click();
      await page.getByTestId("case-timeline").locator("li").first().waitFor();
      await shot("08-exit-case");
    });

    await step("approve a pending reassignment as a second user and see it applied", async () => {
      await signOut();
      await signIn("branch.manager");
      await page.getByRole("navigation").getByRole("link", { name: "Approvals" }).click();
      const card = page.getByTestId("approvals").locator("li.approval").first();
      await card.waitFor();
      assert.match(await card.getByTestId("maker").innerText(), /admin/, "the maker is shown");
      const toRm = card.locator("dd").nth(1).locator("a");
      await page.waitForFunction((el) => el && !/^[0-9a-f-]{36}$/.test(el.textContent ?? ""), await toRm.elementHandle());
      const rmName = await toRm.innerText();
      await shot("09-approvals");
      await card.getByLabel("Note").fill("Checked the customer file; move approved.");
      await card.getByRole("button", { name: "Approve" }).click();
      await card.getByRole("dialog").getByRole("button", { name: "Yes, go ahead" }).click();
      const notice = page.getByTestId("decision-notice");
      await notice.getByText("Approved and applied.").waitFor();
      await notice.getByRole("link").click();
      const current = page.getByTestId("assignment-history").locator("li.current").first();
      await current.waitFor();
      assert.equal(await current.locator("a").first().innerText(), rmName, "the customer's current primary RM is the approved one");
      await shot("10-reassignment-applied");
    });

    await step("audit log and an export with its manifest (auditor)", async () => {
      await signOut();
      await signIn("auditor");
      await page.getByRole("navigation").getByRole("link", { name: "Audit & exports" }).click();
      await page.locator("tbody tr").first().waitFor();
      const download = page.waitForEvent("download");
      await page.getByRole("button", { name: "Download export" }).click();
      const file = await download;
      assert.match(file.suggestedFilename(), /^rmdesk-audit_events-\d{4}-\d{2}-\d{2}\.json$/);
      const manifest = page.getByTestId("manifest");
      await manifest.waitFor();
      assert.match(await manifest.innerText(), /items_sha256/);
      await shot("11-audit-exports");
    });

    await step("the bank's calendar: every job's schedule and the demo year's runs (auditor)", async () => {
      await page.getByRole("navigation").getByRole("link", { name: "Calendar & jobs" }).click();
      const jobs = page.getByTestId("jobs");
      await jobs.locator("tbody tr").nth(5).waitFor();
      assert.match(await jobs.innerText(), /R-4 evaluation[\s\S]*22:00/, "the R-4 evaluation runs at the close of its days");
      const runs = page.getByTestId("job-runs");
      await runs.locator("tbody tr").first().waitFor();
      assert.match(await runs.innerText(), /Succeeded/);
      await shot("12-jobs");
    });

    await step("keyboard: the skip link leads to the content", async () => {
      await page.reload();
      await page.locator("tbody tr").first().waitFor();
      await page.keyboard.press("Tab");
      const focused = await page.evaluate(() => document.activeElement?.textContent ?? "");
      assert.equal(focused, "Skip to content");
      await page.keyboard.press("Enter");
      assert.equal(await page.evaluate(() => document.activeElement?.id), "main");
      await page.keyboard.press("Tab");
      assert.equal(await page.evaluate(() => document.activeElement?.closest("main") !== null), true, "Tab continues inside the content");
    });

    await step("switch language to Chinese, remembered after a reload", async () => {
      await page.getByTestId("language").click();
      await page.getByRole("navigation").getByRole("link", { name: "总览" }).waitFor();
      await page.reload();
      await page.getByRole("navigation").getByRole("link", { name: "总览" }).click();
      await page.locator("body[data-overview-ready=true]").waitFor();
      await page.getByRole("heading", { name: "风险总览" }).waitFor();
      assert.equal(await page.evaluate(() => document.documentElement.lang), "zh-CN");
      await shot("13-overview-zh");
    });

    await step("tablet width: the overview still fits", async () => {
      await page.setViewportSize({ width: 820, height: 1180 });
      await page.reload();
      await page.locator("body[data-overview-ready=true]").waitFor();
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.ok(overflow <= 0, `no horizontal scrolling (overflow ${overflow}px)`);
      await shot("14-overview-tablet");
    });

    }

    // Each role's main task, start to finish (e2e/roles/*.mjs), then accessibility over every page.
    const ctx = { page, context, browser, base, step, shot, signIn, signOut, assert, PASSWORD, timings };
    for (const role of ["risk", "committee", "manager", "myday", "auditor", "imports", "live", "a11y"]) {
      if (only && !only.includes(role)) continue;
      await page.setViewportSize({ width: 1280, height: 800 });
      if (await page.getByTestId("who").count()) await signOut();
      // Each walk starts signed out, in English (the base walk ends in Chinese).
      await page.goto(`${base}/`);
      await page.evaluate(() => localStorage.setItem("rmdesk.lang", "en"));
      await page.reload();
      const walk = await import(`./roles/${role}.mjs`);
      await walk.default(ctx);
    }

    await step("no script errors in the page", async () => {
      assert.deepEqual(errors, []);
    });
  } finally {
    await browser?.close();
    server.kill("SIGTERM");
    await new Promise((r) => (server.exitCode !== null ? r() : server.once("exit", r)));
    rmSync(dataDir, { recursive: true, force: true });
    const report = {
      steps,
      timings,
      first_load_js_gzip_bytes: firstLoadJsGzipBytes(),
      screenshots: readdirSync(results).filter((f) => f.endsWith(".png")),
    };
    writeFileSync(join(results, "results.json"), JSON.stringify(report, null, 2));
    console.log(`first-load JavaScript: ${(report.first_load_js_gzip_bytes / 1024).toFixed(1)} KB gzipped; overview rendered in ${timings.overview_rendered_ms?.join(", ")} ms`);
    if (steps.some((s) => !s.ok)) console.log(`server log (tail):\n${serverLog.slice(-4000)}`);
  }
}

main().catch((e) => {
  console.error(String(e?.stack ?? e));
  process.exit(1);
});
