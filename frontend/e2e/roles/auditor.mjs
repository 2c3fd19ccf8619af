// The auditor's work, start to finish, against the real server: an export downloaded, then the
// saved file verified in the page against its manifest (item count, SHA-256 of the items as they
// stand in the file, the Ed25519 signature with the server's published key, the audit events' hash
// chain); a copy with one character changed shows the mismatch.
// ctx: { page, context, browser, base, step, shot, signIn, signOut, assert, PASSWORD, timings }

import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export default async function walk({ page, step, shot, signIn, assert }) {
  const saved = { path: "" };
  const rows = async () => {
    const result = page.getByTestId("verify-result");
    return Object.fromEntries(
      await result.locator("tr[data-check]").evaluateAll((trs) => trs.map((tr) => [tr.getAttribute("data-check"), tr.getAttribute("data-ok")])),
    );
  };

  await step("auditor: download an export, then verify the saved file in the page: every check matches", async () => {
    await signIn("auditor");
    await page.getByRole("navigation").getByRole("link", { name: "Audit & exports" }).click();
    await page.getByRole("heading", { level: 1, name: "Audit log and exports" }).waitFor();
    const download = page.waitForEvent("download");
    await page.getByRole("button", { name: "Download export" }).click();
    const file = await download;
    saved.path = (await file.path()) ?? "";
    assert.ok(saved.path, "the export was saved");
    await page.getByTestId("manifest").waitFor();
    await page.getByLabel("Export file to verify").setInputFiles(saved.path);
    const result = page.getByTestId("verify-result");
    await result.waitFor();
    assert.equal(await result.getAttribute("data-ok"), "true", await result.innerText());
    assert.deepEqual(await rows(), { count: "true", digest: "true", signature: "true", chain: "true" });
    assert.match(await result.innerText(), /All checks match/);
    await shot("60-export-verified");
  });

  await step("auditor: a copy with one character changed shows the mismatch", async () => {
    const text = readFileSync(saved.path, "utf8");
    const at = text.indexOf('"action":"') + '"action":"'.length;
    assert.ok(at > 20, "the export holds events");
    const changed = text.slice(0, at) + (text[at] === "x" ? "y" : "x") + text.slice(at + 1);
    const copy = join(mkdtempSync(join(tmpdir(), "rmdesk-tampered-")), "tampered.json");
    writeFileSync(copy, changed);
    await page.getByLabel("Export file to verify").setInputFiles(copy);
    const result = page.getByTestId("verify-result");
    await page.locator('[data-testid=verify-result][data-ok="false"]').waitFor();
    assert.deepEqual(await rows(), { count: "true", digest: "false", signature: "true", chain: "false" });
    assert.match(await result.innerText(), /Mismatch: the file is not what the server exported and signed/);
    assert.match(await result.locator("tr[data-check=chain]").innerText(), /first break at event 1: its content does not give its hash/);
  });
}
