// R-4 for a date: run the evaluation of the user's part of the bank (or read the stored result of a
// date evaluated before: the API answers it unchanged) and read it RM by RM.
import { useMemo, useState } from "react";
import { answered, api, ok, type Schemas } from "../../api/client";
import { useApi, useCommand } from "../../api/queries";
import { CommandForm, TextField } from "../../components/forms";
import { Empty, ErrorMessage, Pill } from "../../components/status";
import { count, date, percent } from "../../format";
import { useI18n } from "../../i18n";
import { Link, useLocation } from "../../router";
import { useSession } from "../../session";
import { useBusinessDate } from "./forms";
import { may } from "./may";

type Evaluation = Schemas["Evaluation"];

/** The indicator of one RM as the API sends it (`Indicator` of api/domain/src/portfolio.rs). */
interface Indicator {
  loan_customers: number;
  overdue_customers: number;
  overdue_ratio: string;
  checkpoint: Schemas["Checkpoint"];
  target: string | null;
  within_target: boolean;
  ratio_applies: boolean;
  action_required: boolean;
  out_of_control: boolean;
  inspections_required: boolean;
}

const PAGE = 50;

/** The names of the evaluated RMs (the result names them by id): one bulk read per 100 ids. */
function useRmNames(ids: string[]) {
  return useApi(
    ["rms", "names", ids],
    async () => {
      const chunks = Array.from({ length: Math.ceil(ids.length / 100) }, (_, i) => ids.slice(i * 100, i * 100 + 100));
      const pages = await Promise.all(chunks.map((c) => ok(api.GET("/api/v1/rms", { params: { query: { ids: c.join(","), limit: 100 } } }))));
      return new Map(pages.flatMap((p) => p.items.map((rm) => [rm.id, rm.name] as const)));
    },
    ids.length > 0,
  );
}

export function Evaluations() {
  const { t } = useI18n();
  const { roles } = useSession();
  const { query } = useLocation();
  const businessDate = useBusinessDate();
  const [asOf, setAsOf] = useState<string | null>(query.get("as_of"));
  const run = useCommand((day: string) => answered(api.POST("/api/v1/evaluations", { body: { as_of: day } })), ["evaluations", "flags", "customers", "rms", "required-checks", "field-checks"]);
  const day = asOf ?? businessDate;
  return (
    <section aria-labelledby="evaluations-title">
      <h1 id="evaluations-title">{t("risk.eval.title")}</h1>
      <p className="muted">{t("risk.eval.intro")}</p>
      {may.manageFlags(roles) ? (
        <section className="card" aria-labelledby="eval-run-title">
          <h2 id="eval-run-title">{t("risk.eval.run")}</h2>
          <CommandForm onSubmit={() => void run.run(day)} error={run.error} busy={run.busy} submit={t("risk.eval.submit")} testId="evaluate">
            <TextField name="as_of" type="date" label={t("risk.eval.asOf")} hint={t("risk.eval.asOfHint")} required value={day} onChange={setAsOf} />
          </CommandForm>
        </section>
      ) : (
        <p className="notice notice-warning">{t("risk.eval.notYours")}</p>
      )}
      {run.result && <Result evaluation={run.result.data} fresh={run.result.status === 201} />}
    </section>
  );
}

function Result({ evaluation, fresh }: { evaluation: Evaluation; fresh: boolean }) {
  const { t, code, locale } = useI18n();
  const names = useRmNames(useMemo(() => evaluation.rms.map((r) => r.rm_id).sort(), [evaluation]));
  const rows = useMemo(
    () =>
      evaluation.rms
        .map((r) => ({ ...r, ind: r.indicator as unknown as Indicator }))
        .sort((a, b) => Number(b.ind.overdue_ratio) - Number(a.ind.overdue_ratio)),
    [evaluation],
  );
  const total = (f: (r: (typeof rows)[number]) => number) => rows.reduce((n, r) => n + f(r), 0);
  const checkpoint = rows[0]?.ind.checkpoint;
  return (
    <section aria-labelledby="eval-result-title" data-testid="evaluation">
      <h2 id="eval-result-title">{t("risk.eval.resultFor", { date: date(evaluation.as_of, locale) })}</h2>
      <p className={`notice ${fresh ? "notice-ok" : "notice-warning"}`} role="status" data-testid="evaluation-status">
        {fresh ? t("risk.eval.fresh") : t("risk.eval.stored")} {t("risk.eval.policy", { version: evaluation.policy_version })}
        {checkpoint && ` ${t("risk.eval.checkpoint", { checkpoint: code(checkpoint) })}`}
      </p>
      <div className="kpis">
        <div className="kpi">
          <span className="kpi-label">{t("risk.eval.rms")}</span>
          <span className="kpi-value">{count(rows.length, locale)}</span>
          <span className="kpi-note">{t("risk.eval.offTarget", { count: count(rows.filter((r) => !r.ind.within_target).length, locale) })}</span>
        </div>
        <div className="kpi">
          <span className="kpi-label">{t("risk.eval.rmFlags")}</span>
          <span className="kpi-value">{count(total((r) => r.rm_flags.length), locale)}</span>
        </div>
        <div className="kpi">
          <span className="kpi-label">{t("risk.eval.customerFlags")}</span>
          <span className="kpi-value">{count(total((r) => r.overdue_interest_flags), locale)}</span>
        </div>
        <div className="kpi">
          <span className="kpi-label">{t("risk.eval.inspections")}</span>
          <span className="kpi-value">{count(total((r) => r.inspections_required), locale)}</span>
        </div>
      </div>
      {names.status === "error" && <ErrorMessage error={names.error} onRetry={names.reload} />}
      {rows.length === 0 ? <Empty>{t("risk.eval.empty")}</Empty> : <RmTable rows={rows} names={names.data} asOf={evaluation.as_of} />}
    </section>
  );
}

type Row = Schemas["RmEvaluation"] & { ind: Indicator };

/** One row per RM, the highest ratio first, shown 50 at a time. */
function RmTable({ rows, names, asOf }: { rows: Row[]; names?: Map<string, string>; asOf: string }) {
  const { t, code, locale } = useI18n();
  const [onlyOff, setOnlyOff] = useState(false);
  const [shown, setShown] = useState(PAGE);
  const listed = onlyOff ? rows.filter((r) => !r.ind.within_target) : rows;
  return (
    <>
      {rows.some((r) => !r.ind.ratio_applies) && <p className="muted small">{t("risk.eval.fewLoansHint")}</p>}
      <label className="inline">
        <input type="checkbox" checked={onlyOff} onChange={(e) => setOnlyOff(e.target.checked)} /> {t("risk.eval.onlyOff")}
      </label>
      <div className="table-wrap">
        <table data-testid="evaluation-rms">
          <caption className="visually-hidden">{t("risk.eval.resultFor", { date: date(asOf, locale) })}</caption>
          <thead>
            <tr>
              <th scope="col">{t("exits.rm")}</th>
              <th scope="col" className="num">
                {t("risk.eval.loanCustomers")}
              </th>
              <th scope="col" className="num">
                {t("risk.eval.overdue")}
              </th>
              <th scope="col" className="num">
                {t("risk.eval.ratio")}
              </th>
              <th scope="col" className="num">
                {t("risk.eval.target")}
              </th>
              <th scope="col">{t("risk.eval.alerts")}</th>
              <th scope="col" className="num">
                {t("risk.eval.customerFlags")}
              </th>
              <th scope="col" className="num">
                {t("risk.eval.inspections")}
              </th>
            </tr>
          </thead>
          <tbody>
            {listed.slice(0, shown).map((r) => (
              <tr key={r.rm_id}>
                <th scope="row">
                  <Link to={`/rms/${r.rm_id}`}>{names?.get(r.rm_id) ?? r.rm_id}</Link>
                </th>
                <td className="num">{count(r.ind.loan_customers, locale)}</td>
                <td className="num">{count(r.ind.overdue_customers, locale)}</td>
                <td className="num">
                  <span className={r.ind.out_of_control ? "tone-critical" : r.ind.within_target ? "" : "tone-warning"}>{percent(r.ind.overdue_ratio, locale)}</span>
                </td>
                <td className="num">{r.ind.target ? percent(r.ind.target, locale) : "—"}</td>
                <td>
                  {r.rm_flags.map((f) => (
                    <Pill key={f} tone={f === "management_out_of_control" ? "critical" : "warning"}>
                      {code(f)}
                    </Pill>
                  ))}
                  {r.ind.within_target ? <Pill tone="ok">{t("risk.eval.within")}</Pill> : r.rm_flags.length === 0 && <Pill tone="warning">{t("risk.eval.outside")}</Pill>}
                  {!r.ind.ratio_applies && <Pill tone="muted">{t("risk.eval.fewLoans")}</Pill>}
                </td>
                <td className="num">{count(r.overdue_interest_flags, locale)}</td>
                <td className="num">{count(r.inspections_required, locale)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {listed.length > shown && (
        <div className="more">
          <button type="button" onClick={() => setShown(shown + PAGE)}>
            {t("risk.eval.more", { shown: count(shown, locale), total: count(listed.length, locale) })}
          </button>
        </div>
      )}
    </>
  );
}
