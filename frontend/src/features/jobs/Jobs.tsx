import { useState, type FormEvent } from "react";
import { api, ok, type Schemas } from "../../api/client";
import { ErrorMessage, Loaded, Pill } from "../../components/status";
import { date, dateTime } from "../../format";
import { useApi, useCommand, usePagedApi } from "../../api/queries";
import { useI18n } from "../../i18n";
import { useSession } from "../../session";
import { PagedTable } from "../../components/PagedTable";

type Job = Schemas["Job"];
type JobRun = Schemas["JobRun"];

const TONE: Record<JobRun["status"], string> = {
  succeeded: "ok",
  running: "info",
  failed: "critical",
  interrupted: "warning",
};

export function RunStatus({ run }: { run: JobRun }) {
  const { code } = useI18n();
  return <Pill tone={TONE[run.status]}>{code(run.status, "run")}</Pill>;
}

/** The bank's calendar (P-2): each job's schedule and last run, the runs, and a run by hand. */
export function Jobs() {
  const { t } = useI18n();
  const { roles } = useSession();
  const [version, setVersion] = useState(0);
  return (
    <section aria-labelledby="jobs-title">
      <h1 id="jobs-title">{t("jobs.title")}</h1>
      <p className="muted">{t("jobs.intro")}</p>
      <Calendar version={version} />
      {roles.includes("admin") && <RunByHand onRan={() => setVersion((v) => v + 1)} />}
      <Runs version={version} />
    </section>
  );
}

function Calendar({ version }: { version: number }) {
  const { t, code, locale } = useI18n();
  const load = useApi(["jobs", "calendar", version], () => ok(api.GET("/api/v1/jobs")));
  return (
    <section className="card" aria-labelledby="calendar-title">
      <h2 id="calendar-title">{t("jobs.calendar")}</h2>
      <Loaded load={load}>
        {(jobs) => (
          <div className="table-wrap">
            <table data-testid="jobs">
              <thead>
                <tr>
                  <th scope="col">{t("jobs.job")}</th>
                  <th scope="col">{t("jobs.schedule")}</th>
                  <th scope="col">{t("jobs.next")}</th>
                  <th scope="col">{t("jobs.last")}</th>
                </tr>
              </thead>
              <tbody>
                {jobs.map((j) => (
                  <tr key={j.job}>
                    <th scope="row">
                      {code(j.job, "job")}
                      <div className="muted small">{j.description}</div>
                    </th>
                    <td>{j.schedule}</td>
                    <td>{j.next_due_on ? date(j.next_due_on, locale) : "—"}</td>
                    <td>
                      {j.last_run ? (
                        <>
                          <RunStatus run={j.last_run} /> {date(j.last_run.business_date, locale)}
                        </>
                      ) : (
                        "—"
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Loaded>
    </section>
  );
}

const JOBS: Job[] = ["expiry_sweep", "required_checks", "rotation_queue", "r4_evaluation", "audit_checkpoint", "monthly_run", "yearly_rating"];

function RunByHand({ onRan }: { onRan: () => void }) {
  const { t, code } = useI18n();
  const [job, setJob] = useState<Job>("r4_evaluation");
  const [asOf, setAsOf] = useState("");
  const [done, setDone] = useState<JobRun | null>(null);
  const run = useCommand(() =>
    ok(api.POST("/api/v1/jobs/{job}/run", { params: { path: { job } }, body: { as_of: asOf } })),
    ["jobs", "flags", "required-checks", "exit-cases", "performance", "evaluations", "rms", "customers", "queues"],
  );
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setDone(null);
    const r = await run.run();
    if (r) {
      setDone(r);
      onRan();
    }
  };
  return (
    <section className="card" aria-labelledby="run-title">
      <h2 id="run-title">{t("jobs.runByHand")}</h2>
      <form className="filters" onSubmit={submit}>
        <label>
          {t("jobs.job")}
          <select value={job} onChange={(e) => setJob(e.target.value as Job)}>
            {JOBS.map((j) => (
              <option key={j} value={j}>
                {code(j, "job")}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t("jobs.asOf")}
          <input type="date" required value={asOf} onChange={(e) => setAsOf(e.target.value)} />
        </label>
        <button type="submit" className="primary" disabled={run.busy || !asOf} aria-busy={run.busy}>
          {run.busy ? t("state.working") : t("jobs.run")}
        </button>
      </form>
      {run.error && <ErrorMessage error={run.error} />}
      {done && (
        <p className={`notice ${done.status === "succeeded" ? "notice-ok" : "notice-error"}`} role="status">
          {t("jobs.ran", { job: code(done.job, "job"), status: code(done.status, "run") })}
          {done.error ? ` ${done.error}` : ""}
        </p>
      )}
    </section>
  );
}

function Runs({ version }: { version: number }) {
  const { t, code, locale } = useI18n();
  const [failedOnly, setFailedOnly] = useState(false);
  const paged = usePagedApi(["jobs", "/api/v1/jobs/runs", failedOnly, version], (cursor) =>
      ok(
        api.GET("/api/v1/jobs/runs", {
          params: { query: { status: failedOnly ? "failed" : undefined, limit: 50, cursor } },
        }),
      ));
  return (
    <section className="card" aria-labelledby="runs-title">
      <h2 id="runs-title">{t("jobs.runs")}</h2>
      <label className="inline">
        <input type="checkbox" checked={failedOnly} onChange={(e) => setFailedOnly(e.target.checked)} /> {t("jobs.failedOnly")}
      </label>
      <PagedTable
        paged={paged}
        testId="job-runs"
        rowKey={(r) => r.id}
        rowClass={(r) => (r.status === "failed" ? "row-alert" : undefined)}
        columns={[
          { header: t("jobs.job"), cell: (r) => code(r.job, "job") },
          { header: t("jobs.businessDate"), cell: (r) => date(r.business_date, locale) },
          {
            header: t("jobs.status"),
            cell: (r) => (
              <>
                <RunStatus run={r} /> <span className="muted small">#{r.attempt} · {r.run_by}</span>
              </>
            ),
          },
          { header: t("jobs.started"), cell: (r) => dateTime(r.started_at, locale) },
          { header: t("jobs.result"), cell: (r) => <span className="small">{r.error ?? summary(r.counts)}</span> },
        ]}
      />
    </section>
  );
}

/** The numbers of a run's record, in one line. */
export function summary(counts: JobRun["counts"]): string {
  if (!counts) return "";
  return Object.entries(counts)
    .filter(([, v]) => typeof v === "number" || typeof v === "string" || typeof v === "boolean")
    .map(([k, v]) => `${k.replaceAll("_", " ")}: ${String(v)}`)
    .join(" · ");
}
