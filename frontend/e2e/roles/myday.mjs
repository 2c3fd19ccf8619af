// The RM's day, start to finish, against the real server (demo bank): "my day" of rm.demo (required
// checks overdue first, the R-6 due list, the checks it submitted, portfolio and score); from a
// required check's row, a dual check refused without its second RM (D-2), then submitted naming the
// second RM, with an evidence file; the second RM confirms it from their own login (D-3) and the
// check shows confirmed.
//
// The demo bank gives only rm.demo a login. The second RM the walk names is the colleague the
// demo's own checks name (same team and line); it gets its login as a manager gives one (POST
// /users, role rm, M-4), unless the demo bank has one for it already.
// ctx: { page, context, browser, base, step, shot, signIn, signOut, assert, PASSWORD, timings }

import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

// A 1×1 PNG: the evidence file the lead attaches.
const PNG = Buffer.from("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000b49444154789c63f80f040009fb03fdfb5e6b2b0000000049454e44ae426082", "hex");

export default async function walk({ page, base, step, shot, signIn, signOut, assert, PASSWORD }) {
  const token = async (username) => {
    const r = await fetch(`${base}/api/v1/auth/token`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ username, password: PASSWORD }) });
    assert.equal(r.status, 200, `${username} signs in`);
    return (await r.json()).access_token;
  };
  const call = async (bearer, method, path, body) => {
    const r = await fetch(`${base}${path}`, {
      method,
      headers: { Authorization: `Bearer ${bearer}`, ...(body ? { "Content-Type": "application/json" } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    return { status: r.status, body: await r.json().catch(() => null) };
  };
  const openMyDay = async () => {
    await page.getByRole("navigation").getByRole("link", { name: "My day" }).click();
    await page.getByRole("heading", { level: 1, name: "My day" }).waitFor();
  };
  const people = { lead: "", overdue: false, second: null, secondUser: "rm.second", customer: "", checkId: "" };

  await step("RM: the second RM the demo's checks name gets a login (as a manager gives one)", async () => {
    const rm = await token("rm.demo");
    const me = (await call(rm, "GET", "/api/v1/me")).body;
    people.lead = me.display_name;
    const waiting = await call(rm, "GET", `/api/v1/field-checks?rm_id=${me.rm_id}&status=awaiting_confirmation`);
    const secondId = waiting.body.items.find((c) => c.second_rm_id)?.second_rm_id;
    people.second = (await call(rm, "GET", `/api/v1/rms/${secondId}`)).body;
    assert.equal(people.second?.status, "active", "the demo's second RM is active");
    const manager = await token("branch.manager");
    const existing = (await call(manager, "GET", `/api/v1/users?rm_id=${secondId}`)).body.items[0];
    if (existing) {
      people.secondUser = existing.username;
      return;
    }
    const made = await call(manager, "POST", "/api/v1/users", { username: people.secondUser, password: PASSWORD, display_name: people.second.name, roles: ["rm"], org_unit_id: people.second.org_unit_id, rm_id: secondId });
    assert.equal(made.status, 201, `${people.secondUser} is created: ${JSON.stringify(made.body)}`);
  });

  await step("RM: my day shows the required checks (overdue first), the R-6 due list, submitted checks, portfolio and score", async () => {
    await signIn("rm.demo");
    await openMyDay();
    const required = page.getByTestId("my-required");
    await required.locator("tbody tr").first().waitFor();
    const dues = await required.locator("tbody tr td:nth-child(5)").allInnerTexts();
    const firstOpen = dues.findIndex((d) => !/Overdue/.test(d));
    assert.ok(dues.slice(firstOpen < 0 ? dues.length : firstOpen).every((d) => !/Overdue/.test(d)), `overdue checks come first: ${dues.join(" | ")}`);
    await page.getByTestId("due-interest").locator("tbody tr").first().waitFor();
    await page.getByTestId("submitted-waiting").locator("li").first().waitFor();
    await page.getByTestId("my-portfolio").waitFor();
    await page.getByTestId("my-score").waitFor();
    await shot("50-my-day");
  });

  await step("RM: from a required check's row, an inspection of an A-6 customer without a second RM is refused (D-2)", async () => {
    const row = page.getByTestId("my-required").locator("tbody tr").first();
    people.customer = await row.locator("td").first().innerText();
    people.overdue = /Overdue/.test(await row.locator("td").nth(4).innerText());
    await row.getByRole("button", { name: /^Record check/ }).click();
    const form = page.getByTestId("submit-check");
    assert.equal(await form.getByLabel("Kind").inputValue(), "post_loan_inspection", "the row fills in the kind");
    assert.match(await form.getByLabel("Customer").locator("option:checked").innerText(), new RegExp(people.customer.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")), "and the customer");
    await form.getByRole("note").getByText(/second RM \(D-2\)/).waitFor();
    await form.getByLabel("Performed at").fill("2026-11-29T10:30");
    await form.getByLabel("Place").fill("Customer's warehouse");
    await form.getByLabel("Findings").fill("Inventory counted with the second RM; the receivables ledger matches the bank's records.");
    await form.getByLabel("Outcome").fill("No change to the risk assessment.");
    await form.getByRole("button", { name: "Submit check" }).click();
    const refusal = form.locator("[data-problem]");
    await refusal.waitFor();
    assert.equal(await refusal.getAttribute("data-problem"), "second_rm_required");
    assert.match(await refusal.innerText(), /Rule D-2/);
  });

  await step("RM: the lead submits the dual check naming the second RM, and attaches an evidence file", async () => {
    const form = page.getByTestId("submit-check");
    await form.getByLabel("Second RM").selectOption(people.second.id);
    await form.getByRole("button", { name: "Submit check" }).click();
    const submitted = page.getByTestId("submitted");
    await submitted.getByText(`waits for ${people.second.name} to confirm`).waitFor();
    const dir = mkdtempSync(join(tmpdir(), "rmdesk-evidence-"));
    const file = join(dir, "warehouse-photo.png");
    writeFileSync(file, PNG);
    await submitted.getByLabel("Evidence file").setInputFiles(file);
    await submitted.getByRole("button", { name: "Attach file" }).click();
    const stored = submitted.getByTestId("evidence-stored");
    await stored.waitFor();
    assert.match(await stored.innerText(), /warehouse-photo\.png .*same as computed in this browser/);
    await submitted.getByTestId("evidence-list").getByText("warehouse-photo.png").waitFor();
    people.checkId = (await submitted.getAttribute("data-check")) ?? "";
    await page.locator(`[data-testid=submitted-waiting] li[data-check="${people.checkId}"]`).waitFor();
    await shot("51-field-check-submit");
  });

  await step("RM: the second RM confirms it from their own login (D-3), after reading the evidence", async () => {
    await signOut();
    await signIn(people.secondUser);
    await openMyDay();
    const card = page.locator(`[data-testid=to-confirm] li[data-check="${people.checkId}"]`);
    await card.waitFor();
    await card.getByRole("link", { name: people.lead, exact: true }).first().waitFor();
    await card.getByText("Evidence files").click();
    await card.getByTestId("evidence-list").getByText("warehouse-photo.png").waitFor();
    await card.getByLabel("Note (optional)").fill("I took part in the inspection; the findings are mine too.");
    await card.getByRole("button", { name: "Confirm check" }).click();
    await page.getByRole("dialog").getByText(/Confirm the check of/).waitFor();
    await shot("52-confirm-as-second");
    await page.getByRole("dialog").getByRole("button", { name: "Yes, go ahead" }).click();
    const decided = page.getByTestId("decided");
    await decided.waitFor();
    assert.match(await decided.innerText(), /Confirmed: Post-loan inspection/);
    await card.waitFor({ state: "detached" });
  });

  await step("RM: the check shows confirmed in the dual-check list", async () => {
    await page.getByRole("navigation").getByRole("link", { name: "Dual checks" }).click();
    const row = page.getByTestId("field-checks").locator("tbody tr", { hasText: "Confirmed" }).filter({ hasText: people.customer });
    await row.first().waitFor();
    assert.match(await row.first().innerText(), new RegExp(people.second.name), "the second RM is named");
  });

  await step("RM: back in the lead's day the required check is closed (D-5), and my day reads in Chinese", async () => {
    await signOut();
    await signIn("rm.demo");
    await openMyDay();
    await page.getByTestId("my-portfolio").waitFor();
    const required = page.getByTestId("my-required").or(page.getByText("No required check is open for your customers."));
    await required.first().waitFor();
    const open = (await page.getByTestId("my-required").count()) ? await page.getByTestId("my-required").locator("tbody tr").allInnerTexts() : [];
    // D-5: a check closes the requirements made before it was performed (the overdue one, made days ago).
    assert.ok(people.overdue, "the walk started from an overdue required check (the demo bank's first row)");
    assert.ok(!open.some((r) => r.startsWith(people.customer) && /Overdue/.test(r)), `the confirmed inspection closed ${people.customer}'s overdue required check`);
    await page.getByTestId("language").click();
    await page.getByRole("heading", { level: 1, name: "我的今日" }).waitFor();
    await page.getByRole("heading", { level: 2, name: "我的管户与考核" }).waitFor();
    await page.getByTestId("my-score").waitFor();
    await shot("53-my-day-zh");
    await page.getByTestId("language").click();
    await page.getByRole("heading", { level: 1, name: "My day" }).waitFor();
  });
}
