// The risk officer's work, start to finish, against the real server: flags filtered, one
// acknowledged from the list and resolved with evidence on its page, an R-4 evaluation run and
// read, a customer blacklisted from its page (it waits: M-1) and approved by a second person (an
// administrator), after which the flag shows on the customer; a policy change proposed by the
// administrator and read as what it changes by the risk officer, who decides it. The flags page
// is read in Chinese too.
// ctx: { page, context, browser, base, step, shot, signIn, signOut, assert, PASSWORD, timings }
export default async function walk({ page, step, shot, signIn, signOut, assert }) {
  const nav = (name) => page.getByRole("navigation").getByRole("link", { name });
  let flagId = "";
  let approvalId = "";
  let customerName = "";

  await step("risk officer: the flags of the bank, filtered by kind and severity", async () => {
    await signIn("risk.officer");
    await nav("Flags").click();
    await page.getByRole("heading", { level: 1, name: "Flags" }).waitFor();
    const table = page.getByTestId("flags");
    await table.locator("tbody tr").first().waitFor();
    const filters = page.getByRole("search", { name: "Filter flags" });
    await filters.getByLabel("Kind").selectOption("npl");
    await filters.getByLabel("Severity").selectOption("critical");
    await filters.getByRole("button", { name: "Show" }).click();
    await page.waitForURL(/\/flags\?kind=npl&severity=critical$/);
    // The filtered list replaces the first one: only critical npl flags.
    await page.waitForFunction(() => {
      const rows = [...document.querySelectorAll("[data-testid=flags] tbody tr")];
      return rows.length > 0 && rows.every((r) => r.children[1]?.textContent === "Non-performing loan" && r.children[0]?.textContent === "Critical");
    });
    await shot("20-flags");
  });

  await step("risk officer: acknowledge an open flag from the list; it leaves the open flags", async () => {
    const table = page.getByTestId("flags");
    const row = table.locator("tbody tr").first();
    const href = await row.locator(`a[href^="/flags/"]`).getAttribute("href");
    flagId = href.split("/").pop();
    await row.getByRole("button", { name: "Acknowledge" }).click();
    const form = page.getByTestId(`ack-${flagId}`);
    await form.getByLabel("Note (optional)").fill("Seen; the branch follows it up with the borrower.");
    await form.getByRole("button", { name: "Acknowledge" }).click();
    await table.locator(`a[href="/flags/${flagId}"]`).waitFor({ state: "detached" });
  });

  await step("risk officer: the flag's page, its history, resolved with evidence after a confirmation", async () => {
    const filters = page.getByRole("search", { name: "Filter flags" });
    await filters.getByLabel("Status").selectOption("acknowledged");
    await filters.getByRole("button", { name: "Show" }).click();
    await page.getByTestId("flags").locator(`a[href="/flags/${flagId}"]`).click();
    await page.waitForURL(new RegExp(`/flags/${flagId}$`));
    assert.equal(await page.getByTestId("flag-status").innerText(), "Acknowledged");
    await page.getByTestId("flag-history").locator("li").nth(1).waitFor();
    assert.match(await page.getByTestId("flag-history").innerText(), /Seen; the branch follows it up/);
    const form = page.getByTestId(`resolve-${flagId}`);
    await form.getByLabel("Evidence").fill("Arrears repaid in full on 28 Nov; loan reclassified as normal by the credit committee.");
    await form.getByRole("button", { name: "Resolve" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByText(/It closes for good/).waitFor();
    await dialog.getByRole("button", { name: "Yes, go ahead" }).click();
    await page.getByTestId("outcome").getByText("Resolved.").waitFor();
    await page.getByTestId("flag-status").getByText("Resolved").waitFor();
    await page.getByTestId("flag-history").locator("li").nth(2).waitFor();
    await shot("21-flag-detail");
  });

  await step("risk officer: run the R-4 evaluation of a date and read it RM by RM", async () => {
    await nav("Evaluations").click();
    await page.getByRole("heading", { level: 1, name: "R-4 evaluation" }).waitFor();
    const form = page.getByTestId("evaluate");
    // A date to come is refused next to its field.
    await form.getByLabel("Business date").fill("2026-12-31");
    await form.getByRole("button", { name: "Evaluate" }).click();
    await form.locator(".field-error").getByText(/must not be after today/).waitFor();
    // A date without loan facts: evaluated now, with nothing to raise.
    await form.getByLabel("Business date").fill("2026-11-29");
    await form.getByRole("button", { name: "Evaluate" }).click();
    await page.getByTestId("evaluation-status").getByText(/Evaluated now/).waitFor();
    await page.getByTestId("evaluation").getByText(/No RM had loan customers on this date/).waitFor();
    // The bank's month end, evaluated by the calendar's job: the stored result, RM by RM.
    await form.getByLabel("Business date").fill("2026-11-30");
    await form.getByRole("button", { name: "Evaluate" }).click();
    await page.getByTestId("evaluation-status").getByText(/Evaluated before/).waitFor();
    const rows = page.getByTestId("evaluation-rms").locator("tbody tr");
    await rows.first().waitFor();
    assert.ok((await rows.count()) > 10, "every RM with loan customers is listed");
    // Names, not ids, once the RMs are read.
    await page.waitForFunction(() => !/^[0-9a-f-]{36}$/.test(document.querySelector("[data-testid=evaluation-rms] tbody th a")?.textContent ?? "x"));
    assert.match(await page.getByTestId("evaluation-status").innerText(), /Month end/);
    await shot("23-evaluations");
  });

  await step("risk officer: blacklist a customer from its page; it waits for a second person", async () => {
    await nav("Customers").click();
    // The customer list and the flagged customers load apart: the list is the first table once both are in.
    await page.waitForFunction(() => document.querySelectorAll("main table").length >= 2);
    const first = page.locator("main table").first().locator("tbody tr a").first();
    customerName = await first.innerText();
    await first.click();
    await page.getByRole("heading", { level: 1, name: customerName }).waitFor();
    const actions = page.getByTestId("customer-risk-actions");
    await actions.getByRole("button", { name: "Raise a flag" }).click();
    const form = actions.getByTestId("raise-flag");
    await form.getByLabel("Kind").selectOption("blacklisted");
    await form.getByLabel("Reason").fill("Credit bureau reports two written-off loans at other banks (red line).");
    await form.getByRole("button", { name: "Ask to blacklist" }).click();
    const outcome = actions.getByTestId("risk-outcome");
    await outcome.getByText(/waits for a second person's approval/).waitFor();
    assert.equal(await outcome.getAttribute("data-waiting"), "true");
    approvalId = await outcome.getAttribute("data-approval");
    assert.ok(approvalId, "the pending approval is named");
    const flags = await page.getByTestId("customer-flags").count() ? await page.getByTestId("customer-flags").innerText() : "";
    assert.doesNotMatch(flags, /Blacklisted/, "not blacklisted before the approval");
    await shot("22-raise-blacklist");
  });

  await step("a second person (administrator) approves the blacklisting; the flag shows on the customer", async () => {
    await signOut();
    await signIn("security.admin");
    await nav("Approvals").click();
    const card = page.locator(`li.approval[data-approval="${approvalId}"]`);
    await card.waitFor();
    assert.match(await card.innerText(), /Blacklisting/);
    await card.getByLabel("Note").fill("Bureau report checked; blacklisting approved.");
    await card.getByRole("button", { name: "Approve" }).click();
    await card.getByRole("dialog").getByRole("button", { name: "Yes, go ahead" }).click();
    const notice = page.getByTestId("decision-notice");
    await notice.getByText("Approved and applied.").waitFor();
    await notice.getByRole("link").click();
    await page.getByRole("heading", { level: 1, name: customerName }).waitFor();
    const blacklisted = page.getByTestId("customer-flags").locator("li", { hasText: "Blacklisted" });
    await blacklisted.waitFor();
    assert.match(await blacklisted.innerText(), /Critical[\s\S]*Open/);
  });

  await step("administrator: propose a policy change; it waits for a second person (P-1, M-1)", async () => {
    await nav("Policy").click();
    await page.getByTestId("policy-sections").waitFor();
    await page.getByRole("button", { name: "Propose a change" }).click();
    const form = page.getByTestId("policy-form");
    // A value that cannot be one is refused next to its field, before anything is sent.
    await form.getByLabel("Settlement day of the month").fill("twenty");
    await form.getByRole("button", { name: "Propose this version" }).click();
    await form.locator(".field-error").getByText("a whole number").waitFor();
    // The API's own check: the day of the month must be 1 to 28.
    await form.getByLabel("Settlement day of the month").fill("30");
    await form.getByRole("button", { name: "Propose this version" }).click();
    await form.locator(".field-error").getByText(/between 1 and 28/).waitFor();
    await form.getByLabel("Settlement day of the month").fill("21");
    await form.getByRole("button", { name: "Propose this version" }).click();
    await page.getByTestId("risk-outcome").getByText(/waits for a second person's approval/).waitFor();
  });

  await step("the flags page reads in Chinese", async () => {
    await page.getByTestId("language").click();
    await page.locator(`nav a[href="/flags"]`).click();
    await page.getByRole("heading", { level: 1, name: "预警" }).waitFor();
    await page.getByTestId("flags").locator("tbody tr").first().waitFor();
    const headers = await page.getByTestId("flags").locator("thead").innerText();
    assert.match(headers, /严重程度[\s\S]*类型[\s\S]*对象[\s\S]*原因[\s\S]*状态/);
    assert.match(await page.getByRole("heading", { level: 2, name: "提出预警" }).innerText(), /提出预警/);
    assert.match(await page.getByTestId("flags").locator("tbody").innerText(), /未处理/);
    await shot("25-flags-zh");
    await page.getByTestId("language").click();
    await page.getByRole("heading", { level: 1, name: "Flags" }).waitFor();
  });

  await step("risk officer: the policy read as sections, the pending change read as what it changes, and decided", async () => {
    await signOut();
    await signIn("risk.officer");
    await nav("Policy").click();
    await page.getByTestId("policy-sections").waitFor();
    assert.match(await page.getByTestId("policy-version").innerText(), /Version 1/);
    const pending = page.getByTestId("policy-pending");
    await pending.getByText(/Settlement day of the month: 20 → 21/).waitFor();
    await shot("24-policy");
    await pending.getByRole("link", { name: "Open Approvals" }).click();
    const card = page.locator("li.approval", { hasText: "Policy change" }).first();
    await card.waitFor();
    await card.getByLabel("Note").fill("The settlement day is set by the core banking calendar; keep the 20th.");
    await card.getByRole("button", { name: "Reject" }).click();
    await card.getByRole("dialog").getByRole("button", { name: "Yes, go ahead" }).click();
    await page.getByTestId("decision-notice").getByText("Rejected.").waitFor();
  });
}
