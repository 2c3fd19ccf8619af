import { api, ok, type Schemas } from "../../api/client";
import { Empty, Loaded, Pill } from "../../components/status";
import { date, dateTime } from "../../format";
import { usePagedApi } from "../../api/queries";
import { useI18n } from "../../i18n";
import { Link, navigate, useLocation } from "../../router";
import { MoreOf, PagedTable } from "../../components/PagedTable";
import { DownloadButtons } from "../../components/DownloadButtons";
import { useSession } from "../../session";
import { RequiredReason } from "./reasons";
import { RmName } from "./rms";

type Status = "open" | "overdue" | "closed";

export function Checks() {
  const { t } = useI18n();
  const { query } = useLocation();
  const status = (query.get("status") ?? "overdue") as Status;
  return (
    <section aria-labelledby="checks-title">
      <h1 id="checks-title">{t("checks.title")}</h1>
      <section className="card" aria-labelledby="required-title">
        <div className="page-head">
          <h2 id="required-title">{t("checks.required")}</h2>
          <DownloadButtons list="required-checks" filters={{ status }} />
        </div>
        <div className="tabs">
          {(["overdue", "open", "closed"] as const).map((s) => (
            <button key={s} type="button" aria-pressed={s === status} onClick={() => navigate(`/checks?status=${s}`)}>
              {t(`checks.${s}`)}
            </button>
          ))}
        </div>
        <RequiredChecks status={status} />
      </section>
      <FieldChecks />
    </section>
  );
}

/** Where an RM records the check a requirement asks for: their day, the form filled in. */
export function recordCheckPath(c: Pick<Schemas["RequiredCheck"], "customer_id" | "customer_name" | "kind">): string {
  const q = new URLSearchParams({ customer: c.customer_id, kind: c.kind });
  if (c.customer_name) q.set("name", c.customer_name);
  return `/my-day?${q}#submit-check`;
}

function RequiredChecks({ status }: { status: Status }) {
  const { t, code, locale } = useI18n();
  const { roles } = useSession();
  const rm = roles.includes("rm");
  const paged = usePagedApi(["required-checks", "/api/v1/required-checks", status], (cursor) => ok(api.GET("/api/v1/required-checks", { params: { query: { status, limit: 50, cursor } } })));
  const { load } = paged;
  return (
    <Loaded load={load}>
      {() =>
        paged.items.length === 0 ? (
          <Empty>{t("checks.none")}</Empty>
        ) : (
          <>
            <div className="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">{t("field.customer")}</th>
                    <th scope="col">{t("field.kind")}</th>
                    <th scope="col">{t("field.rule")}</th>
                    <th scope="col">{t("field.reason")}</th>
                    <th scope="col">{t("field.status")}</th>
                    {rm && status !== "closed" && <th scope="col">{t("checks.action")}</th>}
                  </tr>
                </thead>
                <tbody>
                  {paged.items.map((c) => (
                    <tr key={c.id}>
                      <td>
                        <Link to={`/customers/${c.customer_id}`}>{c.customer_name ?? c.customer_id}</Link>
                      </td>
                      <td>{code(c.kind)}</td>
                      <td>{c.source}</td>
                      <td>
                        <RequiredReason check={c} />
                      </td>
                      <td>
                        {c.closed_at ? (
                          <Pill tone="ok">{t("checks.closed")}</Pill>
                        ) : (
                          <Pill tone={c.overdue ? "critical" : "warning"}>{t("checks.due", { date: date(c.due_on, locale) })}</Pill>
                        )}
                      </td>
                      {rm && status !== "closed" && <td>{!c.closed_at && <Link to={recordCheckPath(c)}>{t("checks.record")}</Link>}</td>}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <MoreOf paged={paged} />
          </>
        )
      }
    </Loaded>
  );
}

/** D-2/D-3: checks done by two RMs, the second's confirmation pending or given; the list names both
 * RMs (within the reader's scope), so no row needs a read of its own. */
function FieldChecks() {
  const { t, code, locale } = useI18n();
  const paged = usePagedApi(["field-checks", "/api/v1/field-checks"], (cursor) => ok(api.GET("/api/v1/field-checks", { params: { query: { limit: 50, cursor } } })));
  return (
    <section className="card" aria-labelledby="fieldchecks-title">
      <h2 id="fieldchecks-title">{t("checks.recent")}</h2>
      <PagedTable
        paged={paged}
        testId="field-checks"
        empty={t("checks.none")}
        rowKey={(c) => c.id}
        columns={[
          { header: t("field.when"), cell: (c) => dateTime(c.performed_at, locale) },
          { header: t("field.customer"), cell: (c) => <Link to={`/customers/${c.customer_id}`}>{c.customer_name ?? c.customer_id}</Link> },
          { header: t("field.kind"), cell: (c) => code(c.kind) },
          { header: t("checks.lead"), cell: (c) => <RmName id={c.lead_rm_id} name={c.lead_rm_name} /> },
          { header: t("checks.second"), cell: (c) => <RmName id={c.second_rm_id} name={c.second_rm_name} /> },
          { header: t("field.status"), cell: (c) => <CheckStatusPill status={c.status} /> },
        ]}
      />
    </section>
  );
}

export function CheckStatusPill({ status }: { status: Schemas["CheckStatus"] }) {
  const { code } = useI18n();
  const tone = status === "awaiting_confirmation" ? "warning" : status === "rejected" ? "critical" : status === "cancelled" ? "muted" : "ok";
  return (
    <Pill tone={tone}>
      <span data-status={status}>{code(status)}</span>
    </Pill>
  );
}
