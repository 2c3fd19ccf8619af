import { useEffect } from "react";
import { api, ok, type Schemas } from "../../api/client";
import { BarChart, LineChart } from "../../components/charts";
import { Empty, Loaded } from "../../components/status";
import { count, date, month, percent } from "../../format";
import { useApi } from "../../api/queries";
import { useI18n } from "../../i18n";
import { Link } from "../../router";
import { Waiting } from "../desk/Waiting";

type Overview = Schemas["Overview"];

const SEVERITY_COLOURS: Record<string, string> = { info: "#7aa7d6", warning: "#e0a43a", critical: "#c8372d" };
const HEATMAP_LIMIT = 240;

export function Overview() {
  const { t } = useI18n();
  const load = useApi(["overview"], () => ok(api.GET("/api/v1/overview")));
  return (
    <section aria-labelledby="overview-title">
      <h1 id="overview-title">{t("overview.title")}</h1>
      <Waiting />
      <Loaded load={load}>{(data) => <Body data={data} />}</Loaded>
    </section>
  );
}

function Body({ data }: { data: Overview }) {
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

      <section className="card" aria-labelledby="heatmap-title">
        <h2 id="heatmap-title">{t("overview.heatmap")}</h2>
        <p className="muted small">{t("overview.heatmapHint")}</p>
        <ul className="legend" aria-label={t("overview.heatmap")}>
          <li><span className="swatch band-normal" />{t("band.normal", bands)}</li>
          <li><span className="swatch band-above_normal" />{t("band.above_normal", bands)}</li>
          <li><span className="swatch band-action_required" />{t("band.action_required", bands)}</li>
          <li><span className="swatch band-out_of_control" />{t("band.out_of_control", bands)}</li>
        </ul>
        {data.rm_risk.length === 0 ? (
          <Empty>{t("overview.noRms")}</Empty>
        ) : (
          <>
            {data.rm_risk.length > HEATMAP_LIMIT && (
              <p className="muted small">{t("overview.showing", { shown: HEATMAP_LIMIT, total: count(data.rm_risk.length, locale) })}</p>
            )}
            <ul className="heatmap" data-testid="heatmap">
              {data.rm_risk.slice(0, HEATMAP_LIMIT).map((r) => {
                const ratio = percent(r.overdue_ratio, locale, 1);
                const detail = `(${r.overdue_customers}/${r.loan_customers}), ${code(r.band)}${r.ratio_applies ? "" : `; ${t("overview.fewLoans")}`}`;
                const label = `${r.name}: ${ratio} ${detail}`;
                return (
                  <li key={r.rm_id}>
                    <Link to={`/rms/${r.rm_id}`} className={`tile band-${r.band}${r.ratio_applies ? "" : " tile-few"}`} title={label}>
                      <span className="tile-name">{r.name}</span>
                      <span className="tile-ratio">{ratio}</span>
                      <span className="visually-hidden"> {detail}</span>
                    </Link>
                  </li>
                );
              })}
            </ul>
          </>
        )}
      </section>
    </>
  );
}
