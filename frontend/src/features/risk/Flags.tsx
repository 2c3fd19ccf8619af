// Owned by the risk-officer feature: the flag list, a flag, raise / acknowledge / resolve.
import { useState, type FormEvent } from "react";
import { api, ok, type Schemas } from "../../api/client";
import { useApi, usePagedApi } from "../../api/queries";
import { DownloadButtons } from "../../components/DownloadButtons";
import { PagedTable, type Column } from "../../components/PagedTable";
import { ReasonText } from "../../components/ReasonText";
import { Empty, Loaded, Pill } from "../../components/status";
import { dateTime } from "../../format";
import { useI18n } from "../../i18n";
import { Link, navigate, useLocation } from "../../router";
import type { ReasonParams } from "../../reasons";
import { useSession } from "../../session";
import { AcknowledgeForm, Actions, RaiseFlagForm, ResolveForm } from "./forms";
import { may } from "./may";
import { FlagActions } from "./slots";

type Flag = Schemas["Flag"];
type FlagKind = Schemas["FlagKind"];
type FlagStatus = Schemas["FlagStatus"];
type Severity = Schemas["Severity"];

const STATUSES: readonly FlagStatus[] = ["open", "acknowledged", "resolved"];
const KINDS: readonly FlagKind[] = ["blacklisted", "npl", "overdue_interest", "anomaly", "related_party", "action_required", "management_out_of_control"];
const SEVERITIES: readonly Severity[] = ["critical", "warning", "info"];

export const statusTone = (s: FlagStatus) => (s === "open" ? "warning" : s === "acknowledged" ? "info" : "ok");

/** A flag's reason: what a person typed as typed, what a rule wrote in the reader's language. */
function Reason({ flag }: { flag: Flag }) {
  return <ReasonText code={flag.reason_code} params={flag.reason_params as ReasonParams | null | undefined} text={flag.reason} />;
}

/** The customer or the RM a flag is on (R-2 customer flags, R-4 RM flags). */
function Subject({ flag }: { flag: Flag }) {
  if (flag.customer_id) return <Link to={`/customers/${flag.customer_id}`}>{flag.customer_name ?? flag.customer_id}</Link>;
  if (flag.rm_id) return <Link to={`/rms/${flag.rm_id}`}>{flag.rm_name ?? flag.rm_id}</Link>;
  return <>—</>;
}

/** `/flags`: the flags of the user's part of the bank, filtered; raising one for a risk officer. */
export function Flags() {
  const { t, code, locale } = useI18n();
  const { roles } = useSession();
  const { query } = useLocation();
  // Open flags first: what still asks for someone. `status=any` shows every status.
  const status = (query.get("status") ?? "open") as FlagStatus | "any";
  const kind = (query.get("kind") ?? "") as FlagKind | "";
  const severity = (query.get("severity") ?? "") as Severity | "";
  const paged = usePagedApi(["flags", "list", status, kind, severity], (cursor) =>
    ok(
      api.GET("/api/v1/flags", {
        params: { query: { status: status === "any" ? undefined : status, kind: kind || undefined, severity: severity || undefined, limit: 50, cursor } },
      }),
    ),
  );

  const columns: Column<Flag>[] = [
    { header: t("field.severity"), cell: (f) => <Pill tone={f.severity}>{code(f.severity)}</Pill> },
    { header: t("field.kind"), cell: (f) => <Link to={`/flags/${f.id}`}>{code(f.kind)}</Link> },
    { header: t("risk.flag.subject"), cell: (f) => <Subject flag={f} /> },
    { header: t("field.reason"), cell: (f) => <Reason flag={f} /> },
    { header: t("field.status"), cell: (f) => <Pill tone={statusTone(f.status)}>{code(f.status)}</Pill> },
    { header: t("risk.flag.raised"), cell: (f) => `${dateTime(f.raised_at, locale)} · ${f.raised_by}` },
    { header: t("risk.flag.actions"), cell: (f) => <FlagActions flag={f} /> },
  ];

  return (
    <section aria-labelledby="flags-title">
      <div className="page-head">
        <h1 id="flags-title">{t("risk.flags.title")}</h1>
        <DownloadButtons list="flags" filters={{ status: status === "any" ? undefined : status, kind, severity }} />
      </div>
      <p className="muted">{t("risk.flags.intro")}</p>
      {may.manageFlags(roles) && (
        <section className="card" aria-labelledby="raise-title">
          <h2 id="raise-title">{t("risk.raise.title")}</h2>
          <p className="muted small">{t("risk.raise.intro")}</p>
          <Actions label={t("risk.raise.title")} actions={[{ id: "raise", label: t("risk.raise.open"), form: () => <RaiseFlagForm /> }]} />
        </section>
      )}
      {/* Keyed by the address: going back shows the filter of that page. */}
      <FlagFilter key={`${status}|${kind}|${severity}`} status={status} kind={kind} severity={severity} />
      <PagedTable paged={paged} columns={columns} rowKey={(f) => f.id} empty={t("risk.flags.none")} testId="flags" caption={t("risk.flags.title")} />
    </section>
  );
}

/** The filter of `/flags`, kept in the address so a filtered list can be linked to and gone back to. */
function FlagFilter(current: { status: FlagStatus | "any"; kind: FlagKind | ""; severity: Severity | "" }) {
  const { t, code } = useI18n();
  const [draft, setDraft] = useState(current);
  const filter = (e: FormEvent) => {
    e.preventDefault();
    const q = new URLSearchParams();
    if (draft.status !== "open") q.set("status", draft.status);
    if (draft.kind) q.set("kind", draft.kind);
    if (draft.severity) q.set("severity", draft.severity);
    navigate(`/flags${q.size ? `?${q}` : ""}`);
  };
  return (
    <form className="filters" role="search" aria-label={t("risk.flags.filter")} onSubmit={filter}>
      <label>
        {t("field.status")}
        <select value={draft.status} onChange={(e) => setDraft({ ...draft, status: e.target.value as FlagStatus | "any" })}>
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {code(s)}
            </option>
          ))}
          <option value="any">{t("field.all")}</option>
        </select>
      </label>
      <label>
        {t("field.kind")}
        <select value={draft.kind} onChange={(e) => setDraft({ ...draft, kind: e.target.value as FlagKind | "" })}>
          <option value="">{t("field.all")}</option>
          {KINDS.map((k) => (
            <option key={k} value={k}>
              {code(k)}
            </option>
          ))}
        </select>
      </label>
      <label>
        {t("field.severity")}
        <select value={draft.severity} onChange={(e) => setDraft({ ...draft, severity: e.target.value as Severity | "" })}>
          <option value="">{t("field.all")}</option>
          {SEVERITIES.map((s) => (
            <option key={s} value={s}>
              {code(s)}
            </option>
          ))}
        </select>
      </label>
      <button type="submit" className="primary">
        {t("risk.flags.show")}
      </button>
    </form>
  );
}

/** `/flags/:id`: one flag, what it is on, its history, and acknowledging or resolving it. */
export function FlagDetail({ id }: { id: string }) {
  const { t } = useI18n();
  const load = useApi(["flags", id], async () => {
    const flag = await ok(api.GET("/api/v1/flags/{id}", { params: { path: { id } } }));
    const customerId = flag.customer_id;
    // The customer's name and its primary RM now; an RM flag names its RM.
    const [customer, assignments, rm] = await Promise.all([
      customerId ? ok(api.GET("/api/v1/customers/{id}", { params: { path: { id: customerId } } })).catch(() => null) : null,
      customerId ? ok(api.GET("/api/v1/customers/{id}/assignments", { params: { path: { id: customerId } } })).catch(() => []) : [],
      flag.rm_id ? ok(api.GET("/api/v1/rms/{id}", { params: { path: { id: flag.rm_id } } })).catch(() => null) : null,
    ]);
    const primary = assignments.find((a) => !a.valid_to && a.role === "primary");
    const primaryRm = primary ? await ok(api.GET("/api/v1/rms/{id}", { params: { path: { id: primary.rm_id } } })).catch(() => null) : null;
    return { flag, customer, rm, primary: primary ? { id: primary.rm_id, name: primaryRm?.name ?? primary.rm_id } : null };
  });

  return (
    <section aria-labelledby="flag-title">
      <p>
        <Link to="/flags">← {t("risk.flags.back")}</Link>
      </p>
      <Loaded load={load}>{(data) => <FlagView {...data} />}</Loaded>
    </section>
  );
}

const EVENTS = ["raise", "acknowledge", "resolve"] as const;

function FlagView({ flag, customer, rm, primary }: {
  flag: Schemas["FlagDetail"];
  customer: Schemas["Customer"] | null;
  rm: Schemas["Rm"] | null;
  primary: { id: string; name: string } | null;
}) {
  const { t, code, locale } = useI18n();
  const { roles } = useSession();
  // The actions the flag offered when the page opened: once done, each says so where it was.
  const [initial] = useState(flag.status);
  const subject = customer?.name ?? rm?.name ?? flag.customer_id ?? flag.rm_id ?? "";
  const event = (action: string) => (EVENTS as readonly string[]).includes(action) ? t(`risk.event.${action as (typeof EVENTS)[number]}`) : action;
  const acknowledging = initial === "open" && may.acknowledge(roles);
  const resolving = initial !== "resolved" && may.manageFlags(roles);
  return (
    <>
      <h1 id="flag-title">{t("risk.flag.heading", { kind: code(flag.kind), subject })}</h1>
      <p>
        <Pill tone={flag.severity}>{code(flag.severity)}</Pill> <Pill tone={statusTone(flag.status)}>{code(flag.status)}</Pill>
      </p>
      {(acknowledging || resolving) && (
        <div className="grid-2 actions">
          {acknowledging && (
            <section className="card" aria-labelledby="ack-title">
              <h2 id="ack-title">{t("risk.ack.title")}</h2>
              <AcknowledgeForm flag={flag} />
            </section>
          )}
          {resolving && (
            <section className="card" aria-labelledby="resolve-title">
              <h2 id="resolve-title">{t("risk.resolve.title")}</h2>
              <ResolveForm flag={flag} />
            </section>
          )}
        </div>
      )}
      <div className="grid-2">
        <section className="card" aria-labelledby="flag-facts-title">
          <h2 id="flag-facts-title">{t("risk.flag.facts")}</h2>
          <dl className="facts" data-testid="flag-facts">
            <dt>{t("field.kind")}</dt>
            <dd>{code(flag.kind)}</dd>
            <dt>{t("field.status")}</dt>
            <dd data-testid="flag-status">{code(flag.status)}</dd>
            <dt>{t("field.reason")}</dt>
            <dd className="wrap">
              <Reason flag={flag} />
            </dd>
            <dt>{t("risk.flag.source")}</dt>
            <dd>{t(flag.source === "rule" ? "risk.flag.byRule" : "risk.flag.byHand")}</dd>
            <dt>{t("risk.flag.raised")}</dt>
            <dd>
              {dateTime(flag.raised_at, locale)} · {flag.raised_by}
            </dd>
            <dt>{t("risk.flag.updated")}</dt>
            <dd>{dateTime(flag.updated_at, locale)}</dd>
            {flag.customer_id && (
              <>
                <dt>{t("field.customer")}</dt>
                <dd>
                  <Link to={`/customers/${flag.customer_id}`}>{customer?.name ?? flag.customer_id}</Link>
                </dd>
                <dt>{t("risk.flag.primaryRm")}</dt>
                <dd>{primary ? <Link to={`/rms/${primary.id}`}>{primary.name}</Link> : t("risk.flag.noRm")}</dd>
              </>
            )}
            {flag.rm_id && (
              <>
                <dt>{t("exits.rm")}</dt>
                <dd>
                  <Link to={`/rms/${flag.rm_id}`}>{rm?.name ?? flag.rm_id}</Link>
                </dd>
              </>
            )}
          </dl>
        </section>
        <section className="card" aria-labelledby="flag-history-title">
          <h2 id="flag-history-title">{t("risk.flag.history")}</h2>
          {flag.history.length === 0 ? (
            <Empty />
          ) : (
            <ol className="timeline" data-testid="flag-history">
              {flag.history.map((e, i) => (
                <li key={`${e.at}-${i}`} className={i === flag.history.length - 1 ? "current" : ""}>
                  <span className="when">{dateTime(e.at, locale)}</span>
                  <span>
                    <strong>{event(e.action)}</strong> · {e.by_user}
                  </span>
                  {e.note && (
                    <span className="wrap small">
                      {/* The raising note is the reason: in the reader's language when the product wrote it. */}
                      {e.action === "raise" && e.note === flag.reason ? <Reason flag={flag} /> : e.note}
                    </span>
                  )}
                </li>
              ))}
            </ol>
          )}
        </section>
      </div>
    </>
  );
}
