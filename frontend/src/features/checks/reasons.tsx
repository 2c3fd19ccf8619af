// The reason of a required check (D-5) in the user's language: from its code and parameters when
// the API sends them (`reason_code`, shown by the shared ReasonText), else the two texts the server
// writes today are recognised here; a person's words are shown as they are.

import { ReasonText } from "../../components/ReasonText";
import { date, percent } from "../../format";
import { useI18n } from "../../i18n";

/** What the API may send beside the stored English reason. */
type Coded = { reason: string; reason_code?: string | null; reason_params?: Record<string, unknown> | null };

const A6 = /^the customer entered an A-6 category$/;
const R4 = /^overdue-interest ratio ([0-9.]+) \((\d+) of (\d+) loan customers\) on (\d{4}-\d{2}-\d{2})$/;

export function RequiredReason({ check }: { check: Coded }) {
  const { t, locale } = useI18n();
  if (check.reason_code) return <ReasonText code={check.reason_code} params={check.reason_params} text={check.reason} />;
  if (A6.test(check.reason)) return <>{t("checks.reason.a6")}</>;
  const r4 = R4.exec(check.reason);
  if (r4) {
    return <>{t("checks.reason.r4", { ratio: percent(r4[1], locale), overdue: r4[2], loans: r4[3], date: date(r4[4], locale) })}</>;
  }
  return <>{check.reason}</>;
}
