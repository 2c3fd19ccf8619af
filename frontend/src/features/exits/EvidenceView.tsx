// A case's evidence as a reader wants it: the facts the system found, labelled, formatted in the
// user's language and linked to what they cite; a person's own words exactly as typed.

import { Fragment, type ReactNode } from "react";
import type { Schemas } from "../../api/client";
import { Pill } from "../../components/status";
import { count, date, decimal, month, percent } from "../../format";
import { useI18n } from "../../i18n";
import { Link } from "../../router";
import { readEvidence, type R4Indicator } from "./evidence";

export function EvidenceView({ evidence, rmId, rmName, thresholds }: {
  evidence: string;
  rmId: string;
  rmName: string;
  /** The R-4 thresholds of the policy in force (from the RM's portfolio), when known. */
  thresholds?: Schemas["RiskThresholds"];
}) {
  const { t, locale } = useI18n();
  const read = readEvidence(evidence);
  const rm = <Link to={`/rms/${rmId}`}>{rmName}</Link>;
  switch (read.kind) {
    case "none":
      return <p className="empty">{t("committee.evidence.none")}</p>;
    case "r4":
      return <R4 date={read.date} indicator={read.indicator} rm={rm} thresholds={thresholds} />;
    case "complaints":
      return (
        <div data-testid="evidence-summary">
          <p>{t("committee.evidence.complaintsSummary", { count: count(read.count, locale), from: date(read.from, locale), to: date(read.to, locale) })}</p>
          <dl className="facts">
            <dt>{t("exits.rm")}</dt>
            <dd>{rm}</dd>
            <dt>{t("committee.evidence.complaints")}</dt>
            <dd>{count(read.count, locale)}</dd>
            <dt>{t("committee.evidence.window")}</dt>
            <dd>
              {date(read.from, locale)} – {date(read.to, locale)}
            </dd>
          </dl>
          <p className="small">
            <Link to={`/rms/${rmId}`}>{t("committee.evidence.seeConduct")}</Link>
          </p>
        </div>
      );
    case "new_npl":
      return (
        <div data-testid="evidence-summary">
          <p>{t("committee.evidence.newNplSummary", { months: read.months.length })}</p>
          <div className="table-wrap">
            <table>
              <caption className="visually-hidden">{t("committee.evidence.newNplCaption", { rm: rmName })}</caption>
              <thead>
                <tr>
                  <th scope="col">{t("committee.evidence.month")}</th>
                  <th scope="col" className="num">
                    {t("committee.evidence.newNplRatio")}
                  </th>
                </tr>
              </thead>
              <tbody>
                {read.months.map((m) => (
                  <tr key={m.month}>
                    <th scope="row">{month(m.month, locale)}</th>
                    <td className="num">{percent(m.ratio, locale, 3)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <p className="small">
            {rm} · <Link to={`/rms/${rmId}`}>{t("committee.evidence.seeNpl")}</Link>
          </p>
        </div>
      );
    case "bottom_score":
      return (
        <div data-testid="evidence-summary">
          <p>{t("committee.evidence.bottomSummary", { average: decimal(read.average, locale, 2), month: month(read.month, locale), bottom: read.bottom, of: read.of })}</p>
          <dl className="facts">
            <dt>{t("exits.rm")}</dt>
            <dd>{rm}</dd>
            <dt>{t("committee.evidence.average")}</dt>
            <dd>{decimal(read.average, locale, 2)}</dd>
            <dt>{t("committee.evidence.toMonth")}</dt>
            <dd>{month(read.month, locale)}</dd>
            <dt>{t("committee.evidence.rank")}</dt>
            <dd>{t("committee.evidence.bottomOf", { bottom: read.bottom, of: read.of })}</dd>
          </dl>
          <p className="small">
            <Link to={`/rms/${rmId}`}>{t("committee.evidence.seeScores")}</Link>
          </p>
        </div>
      );
    case "average_score":
      return (
        <div data-testid="evidence-summary">
          <p>{t("committee.evidence.averageSummary", { average: decimal(read.average, locale, 2), months: read.months })}</p>
          <p className="small">
            {rm} · <Link to={`/rms/${rmId}`}>{t("committee.evidence.seeScores")}</Link>
          </p>
        </div>
      );
    case "json":
      return (
        <div data-testid="evidence-summary">
          <Structured value={read.value} />
        </div>
      );
    case "text":
      return (
        <div data-testid="evidence-text">
          <p className="muted small">{t("committee.evidence.asTyped")}</p>
          <pre className="evidence">{read.text}</pre>
        </div>
      );
  }
}

/** The R-4 indicator of the evaluated date: a sentence, then each fact against the policy. */
function R4({ date: on, indicator: i, rm, thresholds }: { date: string | null; indicator: R4Indicator; rm: ReactNode; thresholds?: Schemas["RiskThresholds"] }) {
  const { t, code, locale } = useI18n();
  const yesNo = (b: boolean | undefined) => (b === undefined ? "—" : b ? t("committee.yes") : t("committee.no"));
  const band = i.out_of_control ? (
    <Pill tone="critical">{t("committee.r4.outOfControl")}</Pill>
  ) : i.action_required ? (
    <Pill tone="warning">{t("committee.r4.actionRequired")}</Pill>
  ) : i.within_target === false ? (
    <Pill tone="warning">{t("committee.r4.aboveTarget")}</Pill>
  ) : i.within_target ? (
    <Pill tone="ok">{t("committee.r4.withinTarget")}</Pill>
  ) : null;
  return (
    <div data-testid="evidence-summary">
      <p>
        {t("committee.r4.summary", {
          date: on ? date(on, locale) : "—",
          checkpoint: code(i.checkpoint),
          overdue: count(i.overdue_customers, locale),
          loans: count(i.loan_customers, locale),
          ratio: percent(i.overdue_ratio, locale),
        })}
      </p>
      <dl className="facts" data-testid="r4-facts">
        <dt>{t("exits.rm")}</dt>
        <dd>{rm}</dd>
        <dt>{t("committee.r4.evaluated")}</dt>
        <dd>{on ? <Link to={`/evaluations?as_of=${on}`}>{date(on, locale)}</Link> : "—"}</dd>
        <dt>{t("committee.r4.checkpoint")}</dt>
        <dd>{code(i.checkpoint)}</dd>
        <dt>{t("committee.r4.loanCustomers")}</dt>
        <dd>{count(i.loan_customers, locale)}</dd>
        <dt>{t("committee.r4.overdueCustomers")}</dt>
        <dd>
          {count(i.overdue_customers, locale)} <a href="#case-flags">{t("committee.r4.seeFlags")}</a>
        </dd>
        <dt>{t("committee.r4.ratio")}</dt>
        <dd>
          <strong>{percent(i.overdue_ratio, locale)}</strong> {band}
        </dd>
        <dt>{t("committee.r4.target")}</dt>
        <dd>{i.target ? percent(i.target, locale) : t("committee.r4.noTarget")}</dd>
        {thresholds && (
          <>
            <dt>{t("committee.r4.triggers")}</dt>
            <dd>
              {t("committee.r4.triggersText", { action: percent(thresholds.action_required, locale), out: percent(thresholds.out_of_control, locale) })}
            </dd>
          </>
        )}
        <dt>{t("committee.r4.applies")}</dt>
        <dd>
          {yesNo(i.ratio_applies)}
          {i.ratio_applies === false && (
            <span className="muted small">
              {" "}
              · {thresholds ? t("committee.r4.fewLoans", { min: count(thresholds.min_loans, locale) }) : t("committee.r4.fewLoansNoMin")}
            </span>
          )}
        </dd>
        <dt>{t("committee.r4.inspections")}</dt>
        <dd>{yesNo(i.inspections_required)}</dd>
      </dl>
    </div>
  );
}

const LINKS: Record<string, string> = { rm_id: "/rms/", to_rm_id: "/rms/", from_rm_id: "/rms/", customer_id: "/customers/", case_id: "/exit-cases/", handover_id: "/handovers/", flag_id: "/flags/" };

function label(key: string): string {
  const words = key.replace(/_/g, " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** One value of structured evidence: ratios as percentages, dates and months in the user's locale, ids as links. */
function Value({ name, value }: { name: string; value: unknown }) {
  const { t, locale } = useI18n();
  if (value === null || value === undefined || value === "") return <>—</>;
  if (typeof value === "boolean") return <>{value ? t("committee.yes") : t("committee.no")}</>;
  if (Array.isArray(value)) {
    if (value.every((v) => v && typeof v === "object" && !Array.isArray(v))) return <Rows rows={value as Record<string, unknown>[]} />;
    return (
      <>
        {value.map((v, n) => (
          <span key={n}>
            {n > 0 && ", "}
            <Value name={name.replace(/s$/, "")} value={v} />
          </span>
        ))}
      </>
    );
  }
  if (typeof value === "object") return <Structured value={value as Record<string, unknown>} />;
  const text = String(value);
  const link = LINKS[name];
  if (link) return <Link to={`${link}${encodeURIComponent(text)}`}>{text}</Link>;
  if (/(^|_)ratio$/.test(name) || name === "target" || name === "share") return <>{percent(text, locale)}</>;
  if (/^\d{4}-\d{2}$/.test(text)) return <>{month(text, locale)}</>;
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) return <>{date(text, locale)}</>;
  if (typeof value === "number") return <>{decimal(value, locale, 4)}</>;
  return <>{text}</>;
}

function Rows({ rows }: { rows: Record<string, unknown>[] }) {
  const keys = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  return (
    <div className="table-wrap">
      <table>
        <thead>
          <tr>
            {keys.map((k) => (
              <th key={k} scope="col">
                {label(k)}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((r, n) => (
            <tr key={n}>
              {keys.map((k) => (
                <td key={k}>
                  <Value name={k} value={r[k]} />
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Structured({ value }: { value: Record<string, unknown> | unknown[] }) {
  if (Array.isArray(value)) return <Value name="items" value={value} />;
  return (
    <dl className="facts">
      {Object.entries(value).map(([k, v]) => (
        <Fragment key={k}>
          <dt>{label(k)}</dt>
          <dd>
            <Value name={k} value={v} />
          </dd>
        </Fragment>
      ))}
    </dl>
  );
}
