// The administrator's go-live work (issue 20), against the real server: a CSV of org units with
// one planted error is refused by its dry run with the error table naming its line; the file
// without it passes the dry run, is applied after the confirmation, and a second dry run of the
// same file changes nothing. Then a working list downloads as XLSX with the token.
// The new units hang under the head office, whose code is `HO` until the bank loads its own.
// ctx: { page, context, browser, base, step, shot, signIn, signOut, assert, PASSWORD, timings }

import { readFileSync } from "node:fs";

const HEADER = "code,name,kind,parent_code";
const GOOD = "E2E-R1,E2E Import Region,region,HO";
const ORPHAN = "E2E-R2,E2E Orphan Region,region,NO-SUCH-UNIT";

export default async function walk({ page, step, shot, signIn, assert }) {
  const nav = (name) => page.getByRole("navigation").getByRole("link", { name });
  const outcome = (text) => page.getByTestId("import-outcome").filter({ hasText: text });
  const submit = async (name, lines, { dryRun = true } = {}) => {
    await page.locator('select[name="kind"]').selectOption("org_units");
    await page.locator('input[type="file"][name="file"]').setInputFiles({ name, mimeType: "text/csv", buffer: Buffer.from(`${lines.join("\n")}\n`, "utf8") });
    const box = page.getByRole("checkbox", { name: /Dry run/ });
    if ((await box.isChecked()) !== dryRun) await box.click();
    await page.getByRole("button", { name: dryRun ? "Check the file" : "Import the file" }).click();
  };

  await step("admin: a dry run of org units with a planted error is refused, the error table names its line", async () => {
    await signIn("security.admin");
    await nav("Imports").click();
    await page.getByRole("heading", { level: 1, name: "Imports" }).waitFor();
    assert.equal(await page.getByRole("checkbox", { name: /Dry run/ }).isChecked(), true, "a dry run is the default");
    await submit("e2e-units-bad.csv", [HEADER, GOOD, ORPHAN]);
    await outcome("Refused").waitFor({ timeout: 60000 });
    const rows = page.getByTestId("import-errors").locator("tbody tr");
    await rows.first().waitFor();
    // Lines as the file numbers them: the header is line 1, the orphan line 3.
    const lines = await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-line")));
    assert.deepEqual(lines, ["3"], `one problem, on the orphan's line: ${await page.getByTestId("import-errors").innerText()}`);
    assert.equal(await page.getByRole("button", { name: "Apply this file" }).count(), 0, "a refused file cannot be applied");
    await shot("70-import-refused");
  });

  await step("admin: the corrected file passes its dry run, is applied after asking, and again changes nothing", async () => {
    await submit("e2e-units.csv", [HEADER, GOOD]);
    await outcome("The file is valid").waitFor({ timeout: 60000 });
    assert.equal(await page.getByTestId("import-counts").locator('[data-count="inserted"]').innerText(), "1", "the dry run would add the region");
    await page.getByRole("button", { name: "Apply this file" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Yes, go ahead" }).click();
    await outcome("Imported").waitFor({ timeout: 60000 });
    assert.equal(await page.getByTestId("import-counts").locator('[data-count="inserted"]').innerText(), "1");
    await shot("71-import-applied");

    await submit("e2e-units.csv", [HEADER, GOOD]);
    await page.getByTestId("import-counts").locator('[data-count="unchanged"]', { hasText: "1" }).waitFor({ timeout: 60000 });
    assert.equal(await page.getByTestId("import-counts").locator('[data-count="inserted"]').innerText(), "0", "the same file again adds nothing");
    // The four runs of this walk are listed (the list is read again when a run ends).
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="imports"] tbody tr').length >= 4);
    const listed = await page.getByTestId("imports").innerText();
    assert.match(listed, /e2e-units-bad\.csv/);
    assert.match(listed, /e2e-units\.csv/);
  });

  await step("admin: the flag list downloads as XLSX", async () => {
    await nav("Flags").click();
    await page.getByTestId("flags").locator("tbody tr").first().waitFor();
    const download = page.waitForEvent("download");
    await page.getByRole("button", { name: "Download as XLSX" }).click();
    const file = await download;
    assert.match(file.suggestedFilename(), /\.xlsx$/);
    const path = await file.path();
    assert.equal(readFileSync(path).subarray(0, 2).toString("latin1"), "PK", "an XLSX is a zip");
  });
}
