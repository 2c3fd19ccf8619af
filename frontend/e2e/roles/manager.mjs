// The manager's work, start to finish, against the real server (demo bank, branch.manager of the
// first branch): assign an assistant and reassign the primary of a customer that needs a second
// RM (a high-value customer: the reassignment waits for a second person, A-10), work one row of
// the second-RM queue, apply one rebalancing move of the branch, appoint an RM (refused
// first on O-4, then appointed), record its qualification (202) and renew its term; the queues in
// Chinese.
// ctx: { page, context, browser, base, step, shot, signIn, signOut, assert, PASSWORD, timings }

/** Waits until the list holding `testId` shows fresh data (not a cached page being read again). */
async function settled(page, testId) {
  await page.locator(`div[aria-busy="false"]:has(> .table-wrap > [data-testid="${testId}"])`).waitFor();
}

/** Opens a <details> unless it is open already. */
async function openDetails(details) {
  if (!(await details.evaluate((d) => d.open))) await details.locator("summary").click();
}

/** Chooses, in a select, the first option after "Choose…" not yet tried; answers its text. */
async function chooseNext(select, tried) {
  const options = await select.locator("option").evaluateAll((os) => os.map((o) => ({ value: o.value, text: o.textContent ?? "" })));
  const next = options.find((o) => o.value && !tried.has(o.value));
  if (!next) throw new Error("no RM left to try");
  tried.add(next.value);
  await select.selectOption(next.value);
  return next.text;
}

export default async function walk({ page, base, step, shot, signIn, assert }) {
  const nav = (name) => page.getByRole("navigation").getByRole("link", { name });
  let customer = "";
  let customerHref = "";

  await step("manager: sign in as the branch manager and open the second-RM queue", async () => {
    await signIn("branch.manager");
    await nav("Queues & rebalancing").click();
    await page.getByRole("heading", { level: 1, name: "Queues & rebalancing" }).waitFor();
    await page.getByTestId("second-rm-queue").locator("tbody tr").first().waitFor();
  });

  await step("manager: assign an assistant to a high-value customer from its page (201)", async () => {
    // The first high-value customer of the queue: its reassignment needs a second person.
    const row = page.getByTestId("second-rm-queue").locator("tbody tr", { hasText: "High value" }).first();
    const link = row.locator("a").first();
    customer = await link.innerText();
    customerHref = await link.getAttribute("href");
    await link.click();
    await page.getByRole("heading", { level: 1, name: customer }).waitFor();
    const card = page.getByTestId("customer-assignment");
    await card.getByTestId("holders").locator("li").first().waitFor();
    await openDetails(card.getByTestId("assign-details"));
    const form = card.getByTestId("assign-form");
    await form.getByRole("combobox", { name: "Role" }).selectOption("assistant");
    const select = form.getByRole("combobox", { name: "RM", exact: true });
    await select.locator("option").nth(1).waitFor({ state: "attached" });
    // An RM the rules refuse (cap, grade, unit) is named with its rule; the manager tries the next.
    const tried = new Set();
    for (;;) {
      const rm = await chooseNext(select, tried);
      // The answer of this click, not the refusal the previous one left on the form.
      const answered = page.waitForResponse((r) => r.request().method() === "POST" && new URL(r.url()).pathname === "/api/v1/assignments");
      await form.getByRole("button", { name: "Assign" }).click();
      if ((await answered).status() === 201) {
        await card.getByTestId("manager-answer").waitFor();
        assert.match(await card.getByTestId("manager-answer").innerText(), /Assigned\./);
        await card.getByTestId("holders").getByText("Assistant RM", { exact: true }).waitFor();
        assert.match(await card.getByTestId("holders").innerText(), new RegExp(rm.split(" · ")[0]));
        break;
      }
      await form.locator("[data-problem]").waitFor();
      assert.match(await form.locator("[data-problem]").innerText(), /Rule [A-Z]-\d+/, "a refusal names its rule");
      assert.ok(tried.size < 8, "an RM of the unit takes the customer");
    }
    await shot("40-assign");
  });

  await step("manager: reassign the high-value customer's primary: waits for approval (A-10)", async () => {
    const card = page.getByTestId("customer-assignment");
    await openDetails(card.getByTestId("reassign-details"));
    const form = card.getByTestId("reassign-form");
    const select = form.getByRole("combobox", { name: "RM", exact: true });
    await select.locator("option").nth(1).waitFor({ state: "attached" });
    await chooseNext(select, new Set());
    await form.getByRole("combobox", { name: "Reason" }).selectOption("customer_request");
    await form.getByRole("button", { name: "Reassign" }).click();
    const answer = card.getByTestId("reassign-details").getByTestId("manager-answer");
    await answer.waitFor();
    assert.equal(await answer.getAttribute("data-waiting"), "true", "a high-value customer's reassignment waits (A-10)");
    assert.match(await answer.innerText(), /waits for a second person[\s\S]*Rule A-10/);
    assert.equal(await answer.getByRole("link").getAttribute("href"), "/approvals");
  });

  await step("manager: work one row of the second-RM queue in place", async () => {
    await nav("Queues & rebalancing").click();
    const queue = page.getByTestId("second-rm-queue");
    await queue.locator("tbody tr").first().waitFor();
    await settled(page, "second-rm-queue");
    assert.equal(await queue.locator(`tbody tr a[href="${customerHref}"]`).count(), 0, "the customer with two RMs left the queue");
    // The first row whose customer takes a second RM at once: a customer another walk had
    // blacklisted waits for approval instead (R-3, 202) and stays in the queue, so the next is worked.
    let name = "";
    let href = "";
    for (let i = 0; !name; i++) {
      assert.ok(i < 8, "a row of the queue is worked at once");
      const nth = queue.locator("tbody tr").nth(i);
      const rowHref = await nth.locator("a").first().getAttribute("href");
      // The row by its customer, not by its place: the queue may come back in another order.
      const row = queue.locator("tbody tr").filter({ has: page.locator(`a[href="${rowHref}"]`) });
      const rowName = await row.locator("a").first().innerText();
      const select = row.getByRole("combobox");
      await select.locator("option").nth(1).waitFor({ state: "attached" });
      const tried = new Set();
      const options = await select.locator("option").evaluateAll((os) => os.filter((o) => o.value).length);
      // A customer no RM of the unit may take (every one refused by a rule) leaves the next row
      // to be worked.
      while (tried.size < Math.min(options, 8)) {
        await chooseNext(select, tried);
        const answered = page.waitForResponse((r) => r.request().method() === "POST" && new URL(r.url()).pathname === "/api/v1/assignments");
        await row.getByRole("button", { name: "Assign" }).click();
        const status = (await answered).status();
        if (status === 201) {
          [name, href] = [rowName, rowHref];
          break;
        }
        if (status === 202) break;
        await row.locator("[data-problem]").waitFor();
        assert.match(await row.locator("[data-problem]").innerText(), /Rule [A-Z]-\d+/, "the row's refusal names its rule");
      }
    }
    await page.getByTestId("manager-answer").getByText(`${name} has a second RM now.`).waitFor();
    await queue.locator(`tbody tr a[href="${href}"]`).waitFor({ state: "detached" });
    await shot("41-queues");
  });

  await step("manager: apply a rebalancing move of the branch (A-11) and see the proposal read again", async () => {
    await page.getByRole("button", { name: "Rebalancing", exact: true }).click();
    const moves = page.getByTestId("rebalancing-moves");
    const first = moves.locator("tbody tr").first();
    await first.waitFor();
    await settled(page, "rebalancing-moves");
    const count = await moves.locator("tbody tr").count();
    const customerId = await first.getAttribute("data-customer");
    const link = first.locator("a").first();
    // The customer's name comes from its RM's book, read once per donor RM.
    await page.waitForFunction((el) => el && !/^Open the customer$/.test(el.textContent ?? ""), await link.elementHandle());
    const name = await link.innerText();
    await first.getByRole("button", { name: /^Apply/ }).click();
    const done = page.getByTestId("manager-answer");
    await done.getByText(new RegExp(`^Moved ${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} from .+ to .+\\.$`)).waitFor();
    assert.equal(await done.getAttribute("data-waiting"), "false");
    await moves.locator(`tbody tr[data-customer="${customerId}"]`).waitFor({ state: "detached" });
    assert.ok((await moves.locator("tbody tr").count()) <= count, "the proposal was read again without the applied move");
    await shot("42-rebalancing");
  });

  let appointed = "";
  await step("manager: appoint an RM: refused on the entry requirements (O-4), then appointed", async () => {
    await page.getByTestId("appoint-rm-link").click();
    await page.getByRole("heading", { level: 1, name: "Appoint a relationship manager" }).waitFor();
    await page.getByTestId("entry-requirements").getByText(/At least 2 years of counter experience/).waitFor();
    const form = page.getByTestId("appoint-form");
    appointed = "Gao Ling";
    await form.getByRole("textbox", { name: "Name", exact: true }).fill(appointed);
    await form.getByRole("textbox", { name: "Employee no.", exact: true }).fill("E900001");
    await form.getByRole("textbox", { name: "National ID", exact: true }).fill("310104199203154417");
    await form.getByRole("combobox", { name: "Line", exact: true }).selectOption("corporate");
    await form.getByRole("combobox", { name: "Grade", exact: true }).selectOption("rm");
    const unit = form.getByRole("combobox", { name: "Unit", exact: true });
    await unit.locator("option", { hasText: "Corporate Team" }).first().waitFor({ state: "attached" });
    const team = await unit.locator("option", { hasText: "Corporate Team" }).first().getAttribute("value");
    await unit.selectOption(team);
    await form.getByLabel("Grade exam passed on").fill("2026-06-01");
    await form.getByLabel("Years of counter experience").fill("1");
    await form.getByRole("button", { name: "Appoint" }).click();
    const refusal = form.locator('[data-problem="entry_requirements_not_met"]');
    await refusal.waitFor();
    assert.match(await refusal.innerText(), /Rule O-4/);
    await shot("43-appoint-rm");
    await form.getByLabel("Years of counter experience").fill("3");
    await form.getByRole("button", { name: "Appoint" }).click();
    await page.getByTestId("appointed").getByText(`${appointed} is appointed RM.`).waitFor();
  });

  await step("manager: on the new RM's page, record a qualification (waits, O-3) and renew the term", async () => {
    await page.getByTestId("appointed").getByRole("link", { name: `Open ${appointed}'s page` }).click();
    await page.getByRole("heading", { level: 1, name: new RegExp(appointed) }).waitFor();
    const admin = page.getByTestId("rm-administration");
    await openDetails(admin.getByTestId("qualify-details"));
    const qualify = admin.getByTestId("qualify-form");
    await qualify.getByRole("combobox", { name: "Grade", exact: true }).selectOption("senior");
    await qualify.getByLabel("Exam passed on").fill("2026-11-02");
    await qualify.getByRole("button", { name: "Record qualification" }).click();
    const answer = admin.getByTestId("qualify-details").getByTestId("manager-answer");
    await answer.waitFor();
    assert.equal(await answer.getAttribute("data-waiting"), "true", "a grade waits for a second manager (M-1)");
    await openDetails(admin.getByTestId("renew-details"));
    await admin.getByTestId("renew-form").getByRole("button", { name: "Renew the term" }).click();
    const dialog = page.locator("dialog[open]");
    await dialog.getByRole("button", { name: "Yes, go ahead" }).click();
    await admin.getByText(/^Term renewed until /).waitFor();
  });

  await step("manager: the queues in Chinese", async () => {
    await page.goto(`${base}/queues`);
    await page.getByTestId("language").click();
    await page.getByRole("heading", { level: 1, name: "队列与再平衡" }).waitFor();
    await page.getByTestId("second-rm-queue").locator("tbody tr").first().waitFor();
    await page.getByRole("button", { name: "分配" }).first().waitFor();
    await shot("44-queues-zh");
    // The next walks read English.
    await page.getByTestId("language").click();
    await page.getByRole("heading", { level: 1, name: "Queues & rebalancing" }).waitFor();
  });
}
