// The committee's main task, start to finish, against the real server: the case queue, a case read
// with its evidence as facts (in English and Chinese), a decision on a case ANOTHER person
// proposed (after a confirmation), and its handover adjusted, confirmed by a manager and, since it
// moves high-value or flagged customers, approved by a second person: the case closes.
//
// The demo bank's open case (X-2.2, proposed by the system) is read but not decided: every
// corporate and SME RM of the demo bank is at the A-3 cap, so its handover could never be
// confirmed. The walk decides a voluntary exit that the risk officer proposes for a retail RM
// of the branch manager's unit, whose customers the unit can take.
// ctx: { page, context, browser, base, step, shot, signIn, signOut, assert, PASSWORD, timings }

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

  const fresh = { caseId: "", rmName: "", handoverId: "", approvalId: "" };

  await step("committee: a risk officer proposes a voluntary exit (API), so that another person's case waits", async () => {
    const manager = await token("branch.manager");
    const rms = await call(manager, "GET", "/api/v1/rms?line=retail&status=active&limit=500");
    assert.equal(rms.status, 200);
    // The last retail RMs of the branch (far from the first RMs other walks work with) who are
    // qualified, in term and not handing over already (a lapsed qualification starts a plan, A-9).
    const planned = await call(manager, "GET", "/api/v1/handovers?status=proposed&limit=500");
    const busy = new Set(planned.status === 200 ? planned.body.items.map((h) => h.from_rm_id) : []);
    const fit = rms.body.items.filter((r) => !r.qualification_lapsed && !r.term_expired);
    // Two colleagues in the unit at least, so that a move can go to another RM than proposed.
    const colleagues = (rm) => fit.filter((r) => r.org_unit_id === rm.org_unit_id && r.id !== rm.id).length;
    const candidates = fit
      .filter((r) => !busy.has(r.id) && colleagues(r) >= 2)
      .slice(-5)
      .reverse();
    assert.ok(candidates.length > 0, "the branch has retail RMs");
    const risk = await token("risk.officer");
    for (const rm of candidates) {
      const proposed = await call(risk, "POST", "/api/v1/exit-cases", {
        rm_id: rm.id,
        kind: "voluntary",
        reason: "The RM applied to leave the role; the unit agrees.",
        evidence: "Application letter of 25 November 2026, countersigned by the team lead.",
      });
      if (proposed.status === 201) {
        fresh.caseId = proposed.body.id;
        fresh.rmName = rm.name;
        break;
      }
    }
    assert.ok(fresh.caseId, "a case was proposed");
  });

  await step("committee: the queue shows the cases waiting for a decision, with trigger, reason and age", async () => {
    await signIn("committee");
    await page.getByRole("navigation").getByRole("link", { name: "Exit cases" }).click();
    const queue = page.getByTestId("case-queue");
    await queue.locator("tbody tr").first().waitFor();
    await page.getByRole("button", { name: "Waiting for a decision", pressed: true }).waitFor();
    const text = await queue.innerText();
    assert.match(text, /X-2\.2/, "the demo bank's X-2.2 case waits");
    assert.match(text, /X-4/, "the risk officer's case waits");
    assert.match(text, /Not acting or reporting in time/, "the trigger is named");
    assert.match(text, /\d+ (hour|day)s?/, "each case shows its age");
    assert.ok(!/Closed|Rejected/.test(await queue.locator("tbody").innerText()), "only cases waiting for a decision");
    await shot("30-case-queue");
  });

  await step("committee: a case's R-4 evidence reads as facts, beside the RM's portfolio, open flags and timeline", async () => {
    await page.getByTestId("case-queue").locator("tbody tr", { hasText: "X-2.2" }).first().getByRole("link").first().click();
    const facts = page.getByTestId("r4-facts");
    await facts.waitFor();
    assert.match(await facts.innerText(), /Overdue-interest ratio\s+\d+(\.\d+)?%/);
    assert.ok(!(await page.locator("main").innerText()).includes('"overdue_ratio"'), "no raw JSON");
    await page.getByTestId("case-portfolio").waitFor();
    await page.getByTestId("case-flags").locator("tbody tr").first().waitFor();
    await page.getByTestId("case-timeline").locator("li").first().waitFor();
    // Proposed by the system: a committee member may decide it.
    await page.getByRole("radio", { name: /Approve/ }).waitFor();
    await shot("31-case-detail");
  });

  await step("committee: the same case in Chinese: reason, trigger and evidence in Chinese", async () => {
    await page.getByTestId("language").click();
    await page.getByRole("heading", { name: "考核委员会决定" }).waitFor();
    const summary = await page.getByTestId("evidence-summary").innerText();
    assert.match(summary, /户贷款客户中有 \d+ 户欠息/);
    const facts = await page.getByTestId("case-facts").innerText();
    assert.match(facts, /未及时采取措施或反映情况/, "the trigger's name");
    assert.match(facts, /对欠息未及时采取有力措施或反映情况/, "the reason, from its code");
    await shot("33-case-detail-zh");
    await page.getByTestId("language").click();
    await page.getByRole("heading", { name: "Decision of the committee" }).waitFor();
  });

  await step("committee: decides the case another person proposed, after a confirmation", async () => {
    await page.goto(`${base}/exit-cases/${fresh.caseId}`);
    await page.getByRole("heading", { level: 1, name: new RegExp(fresh.rmName) }).waitFor();
    assert.match(await page.getByTestId("case-facts").innerText(), /risk\.officer/, "proposed by the risk officer");
    await page.getByRole("radio", { name: /Approve/ }).check();
    await page.getByLabel("Note for the record").fill("Application checked; the unit agrees. Approved.");
    await page.getByRole("button", { name: "Approve the case" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.waitFor();
    assert.match(await dialog.innerText(), new RegExp(`Approve the case \\(Voluntary exit\\) of ${fresh.rmName}|of ${fresh.rmName}`));
    await dialog.getByRole("button", { name: "Yes, go ahead" }).click();
    const outcome = page.getByTestId("decision-outcome");
    await outcome.waitFor();
    await outcome.getByRole("link").click();
    await page.getByTestId("handover-moves").locator("tbody tr").first().waitFor();
    fresh.handoverId = new URL(page.url()).pathname.split("/").pop();
    // The committee reads the plan; a manager adjusts and confirms it.
    await page.getByText("A manager of the unit adjusts and confirms this plan (A-9).").waitFor();
    assert.equal(await page.getByRole("button", { name: "Confirm the handover" }).count(), 0);
  });

  await step("manager: adjusts one move of the plan and confirms the handover (A-10: waits for a second person)", async () => {
    await signOut();
    await signIn("branch.manager");
    await page.goto(`${base}/handovers/${fresh.handoverId}`);
    const moves = page.getByTestId("handover-moves");
    await moves.locator("tbody tr").first().waitFor();
    assert.equal(await page.getByTestId("handover-open").count(), 0, "every customer has a receiving RM");
    await page.getByTestId("handover-receivers").locator("tbody tr").first().waitFor();
    const first = moves.locator("tbody tr").first();
    const customer = await first.locator("th").innerText();
    const assignment = await first.getAttribute("data-move");
    const before = await first.getByTestId("move-to").innerText();
    await first.getByRole("button", { name: "Change" }).click();
    const select = page.getByLabel(`Receiving RM for ${customer}`);
    await select.waitFor();
    const option = await select.locator("option").nth(1).getAttribute("value");
    await select.selectOption(option);
    await page.getByRole("button", { name: "Save" }).click();
    await page.getByTestId("move-changed").waitFor();
    const row = moves.locator(`tr[data-move="${assignment}"]`);
    const now = await row.getByTestId("move-to").innerText();
    assert.notEqual(now, before, `the customer goes to the RM chosen (was ${before}, is ${now})`);
    assert.match(await row.innerText(), /Chosen by branch\.manager/);
    await shot("32-handover-plan");
    await page.getByRole("button", { name: "Confirm the handover" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.waitFor();
    await dialog.getByRole("button", { name: "Yes, go ahead" }).click();
    const outcome = page.getByTestId("outcome");
    await outcome.waitFor();
    if (/second person/.test(await outcome.innerText())) {
      fresh.approvalId = await page.getByTestId("handover-approval").getAttribute("data-approval-id");
    }
  });

  await step("a second person approves the confirmation: the handover is confirmed and the case closes", async () => {
    if (fresh.approvalId) {
      // Whoever the approval names (a manager or admin; a risk officer for a blacklisted customer).
      const admin = await token("security.admin");
      const approval = await call(admin, "GET", `/api/v1/approvals/${fresh.approvalId}`);
      const approver = approval.body?.approver_roles?.includes("admin") ? "security.admin" : "risk.officer";
      await signOut();
      await signIn(approver);
      await page.getByRole("navigation").getByRole("link", { name: "Approvals" }).click();
      const card = page.locator(`li[data-approval="${fresh.approvalId}"]`);
      await card.waitFor();
      await card.getByLabel("Note").fill("Plan reviewed: receiving RMs have room.");
      await card.getByRole("button", { name: "Approve" }).click();
      await card.getByRole("dialog").getByRole("button", { name: "Yes, go ahead" }).click();
      await page.getByTestId("decision-notice").getByText("Approved and applied.").waitFor();
    }
    await page.goto(`${base}/exit-cases/${fresh.caseId}`);
    await page.getByRole("heading", { level: 1, name: new RegExp(fresh.rmName) }).waitFor();
    assert.match(await page.getByRole("heading", { level: 1 }).innerText(), /Closed/);
    assert.match(await page.getByTestId("case-timeline").innerText(), /Every customer was handed over; the RM has exited\./);
    await page.getByTestId("case-handover").click();
    await page.getByRole("heading", { level: 1, name: /Confirmed/ }).waitFor();
  });
}
