import { api, ok } from "../../api/client";
import { Empty, Loaded, Pill } from "../../components/status";
import { date, dateTime } from "../../format";
import { useApi, usePagedApi } from "../../api/queries";
import { useI18n } from "../../i18n";
import { Link, navigate, useLocation } from "../../router";
import { MoreOf } from "../../components/PagedTable";

type Status = "open" | "overdue" | "closed";

export function Checks() {
  const { t } = useI18n();
  const { query } = useLocation();
  const status = (query.get("status") ?? "overdue") as Status;
  return (
    <section aria-labelledby="checks-title">
      <h1 id="checks-title">{t("checks.title")}</h1>
      <section className="card" aria-labelledby="required-title">
        <h2 id="required-title">{t("checks.required")}</h2>
        <div className="tabs" role="tablist">
          {(["overdue", "open", "closed"] as const).map((s) => (
            <button key={s} type="button" role="tab" aria-selected={s === status} onClick={() => navigate(`/checks?status=${s}`)}>
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

function RequiredChecks({ status }: { status: Status }) {
  const { t, code, locale } = useI18n();
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
                      <td>{c.reason}</td>
                      <td>
                        {c.closed_at ? (
                          <Pill tone="ok">{t("checks.closed")}</Pill>
                        ) : (
                          <Pill tone={c.overdue ? "critical" : "warning"}>{t("checks.due", { date: date(c.due_on, locale) })}</Pill>
                        )}
                      </td>
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

/** D-2/D-3: checks done by two RMs, the second's confirmation pending or given. */
function FieldChecks() {
  const { t, code, locale } = useI18n();
  const load = useApi(["field-checks", "with-rm-names"], async () => {
    const page = await ok(api.GET("/api/v1/field-checks", { params: { query: { limit: 50 } } }));
    const ids = [...new Set(page.items.flatMap((c) => [c.lead_rm_id, c.second_rm_id ?? ""]).filter(Boolean))];
    const rms = await Promise.all(ids.map((id) => ok(api.GET("/api/v1/rms/{id}", { params: { path: { id } } })).catch(() => null)));
    const names = new Map(rms.filter((r) => r !== null).map((r) => [r.id, r.name]));
    return { checks: page.items, names };
  });
  return (
    <section className="card" aria-labelledby="fieldchecks-title">
      <h2 id="fieldchecks-title">{t("checks.recent")}</h2>
      <Loaded load={load}>
        {({ checks, names }) =>
          checks.length === 0 ? (
            <Empty>{t("checks.none")}</Empty>
          ) : (
            <div className="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th scope="col">{t("field.when")}</th>
                    <th scope="col">{t("field.customer")}</th>
                    <th scope="col">{t("field.kind")}</th>
                    <th scope="col">{t("checks.lead")}</th>
                    <th scope="col">{t("checks.second")}</th>
                    <th scope="col">{t("field.status")}</th>
                  </tr>
                </thead>
                <tbody>
                  {checks.map((c) => (
                    <tr key={c.id}>
                      <td>{dateTime(c.performed_at, locale)}</td>
                      <td>
                        <Link to={`/customers/${c.customer_id}`}>{c.customer_name ?? c.customer_id}</Link>
                      </td>
                      <td>{code(c.kind)}</td>
                      <td>{names.get(c.lead_rm_id) ?? c.lead_rm_id}</td>
                      <td>{c.second_rm_id ? (names.get(c.second_rm_id) ?? c.second_rm_id) : "—"}</td>
                      <td>
                        <Pill tone={c.status === "awaiting_confirmation" ? "warning" : c.status === "rejected" ? "critical" : "ok"}>{code(c.status)}</Pill>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </Loaded>
    </section>
  );
}
