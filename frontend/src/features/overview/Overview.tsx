import { useEffect, useRef } from "react";
import { useQueries, useQueryClient } from "@tanstack/react-query";
import { api, ok, type Schemas } from "../../api/client";
import { BarChart, LineChart } from "../../components/charts";
import { Empty, Loaded } from "../../components/status";
import { count, date, month, percent } from "../../format";
import { useApi, type Key } from "../../api/queries";
import { useI18n } from "../../i18n";
import { Link, useLocation } from "../../router";
import { Waiting } from "../desk/Waiting";

type Overview = Schemas["Overview"];
type UnitRisk = Schemas["UnitRisk"];

const SEVERITY_COLOURS: Record<string, string> = { info: "#7aa7d6", warning: "#e0a43a", critical: "#c8372d" };
const BANDS = ["normal", "above_normal", "action_required", "out_of_control"] as const;

/**
 * The units drilled into, from the caller's own scope down (`/?unit=<region>,<branch>`): the last
 * one is looked at, the others make the way back up. An empty trail is the caller's whole scope.
 */
export function trailOf(query: URLSearchParams): string[] {
  return (query.get("unit") ?? "")
    .split(",")
    .map((id) => id.trim())
    .filter(Boolean);
}

/** The overview's address for a trail of units. */
export function overviewPath(trail: readonly string[]): string {
  return trail.length ? `/?${new URLSearchParams({ unit: trail.join(",") })}` : "/";
}

/** The caller's whole scope keeps the key `["overview"]`, which other pages share (the business date). */
function overviewKey(unit: string | undefined): Key {
  return unit ? ["overview", "unit", unit] : ["overview"];
}

/** `GET /overview` of one unit (or of the caller's scope): the only parameter the route takes. */
function readOverview(unit: string | undefined): Promise<Overview> {
  return ok(api.GET("/api/v1/overview", { params: { query: unit ? { org_unit_id: unit } : {} } }));
}

/**
 * The names of the units of a trail. Drilling down, each one is in the overview already read of
 * its parent (the cache); only a link opened as it stands reads the units it does not know, one
 * read per level (at most the depth of the bank, in parallel).
 */
function useTrailNames(trail: readonly string[]): (string | undefined)[] {
  const client = useQueryClient();
  const known = trail.map((id, i) => client.getQueryData<Overview>(overviewKey(trail[i - 1]))?.units.find((u) => u.org_unit_id === id)?.name);
  const read = useQueries({
    queries: trail.map((id, i) => ({
      queryKey: ["org-units", id] as const,
      queryFn: () => ok(api.GET("/api/v1/org-units/{id}", { params: { path: { id } } })),
      enabled: known[i] === undefined,
      staleTime: 5 * 60_000,
    })),
  });
  return trail.map((_, i) => known[i] ?? read[i]?.data?.name);
}

export function Overview() {
  const { t } = useI18n();
  const { query } = useLocation();
  const trail = trailOf(query);
  const unit = trail.at(-1);
  const load = useApi(overviewKey(unit), () => readOverview(unit));
  return (
    <section aria-labelledby="overview-title">
      <h1 id="overview-title">{t("overview.title")}</h1>
      <Waiting />
      <Breadcrumb trail={trail} />
      <Loaded load={load}>{(data) => <Body data={data} trail={trail} />}</Loaded>
    </section>
  );
}

/** Where in the bank the overview looks, each level a link back up to the caller's own scope. */
function Breadcrumb({ trail }: { trail: readonly string[] }) {
  const { t } = useI18n();
  const names = useTrailNames(trail);
  const here = useRef<HTMLSpanElement>(null);
  const shown = useRef(trail.join(","));
  // After a step down or up, the keyboard continues from where the reader now is.
  useEffect(() => {
    if (shown.current === trail.join(",")) return;
    shown.current = trail.join(",");
    here.current?.focus();
  }, [trail]);
  const label = (i: number) => (i < 0 ? t("overview.scope") : (names[i] ?? t("overview.unitRecord", { id: trail[i].slice(-6) })));
  return (
    <nav className="breadcrumb" aria-label={t("overview.where")} data-testid="overview-trail">
      <ol>
        {[-1, ...trail.map((_, i) => i)].map((i) =>
          i === trail.length - 1 ? (
            <li key={i}>
              <span ref={here} tabIndex={-1} aria-current="location">
                {label(i)}
              </span>
            </li>
          ) : (
            <li key={i}>
              <Link to={overviewPath(trail.slice(0, i + 1))}>{label(i)}</Link>
            </li>
          ),
        )}
      </ol>
    </nav>
  );
}

function Body({ data, trail }: { data: Overview; trail: readonly string[] }) {
  const { t, code, locale } = useI18n();
  useEffect(() => {
    // The browser test reads this mark: the overview is on screen with its data.
    performance.mark("rmdesk:overview-rendered");
    document.body.dataset.overviewReady = "true";
  }, [data]);

  const open = data.flags.reduce((n, f) => n + f.count, 0);
  const critical = data.flags.filter((f) => f.severity === "critical").reduce((n, f) => n + f.count, 0);
  const kinds = [...new Set(data.flags.map((f) => f.kind))];
  const severities = ["critical", "warning", "info"].filter((s) => data.flags.some((f) => f.severity === s));
  const bands = {
    normal: percent(data.bands.normal, locale),
    action: percent(data.bands.action_required, locale),
    out: percent(data.bands.out_of_control, locale),
  };

  return (
    <>
      <p className="muted">{t("overview.asOf", { date: date(data.as_of, locale) })}</p>
      {data.job_failures.length > 0 && (
        <p className="notice notice-error" role="alert" data-testid="job-failures">
          <Link to="/jobs">{t("overview.jobFailures", { count: count(data.job_failures.length, locale) })}</Link>
        </p>
      )}
      <div className="kpis">
        <Link className="kpi" to="/customers">
          <span className="kpi-label">{t("overview.openFlags")}</span>
          <span className="kpi-value" data-testid="kpi-flags">{count(open, locale)}</span>
          <span className="kpi-note tone-critical">{t("overview.critical", { count: count(critical, locale) })}</span>
        </Link>
        <Link className="kpi" to="/checks">
          <span className="kpi-label">{t("overview.checksDue")}</span>
          <span className="kpi-value">{count(data.required_checks.due + data.required_checks.overdue, locale)}</span>
          <span className={`kpi-note ${data.required_checks.overdue > 0 ? "tone-critical" : ""}`}>
            {t("overview.checksOverdue", { count: count(data.required_checks.overdue, locale) })}
          </span>
        </Link>
        <Link className="kpi" to="/approvals">
          <span className="kpi-label">{t("overview.approvals")}</span>
          <span className="kpi-value" data-testid="kpi-approvals">{count(data.approvals_pending, locale)}</span>
        </Link>
        <Link className="kpi" to="/exit-cases">
          <span className="kpi-label">{t("overview.exits")}</span>
          <span className="kpi-value">{count(data.exit_cases_open, locale)}</span>
        </Link>
      </div>

      <section className="card" aria-labelledby="units-title">
        <h2 id="units-title">{t("overview.units")}</h2>
        {data.units.length === 0 ? (
          <Empty>{t("overview.noUnits")}</Empty>
        ) : (
          <>
            <p className="muted small">{t("overview.unitsHint")}</p>
            <Units units={data.units} trail={trail} bands={bands} />
          </>
        )}
      </section>

      <section className="card" aria-labelledby="heatmap-title">
        <h2 id="heatmap-title">{t("overview.riskiest")}</h2>
        <p className="muted small">{t("overview.riskiestHint")}</p>
        <Legend bands={bands} />
        {data.rm_risk.length === 0 ? (
          <Empty>{t("overview.noEvaluated")}</Empty>
        ) : (
          <>
            <p className="muted small" data-testid="riskiest-count">
              {data.rm_risk.length < data.rms_evaluated
                ? t("overview.riskiestCount", { shown: count(data.rm_risk.length, locale), total: count(data.rms_evaluated, locale) })
                : t("overview.riskiestAll", { total: count(data.rms_evaluated, locale) })}
            </p>
            <ul className="heatmap" data-testid="heatmap" aria-labelledby="heatmap-title">
              {data.rm_risk.map((r) => {
                const ratio = percent(r.overdue_ratio, locale, 1);
                const evaluated = t("overview.evaluatedOn", { date: date(r.as_of, locale) });
                const detail = `(${r.overdue_customers}/${r.loan_customers}), ${code(r.band)}${r.ratio_applies ? "" : `; ${t("overview.fewLoans")}`}; ${evaluated}`;
                const label = `${r.name}: ${ratio} ${detail}`;
                // The evaluation's date on the tile only when it is not the overview's own date.
                const stale = r.as_of !== data.as_of;
                return (
                  <li key={r.rm_id}>
                    <Link to={`/rms/${r.rm_id}`} className={`tile band-${r.band}${r.ratio_applies ? "" : " tile-few"}`} title={label}>
                      <span className="tile-name">{r.name}</span>
                      <span className="tile-ratio">{ratio}</span>
                      {stale && (
                        <span className="tile-asof" aria-hidden="true">
                          {t("overview.tileAsOf", { date: date(r.as_of, locale) })}
                        </span>
                      )}
                      <span className="visually-hidden"> {detail}</span>
                    </Link>
                  </li>
                );
              })}
            </ul>
          </>
        )}
      </section>

      <div className="grid-2">
        <section className="card" aria-labelledby="flags-title">
          <h2 id="flags-title">{t("overview.flagsByKind")}</h2>
          {kinds.length === 0 ? (
            <Empty>{t("overview.noFlags")}</Empty>
          ) : (
            <BarChart
              title={t("overview.flagsByKind")}
              stacked
              labels={kinds.map((k) => code(k))}
              series={severities.map((s) => ({
                label: code(s),
                color: SEVERITY_COLOURS[s] ?? "#888",
                values: kinds.map((k) => data.flags.find((f) => f.kind === k && f.severity === s)?.count ?? 0),
              }))}
            />
          )}
        </section>
        <section className="card" aria-labelledby="trends-title">
          <h2 id="trends-title">{t("overview.trends")}</h2>
          <LineChart
            title={t("overview.trends")}
            labels={data.trends.map((m) => month(m.month, locale))}
            series={[
              { label: t("overview.flagsRaised"), color: "#c8372d", values: data.trends.map((m) => m.flags_raised) },
              { label: t("overview.checksRequired"), color: "#2f6db5", values: data.trends.map((m) => m.checks_required) },
              { label: t("overview.casesOpened"), color: "#7b4fa0", values: data.trends.map((m) => m.exit_cases_opened) },
              {
                label: t("overview.averageScore"),
                color: "#2e8b57",
                axis: "y2",
                values: data.trends.map((m) => (m.average_score == null ? null : Number(m.average_score))),
              },
            ]}
          />
        </section>
      </div>
    </>
  );
}

type Bands = { normal: string; action: string; out: string };

function Legend({ bands }: { bands: Bands }) {
  const { t } = useI18n();
  return (
    <ul className="legend" aria-label={t("overview.legend")}>
      {BANDS.map((b) => (
        <li key={b}>
          <span className={`swatch band-${b}`} aria-hidden="true" />
          {t(`band.${b}`, bands)}
        </li>
      ))}
    </ul>
  );
}

/** The direct sub-units, each a link to its own overview (one level down the trail). */
function Units({ units, trail, bands }: { units: readonly UnitRisk[]; trail: readonly string[]; bands: Bands }) {
  const { t, code, locale } = useI18n();
  return (
    <div className="table-wrap">
      <table data-testid="units">
        <thead>
          <tr>
            <th scope="col">{t("overview.col.unit")}</th>
            <th scope="col">{t("overview.col.kind")}</th>
            <th scope="col" className="num">{t("overview.col.rms")}</th>
            <th scope="col" className="num">{t("overview.col.loanCustomers")}</th>
            <th scope="col" className="num">{t("overview.col.overdueCustomers")}</th>
            <th scope="col" className="num">{t("overview.col.ratio")}</th>
            {BANDS.map((b) => (
              <th scope="col" className="num" key={b}>
                <span className={`swatch band-${b}`} aria-hidden="true" />
                {t(`band.${b}`, bands)}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {units.map((u) => (
            <tr key={u.org_unit_id}>
              <th scope="row">
                <Link to={overviewPath([...trail, u.org_unit_id])}>{u.name}</Link>
              </th>
              <td>{code(u.kind)}</td>
              <td className="num">{count(u.rms, locale)}</td>
              <td className="num">{count(u.loan_customers, locale)}</td>
              <td className="num">{count(u.overdue_customers, locale)}</td>
              <td className="num">{u.loan_customers > 0 ? percent(u.overdue_ratio, locale, 1) : "—"}</td>
              {BANDS.map((b) => (
                <td className="num" key={b}>
                  {count(u.rms_by_band[b], locale)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
