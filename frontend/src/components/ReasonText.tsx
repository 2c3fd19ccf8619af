// A text the system wrote itself, shown in the user's language from its code and parameters; and a
// rule pill whose title names the rule.

import type { ReactNode } from "react";
import { useI18n } from "../i18n";
import { renderReason, ruleTitle, type ReasonParams } from "../reasons";

/**
 * A flag's, case's or required check's reason: `code` and `params` are the API's `reason_code` and
 * `reason_params`, `text` its stored `reason` (shown as it is when there is no code, as for what a
 * person typed, or when the dashboard does not know the code).
 */
export function ReasonText({ code, params, text }: { code?: string | null; params?: ReasonParams | null; text?: string | null }) {
  const { lang, locale } = useI18n();
  const shown = renderReason(lang, locale, code, params, text);
  // The server's English in a Chinese page: say so to screen readers. A person's words have no code
  // and may be in any language.
  const english = !shown.translated && !!code && lang !== "en";
  return (
    <span className="reason" data-reason-code={code ?? undefined} lang={english ? "en" : undefined}>
      {shown.text}
    </span>
  );
}

/** A rule ID as a pill ("X-3"), its name in the title ("X-3: Forced exit"). */
export function RulePill({ rule, children }: { rule: string; children?: ReactNode }) {
  const { lang } = useI18n();
  return (
    <abbr className="pill pill-info rule" title={ruleTitle(lang, rule)}>
      {children ?? rule}
    </abbr>
  );
}
