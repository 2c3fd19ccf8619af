import { api, ok, type Schemas } from "../../api/client";
import { LineChart } from "../../components/charts";
import { Empty, Loaded, Pill } from "../../components/status";
import { cny, count, date, decimal, lastTwelveMonths, month, percent } from "../../format";
import { useApi, usePagedApi } from "../../api/queries";
import { useI18n } from "../../i18n";
import { Link, navigate, useLocation } from "../../router";
import { FlagList } from "../customers/Customers";
import { MoreOf, PagedTable } from "../../components/PagedTable";
import { DownloadButtons } from "../../components/DownloadButtons";
import { RmAdministration } from "../manager/slots";
import { RmRiskActions } from "../risk/slots";
import { useSession } from "../../session";
import { useBusinessClock } from "../desk/Waiting";

type Line = Schemas["Line"];
type RmStatus = Schemas["RmStatus"];

export function Rms() {
  const { t, code } = useI18n();
  const { roles } = useSession();
  const { query } = useLocation();
  const line = (query.get("line") ?? "") as Line | "";
  const status = (query.get("status") ?? "") as RmStatus | "";
  const recert = query.get("recertification_due") === "true";
  const paged = usePagedApi(["rms", "/api/v1/rms", line, status, recert], (cursor) =>
      ok(api.GET("/api/v1/rms", { params: { query: { line: line || undefined, status: status || undefined, recertification_due: recert || undefined, limit: 25, cursor } } })));
  const filter = (key: string, value: string) => {
    const q = new URLSearchParams(query);
    if (value) q.set(key, value);
    else q.delete(key);
    navigate(`/rms${q.size ? `?${q}` : ""}`);
  };

  return (
    <section aria-labelledby="rms-title">
      <div className="page-head">
        <h1 id="rms-title">{t("rms.title")}</h1>
        <div className="head-actions">
          {(roles.includes("manager") || roles.includes("admin")) && (
            <Link to="/rms/new" className="button">
              {t("manager.appoint.link")}
            </Link>
          )}
          <DownloadButtons list="rms" filters={{ line, status, recertification_due: recert || undefined }} />
        </div>
      </div>
      <div className="filters">
        <label>
          {t("rms.line")}
          <select value={line} onChange={(e) => filter("line", e.target.value)}>
            <option value="">{t("field.all")}</option>
            {(["corporate", "sme", "retail"] as const).map((l) => (
              <option key={l} value={l}>
                {code(l)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t("rms.status")}
          <select value={status} onChange={(e) => filter("status", e.target.value)}>
            <option value="">{t("field.all")}</option>
            {(["active", "suspended", "exited"] as const).map((s) => (
              <option key={s} value={s}>
                {code(s)}
              </option>
            ))}
          </select>
        </label>
        <label className="inline">
          <input type="checkbox" checked={recert} onChange={(e) => filter("recertification_due", e.target.checked ? "true" : "")} />
          {t("rms.recertification")}
        </label>
      </div>
      <PagedTable
        paged={paged}
        rowKey={(rm) => rm.id}
        columns={[
          {
            header: t("customers.name"),
            cell: (rm) => (
              <>
                <Link to={`/rms/${rm.id}`}>{rm.name}</Link>
                {rm.qualification_lapsed && <Pill tone="warning">{t("rms.recertification")}</Pill>}
              </>
            ),
          },
          { header: t("rms.employeeNo"), cell: (rm) => rm.employee_no },
          { header: t("rms.line"), cell: (rm) => code(rm.line) },
          { header: t("rms.grade"), cell: (rm) => code(rm.grade) },
          { header: t("rms.status"), cell: (rm) => code(rm.status) },
          { header: t("rms.level"), cell: (rm) => rm.performance_level, numeric: true },
          { header: t("rms.load"), cell: (rm) => (rm.capacity ? <CapBar held={rm.capacity.held} cap={rm.capacity.cap} /> : "—") },
        ]}
      />
    </section>
  );
}

/** A-3: customers held against the cap of the RM's line. */
function CapBar({ held, cap }: { held: number; cap: number }) {
  const { locale } = useI18n();
  const share = cap > 0 ? Math.min(held / cap, 1) : 0;
  const tone = share >= 1 ? "critical" : share >= 0.9 ? "warning" : "ok";
  return (
    <span className="capbar" title={`${held} / ${cap}`}>
      <span className="capbar-track" aria-hidden="true">
        <span className={`capbar-fill tone-${tone}`} style={{ width: `${share * 100}%` }} />
      </span>
      <span className="small">
        {count(held, locale)} / {count(cap, locale)}
      </span>
    </span>
  );
}

export function RmDetail({ id }: { id: string }) {
  const { t, code, locale } = useI18n();
  // The months end at the bank's business date (P-2), not the browser's.
  const { asOf } = useBusinessClock();
  const load = useApi(["rms", id, "page", asOf], async () => {
    const months = lastTwelveMonths(new Date(`${asOf}T12:00:00`));
    const [rm, portfolio, flags, trend] = await Promise.all([
      ok(api.GET("/api/v1/rms/{id}", { params: { path: { id } } })),
      ok(api.GET("/api/v1/rms/{id}/portfolio", { params: { path: { id } } })),
      ok(api.GET("/api/v1/flags", { params: { query: { rm_id: id, status: "open", limit: 50 } } })),
      ok(api.GET("/api/v1/performance/scores", { params: { query: { month: months[0], to: months[months.length - 1], rm_id: id } } })),
    ]);
    const byMonth = new Map(trend.map((s) => [s.month, s]));
    return { rm, portfolio, flags: flags.items, scores: months.map((m) => byMonth.get(m) ?? null), months };
  }, asOf !== undefined);

  return (
    <section aria-labelledby="rm-title">
      <p>
        <Link to="/rms">← {t("rm.back")}</Link>
      </p>
      <Loaded load={load}>
        {({ rm, portfolio, flags, scores, months }) => {
          const risk = portfolio.risk;
          const latest = [...scores].reverse().find((s) => s);
          return (
            <>
              <h1 id="rm-title">
                {rm.name} <span className="muted">{rm.employee_no}</span>
              </h1>
              <div className="grid-2 actions">
                <RmAdministration rm={rm} />
                <RmRiskActions rm={rm} />
              </div>
              <p>
                <Pill tone={rm.status === "active" ? "ok" : "warning"}>{code(rm.status)}</Pill> {code(rm.line)} · {code(rm.grade)} · {t("rms.level")}{" "}
                {rm.performance_level} · {t("rm.qualified")} {date(rm.qualified_on, locale)} · {t("rm.term")} {date(rm.term_starts_on, locale)} –{" "}
                {date(rm.term_ends_on, locale)}
              </p>
              <div className="kpis">
                <div className="kpi">
                  <span className="kpi-label">{t("rm.capacity")}</span>
                  <CapBar held={portfolio.capacity.held} cap={portfolio.capacity.cap} />
                  <span className="kpi-note">
                    {t("rm.customers")}: {count(portfolio.customers, locale)}
                  </span>
                </div>
                <div className="kpi">
                  <span className="kpi-label">{t("rm.risk")}</span>
                  <span className={`kpi-value ${risk.out_of_control ? "tone-critical" : risk.within_target ? "" : "tone-warning"}`}>
                    {risk.loan_customers ? percent(risk.overdue_ratio, locale) : "—"}
                  </span>
                  <span className="kpi-note">
                    {risk.loan_customers
                      ? `${risk.overdue_customers}/${risk.loan_customers} · ${t("rm.checkpoint", { checkpoint: code(risk.checkpoint) })}${risk.target ? ` · ${t("rm.target", { target: percent(risk.target, locale) })}` : ""}`
                      : t("rm.noLoans")}
                  </span>
                </div>
                <div className="kpi">
                  <span className="kpi-label">{t("rm.npl")}</span>
                  <span className="kpi-value">{percent(portfolio.npl.npl_ratio, locale)}</span>
                  <span className="kpi-note">
                    {t("rm.nplBalance")} {cny(portfolio.npl.npl_balance, locale)} / {t("rm.originated")} {cny(portfolio.npl.originated_balance, locale)}
                    {portfolio.npl.npl_points != null && ` · ${t("rm.points", { points: portfolio.npl.npl_points })}`}
                  </span>
                </div>
                <div className="kpi">
                  <span className="kpi-label">{t("rm.scores")}</span>
                  <span className="kpi-value">{latest ? decimal(latest.total, locale) : "—"}</span>
                  {latest && <span className="kpi-note">{t("rm.rank", { rank: latest.rank, of: latest.rank_of })}</span>}
                </div>
              </div>
              {portfolio.npl.exit_trigger_reached && (
                <p className="notice notice-error" role="alert">
                  {t("rm.exitTrigger")}
                </p>
              )}
              <div className="grid-2">
                <section className="card" aria-labelledby="scores-title">
                  <div className="page-head">
                    <h2 id="scores-title">{t("rm.scores")}</h2>
                    <DownloadButtons list="scores" filters={{ month: months[0], to: months[months.length - 1], rm_id: rm.id }} />
                  </div>
                  {scores.every((s) => !s) ? (
                    <Empty>{t("rm.noScores")}</Empty>
                  ) : (
                    <LineChart
                      title={t("rm.scores")}
                      labels={months.map((m) => month(m, locale))}
                      series={[{ label: t("rm.score"), color: "#2f6db5", values: scores.map((s) => (s ? Number(s.total) : null)) }]}
                    />
                  )}
                </section>
                <section className="card" aria-labelledby="portfolio-title">
                  <h2 id="portfolio-title">{t("rm.portfolio")}</h2>
                  <dl className="facts">
                    <dt>{t("rm.byRole")}</dt>
                    <dd>
                      {Object.entries(portfolio.by_role as Record<string, number>)
                        .map(([role, n]) => `${code(role, "assignment")}: ${count(n, locale)}`)
                        .join(" · ") || "—"}
                    </dd>
                    <dt>{t("rm.byCategory")}</dt>
                    <dd>
                      {Object.entries(portfolio.by_category as Record<string, number>)
                        .map(([c, n]) => `${code(c)}: ${count(n, locale)}`)
                        .join(" · ") || "—"}
                    </dd>
                  </dl>
                </section>
              </div>
              <RmCustomers id={rm.id} />
              <section className="card" aria-labelledby="rmflags-title">
                <h2 id="rmflags-title">{t("rm.flags")}</h2>
                <FlagList flags={flags} showCustomer empty={t("rm.noFlags")} />
              </section>
            </>
          );
        }}
      </Loaded>
    </section>
  );
}

/** The customers the RM holds now. */
function RmCustomers({ id }: { id: string }) {
  const { t, code } = useI18n();
  const paged = usePagedApi(["customers", "/api/v1/customers", id], (cursor) => ok(api.GET("/api/v1/customers", { params: { query: { rm_id: id, limit: 50, cursor } } })));
  const { load } = paged;
  return (
    <section className="card" aria-labelledby="rmcustomers-title">
      <h2 id="rmcustomers-title">{t("rm.customers")}</h2>
      <Loaded load={load}>
        {() =>
          paged.items.length === 0 ? (
            <Empty />
          ) : (
            <>
              <ul className="columns" data-testid="rm-customers">
                {paged.items.map((c) => (
                  <li key={c.id}>
                    <Link to={`/customers/${c.id}`}>{c.name}</Link> <span className="muted small">{code(c.kind)}</span>
                  </li>
                ))}
              </ul>
              <MoreOf paged={paged} />
            </>
          )
        }
      </Loaded>
    </section>
  );
}
