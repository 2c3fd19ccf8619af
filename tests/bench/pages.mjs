// Dashboard pages' first load (issue 22), as a user sees it: signs in through the dashboard in
// Chromium (playwright-core, resolved from frontend/node_modules as the browser tests do), finds the
// pages the user can reach (the navigation, then the first record of each kind its lists link to:
// a customer, an RM, a flag, an exit case, a handover, the RM appointment form, the overview of an
// org unit), and loads each one
// BENCH_REPEAT times, each a fresh navigation (a new document: no data cached by the dashboard; the
// hashed assets cached by the browser, as for a user who comes back).
//
// A load is timed from the navigation's start until the page's main content is shown (a heading,
// no spinner, nothing `aria-busy`) and the network is idle (no request in flight for 500 ms), the
// later of the two: the last API answer's end or the content shown, both on the page's own clock.
// The event stream (GET /api/v1/events/stream), open as long as the page is, is left out.
//
// One JSON line per page on stdout: load time p50/p95, API requests and API bytes (response bodies
// as received, uncompressed) p50/p95, the slowest API request, and any endpoint asked more than
// once in one load (a request per row or per month shows here). Progress goes to stderr.
//
//   BENCH_BASE      the server (default http://127.0.0.1:8080)
//   BENCH_USER      the user to sign in as (default risk.officer)
//   BENCH_PASSWORD  its password (required)
//   BENCH_REPEAT    loads per page (default 5)
//   BENCH_PAGES     only these paths, comma-separated (default: every page found)
//   CHROMIUM        the browser (default /usr/bin/chromium)
//
//   BENCH_BASE=http://127.0.0.1:18555 BENCH_USER=risk.officer BENCH_PASSWORD=... node tests/bench/pages.mjs

import { createRequire } from "node:module";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const { chromium } = createRequire(resolve(here, "../../frontend/package.json"))("playwright-core");

const base = (process.env.BENCH_BASE ?? "http://127.0.0.1:8080").replace(/\/$/, "");
const user = process.env.BENCH_USER ?? "risk.officer";
const password = process.env.BENCH_PASSWORD;
const repeat = Math.max(1, Number(process.env.BENCH_REPEAT ?? 5));
const only = process.env.BENCH_PAGES?.split(",").map((p) => p.trim()).filter(Boolean);
const STREAM = "/api/v1/events/stream";
const QUIET_MS = 500;
const TIMEOUT_MS = 60_000;

if (!password) {
  console.error("BENCH_PASSWORD is required (and BENCH_USER, BENCH_BASE)");
  process.exit(2);
}

const log = (...args) => console.error(...args);

/** The dashboard's routes with an id (App.tsx): a page's name with `{id}` in place of the record. */
const DETAIL_ROUTES = [
  [/^\/customers\/[^/?#]+$/, "/customers/{id}"],
  [/^\/rms\/new$/, "/rms/new"],
  [/^\/rms\/[^/?#]+$/, "/rms/{id}"],
  [/^\/flags\/[^/?#]+$/, "/flags/{id}"],
  [/^\/exit-cases\/[^/?#]+$/, "/exit-cases/{id}"],
  [/^\/handovers$/, "/handovers"],
  [/^\/handovers\/[^/?#]+$/, "/handovers/{id}"],
];

const ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An API path with its record ids as `{id}`, so that one read per row shows as one endpoint asked N times. */
function endpoint(method, url) {
  const u = new URL(url);
  return `${method} ${u.pathname.split("/").map((s) => (ID.test(s) ? "{id}" : s)).join("/")}`;
}

function percentile(values, p) {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

const stats = (values) => ({ p50: percentile(values, 50), p95: percentile(values, 95), min: Math.min(...values), max: Math.max(...values) });

/** Resolves once the page's main content is shown; answers the page's clock (ms since navigation). */
async function contentShown(page) {
  const handle = await page.waitForFunction(
    () => {
      const main = document.querySelector("main");
      if (!main || !main.querySelector("h1")) return false;
      if (main.querySelector('[aria-busy="true"], .spinner')) return false;
      return performance.now();
    },
    null,
    { timeout: TIMEOUT_MS, polling: "raf" },
  );
  return handle.jsonValue();
}

/** Tracks the API requests of the current document: in flight, done, their sizes and statuses. */
function watch(page) {
  const state = { inFlight: new Set(), lastChange: Date.now(), requests: [] };
  const settle = (request) => {
    if (!state.inFlight.delete(request)) return;
    state.lastChange = Date.now();
  };
  const counted = (request) => request.url().startsWith(`${base}/`) && !request.url().includes(STREAM);
  page.on("request", (request) => {
    if (!counted(request)) return;
    state.inFlight.add(request);
    state.lastChange = Date.now();
  });
  page.on("requestfinished", async (request) => {
    if (!counted(request)) return settle(request);
    if (new URL(request.url()).pathname.startsWith("/api/")) {
      const response = await request.response();
      let bytes = 0;
      try {
        bytes = (await response.body()).length;
      } catch {
        bytes = Number(response?.headers()["content-length"] ?? 0);
      }
      state.requests.push({ url: request.url(), method: request.method(), status: response?.status() ?? 0, bytes });
    }
    settle(request);
  });
  page.on("requestfailed", (request) => {
    if (counted(request) && new URL(request.url()).pathname.startsWith("/api/")) {
      state.requests.push({ url: request.url(), method: request.method(), status: 0, bytes: 0, failed: request.failure()?.errorText });
    }
    settle(request);
  });
  return state;
}

async function networkIdle(state) {
  const started = Date.now();
  for (;;) {
    if (state.inFlight.size === 0 && Date.now() - state.lastChange >= QUIET_MS) return;
    if (Date.now() - started > TIMEOUT_MS) throw new Error(`network not idle after ${TIMEOUT_MS} ms: ${[...state.inFlight].map((r) => r.url()).join(", ")}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** One fresh load of `path`: its timings, requests and bytes. */
async function load(page, state, path) {
  state.requests = [];
  state.inFlight.clear();
  state.lastChange = Date.now();
  await page.goto(`${base}${path}`, { waitUntil: "commit", timeout: TIMEOUT_MS });
  const shownAt = await contentShown(page);
  await networkIdle(state);
  // The API requests' timings on the document's clock (ms since navigation), with the body sizes
  // and statuses the browser reported.
  const timings = await page.evaluate(
    (stream) =>
      performance
        .getEntriesByType("resource")
        .filter((e) => new URL(e.name).pathname.startsWith("/api/") && !e.name.includes(stream))
        .map((e) => ({ url: e.name, start: e.startTime, end: e.responseEnd, ms: e.responseEnd - e.startTime })),
    STREAM,
  );
  const api = state.requests.filter((r) => new URL(r.url).pathname.startsWith("/api/"));
  const lastApiEnd = Math.max(0, ...timings.map((t) => t.end));
  const slowest = timings.reduce((a, b) => (b.ms > (a?.ms ?? -1) ? b : a), null);
  const byEndpoint = {};
  for (const r of api) {
    const key = endpoint(r.method, r.url);
    byEndpoint[key] = (byEndpoint[key] ?? 0) + 1;
  }
  const signedOut = new URL(page.url()).pathname === "/" && (await page.locator('input[name="password"]').count()) > 0 && path !== "/";
  if (signedOut) throw new Error(`signed out while loading ${path}`);
  return {
    ms: Math.max(shownAt, lastApiEnd),
    shownMs: shownAt,
    requests: api.length,
    bytes: api.reduce((n, r) => n + r.bytes, 0),
    errors: api.filter((r) => r.status === 0 || r.status >= 400).map((r) => `${r.status} ${endpoint(r.method, r.url)}`),
    slowest: slowest && { endpoint: endpoint("GET", slowest.url), url: new URL(slowest.url).pathname + new URL(slowest.url).search, ms: Math.round(slowest.ms) },
    byEndpoint,
  };
}

async function signIn(page) {
  await page.goto(`${base}/`);
  await page.evaluate(() => localStorage.setItem("rmdesk.lang", "en"));
  await page.reload();
  await page.locator('input[name="username"]').fill(user);
  await page.locator('input[name="password"]').fill(password);
  await page.locator('main form button[type="submit"]').click();
  await Promise.race([
    page.getByTestId("who").waitFor({ timeout: TIMEOUT_MS }),
    page.locator(".signin [role=alert]").waitFor({ timeout: TIMEOUT_MS }).then(async () => {
      throw new Error(`sign-in refused: ${await page.locator(".signin [role=alert]").first().innerText()}`);
    }),
  ]);
}

/** The pages the user reaches: the navigation's, then the records and forms those pages link to. */
async function discover(page, state) {
  const pages = new Map(); // name -> path
  const nav = await page.locator("nav.sidenav a").evaluateAll((as) => as.map((a) => a.getAttribute("href")));
  for (const path of nav) pages.set(path, path);
  for (const path of nav) {
    // The first load of each page also warms the browser's cache of the dashboard's assets.
    try {
      await load(page, state, path);
    } catch (e) {
      log(`could not load ${path}: ${e.message}`);
      continue;
    }
    const hrefs = await page.locator("main a[href^='/']").evaluateAll((as) => as.map((a) => a.getAttribute("href")));
    for (const href of hrefs) {
      // The overview of one org unit (the drill-down, `/?unit=<id>`): the first one linked.
      if (/^\/\?unit=[^&#]+$/.test(href) && !pages.has("/?unit={id}")) pages.set("/?unit={id}", href);
      const bare = href.split(/[?#]/)[0];
      for (const [pattern, name] of DETAIL_ROUTES) {
        if (pattern.test(bare) && !pages.has(name) && !(name === "/rms/{id}" && bare === "/rms/new")) {
          pages.set(name, bare);
          break;
        }
      }
    }
  }
  return [...pages.entries()].map(([name, path]) => ({ name, path }));
}

async function main() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: "en-GB" });
    const page = await context.newPage();
    page.setDefaultTimeout(TIMEOUT_MS);
    const state = watch(page);
    const started = Date.now();
    await signIn(page);
    log(`signed in as ${user} in ${Date.now() - started} ms`);
    let pages = await discover(page, state);
    if (only) pages = pages.filter((p) => only.includes(p.name) || only.includes(p.path));
    log(`pages: ${pages.map((p) => p.name).join(" ")}`);
    for (const { name, path } of pages) {
      const runs = [];
      let error = null;
      for (let i = 0; i < repeat; i++) {
        try {
          runs.push(await load(page, state, path));
        } catch (e) {
          error = String(e.message ?? e).split("\n")[0];
          break;
        }
      }
      if (!runs.length) {
        console.log(JSON.stringify({ page: name, path, user, error }));
        continue;
      }
      // Endpoints asked more than once in one load (the most of any run): one read per row or per month.
      const repeated = {};
      for (const run of runs) for (const [key, n] of Object.entries(run.byEndpoint)) if (n > 1) repeated[key] = Math.max(repeated[key] ?? 0, n);
      const slowest = runs.map((r) => r.slowest).filter(Boolean).sort((a, b) => a.ms - b.ms);
      const line = {
        page: name,
        path,
        user,
        runs: runs.length,
        load_ms: stats(runs.map((r) => Math.round(r.ms))),
        content_shown_ms: stats(runs.map((r) => Math.round(r.shownMs))),
        api_requests: stats(runs.map((r) => r.requests)),
        api_bytes: stats(runs.map((r) => r.bytes)),
        slowest_api: slowest.length ? { ...slowest[Math.floor(slowest.length / 2)], ms_p95: percentile(slowest.map((s) => s.ms), 95) } : null,
        endpoints: runs.at(-1).byEndpoint,
        repeated,
        api_errors: [...new Set(runs.flatMap((r) => r.errors))],
      };
      if (error) line.error = error;
      console.log(JSON.stringify(line));
      log(`${name}: load p50 ${line.load_ms.p50} ms, p95 ${line.load_ms.p95} ms, ${line.api_requests.p50} API requests, ${line.api_bytes.p50} bytes`);
    }
  } finally {
    await browser.close();
  }
}

main().catch((e) => {
  console.error(String(e?.stack ?? e));
  process.exit(1);
});
