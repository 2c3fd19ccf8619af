// Live updates (issue 21), two people at once against the real server, each in a browser of their
// own: the risk officer's approvals inbox is open; an administrator proposes a policy change (P-1:
// it waits for a second person, and a risk officer may decide it). The inbox shows the request
// and the navigation's counts grow, without a reload. The risk officer rejects it, and the
// administrator's policy page drops the pending change, again without a reload. Then the risk
// officer's network drops (the walk cuts a relay between that browser and the server): the
// indicator says it reconnects, and a change made meanwhile arrives once the network is back (the
// stream resumes after the last event seen, Last-Event-ID).
// ctx: { page, context, browser, base, step, shot, signIn, signOut, assert, PASSWORD, timings }

import { connect, createServer } from "node:net";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const results = resolve(dirname(fileURLToPath(import.meta.url)), "../../test-results");

const MARKER = "set before the change, gone after any reload";

/**
 * A TCP relay to the server on a port of its own, for one browser: `cut` drops every open
 * connection and refuses new ones, as a dropped network does; `restore` lets them through again.
 */
async function relay(base) {
  const target = new URL(base);
  const sockets = new Set();
  let offline = false;
  const server = createServer((browserSide) => {
    if (offline) return browserSide.destroy();
    const serverSide = connect(Number(target.port), target.hostname);
    for (const [a, b] of [[browserSide, serverSide], [serverSide, browserSide]]) {
      sockets.add(a);
      a.on("close", () => sockets.delete(a));
      a.on("error", () => b.destroy());
      a.pipe(b);
    }
  });
  await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
  const dropAll = () => sockets.forEach((s) => s.destroy());
  return {
    base: `http://127.0.0.1:${server.address().port}`,
    cut: () => {
      offline = true;
      dropAll();
    },
    restore: () => {
      offline = false;
    },
    close: () => new Promise((ok) => (dropAll(), server.close(ok))),
  };
}

export default async function walk({ browser, base, step, assert, PASSWORD }) {
  const errors = [];
  const people = {};

  const open = async (username, origin = base) => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: "en-GB" });
    const page = await context.newPage();
    page.setDefaultTimeout(15000);
    page.on("pageerror", (e) => errors.push(`${username}: ${e}`));
    const streams = [];
    page.on("request", (r) => {
      if (r.url().endsWith("/api/v1/events/stream")) streams.push(r.headers());
    });
    await page.goto(`${origin}/`);
    await page.evaluate(() => localStorage.setItem("rmdesk.lang", "en"));
    await page.reload();
    await page.getByLabel("Username").fill(username);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByTestId("who").waitFor();
    const nav = (name) => page.getByRole("navigation").getByRole("link", { name });
    const live = () => page.locator('[data-testid="live"][data-state="live"]').waitFor({ timeout: 20000 });
    return { context, page, streams, nav, live };
  };
  /** A navigation count as shown (0 when there is no badge), read in one go: a badge may go. */
  const count = (page, id) =>
    page.evaluate((id) => {
      const shown = document.querySelector(`[data-testid="nav-count-${id}"] [aria-hidden="true"]`);
      return shown ? Number(shown.textContent.replace(/\D/g, "")) : 0;
    }, id);
  /** Waits up to 10 s for a navigation count to show `expected`. */
  const waitCount = async (page, id, expected) => {
    for (let i = 0; i < 100 && (await count(page, id)) !== expected; i++) await page.waitForTimeout(100);
    assert.equal(await count(page, id), expected, `the ${id} count`);
  };
  const mark = (page) => page.evaluate((m) => (window.__rmdeskMarker = m), MARKER);
  const notReloaded = async (page, who) => assert.equal(await page.evaluate(() => window.__rmdeskMarker), MARKER, `${who}'s page was not reloaded`);
  const shot = (page, name) => page.screenshot({ path: join(results, `${name}.png`), fullPage: true });

  /** The administrator proposes a settlement day other than the one in force; answers the approval. */
  const propose = async () => {
    const { page, nav } = people.admin;
    await nav("Policy").click();
    await page.getByTestId("policy-version").waitFor();
    const toggle = page.getByRole("button", { name: "Propose a change" });
    if (await toggle.count()) await toggle.click();
    const form = page.getByTestId("policy-form");
    const field = form.getByLabel("Settlement day of the month");
    const day = (await field.inputValue()) === "21" ? "22" : "21";
    await field.fill(day);
    const outcome = page.getByTestId("risk-outcome");
    // A second proposal from the same form: its outcome replaces the first one's.
    const previous = (await outcome.count()) ? await outcome.getAttribute("data-approval") : null;
    await form.getByRole("button", { name: "Propose this version" }).click();
    await page.waitForFunction((prev) => {
      const id = document.querySelector('[data-testid="risk-outcome"]')?.getAttribute("data-approval");
      return id && id !== prev;
    }, previous);
    await outcome.getByText(/waits for a second person's approval/).waitFor();
    return outcome.getAttribute("data-approval");
  };

  /** The risk officer rejects the request from the open inbox. */
  const reject = async (id) => {
    const { page } = people.risk;
    const card = page.locator(`li.approval[data-approval="${id}"]`);
    await card.getByLabel("Note").fill("Live-update walk: not a real change; rejected.");
    await card.getByRole("button", { name: "Reject" }).click();
    await card.getByRole("dialog").getByRole("button", { name: "Yes, go ahead" }).click();
    await page.getByTestId("decision-notice").getByText("Rejected.").waitFor();
  };

  const before = { approvals: 0, total: 0 };
  // The risk officer's browser reaches the server through a relay the walk can cut.
  const network = await relay(base);

  try {
    await step("live: the risk officer's approvals inbox is open and hears the bank (the indicator says so)", async () => {
      people.risk = await open("risk.officer", network.base);
      const { page, nav, live } = people.risk;
      // The overview's panel is shown once the counts are read: the badges then show what waits.
      await page.getByTestId("waiting").waitFor();
      await nav("Approvals").click();
      await page.getByRole("heading", { level: 1, name: "Approvals" }).waitFor();
      await live();
      const indicator = page.getByTestId("live");
      assert.match(await indicator.innerText(), /Live/);
      assert.match(await indicator.getAttribute("title"), /connected/);
      before.approvals = await count(page, "approvals");
      before.total = await count(page, "overview");
      assert.ok(before.total >= before.approvals, "the overview's entry counts all that waits");
      await mark(page);
      // The token goes as a header, never in the address.
      assert.equal(people.risk.streams.length >= 1, true, "the stream was asked for");
      assert.match(people.risk.streams[0].authorization ?? "", /^Bearer \S+$/);
    });

    let first = "";
    await step("live: an administrator, in another browser, proposes a policy change; it waits for a second person (P-1)", async () => {
      people.admin = await open("security.admin");
      await people.admin.live();
      first = await propose();
    });

    await step("live: the risk officer's inbox shows the request and the counts grow, without a reload", async () => {
      const { page } = people.risk;
      const card = page.locator(`li.approval[data-approval="${first}"]`);
      await card.waitFor({ timeout: 10000 });
      assert.match(await card.innerText(), /Policy change/);
      assert.match(await card.getByTestId("maker").innerText(), /security\.admin/);
      await waitCount(page, "approvals", before.approvals + 1);
      await waitCount(page, "overview", before.total + 1);
      await notReloaded(page, "the risk officer");
      await shot(page, "80-live-approval-arrived");
    });

    await step("live: the risk officer rejects it; the administrator's policy page drops the pending change, without a reload", async () => {
      const admin = people.admin.page;
      await admin.getByTestId("policy-pending").waitFor();
      await mark(admin);
      await reject(first);
      await admin.getByTestId("policy-pending").waitFor({ state: "detached", timeout: 10000 });
      await notReloaded(admin, "the administrator");
      await waitCount(people.risk.page, "approvals", before.approvals);
      await waitCount(people.risk.page, "overview", before.total);
      await notReloaded(people.risk.page, "the risk officer");
    });

    await step("live: the risk officer's network drops; a change made meanwhile arrives once it is back (Last-Event-ID)", async () => {
      const { page, streams } = people.risk;
      const asked = streams.length;
      network.cut();
      await page.locator('[data-testid="live"][data-state="reconnecting"]').waitFor();
      assert.match(await page.getByTestId("live").getAttribute("title"), /reconnecting/);
      const second = await propose();
      await page.waitForTimeout(500);
      assert.equal(await page.locator(`li.approval[data-approval="${second}"]`).count(), 0, "nothing arrives while offline");
      network.restore();
      await people.risk.live();
      const card = page.locator(`li.approval[data-approval="${second}"]`);
      await card.waitFor({ timeout: 10000 });
      await notReloaded(page, "the risk officer");
      const resumed = streams.slice(asked).map((h) => h["last-event-id"]);
      assert.ok(resumed.length > 0 && resumed.every((id) => /^\d+$/.test(id ?? "")), `every reconnection resumes after an event (sent ${JSON.stringify(resumed)})`);
      await waitCount(page, "approvals", before.approvals + 1);
      await reject(second);
      await waitCount(page, "approvals", before.approvals);
    });

    await step("live: the indicator reads in Chinese", async () => {
      const { page } = people.risk;
      await page.getByTestId("language").click();
      const indicator = page.getByTestId("live");
      await indicator.getByText("实时", { exact: true }).waitFor();
      assert.match(await indicator.getAttribute("title"), /实时更新：已连接/);
      await page.getByTestId("language").click();
    });

    await step("live: no script errors in either browser", async () => {
      assert.deepEqual(errors, []);
    });
  } finally {
    await people.risk?.context.close();
    await people.admin?.context.close();
    await network.close();
  }
}
