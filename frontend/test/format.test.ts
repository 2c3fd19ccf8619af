import { describe, expect, it } from "vitest";
import { cny, count, date, decimal, formatLocale, lastTwelveMonths, month, percent } from "../src/format";

describe("money in CNY with grouping", () => {
  it("groups yuan amounts sent as decimal strings", () => {
    expect(cny("1234567.5", "en-GB")).toBe("CN¥1,234,567.50");
    expect(cny("1234567.5", "zh-CN")).toBe("¥1,234,567.50");
    expect(cny(0, "en-GB")).toBe("CN¥0.00");
  });
  it("shows a dash for nothing and the text for what is not a number", () => {
    expect(cny(null, "en-GB")).toBe("—");
    expect(cny("", "en-GB")).toBe("—");
    expect(cny("n/a", "en-GB")).toBe("n/a");
  });
});

describe("ratios, counts and scores", () => {
  it("shows R-4 ratios as percentages", () => {
    expect(percent("0.0625", "en-GB")).toBe("6.25%");
    expect(percent("0.2", "zh-CN")).toBe("20%");
    expect(percent("0.05", "en-GB", 0)).toBe("5%");
    expect(percent(undefined, "en-GB")).toBe("—");
  });
  it("groups counts and rounds scores", () => {
    expect(count(1234567, "en-GB")).toBe("1,234,567");
    expect(decimal("87.55", "en-GB")).toBe("87.6");
  });
});

describe("dates in the user's locale", () => {
  it("keeps a calendar day on its day whatever the time zone", () => {
    expect(date("2026-11-23", "en-GB")).toBe("23 Nov 2026");
    expect(date("2026-11-23", "zh-CN")).toBe("2026年11月23日");
    expect(date(null, "en-GB")).toBe("—");
  });
  it("names months", () => {
    expect(month("2026-02", "en-GB")).toBe("Feb 2026");
    expect(month("2026-02", "zh-CN")).toBe("2026年2月");
  });
  it("lists the twelve months up to the current one across a year end", () => {
    const months = lastTwelveMonths(new Date(2026, 0, 15));
    expect(months).toHaveLength(12);
    expect(months[0]).toBe("2025-02");
    expect(months[11]).toBe("2026-01");
  });
  it("formats with the browser's own locale when it speaks the chosen language", () => {
    expect(formatLocale("en", ["en-US", "zh-CN"])).toBe("en-US");
    expect(formatLocale("zh-CN", ["en-US", "zh-TW"])).toBe("zh-TW");
    expect(formatLocale("zh-CN", ["en-US"])).toBe("zh-CN");
    expect(formatLocale("en", [])).toBe("en-GB");
  });
});
