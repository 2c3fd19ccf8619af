// X-5 exit cases: the committee's queue (cases waiting for a decision first) and one case with
// everything a decision rests on: the evidence as facts, the RM's portfolio and open flags, the
// timeline; and the decision itself (features/committee/Decide.tsx).

import { api, ok, type Schemas } from "../../api/client";
import { useApi, usePagedApi } from "../../api/queries";
import { DownloadButtons } from "../../components/DownloadButtons";
import { PagedTable, type Column } from "../../components/PagedTable";
import { ReasonText } from "../../components/ReasonText";
import { Loaded, Pill } from "../../components/status";
import { count, date, dateTime, percent } from "../../format";
import { useI18n } from "../../i18n";
import { useBusinessClock } from "../desk/Waiting";
import type { MessageKey } from "../../messages";
import { Link, navigate, useLocation } from "../../router";
import { useSession } from "../../session";
import { DecideCase } from "../committee/Decide";
import { RuleWithName, Who } from "../committee/rules";
import { EvidenceView } from "./EvidenceView";
import { readStepNote } from "./evidence";

type ExitCase = Schemas["ExitCase"];
type CaseStatus = Schemas["CaseStatus"];
type Flag = Schemas["Flag"];

/** What the server may send beside the stored English reason (the lead's `reason_code`). */
type Coded = { reason: string; reason_code?: string | null; reason_params?: Record<string, unknown> | null };

/** A case's or flag's reason in the user's language, from its code when the server sends one. */
export function CaseReason({ of }: { of: Coded }) {
  return <ReasonText code={of.reason_code} params={of.reason_params} text={of.reason} />;
}

export const caseTone = (status: string) => (status === "closed" ? "ok" : status === "rejected" ? "muted" : status === "proposed" ? "warning" : "info");

/** How long a case has been open, in the user's language ("3 days", "3天"). */
export function age(since: string, locale: string, now: number): string {
  const hours = Math.max(0, (now - Date.parse(since)) / 3_600_000);
  const unit = (n: number, u: "hour" | "day") => new Intl.NumberFormat(locale, { style: "unit", unit: u, unitDisplay: "long", maximumFractionDigits: 0 }).format(n);
  return hours < 24 ? unit(Math.floor(hours), "hour") : unit(Math.floor(hours / 24), "day");
}

/** Tabs of the queue: the committee's work first; `all` lists every case. */
const TABS = ["proposed", "handover", "closed", "rejected", "all"] as const;
type Tab = (typeof TABS)[number];

export function ExitCases() {
  const clock = useBusinessClock();
  const { t, code, locale } = useI18n();
  const { query } = useLocation();
  const { user } = useSession();
  const asked = query.get("status");
  const tab: Tab = TABS.includes(asked as Tab) ? (asked as Tab) : "proposed";
  const status: CaseStatus | undefined = tab === "all" ? undefined : tab;
  const paged = usePagedApi(["exit-cases", "list", tab], (cursor) => ok(api.GET("/api/v1/exit-cases", { params: { query: { status, limit: 50, cursor } } })));
  const columns: Column<ExitCase>[] = [
    {
      header: t("exits.rm"),
      cell: (c) => (
        <Link to={`/exit-cases/${c.id}`} aria-label={t("committee.queue.open", { rm: c.rm_name ?? c.rm_id, kind: code(c.kind) })}>
          {c.rm_name ?? c.rm_id}
        </Link>
      ),
    },
    { header: t("field.kind"), cell: (c) => code(c.kind) },
    { header: t("exits.trigger"), cell: (c) => <RuleWithName rule={c.trigger} compact /> },
    { header: t("field.reason"), cell: (c) => <CaseReason of={c} /> },
    { header: t("committee.queue.age"), cell: (c) => <span title={dateTime(c.created_at, locale)}>{clock.now !== undefined ? age(c.created_at, locale, clock.now) : "…"}</span> },
    {
      header: t("committee.queue.proposedBy"),
      cell: (c) => (
        <>
          <Who username={c.proposed_by} />
          {c.status === "proposed" && c.proposed_by === user?.username && <Pill tone="muted">{t("committee.queue.yours")}</Pill>}
        </>
      ),
    },
    { header: t("field.status"), cell: (c) => <Pill tone={caseTone(c.status)}>{code(c.status)}</Pill> },
  ];
  return (
    <section aria-labelledby="exits-title">
      <div className="page-head">
        <h1 id="exits-title">{t("exits.title")}</h1>
        <DownloadButtons list="exit-cases" filters={{ status }} />
      </div>
      <p className="muted">{t("committee.queue.intro")}</p>
      <div className="tabs" aria-label={t("committee.queue.tabs")}>
        {TABS.map((s) => (
          <button key={s} type="button" aria-pressed={s === tab} onClick={() => navigate(s === "proposed" ? "/exit-cases" : `/exit-cases?status=${s}`)}>
            {t(`committee.tab.${s}` as MessageKey)}
          </button>
        ))}
      </div>
      <PagedTable
        paged={paged}
        columns={columns}
        rowKey={(c) => c.id}
        testId="case-queue"
        caption={t(`committee.tab.${tab}` as MessageKey)}
        empty={tab === "proposed" ? t("committee.queue.noneWaiting") : t("exits.none")}
      />
    </section>
  );
}

export function ExitCaseDetail({ id }: { id: string }) {
  const clock = useBusinessClock();
  const { t, code, locale } = useI18n();
  const load = useApi(["exit-cases", "detail", id], () => ok(api.GET("/api/v1/exit-cases/{id}", { params: { path: { id } } })));
  const rmId = load.data?.rm_id;
  const rm = useApi(["rms", rmId, "record"], () => ok(api.GET("/api/v1/rms/{id}", { params: { path: { id: rmId ?? "" } } })), !!rmId);
  const portfolio = useApi(["rms", rmId, "portfolio"], () => ok(api.GET("/api/v1/rms/{id}/portfolio", { params: { path: { id: rmId ?? "" } } })), !!rmId);
  return (
    <section aria-labelledby="case-title">
      <p>
        <Link to="/exit-cases">← {t("exits.back")}</Link>
      </p>
      <Loaded load={load}>
        {(c) => {
          const rmName = rm.data?.name ?? c.rm_name ?? c.rm_id;
          const handoverId = c.handover_id ?? handoverOfTimeline(c.timeline);
          return (
            <>
              <h1 id="case-title">
                {code(c.kind)}: {rmName} <Pill tone={caseTone(c.status)}>{code(c.status)}</Pill>
              </h1>
              <dl className="facts case-facts" data-testid="case-facts">
                <dt>{t("exits.trigger")}</dt>
                <dd>
                  <RuleWithName rule={c.trigger} />
                </dd>
                <dt>{t("field.reason")}</dt>
                <dd>
                  <CaseReason of={c} />
                </dd>
                <dt>{t("exits.rm")}</dt>
                <dd>
                  <Link to={`/rms/${c.rm_id}`}>{rmName}</Link>
                </dd>
                <dt>{t("committee.case.proposed")}</dt>
                <dd>
                  <Who username={c.proposed_by} /> · {dateTime(c.created_at, locale)} · {clock.now !== undefined ? age(c.created_at, locale, clock.now) : "…"}
                </dd>
                {c.decided_by && (
                  <>
                    <dt>{t("committee.case.decided")}</dt>
                    <dd>
                      <Who username={c.decided_by} />
                      {c.decision_note && <span className="wrap"> · {c.decision_note}</span>}
                    </dd>
                  </>
                )}
                {handoverId && (
                  <>
                    <dt>{t("committee.case.handover")}</dt>
                    <dd>
                      <Link to={`/handovers/${handoverId}`} data-testid="case-handover">
                        {c.status === "closed" ? t("committee.case.handoverDone") : t("committee.case.openHandover")}
                      </Link>
                    </dd>
                  </>
                )}
              </dl>
              <section className="card" aria-labelledby="evidence-title">
                <h2 id="evidence-title">{t("exits.evidence")}</h2>
                <EvidenceView evidence={c.evidence} rmId={c.rm_id} rmName={rmName} thresholds={portfolio.data?.thresholds} />
              </section>
              <DecideCase c={c} rmName={rmName} handoverId={handoverId} />
              <section className="card" aria-labelledby="case-rm-title">
                <h2 id="case-rm-title">{t("committee.case.portfolio")}</h2>
                <Loaded load={portfolio}>{(p) => <PortfolioFacts portfolio={p} rm={rm.data} />}</Loaded>
              </section>
              <RmOpenFlags rmId={c.rm_id} />
              <section className="card" aria-labelledby="timeline-title">
                <h2 id="timeline-title">{t("exits.timeline")}</h2>
                <ol className="timeline" data-testid="case-timeline">
                  {c.timeline.map((step, n) => (
                    <li key={n} className={n === c.timeline.length - 1 ? "current" : undefined}>
                      <span className="when">{dateTime(step.at, locale)}</span>
                      <span>
                        <strong>{stepName(t, step.action)}</strong> · <Who username={step.by} />
                      </span>
                      <StepNote action={step.action} note={step.note} c={c} />
                    </li>
                  ))}
                </ol>
              </section>
            </>
          );
        }}
      </Loaded>
    </section>
  );
}

/**
 * The handover a case waits for: its `handover_id`, or the one its timeline names (an approval
 * that found the RM's customers already in a plan, e.g. after a lapsed qualification, records the
 * plan only in its note).
 */
function handoverOfTimeline(timeline: Schemas["Timeline"][]): string | null {
  for (const step of [...timeline].reverse()) {
    const read = readStepNote(step.action, step.note);
    if (read.kind === "approved_handover" || read.kind === "approved_waiting" || read.kind === "handover_started") return read.handoverId;
  }
  return null;
}

const STEPS = ["propose", "approve", "reject", "handover", "suspend", "close"];

function stepName(t: (key: MessageKey) => string, action: string): string {
  return STEPS.includes(action) ? t(`committee.step.${action}` as MessageKey) : action;
}

/** A step's note: what the system wrote, in the user's language; a person's words as typed. */
function StepNote({ action, note, c }: { action: string; note: string; c: ExitCase }) {
  const { t, code } = useI18n();
  if (!note) return null;
  // The proposal's note is the case's reason.
  if (action === "propose" && note === c.reason) {
    return (
      <span className="small">
        <CaseReason of={c} />
      </span>
    );
  }
  const read = readStepNote(action, note);
  const handover = (id: string) => <Link to={`/handovers/${id}`}>{t("committee.case.openHandover")}</Link>;
  switch (read.kind) {
    case "closed":
      return <span className="small">{t("committee.note.closed")}</span>;
    case "suspended":
      return <span className="small">{t("committee.note.suspended")}</span>;
    case "handover_started":
      return (
        <span className="small">
          {t("committee.note.handoverStarted")} {handover(read.handoverId)}
        </span>
      );
    case "approved_handover":
    case "approved_waiting":
      return (
        <span className="small">
          {read.note && <span className="wrap">{read.note} · </span>}
          {t("committee.note.closesWithHandover")} {handover(read.handoverId)}
        </span>
      );
    case "demoted":
      return <span className="small">{t("committee.note.demoted", { grade: code(read.grade) })}</span>;
    case "text":
      return <span className="small wrap">{read.text}</span>;
  }
}

/** The RM's book now: load against the cap, the R-4 ratio today, the NPL ratio. */
function PortfolioFacts({ portfolio: p, rm }: { portfolio: Schemas["Portfolio"]; rm?: Schemas["Rm"] }) {
  const { t, code, locale } = useI18n();
  return (
    <dl className="facts" data-testid="case-portfolio">
      {rm && (
        <>
          <dt>{t("rms.status")}</dt>
          <dd>
            <Pill tone={rm.status === "active" ? "ok" : "warning"}>{code(rm.status)}</Pill> {code(rm.line)} · {code(rm.grade)}
          </dd>
        </>
      )}
      <dt>{t("rm.customers")}</dt>
      <dd>
        {count(p.customers, locale)}
        {Object.keys(p.by_role).length > 0 && (
          <span className="muted small">
            {" "}
            (
            {Object.entries(p.by_role as Record<string, number>)
              .map(([role, n]) => `${code(role, "assignment")} ${count(n, locale)}`)
              .join(" · ")}
            )
          </span>
        )}
      </dd>
      <dt>{t("rm.capacity")}</dt>
      <dd>
        {count(p.capacity.held, locale)} / {count(p.capacity.cap, locale)} ({percent(p.capacity.utilisation, locale, 0)})
      </dd>
      <dt>{t("rm.risk")}</dt>
      <dd>
        {p.risk.loan_customers ? (
          <>
            {percent(p.risk.overdue_ratio, locale)}{" "}
            <span className="muted small">
              {p.risk.overdue_customers}/{p.risk.loan_customers} · {t("rm.checkpoint", { checkpoint: code(p.risk.checkpoint) })}
            </span>
          </>
        ) : (
          t("rm.noLoans")
        )}
      </dd>
      <dt>{t("rm.npl")}</dt>
      <dd>
        {percent(p.npl.npl_ratio, locale)} <span className="muted small">{t("committee.case.nplSince", { date: date(p.npl.since, locale) })}</span>
        {p.npl.exit_trigger_reached && <Pill tone="critical">X-2.5</Pill>}
      </dd>
      <dt>{t("committee.case.more")}</dt>
      <dd>
        <Link to={`/rms/${p.rm_id}`}>{t("committee.case.rmPage")}</Link>
      </dd>
    </dl>
  );
}

/** Open flags on the RM and on the customers it holds as primary. */
function RmOpenFlags({ rmId }: { rmId: string }) {
  const { t, code, locale } = useI18n();
  const paged = usePagedApi(["flags", "rm-open", rmId], (cursor) => ok(api.GET("/api/v1/flags", { params: { query: { rm_id: rmId, status: "open", limit: 20, cursor } } })));
  const columns: Column<Flag>[] = [
    { header: t("field.severity"), cell: (f) => <Pill tone={f.severity}>{code(f.severity)}</Pill> },
    { header: t("field.kind"), cell: (f) => <Link to={`/flags/${f.id}`}>{code(f.kind)}</Link> },
    { header: t("field.customer"), cell: (f) => (f.customer_id ? <Link to={`/customers/${f.customer_id}`}>{f.customer_name ?? f.customer_id}</Link> : <span className="muted">{t("committee.case.onRm")}</span>) },
    { header: t("field.reason"), cell: (f) => <CaseReason of={f} /> },
    { header: t("field.created"), cell: (f) => date(f.raised_at, locale) },
  ];
  return (
    <section className="card" aria-labelledby="case-flags-title" id="case-flags">
      <h2 id="case-flags-title">{t("committee.case.flags")}</h2>
      <PagedTable paged={paged} columns={columns} rowKey={(f) => f.id} testId="case-flags" empty={t("rm.noFlags")} caption={t("committee.case.flags")} />
    </section>
  );
}
