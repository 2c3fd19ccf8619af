import { describe, expect, it } from "vitest";
import { problemsEn, problemsZh, problemText } from "../src/problems";

// api/src/problems.rs, read with node's fs (the specifier in a variable: the dashboard has no node types).
const nodeFs = "node:fs";
const fs = (await import(/* @vite-ignore */ nodeFs)) as { readFileSync(path: string, encoding: "utf8"): string };
/** A path from this file, as a plain path (jsdom has its own `URL`, which node's fs refuses). */
const beside = (relative: string) => decodeURIComponent(new URL(relative, import.meta.url).pathname);
const problemsRs = fs.readFileSync(beside("../../api/src/problems.rs"), "utf8");

/** The codes the server documents: each `doc("code", status, ...)` entry of api/src/problems.rs. */
const serverCodes = [...problemsRs.matchAll(/\bdoc\(\s*"([a-z_]+)"\s*,/g)].map((m) => m[1]);

describe("the problem texts of the dashboard", () => {
  it("reads the server's list of codes", () => {
    expect(serverCodes.length).toBeGreaterThan(40);
    expect(serverCodes).toContain("capacity_exceeded");
  });

  it("has an English and a Chinese text for every code the server answers with", () => {
    const missing = serverCodes.filter((c) => !problemsEn[c as keyof typeof problemsEn] || !problemsZh[c as keyof typeof problemsZh]);
    expect(missing).toEqual([]);
  });

  it("has no text for a code the server does not have", () => {
    const server = new Set(serverCodes);
    expect(Object.keys(problemsEn).filter((c) => !server.has(c))).toEqual([]);
    expect(Object.keys(problemsZh).filter((c) => !server.has(c))).toEqual([]);
  });

  it("says every meaning and what to do, the Chinese in Chinese", () => {
    for (const code of serverCodes) {
      for (const lang of ["en", "zh-CN"] as const) {
        const text = problemText(lang, code);
        expect(text?.meaning.trim(), `${lang} ${code}`).toBeTruthy();
        expect(text?.todo.trim(), `${lang} ${code}`).toBeTruthy();
        if (lang === "zh-CN") expect(text?.meaning, code).toMatch(/[\u4e00-\u9fff]/);
      }
    }
  });

  it("speaks to dashboard users, not API developers: no HTTP paths, headers or JSON fields", () => {
    const developerWords = /`|\bPOST\b|\bGET\b|\/api\/|\/[a-z-]+\/\{|Content-Type|Retry-After|If-Match|_id\b|override_reason|\bJSON\b|\bdetail\b|request_id/;
    for (const table of [problemsEn, problemsZh]) {
      for (const [code, text] of Object.entries(table)) {
        expect(text.meaning, code).not.toMatch(developerWords);
        expect(text.todo, code).not.toMatch(developerWords);
      }
    }
  });

  it("cites the same rule IDs in both languages", () => {
    const rules = (s: string) => [...s.matchAll(/\b[A-Z]-\d+\b/g)].map((m) => m[0]).sort();
    for (const code of serverCodes) {
      const en = problemText("en", code)!;
      const zh = problemText("zh-CN", code)!;
      expect(rules(zh.meaning + zh.todo), code).toEqual(rules(en.meaning + en.todo));
    }
  });

  it("knows nothing of codes it was not told, nor of the object's own properties", () => {
    expect(problemText("en", "no_such_code")).toBeNull();
    expect(problemText("zh-CN", "toString")).toBeNull();
    expect(problemText("zh-CN", "capacity_exceeded")?.todo).toContain("M-1");
  });
});
