// The language of the dashboard: chosen by the user, remembered in this browser.

import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import { codes, en, zh, type MessageKey } from "./messages";
import { formatLocale, type Lang } from "./format";

const LANG_KEY = "rmdesk.lang";

export function initialLang(stored: string | null, browser: readonly string[]): Lang {
  if (stored === "en" || stored === "zh-CN") return stored;
  return browser.some((tag) => tag.toLowerCase().startsWith("zh")) ? "zh-CN" : "en";
}

/** A message with `{name}` placeholders filled in. */
export function translate(lang: Lang, key: MessageKey, vars?: Record<string, string | number>): string {
  const text: string = (lang === "zh-CN" ? zh : en)[key] ?? en[key] ?? key;
  if (!vars) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => (name in vars ? String(vars[name]) : whole));
}

/** The name of an API code (flag kind, status, grade ...), `ns` telling apart codes spelled alike. */
export function codeName(lang: Lang, value: string | null | undefined, ns?: string): string {
  if (!value) return "—";
  const names = codes[lang];
  return (ns && names[`${ns}:${value}`]) || names[value] || value;
}

interface I18n {
  lang: Lang;
  locale: string;
  setLang: (lang: Lang) => void;
  t: (key: MessageKey, vars?: Record<string, string | number>) => string;
  code: (value: string | null | undefined, ns?: string) => string;
}

const Context = createContext<I18n | null>(null);

export function I18nProvider({ children }: { children: ReactNode }) {
  const [lang, setLangState] = useState<Lang>(() => initialLang(localStorage.getItem(LANG_KEY), navigator.languages ?? [navigator.language]));
  const setLang = useCallback((next: Lang) => {
    localStorage.setItem(LANG_KEY, next);
    setLangState(next);
  }, []);
  useEffect(() => {
    document.documentElement.lang = lang;
  }, [lang]);
  const value = useMemo<I18n>(
    () => ({
      lang,
      locale: formatLocale(lang, navigator.languages ?? [navigator.language]),
      setLang,
      t: (key, vars) => translate(lang, key, vars),
      code: (v, ns) => codeName(lang, v, ns),
    }),
    [lang, setLang],
  );
  return <Context.Provider value={value}>{children}</Context.Provider>;
}

export function useI18n(): I18n {
  const ctx = useContext(Context);
  if (!ctx) throw new Error("useI18n outside I18nProvider");
  return ctx;
}
