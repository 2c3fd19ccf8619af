// What a case's evidence says, read from the text the system or a person wrote. The system writes
// its findings in a few known shapes (api/src/commands/performance.rs, api/src/demo/activity.rs):
// an R-4 indicator as JSON, monthly new-NPL ratios, verified complaints in a window, a bottom
// average score. Those become facts to lay out; anything else is a person's own words, shown as
// they were typed.

/** The R-4 indicator of one RM on one date (`Indicator` in the API). */
export interface R4Indicator {
  loan_customers: number;
  overdue_customers: number;
  overdue_ratio: string;
  checkpoint: string;
  target?: string | null;
  within_target?: boolean;
  ratio_applies?: boolean;
  action_required?: boolean;
  out_of_control?: boolean;
  inspections_required?: boolean;
}

export type Evidence =
  /** R-4 evaluation of a date: the RM's overdue-interest indicator (X-2 item 2 evidence). */
  | { kind: "r4"; date: string | null; indicator: R4Indicator }
  /** X-2 item 3: verified complaints in the 12-month window. */
  | { kind: "complaints"; count: number; from: string; to: string }
  /** X-2 item 5: the new-NPL ratio of each month, oldest first. */
  | { kind: "new_npl"; months: { month: string; ratio: string }[] }
  /** X-2 item 6: the 12-month average score, in the bottom share of the unit and line. */
  | { kind: "bottom_score"; average: string; month: string; bottom: number; of: number }
  /** the year's average score under the rank standard. */
  | { kind: "average_score"; average: string; months: number }
  /** Structured evidence of a shape this page does not know: its fields, labelled. */
  | { kind: "json"; value: Record<string, unknown> | unknown[] }
  /** Words typed by a person. */
  | { kind: "text"; text: string }
  | { kind: "none" };

const DATE = String.raw`\d{4}-\d{2}-\d{2}`;
const MONTH = String.raw`\d{4}-\d{2}`;
const NUMBER = String.raw`-?\d+(?:\.\d+)?`;

function isIndicator(v: unknown): v is R4Indicator {
  if (!v || typeof v !== "object" || Array.isArray(v)) return false;
  const o = v as Record<string, unknown>;
  return typeof o.loan_customers === "number" && typeof o.overdue_customers === "number" && o.overdue_ratio !== undefined && typeof o.checkpoint === "string";
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** "2026-10" and the `n - 1` months before it, oldest first. */
export function monthsUpTo(last: string, n: number): string[] {
  const [y, m] = last.split("-").map(Number);
  const out: string[] = [];
  for (let back = n - 1; back >= 0; back--) {
    const d = new Date(Date.UTC(y, m - 1 - back, 1));
    out.push(`${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, "0")}`);
  }
  return out;
}

/** Reads the evidence of a case into one of the shapes above. */
export function readEvidence(raw: string | null | undefined): Evidence {
  const text = (raw ?? "").trim();
  if (!text) return { kind: "none" };

  // The demo's case: "R-4 evaluation of 2026-11-30: {…indicator…}".
  const r4 = new RegExp(String.raw`^R-4 evaluation of (${DATE}):\s*(\{[\s\S]*\})$`).exec(text);
  if (r4) {
    const indicator = parseJson(r4[2]);
    if (isIndicator(indicator)) return { kind: "r4", date: r4[1], indicator };
  }

  // Structured evidence as a whole: an indicator, one wrapped with its date, or any object.
  if (text.startsWith("{") || text.startsWith("[")) {
    const value = parseJson(text);
    if (isIndicator(value)) return { kind: "r4", date: null, indicator: value };
    if (value && typeof value === "object" && !Array.isArray(value)) {
      const o = value as Record<string, unknown>;
      if (isIndicator(o.indicator)) {
        const date = typeof o.as_of === "string" ? o.as_of : typeof o.date === "string" ? o.date : null;
        return { kind: "r4", date, indicator: o.indicator };
      }
    }
    if (value && typeof value === "object") return { kind: "json", value: value as Record<string, unknown> | unknown[] };
  }

  // X-2.3 (performance.rs): "3 verified complaints from 2025-12-01 to 2026-11-30".
  const complaints = new RegExp(String.raw`^(\d+) verified complaints from (${DATE}) to (${DATE})$`).exec(text);
  if (complaints) return { kind: "complaints", count: Number(complaints[1]), from: complaints[2], to: complaints[3] };

  // "monthly new-NPL ratios to 2026-10: 0.012, 0.015, 0.011" (oldest first, ending there).
  const npl = new RegExp(String.raw`^monthly new-NPL ratios to (${MONTH}):\s*(${NUMBER}(?:\s*,\s*${NUMBER})*)$`).exec(text);
  if (npl) {
    const ratios = npl[2].split(",").map((r) => r.trim());
    const months = monthsUpTo(npl[1], ratios.length);
    return { kind: "new_npl", months: months.map((month, i) => ({ month, ratio: ratios[i] })) };
  }

  // "12-month average score 61.2 to 2026-10: bottom 2 of 9 in unit and line".
  const bottom = new RegExp(String.raw`^12-month average score (${NUMBER}) to (${MONTH}): bottom (\d+) of (\d+) in unit and line$`).exec(text);
  if (bottom) return { kind: "bottom_score", average: bottom[1], month: bottom[2], bottom: Number(bottom[3]), of: Number(bottom[4]) };

  // X-4 demotion (performance.rs yearly rating): "average 58.4 over 12 months".
  const average = new RegExp(String.raw`^average (${NUMBER}) over (\d+) months$`).exec(text);
  if (average) return { kind: "average_score", average: average[1], months: Number(average[2]) };

  return { kind: "text", text: raw ?? "" };
}

/** What a timeline step's note says, when the system wrote it (exit_cases.rs), else the words. */
export type StepNote =
  | { kind: "closed" }
  | { kind: "suspended" }
  | { kind: "handover_started"; handoverId: string }
  /** An approval: the committee member's own note, then what the system added. */
  | { kind: "approved_handover"; note: string; handoverId: string }
  | { kind: "approved_waiting"; note: string; handoverId: string }
  | { kind: "demoted"; grade: string }
  | { kind: "text"; text: string };

export function readStepNote(action: string, raw: string): StepNote {
  const note = raw.trim();
  if (action === "close" && note === "every customer handed over; the RM has exited") return { kind: "closed" };
  if (action === "suspend" && /^X-3: suspended at once/.test(note)) return { kind: "suspended" };
  let m = /^A-9: handover (\S+) proposed at once$/.exec(note);
  if (action === "handover" && m) return { kind: "handover_started", handoverId: m[1] };
  m = /^([\s\S]*?)\s*— handover (\S+) proposed; the case closes when it is confirmed$/.exec(note);
  if (action === "approve" && m) return { kind: "approved_handover", note: m[1], handoverId: m[2] };
  m = /^([\s\S]*?)\s*— the case closes when handover (\S+) is confirmed$/.exec(note);
  if (action === "approve" && m) return { kind: "approved_waiting", note: m[1], handoverId: m[2] };
  m = /^demoted to (\w+)$/.exec(note);
  if (action === "approve" && m) return { kind: "demoted", grade: m[1] };
  return { kind: "text", text: raw };
}
