// "Waiting for me": what the signed-in person has to decide, confirm or work, on the first
// screen for every role and as counts in the navigation. One read (GET /me/waiting), shared by
// both through the query cache and refreshed after every action, whenever the event stream tells
// of a change that moves a count (api/events.ts), and every minute.

import { api, ok, type Schemas } from "../../api/client";
import { useApi } from "../../api/queries";
import { ErrorMessage } from "../../components/status";
import { count } from "../../format";
import { useI18n } from "../../i18n";
import { Link } from "../../router";
import type { PageId } from "../../state";
import type { MessageKey } from "../../messages";

type Counts = Schemas["Waiting"];
type CountKey = Exclude<keyof Counts, "as_of" | "now">;

function useWaiting() {
  return useApi(["waiting"], () => ok(api.GET("/api/v1/me/waiting")), true, 60_000);
}

/**
 * The bank's business clock (P-2) from the same cached read: the date and instant pages measure
 * ages and months against, never the browser's clock. Undefined until the first answer.
 */
export function useBusinessClock(): { asOf?: string; now?: number } {
  const waiting = useWaiting();
  return waiting.data ? { asOf: waiting.data.as_of, now: Date.parse(waiting.data.now) } : {};
}

/** Each line of the panel: its count, its text and where the work is done. */
const ITEMS: { key: CountKey; text: MessageKey; to: string; urgent?: boolean }[] = [
  { key: "approvals_to_decide", text: "waiting.approvals", to: "/approvals?status=pending" },
  { key: "checks_to_confirm", text: "waiting.checksToConfirm", to: "/my-day" },
  { key: "my_checks_overdue", text: "waiting.myChecksOverdue", to: "/my-day", urgent: true },
  { key: "my_checks_due", text: "waiting.myChecksDue", to: "/my-day" },
  { key: "cases_to_decide", text: "waiting.cases", to: "/exit-cases?status=proposed" },
  { key: "handovers_to_confirm", text: "waiting.handovers", to: "/handovers" },
  { key: "unit_checks_overdue", text: "waiting.unitChecksOverdue", to: "/checks?status=overdue", urgent: true },
  { key: "flags_to_acknowledge", text: "waiting.flags", to: "/flags?status=open" },
];

/**
 * Which counts a navigation entry carries: the work that is done on that page, and on the
 * overview (where the panel is) all that waits for the user.
 */
const NAV: Partial<Record<PageId, (CountKey)[]>> = {
  overview: ITEMS.map((item) => item.key),
  myday: ["checks_to_confirm", "my_checks_overdue"],
  approvals: ["approvals_to_decide"],
  exits: ["cases_to_decide"],
  queues: ["handovers_to_confirm"],
  checks: ["unit_checks_overdue"],
};

export function NavCount({ page }: { page: PageId }) {
  const { t, locale } = useI18n();
  const waiting = useWaiting();
  const keys = NAV[page];
  if (!keys || !waiting.data) return null;
  const n = keys.reduce((sum, k) => sum + waiting.data![k], 0);
  if (n === 0) return null;
  return (
    <span className="badge" data-testid={`nav-count-${page}`}>
      <span aria-hidden="true">{count(n, locale)}</span>
      <span className="visually-hidden">{t("waiting.navCount", { count: count(n, locale) })}</span>
    </span>
  );
}

export function Waiting() {
  const { t, locale } = useI18n();
  const waiting = useWaiting();
  if (waiting.status === "error" && !waiting.data) return <ErrorMessage error={waiting.error} onRetry={waiting.reload} />;
  if (!waiting.data) return null;
  const data = waiting.data;
  const shown = ITEMS.filter((item) => data[item.key] > 0);
  return (
    <section className="card waiting" aria-labelledby="waiting-title" data-testid="waiting">
      <h2 id="waiting-title">{t("waiting.title")}</h2>
      {shown.length === 0 ? (
        <p className="muted">{t("waiting.none")}</p>
      ) : (
        <ul>
          {shown.map((item) => (
            <li key={item.key} className={item.urgent ? "tone-critical" : undefined}>
              <Link to={item.to} data-testid={`waiting-${item.key}`}>
                <strong>{count(data[item.key], locale)}</strong> {t(item.text)}
              </Link>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
