// Numbers, money and dates in the user's language. Pure functions: the locale is passed in.

export type Lang = "en" | "zh-CN";

/** The locale to format with: the browser's own when it speaks the chosen language. */
export function formatLocale(lang: Lang, browser: readonly string[] = []): string {
  const base = lang === "zh-CN" ? "zh" : "en";
  const own = browser.find((tag) => tag.toLowerCase().split("-")[0] === base);
  return own ?? (lang === "zh-CN" ? "zh-CN" : "en-GB");
}

const cache = new Map<string, Intl.NumberFormat>();
function numberFormat(locale: string, options: Intl.NumberFormatOptions): Intl.NumberFormat {
  const key = locale + JSON.stringify(options);
  let f = cache.get(key);
  if (!f) {
    f = new Intl.NumberFormat(locale, options);
    cache.set(key, f);
  }
  return f;
}

/** An amount in yuan (the API sends decimal strings such as "500000.00") as CNY with grouping. */
export function cny(amount: string | number | null | undefined, locale: string): string {
  if (amount === null || amount === undefined || amount === "") return "—";
  const value = typeof amount === "number" ? amount : Number(amount);
  if (!Number.isFinite(value)) return String(amount);
  return numberFormat(locale, { style: "currency", currency: "CNY", currencyDisplay: "symbol" }).format(value);
}

/** A whole number with grouping. */
export function count(n: number | null | undefined, locale: string): string {
  if (n === null || n === undefined) return "—";
  return numberFormat(locale, { maximumFractionDigits: 0 }).format(n);
}

/** A ratio such as "0.0625" as a percentage ("6.25%"). */
export function percent(ratio: string | number | null | undefined, locale: string, digits = 2): string {
  if (ratio === null || ratio === undefined || ratio === "") return "—";
  const value = typeof ratio === "number" ? ratio : Number(ratio);
  if (!Number.isFinite(value)) return String(ratio);
  return numberFormat(locale, { style: "percent", maximumFractionDigits: digits }).format(value);
}

/** A decimal score such as "87.5". */
export function decimal(value: string | number | null | undefined, locale: string, digits = 1): string {
  if (value === null || value === undefined || value === "") return "—";
  const n = typeof value === "number" ? value : Number(value);
  if (!Number.isFinite(n)) return String(value);
  return numberFormat(locale, { maximumFractionDigits: digits }).format(n);
}

function parseDate(value: string): Date | null {
  // A plain date ("2026-11-23") is a calendar day, not a UTC midnight.
  const d = /^\d{4}-\d{2}-\d{2}$/.test(value) ? new Date(`${value}T00:00:00`) : new Date(value);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** A calendar day in the user's locale. */
export function date(value: string | null | undefined, locale: string): string {
  if (!value) return "—";
  const d = parseDate(value);
  return d ? d.toLocaleDateString(locale, { year: "numeric", month: "short", day: "numeric" }) : value;
}

/** An instant in the user's locale and time zone. */
export function dateTime(value: string | null | undefined, locale: string, timeZone?: string): string {
  if (!value) return "—";
  const d = parseDate(value);
  return d
    ? d.toLocaleString(locale, { year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", timeZone })
    : value;
}

/** A month "2026-11" as "Nov 2026" / "2026年11月". */
export function month(value: string, locale: string): string {
  const d = parseDate(`${value}-01`);
  return d ? d.toLocaleDateString(locale, { year: "numeric", month: "short" }) : value;
}

/** "2026-11" for a date. */
export function monthKey(d: Date): string {
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}`;
}

/** The twelve months up to and including `last` ("YYYY-MM"), oldest first. */
export function lastTwelveMonths(last: Date): string[] {
  const out: string[] = [];
  for (let back = 11; back >= 0; back--) {
    out.push(monthKey(new Date(last.getFullYear(), last.getMonth() - back, 1)));
  }
  return out;
}
