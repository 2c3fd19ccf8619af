// The manager's work queues (`/queues`): customers that need a second RM (A-6, D-2), worked row
// by row; rebalancing proposals applied move by move; re-match proposals.

import { useState } from "react";
import { answered, api, ok, type Schemas } from "../../api/client";
import { useCommand, usePagedApi } from "../../api/queries";
import { PagedTable } from "../../components/PagedTable";
import { ErrorMessage, Pill } from "../../components/status";
import { date, dateTime } from "../../format";
import { useI18n } from "../../i18n";
import { Link, navigate, useLocation } from "../../router";
import { Answer, type Answered } from "./Answer";
import { namesOf, useActiveRms, useCustomerNames, useOrgUnits } from "./lookups";
import { Rebalancing } from "./Rebalancing";
import { RmOptions } from "./RmPicker";
import { ASSIGNMENT_TOPICS, useMayManage } from "./slots";

type View = "second-rm" | "rebalancing" | "rematch";
const VIEWS: View[] = ["second-rm", "rebalancing", "rematch"];

export function Queues() {
  const { t } = useI18n();
  const { query } = useLocation();
  const view = (VIEWS as string[]).includes(query.get("view") ?? "") ? (query.get("view") as View) : "second-rm";
  const mayManage = useMayManage();
  return (
    <section aria-labelledby="queues-title">
      <div className="page-head">
        <h1 id="queues-title">{t("manager.queues.title")}</h1>
        {mayManage && (
          <span className="buttons">
            <Link to="/handovers" className="button">
              {t("committee.handovers.title")}
            </Link>
            <Link to="/rms/new" className="button" data-testid="appoint-rm-link">
              {t("manager.appoint.link")}
            </Link>
          </span>
        )}
      </div>
      <div className="tabs" aria-label={t("manager.queues.title")}>
        {VIEWS.map((v) => (
          <button key={v} type="button" aria-pressed={v === view} onClick={() => navigate(`/queues?view=${v}`)}>
            {t(`manager.queues.${v}`)}
          </button>
        ))}
      </div>
      {view === "second-rm" && <SecondRmQueue />}
      {view === "rebalancing" && <Rebalancing />}
      {view === "rematch" && <RematchQueue />}
    </section>
  );
}

// ---------------------------------------------------------------------------------------------
// A-6 / D-2: customers that need a second RM

type SecondRmNeeded = Schemas["SecondRmNeeded"];

function SecondRmQueue() {
  const { t, code, locale } = useI18n();
  const units = namesOf(useOrgUnits().data);
  const mayManage = useMayManage();
  const paged = usePagedApi(["queues", "/api/v1/queues/second-rm"], (cursor) => ok(api.GET("/api/v1/queues/second-rm", { params: { query: { limit: 20, cursor } } })));
  const [last, setLast] = useState<{ answer: Answered; customer: string } | null>(null);
  return (
    <section className="card" aria-labelledby="second-rm-title">
      <h2 id="second-rm-title">{t("manager.second.title")}</h2>
      <p className="muted small">{t("manager.second.intro")}</p>
      {last && <Answer answer={last.answer} done={t("manager.second.done", { customer: last.customer })} />}
      <PagedTable
        paged={paged}
        testId="second-rm-queue"
        caption={t("manager.second.title")}
        empty={t("manager.second.none")}
        rowKey={(r) => r.customer_id}
        columns={[
          { header: t("field.customer"), cell: (r) => <Link to={`/customers/${r.customer_id}`}>{r.name}</Link> },
          { header: t("manager.unit"), cell: (r) => units.get(r.org_unit_id) ?? "—" },
          { header: t("customer.categories"), cell: (r) => r.categories.map((c) => code(c)).join(", ") || "—" },
          { header: t("manager.second.rms"), numeric: true, cell: (r) => r.rms },
          {
            header: t("manager.second.due"),
            cell: (r) => (
              <>
                {date(r.due_on, locale)}
                {r.overdue && <Pill tone="critical">{t("checks.overdue")}</Pill>}
              </>
            ),
          },
          ...(mayManage ? [{ header: t("manager.second.assign"), cell: (r: SecondRmNeeded) => <AssignSecond row={r} onDone={(answer) => setLast({ answer, customer: r.name })} /> }] : []),
        ]}
      />
    </section>
  );
}

/** One row worked in place: an RM of the scope (the customer's unit first), assigned as assistant. */
function AssignSecond({ row, onDone }: { row: SecondRmNeeded; onDone: (answer: Answered) => void }) {
  const { t } = useI18n();
  const rms = useActiveRms();
  const [rmId, setRmId] = useState("");
  const send = useCommand(async () => {
    const answer = await answered(api.POST("/api/v1/assignments", { body: { customer_id: row.customer_id, rm_id: rmId, role: "assistant", reason: "second_rm" } }));
    onDone(answer);
    return answer;
  }, ASSIGNMENT_TOPICS);
  const selectId = `second-${row.customer_id}`;
  return (
    <form
      className="row-form"
      data-testid="assign-second"
      onSubmit={(e) => {
        e.preventDefault();
        void send.run();
      }}
    >
      <label htmlFor={selectId} className="visually-hidden">
        {t("manager.second.rmFor", { customer: row.name })}
      </label>
      <select id={selectId} value={rmId} required onChange={(e) => setRmId(e.target.value)}>
        <RmOptions rms={rms.items} unitId={row.org_unit_id} />
      </select>
      <button type="submit" className="primary" disabled={send.busy} aria-busy={send.busy}>
        {send.busy ? t("state.working") : t("manager.second.submit")}
      </button>
      {send.error && <ErrorMessage error={send.error} />}
    </form>
  );
}

// ---------------------------------------------------------------------------------------------
// rotation and tier-change proposals

type ProposalKind = Schemas["ProposalKind"];

function RematchQueue() {
  const { t, locale } = useI18n();
  const [kind, setKind] = useState<ProposalKind>("rotation");
  const rms = namesOf(useActiveRms().items);
  const paged = usePagedApi(["queues", "/api/v1/queues/rematch", kind], (cursor) => ok(api.GET("/api/v1/queues/rematch", { params: { query: { kind, limit: 25, cursor } } })));
  const customers = useCustomerNames(paged.items.map((p) => p.customer_id));
  return (
    <section className="card" aria-labelledby="rematch-title">
      <h2 id="rematch-title">{t("manager.rematch.title")}</h2>
      <p className="muted small">{t("manager.rematch.intro")}</p>
      <div className="filters">
        <label>
          {t("field.kind")}
          <select value={kind} onChange={(e) => setKind(e.target.value as ProposalKind)}>
            {(["rotation", "tier_change"] as const).map((k) => (
              <option key={k} value={k}>
                {t(`manager.rematch.kind.${k}`)}
              </option>
            ))}
          </select>
        </label>
      </div>
      <PagedTable
        paged={paged}
        testId="rematch-queue"
        caption={t("manager.rematch.title")}
        empty={t("manager.rematch.none")}
        rowKey={(p) => p.assignment_id}
        columns={[
          { header: t("field.customer"), cell: (p) => <Link to={`/customers/${p.customer_id}`}>{customers.get(p.customer_id) ?? t("manager.openCustomer")}</Link> },
          { header: t("manager.rematch.primary"), cell: (p) => <Link to={`/rms/${p.rm_id}`}>{rms.get(p.rm_id) ?? t("manager.rm")}</Link> },
          { header: t("manager.rematch.heldSince"), cell: (p) => date(p.held_since, locale) },
          ...(kind === "tier_change" ? [{ header: t("manager.rematch.tierChanged"), cell: (p: Schemas["RematchProposal"]) => dateTime(p.tier_changed_at, locale) }] : []),
          { header: t("manager.rematch.action"), cell: (p) => <Link to={`/customers/${p.customer_id}?act=reassign&reason=${p.kind}`}>{t("manager.rematch.reassign")}</Link> },
        ]}
      />
    </section>
  );
}
