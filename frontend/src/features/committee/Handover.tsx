// A-9: the handover plan of an RM who leaves the role: each customer and the colleague who takes
// it over, adjusted move by move by a manager, then confirmed in one step (every move or none).
// A move of a flagged, blacklisted or high-value customer's primary makes the confirmation wait
// for a second person (A-10, M-1): the 202 says so.

import { useEffect, useRef, useState } from "react";
import { answered, api, ok, type Schemas } from "../../api/client";
import { useApi, useCommand } from "../../api/queries";
import { RulePill } from "../../components/ReasonText";
import { CommandForm, Outcome, SelectField } from "../../components/forms";
import { Loaded, Pill, Spinner } from "../../components/status";
import { count, date, dateTime, percent } from "../../format";
import { useI18n } from "../../i18n";
import type { MessageKey } from "../../messages";
import { Link } from "../../router";
import { useSession } from "../../session";
import { Who } from "./rules";

type Plan = Schemas["Handover"];
type Move = Schemas["HandoverMove"];
type Rm = Schemas["Rm"];

const HANDOVER_STATUSES = ["proposed", "confirmed", "withdrawn"];
const PAGE = 500;
/** Moves shown at first (a plan may move hundreds of customers). */
const SHOWN = 25;
const MAX_PAGES = 20;

/** Every page of a cursor list (a bounded number), for a page that needs the whole list at once. */
async function everyPage<T>(read: (cursor?: string) => Promise<{ items: T[]; next_cursor?: string | null }>): Promise<T[]> {
  const all: T[] = [];
  let cursor: string | undefined;
  for (let n = 0; n < MAX_PAGES; n++) {
    const page = await read(cursor);
    all.push(...page.items);
    if (!page.next_cursor) break;
    cursor = page.next_cursor;
  }
  return all;
}

const retail = (line: string) => line === "retail";

/** A-4 and the line: who in the handing-over RM's unit may receive its customers. */
export function eligibleReceivers(from: Rm, rms: readonly Rm[]): Rm[] {
  return rms
    .filter((r) => r.id !== from.id && r.org_unit_id === from.org_unit_id && r.status === "active" && !r.qualification_lapsed && !r.term_expired && retail(r.line) === retail(from.line))
    .sort((a, b) => a.name.localeCompare(b.name));
}

export function Handover({ id }: { id: string }) {
  const { t, locale } = useI18n();
  const { roles } = useSession();
  const manages = roles.includes("manager") || roles.includes("admin");
  const load = useApi(["handovers", id], () => ok(api.GET("/api/v1/handovers/{id}", { params: { path: { id } } })));
  const plan = load.data;
  const fromId = plan?.from_rm_id;
  // The handing-over RM's unit and line tell whom a manager may choose.
  const from = useApi(["rms", fromId, "record"], () => ok(api.GET("/api/v1/rms/{id}", { params: { path: { id: fromId ?? "" } } })), !!fromId && (manages || !plan?.from_rm_name));
  // The RMs a manager may choose among: the active RMs of the handing-over RM's unit, one list
  // read. The plan itself names its customers and receiving RMs.
  const unit = from.data?.org_unit_id;
  const rms = useApi(
    ["rms", "active", "unit", unit],
    () => everyPage((cursor) => ok(api.GET("/api/v1/rms", { params: { query: { status: "active", org_unit_id: unit, limit: PAGE, cursor } } }))),
    !!plan && manages && plan.status === "proposed" && unit !== undefined,
  );

  return (
    <section aria-labelledby="handover-title">
      <Loaded load={load}>
        {(h) => {
          const fromName = h.from_rm_name ?? from.data?.name ?? h.from_rm_id;
          const receivers = from.data && rms.data ? eligibleReceivers(from.data, rms.data) : null;
          const open = h.moves.filter((m) => !m.to_rm_id).length;
          const editable = manages && h.status === "proposed";
          return (
            <>
              <HandoverCase reason={h.reason} />
              <h1 id="handover-title">
                {t("committee.handover.title", { rm: fromName })} <Pill tone={h.status === "confirmed" ? "ok" : h.status === "withdrawn" ? "muted" : "warning"}>{HANDOVER_STATUSES.includes(h.status) ? t(`committee.handoverStatus.${h.status}` as MessageKey) : h.status}</Pill>
              </h1>
              <dl className="facts" data-testid="handover-facts">
                <dt>{t("committee.handover.from")}</dt>
                <dd>
                  <Link to={`/rms/${h.from_rm_id}`}>{fromName}</Link>
                </dd>
                <dt>{t("committee.handover.created")}</dt>
                <dd>
                  <Who username={h.created_by} /> · {dateTime(h.created_at, locale)}
                </dd>
                {h.confirmed_at && (
                  <>
                    <dt>{t("committee.handover.confirmed")}</dt>
                    <dd>
                      <Who username={h.confirmed_by} /> · {dateTime(h.confirmed_at, locale)}
                    </dd>
                  </>
                )}
                <dt>{t("committee.handover.moves")}</dt>
                <dd>
                  {count(h.moves.length, locale)}
                  {open > 0 && <Pill tone="critical">{t("committee.handover.openCount", { count: count(open, locale) })}</Pill>}
                </dd>
              </dl>
              {h.status === "proposed" && open > 0 && (
                <p className="notice notice-warning" data-testid="handover-open">
                  <RulePill rule="A-9" /> {t("committee.handover.openNotice", { count: count(open, locale) })}
                </p>
              )}
              {!manages && h.status === "proposed" && <p className="notice">{t("committee.handover.managerConfirms")}</p>}
              <Receivers plan={h.moves} receivers={receivers ?? []} />
              <Moves handover={h} moves={h.moves} receivers={receivers} editable={editable} />
              <ConfirmHandover handover={h} fromName={fromName} open={open} manages={manages} />
            </>
          );
        }}
      </Loaded>
    </section>
  );
}

/**
 * Why the plan exists, read from its reason: an exit case ("exit case <id> (X-2.2)", linked), an
 * RM who lost eligibility (the expiry sweep: "A-9: O-4: qualification lapsed on <date>"), or the
 * words of the manager who proposed it.
 */
function HandoverCase({ reason }: { reason: string }) {
  const { t, locale } = useI18n();
  const lapsed = /^A-9: (O-4): qualification lapsed on (\d{4}-\d{2}-\d{2})$|^A-9: (O-5): term ended on (\d{4}-\d{2}-\d{2})$/.exec(reason);
  if (lapsed) {
    const rule = lapsed[1] ?? lapsed[3];
    const day = date(lapsed[2] ?? lapsed[4], locale);
    return (
      <p>
        <RulePill rule="A-9" /> <RulePill rule={rule} /> {t(rule === "O-4" ? "committee.handover.lapsed" : "committee.handover.termEnded", { date: day })}
      </p>
    );
  }
  const m = /exit case (\S+?)(?: \(([^)]+)\))?$/.exec(reason);
  if (!m) return <p className="muted">{t("committee.handover.reason", { reason })}</p>;
  return (
    <p>
      <Link to={`/exit-cases/${m[1]}`} data-testid="handover-case">
        ← {t("committee.handover.case")}
      </Link>
      {m[2] && <RulePill rule={m[2]} />}
    </p>
  );
}

/** Each receiving RM of the unit: its load now against the cap (A-3) and what this plan adds. */
function Receivers({ plan, receivers }: { plan: Move[]; receivers: Rm[] }) {
  const { t, code, locale } = useI18n();
  const ids = [...new Set([...receivers.map((r) => r.id), ...plan.flatMap((m) => (m.to_rm_id ? [m.to_rm_id] : []))])].slice(0, 100);
  // Their grade and load in one read (the list's `ids` filter carries each RM's load), not one per RM.
  const load = useApi(["rms", "by-ids", ids.join(",")], () => ok(api.GET("/api/v1/rms", { params: { query: { ids: ids.join(","), limit: 100 } } })), ids.length > 0);
  if (ids.length === 0) return null;
  const names = new Map(plan.flatMap((m) => (m.to_rm_id && m.to_rm_name ? [[m.to_rm_id, m.to_rm_name] as const] : [])));
  const read = new Map((load.data?.items ?? []).map((r) => [r.id, r]));
  return (
    <section className="card" aria-labelledby="receivers-title">
      <h2 id="receivers-title">{t("committee.handover.receivers")}</h2>
      <div className="table-wrap">
        <table data-testid="handover-receivers">
          <thead>
            <tr>
              <th scope="col">{t("exits.rm")}</th>
              <th scope="col">{t("rms.grade")}</th>
              <th scope="col">{t("rm.capacity")}</th>
              <th scope="col" className="num">
                {t("committee.handover.inPlan")}
              </th>
            </tr>
          </thead>
          <tbody>
            {ids.map((rmId) => {
              const rm = read.get(rmId) ?? receivers.find((r) => r.id === rmId);
              const cap = rm?.capacity;
              return (
                <tr key={rmId}>
                  <th scope="row">
                    <Link to={`/rms/${rmId}`}>{rm?.name ?? names.get(rmId) ?? rmId}</Link>
                  </th>
                  <td>{rm ? code(rm.grade) : "—"}</td>
                  <td>
                    {cap ? (
                      <>
                        {count(cap.held, locale)} / {count(cap.cap, locale)} <span className="muted small">({percent(cap.utilisation, locale, 0)})</span>
                      </>
                    ) : (
                      <span className="muted">{load.status === "loading" ? "…" : "—"}</span>
                    )}
                  </td>
                  <td className="num">{count(plan.filter((m) => m.to_rm_id === rmId).length, locale)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </section>
  );
}

/** Why the system proposed what it did (handovers.rs), in the user's language. */
function MoveNote({ note }: { note: string }) {
  const { t } = useI18n();
  if (note === "lowest load relative to the cap in the unit") return <>{t("committee.move.lowestLoad")}</>;
  if (note === "no other RM in the unit") return <>{t("committee.move.noOther")}</>;
  const fits = /^no RM in the unit fits \(([^)]*)\)$/.exec(note);
  if (fits) {
    return (
      <>
        {t("committee.move.noneFits")}{" "}
        {fits[1].split(/,\s*/).map((r) => (
          <RulePill key={r} rule={r} />
        ))}
      </>
    );
  }
  const chosen = /^chosen by (\S+)$/.exec(note);
  if (chosen) return <>{t("committee.move.chosenBy", { who: chosen[1] })}</>;
  return <span className="wrap">{note}</span>;
}

function Moves({ handover, moves, receivers, editable }: { handover: Plan; moves: Move[]; receivers: Rm[] | null; editable: boolean }) {
  const { t, code, locale } = useI18n();
  const [onlyOpen, setOnlyOpen] = useState(false);
  const [find, setFind] = useState("");
  const [limit, setLimit] = useState(SHOWN);
  const [editing, setEditing] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  // Keyboard users land back on the row's button when its editor closes.
  const table = useRef<HTMLTableElement>(null);
  const lastEdited = useRef<string | null>(null);
  useEffect(() => {
    if (editing) lastEdited.current = editing;
    else if (lastEdited.current) table.current?.querySelector<HTMLButtonElement>(`tr[data-move="${lastEdited.current}"] button`)?.focus();
  }, [editing]);
  const open = moves.filter((m) => !m.to_rm_id).length;
  const needle = find.trim().toLowerCase();
  const matching = moves.filter((m) => (!onlyOpen || !m.to_rm_id) && (!needle || (m.customer_name ?? m.customer_id).toLowerCase().includes(needle)));
  const shown = matching.slice(0, limit);
  return (
    <section className="card" aria-labelledby="moves-title">
      <h2 id="moves-title">{t("committee.handover.plan")}</h2>
      <div className="filters">
        <label>
          {t("committee.handover.find")}
          <input type="search" value={find} onChange={(e) => setFind(e.target.value)} />
        </label>
        {open > 0 && (
          <label className="inline">
            <input type="checkbox" checked={onlyOpen} onChange={(e) => setOnlyOpen(e.target.checked)} /> {t("committee.handover.onlyOpen", { count: count(open, locale) })}
          </label>
        )}
      </div>
      {done && (
        <p className="notice notice-ok" role="status" data-testid="move-changed">
          {done}
        </p>
      )}
      <div className="table-wrap">
        <table data-testid="handover-moves" ref={table}>
          <caption className="visually-hidden">{t("committee.handover.plan")}</caption>
          <thead>
            <tr>
              <th scope="col">{t("field.customer")}</th>
              <th scope="col">{t("committee.move.role")}</th>
              <th scope="col">{t("committee.move.to")}</th>
              <th scope="col">{t("committee.move.why")}</th>
              {editable && <th scope="col">{t("committee.move.change")}</th>}
            </tr>
          </thead>
          <tbody>
            {shown.map((m) => {
              const customer = m.customer_name ?? m.customer_id;
              return (
                <tr key={m.assignment_id} data-move={m.assignment_id} className={m.to_rm_id ? undefined : "row-warning"}>
                  <th scope="row">
                    <Link to={`/customers/${m.customer_id}`}>{customer}</Link>
                  </th>
                  <td>{code(m.role, "assignment")}</td>
                  <td data-testid="move-to">
                    {m.to_rm_id ? <Link to={`/rms/${m.to_rm_id}`}>{m.to_rm_name ?? m.to_rm_id}</Link> : <Pill tone="critical">{t("committee.move.nobody")}</Pill>}
                  </td>
                  <td className="small">
                    <MoveNote note={m.note} />
                  </td>
                  {editable && (
                    <td>
                      {editing === m.assignment_id ? (
                        <ChangeMove
                          handover={handover}
                          move={m}
                          customer={customer}
                          receivers={receivers}
                          onDone={(text) => {
                            setEditing(null);
                            setDone(text);
                          }}
                          onCancel={() => setEditing(null)}
                        />
                      ) : (
                        <button
                          type="button"
                          aria-label={t("committee.move.changeFor", { customer })}
                          onClick={() => {
                            setDone(null);
                            setEditing(m.assignment_id);
                          }}
                        >
                          {t("committee.move.change")}
                        </button>
                      )}
                    </td>
                  )}
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      <p className="muted small" role="status">
        {t("committee.handover.showing", { shown: count(shown.length, locale), of: count(matching.length, locale) })}
      </p>
      {matching.length > shown.length && (
        <div className="more">
          <button type="button" onClick={() => setLimit(limit + SHOWN * 4)}>
            {t("committee.handover.showMore")}
          </button>
        </div>
      )}
    </section>
  );
}

/** One move to another receiving RM (PATCH /handovers/{id}): checked now, and again at confirm. */
function ChangeMove({ handover, move, customer, receivers, onDone, onCancel }: {
  handover: Plan;
  move: Move;
  customer: string;
  /** Null while the RMs of the unit are being read. */
  receivers: Rm[] | null;
  onDone: (text: string) => void;
  onCancel: () => void;
}) {
  const { t, code } = useI18n();
  const options = (receivers ?? []).filter((r) => r.id !== move.to_rm_id).map((r) => ({ value: r.id, label: `${r.name} · ${code(r.grade)}` }));
  const [to, setTo] = useState("");
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => box.current?.querySelector("select")?.focus(), [receivers]);
  const change = useCommand(
    (toRmId: string) => ok(api.PATCH("/api/v1/handovers/{id}", { params: { path: { id: handover.id } }, body: { moves: [{ assignment_id: move.assignment_id, to_rm_id: toRmId }], version: handover.version } })),
    ["handovers"],
  );
  // Said once the plan shown is the one saved (the command waits for the reads it refreshes).
  const save = () =>
    void change.run(to).then((saved) => {
      if (saved) onDone(t("committee.move.changed", { customer, rm: receivers?.find((r) => r.id === to)?.name ?? to }));
    });
  if (!receivers) return <Spinner />;
  if (options.length === 0) {
    return (
      <span className="small">
        {t("committee.move.noReceivers")}{" "}
        <button type="button" onClick={onCancel}>
          {t("form.cancel")}
        </button>
      </span>
    );
  }
  return (
    <div ref={box} onKeyDown={(e) => e.key === "Escape" && onCancel()}>
      <CommandForm onSubmit={save} error={change.error} busy={change.busy} submit={t("committee.move.save")} testId="change-move">
        <SelectField name="moves" label={t("committee.move.toFor", { customer })} value={to} onChange={setTo} options={options} required />
        <button type="button" onClick={onCancel}>
          {t("form.cancel")}
        </button>
      </CommandForm>
    </div>
  );
}

/** Confirm: every move in one transaction; 202 when a second person must approve (A-10). */
function ConfirmHandover({ handover, fromName, open, manages }: { handover: Plan; fromName: string; open: number; manages: boolean }) {
  const { t, locale } = useI18n();
  // A confirmation already waiting for a second person (A-10): said instead of asking again. The
  // pending handover confirmations are read (few) and the one of this plan found among them.
  const waiting = useApi(["approvals", "pending", "handover", handover.id], async () => {
    const pending = await everyPage((cursor) =>
      ok(api.GET("/api/v1/approvals", { params: { query: { status: "pending", command: "confirm_handover", limit: PAGE, cursor } } })),
    );
    return pending.find((a) => a.command === "confirm_handover" && (a.payload as Record<string, unknown>).handover_id === handover.id) ?? null;
  }, handover.status === "proposed");
  const confirm = useCommand(
    () => answered(api.POST("/api/v1/handovers/{id}/confirm", { params: { path: { id: handover.id } } })),
    ["handovers", "exit-cases", "rms", "customers", "assignments", "approvals"],
  );
  const result = confirm.result;
  const pending = result?.waiting ? (result.data as Schemas["PendingApproval"]) : null;
  // What was just done stays said; otherwise only an open plan has something to confirm.
  if (!result && (handover.status !== "proposed" || (!manages && !waiting.data))) return null;
  return (
    <section className="card" aria-labelledby="confirm-title">
      <h2 id="confirm-title">{t("committee.handover.confirmTitle")}</h2>
      {!result && waiting.data ? (
        <p className="notice notice-warning" data-testid="handover-approval" data-approval-id={waiting.data.id}>
          <RulePill rule={waiting.data.rule} /> {t("committee.handover.alreadyWaiting", { who: waiting.data.maker_username })} <Link to="/approvals">{t("committee.handover.toApprovals")} →</Link>
        </p>
      ) : result ? (
        <>
          <Outcome waiting={result.waiting} done={t("committee.handover.done", { count: count(handover.moves.length, locale) })} />
          {pending && (
            <p className="small" data-testid="handover-approval" data-approval-id={pending.approval_id}>
              <RulePill rule={pending.rule} /> {t("committee.handover.waitingWhy")} <Link to="/approvals">{t("committee.handover.toApprovals")} →</Link>
            </p>
          )}
        </>
      ) : (
        <>
          <p className="muted small">{t("committee.handover.confirmIntro")}</p>
          <CommandForm
            onSubmit={() => void confirm.run()}
            error={confirm.error}
            busy={confirm.busy}
            submit={t("committee.handover.confirm")}
            confirm={t("committee.handover.confirmQuestion", { count: count(handover.moves.length, locale), rm: fromName })}
            testId="confirm-handover"
          >
            {open > 0 && <p className="small">{t("committee.handover.openWarning", { count: count(open, locale) })}</p>}
          </CommandForm>
        </>
      )}
    </section>
  );
}
