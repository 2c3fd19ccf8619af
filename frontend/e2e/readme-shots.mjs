// The README's screenshots: the top of chosen pages from the last `npm run e2e` (test-results/),
// as 1280×800 JPEGs in docs/screenshots/. Run after the end-to-end walks:
//   node e2e/readme-shots.mjs

import { mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
const results = resolve(here, "../test-results");
const out = resolve(here, "../../docs/screenshots");
const CHOSEN = [
  "02-overview", "20-flags", "22-raise-blacklist", "24-policy", "31-case-detail", "33-case-detail-zh",
  "32-handover-plan", "40-assign", "42-rebalancing", "50-my-day", "52-confirm-as-second", "60-export-verified",
];

mkdirSync(out, { recursive: true });
const browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium", args: ["--no-sandbox"] });
const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
for (const name of CHOSEN) {
  await page.goto(`file://${join(results, `${name}.png`)}`);
  await page.addStyleTag({ content: "body{margin:0} img{display:block}" });
  await page.screenshot({ path: join(out, `${name}.jpg`), type: "jpeg", quality: 70, clip: { x: 0, y: 0, width: 1280, height: 800 } });
}
await browser.close();
console.log(`${CHOSEN.length} screenshots in ${out}`);
