import { api, ok, type Schemas } from "../../api/client";
import { Empty, Loaded, Pill } from "../../components/status";
import { dateTime } from "../../format";
import { useApi, usePagedApi } from "../../api/queries";
import { useI18n } from "../../i18n";
import { Link, navigate, useLocation } from "../../router";
import { MoreOf } from "../../components/PagedTable";

type CaseStatus = Schemas["CaseStatus"];

const tone = (status: string) => (status === "closed" ? "ok" : status === "rejected" ? "muted" : "warning");

export function ExitCases() {
  const { t, code, locale } = useI18n();
  const { query } = useLocation();
  const status = (query.get("status") ?? "") as CaseStatus | "";
  const paged = usePagedApi(["exit-cases", "/api/v1/exit-cases", status], (cursor) => ok(api.GET("/api/v1/exit-cases", { params: { query: { status: status || undefined, limit: 50, cursor } } })));
  const { load } = paged;
  return (
    <section aria-labelledby="exits-title">
      <h1 id="exits-title">{t("exits.title")}</h1>
      <div className="tabs" role="tablist">
        {(["", "proposed", "handover", "closed", "rejected"] as const).map((s) => (
          <button key={s || "all"} type="button" role="tab" aria-selected={s === status} onClick={() => navigate(`/exit-cases${s ? `?status=${s}` : ""}`)}>
            {s ? code(s) : t("field.all")}
          </button>
        ))}
      </div>
      <Loaded load={load}>
        {() =>
          paged.items.length === 0 ? (
            <Empty>{t("exits.none")}</Empty>
          ) : (
            <>
              <div className="table-wrap">
                <table>
                  <thead>
                    <tr>
                      <th scope="col">{t("exits.rm")}</th>
                      <th scope="col">{t("field.kind")}</th>
                      <th scope="col">{t("exits.trigger")}</th>
                      <th scope="col">{t("field.reason")}</th>
                      <th scope="col">{t("field.status")}</th>
                      <th scope="col">{t("field.created")}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {paged.items.map((c) => (
                      <tr key={c.id}>
                        <td>
                          <Link to={`/exit-cases/${c.id}`}>{c.rm_name ?? c.rm_id}</Link>
                        </td>
                        <td>{code(c.kind)}</td>
                        <td>{c.trigger ?? "—"}</td>
                        <td>{c.reason}</td>
                        <td>
                          <Pill tone={tone(c.status)}>{code(c.status)}</Pill>
                        </td>
                        <td>{dateTime(c.created_at, locale)}</td>
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
    </section>
  );
}

export function ExitCaseDetail({ id }: { id: string }) {
  const { t, code, locale } = useI18n();
  const load = useApi(["exit-cases", id], async () => {
    const c = await ok(api.GET("/api/v1/exit-cases/{id}", { params: { path: { id } } }));
    const rm = await ok(api.GET("/api/v1/rms/{id}", { params: { path: { id: c.rm_id } } })).catch(() => null);
    return { c, rmName: rm?.name ?? c.rm_id };
  });
  return (
    <section aria-labelledby="case-title">
      <p>
        <Link to="/exit-cases">← {t("exits.back")}</Link>
      </p>
      <Loaded load={load}>
        {({ c, rmName }) => (
          <>
            <h1 id="case-title">
              {code(c.kind)}: <Link to={`/rms/${c.rm_id}`}>{rmName}</Link> <Pill tone={tone(c.status)}>{code(c.status)}</Pill>
            </h1>
            <p>
              {c.trigger && <Pill tone="info">{c.trigger}</Pill>} {c.reason}
            </p>
            <p className="muted small">{t("exits.proposedBy", { who: c.proposed_by })}</p>
            {c.evidence && (
              <section className="card" aria-labelledby="evidence-title">
                <h2 id="evidence-title">{t("exits.evidence")}</h2>
                <pre className="evidence">{c.evidence}</pre>
              </section>
            )}
            <section className="card" aria-labelledby="timeline-title">
              <h2 id="timeline-title">{t("exits.timeline")}</h2>
              <ol className="timeline" data-testid="case-timeline">
                {c.timeline.map((step, n) => (
                  <li key={n}>
                    <span className="when">{dateTime(step.at, locale)}</span>
                    <span>
                      <strong>{code(step.action)}</strong> · {step.by}
                    </span>
                    {step.note && <span className="muted small">{step.note}</span>}
                  </li>
                ))}
              </ol>
            </section>
          </>
        )}
      </Loaded>
    </section>
  );
}
