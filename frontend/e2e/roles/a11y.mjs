// Accessibility: axe-core over every page of the dashboard, as the roles that see them, in English
// and in Chinese. Serious and critical violations fail the walk; the rest are reported.

import { createRequire } from "node:module";
import { writeFileSync } from "node:fs";
import { join } from "node:path";

const require = createRequire(import.meta.url);
const AXE = require.resolve("axe-core/axe.min.js");

async function settled(page) {
  await page.waitForFunction(() => !document.querySelector('main [aria-busy="true"], main .spinner'), null, { timeout: 20000 });
}

async function audit(page, path) {
  await page.addScriptTag({ path: AXE });
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"] } });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ")) }));
  });
  return result.map((v) => ({ ...v, path }));
}

export default async function walk({ browser, base, step, assert, PASSWORD, timings }) {
  // axe is injected as a script: a context of its own lets it past the server's CSP (which the
  // other walks keep), nothing else differs.
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: "en-GB", bypassCSP: true });
  const page = await context.newPage();
  page.setDefaultTimeout(20000);
  const signIn = async (username) => {
    await page.goto(`${base}/`);
    await page.evaluate(() => localStorage.setItem("rmdesk.lang", "en"));
    await page.reload();
    await page.getByLabel("Username").fill(username);
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByTestId("who").waitFor();
  };
  const signOut = async () => {
    await page.getByRole("button", { name: /Sign out|退出登录/ }).click();
    await page.getByLabel(/Username|用户名/).waitFor();
  };
  const found = [];
  const visit = async (path) => {
    await page.goto(`${base}${path}`);
    await page.getByTestId("who").waitFor();
    await settled(page);
    found.push(...(await audit(page, path)));
  };
  const firstLink = async (path, selector) => {
    await page.goto(`${base}${path}`);
    await settled(page);
    const href = await page.locator(selector).first().getAttribute("href");
    return href;
  };

  await step("accessibility: every page as the risk officer, manager, committee, administrator, auditor and RM (axe-core)", async () => {
    await signIn("risk.officer");
    const customer = await firstLink("/customers", "main tbody a[href^='/customers/']");
    const rm = await firstLink("/rms", "main tbody a[href^='/rms/']");
    const flag = await firstLink("/flags", "main a[href^='/flags/']");
    const exitCase = await firstLink("/exit-cases", "main tbody a[href^='/exit-cases/']");
    for (const path of ["/", "/customers", customer, "/rms", rm, "/flags", flag, "/approvals", "/queues", "/checks", "/exit-cases", exitCase, "/evaluations", "/policy", "/audit", "/jobs"]) {
      if (path) await visit(path);
    }
    await signOut();
    await signIn("branch.manager");
    for (const path of ["/", "/queues", "/rms/new", "/approvals"]) await visit(path);
    await signOut();
    await signIn("committee");
    for (const path of ["/", "/exit-cases"]) await visit(path);
    await signOut();
    await signIn("security.admin");
    await visit("/imports");
    await signOut();
    await signIn("rm.demo");
    for (const path of ["/", "/my-day", "/checks"]) await visit(path);
    // The same pages read in Chinese.
    await page.getByTestId("language").click();
    for (const path of ["/", "/my-day"]) await visit(path);
    await page.getByTestId("language").click();
  });

  await context.close();

  await step("accessibility: no serious or critical violation", async () => {
    const serious = found.filter((v) => v.impact === "serious" || v.impact === "critical");
    timings.axe_violations = { serious: serious.length, other: found.length - serious.length };
    writeFileSync(join(process.cwd(), "test-results", "axe.json"), JSON.stringify(found, null, 2));
    assert.deepEqual(
      serious.map((v) => `${v.path}: ${v.id} (${v.impact}) ${v.help} at ${v.nodes.join(", ")}`),
      [],
    );
  });
}
