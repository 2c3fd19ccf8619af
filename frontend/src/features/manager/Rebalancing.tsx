// the spread of load across a unit's RMs before and after the proposed moves, and the moves
// themselves, each applied on its own through the reassignment API (a 202 waits for approval, a
// refusal shows next to its move). After each applied move the proposal is read again.

import { useState } from "react";
import { answered, api, ok, type Schemas } from "../../api/client";
import { useApi, useCommand } from "../../api/queries";
import { Empty, ErrorMessage, Loaded } from "../../components/status";
import { cny, count, decimal } from "../../format";
import { useI18n } from "../../i18n";
import { Link } from "../../router";
import { useSession } from "../../session";
import { Answer, type Answered } from "./Answer";
import { useActiveRms, useCustomerNames, useOrgUnits } from "./lookups";
import { ASSIGNMENT_TOPICS, useMayManage } from "./slots";

type Move = Schemas["RebalancingMove"];
type Spread = Schemas["Spread"];

export function Rebalancing() {
  const { t, code } = useI18n();
  const { user } = useSession();
  const units = useOrgUnits();
  // The caller's own unit until another is chosen.
  const [chosen, setUnitId] = useState<string | null>(null);
  const unitId = chosen ?? user?.org_unit_id ?? "";
  const proposal = useApi(
    ["rebalancing", "/api/v1/rebalancing/proposals", unitId],
    () => ok(api.GET("/api/v1/rebalancing/proposals", { params: { query: { org_unit_id: unitId } } })),
    unitId !== "",
  );
  const [last, setLast] = useState<{ answer: Answered; text: string } | null>(null);
  return (
    <section className="card" aria-labelledby="rebalancing-title">
      <h2 id="rebalancing-title">{t("manager.rebalancing.title")}</h2>
      <p className="muted small">{t("manager.rebalancing.intro")}</p>
      <div className="filters">
        <label>
          {t("manager.unit")}
          <select value={unitId} onChange={(e) => setUnitId(e.target.value)} data-testid="rebalancing-unit">
            {(units.data ?? []).map((u) => (
              <option key={u.id} value={u.id}>
                {"\u2003".repeat(Math.max(0, u.depth - (units.data?.[0]?.depth ?? 0)))}
                {u.name} ({code(u.kind)})
              </option>
            ))}
          </select>
        </label>
      </div>
      {last && <Answer answer={last.answer} done={last.text} />}
      <Loaded load={proposal}>{(p) => <Proposal proposal={p} onApplied={(answer, text) => setLast({ answer, text })} />}</Loaded>
    </section>
  );
}

function Proposal({ proposal, onApplied }: { proposal: Schemas["RebalancingProposal"]; onApplied: (answer: Answered, text: string) => void }) {
  const { t, locale } = useI18n();
  const rms = new Map(useActiveRms().items.map((rm) => [rm.id, rm]));
  const customers = useCustomerNames(proposal.moves.map((m) => m.customer_id));
  const mayManage = useMayManage();
  const rmName = (id: string) => rms.get(id)?.name ?? t("manager.rm");
  // Two RMs may share a name: the employee number tells them apart.
  const rmCell = (id: string) => (
    <>
      <Link to={`/rms/${id}`}>{rmName(id)}</Link> <span className="muted small">{rms.get(id)?.employee_no}</span>
    </>
  );
  return (
    <>
      <SpreadTable before={proposal.before} after={proposal.after} />
      <h3>{t("manager.rebalancing.moves", { count: count(proposal.moves.length, locale) })}</h3>
      {proposal.moves.length === 0 ? (
        <Empty>{t("manager.rebalancing.none")}</Empty>
      ) : (
        <div className="table-wrap">
          <table data-testid="rebalancing-moves">
            <caption className="visually-hidden">{t("manager.rebalancing.title")}</caption>
            <thead>
              <tr>
                <th scope="col">{t("field.customer")}</th>
                <th scope="col" className="num">
                  {t("manager.rebalancing.value")}
                </th>
                <th scope="col">{t("manager.rebalancing.from")}</th>
                <th scope="col">{t("manager.rebalancing.to")}</th>
                {mayManage && <th scope="col">{t("manager.rebalancing.apply")}</th>}
              </tr>
            </thead>
            <tbody>
              {proposal.moves.map((m) => {
                const customer = customers.get(m.customer_id) ?? t("manager.openCustomer");
                return (
                  <tr key={m.customer_id} data-customer={m.customer_id}>
                    <td>
                      <Link to={`/customers/${m.customer_id}`}>{customer}</Link>
                    </td>
                    <td className="num">{cny(m.customer_value, locale)}</td>
                    <td>{rmCell(m.from_rm_id)}</td>
                    <td>{rmCell(m.to_rm_id)}</td>
                    {mayManage && (
                      <td>
                        <ApplyMove
                          move={m}
                          label={t("manager.rebalancing.applyOne", { customer, to: rmName(m.to_rm_id) })}
                          onApplied={(answer) => onApplied(answer, t("manager.rebalancing.done", { customer, from: rmName(m.from_rm_id), to: rmName(m.to_rm_id) }))}
                        />
                      </td>
                    )}
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

function SpreadTable({ before, after }: { before: Spread; after: Spread }) {
  const { t, locale } = useI18n();
  const rows: [string, (s: Spread) => string][] = [
    [t("manager.spread.rms"), (s) => count(s.rms, locale)],
    [t("manager.spread.min"), (s) => count(s.min_customers, locale)],
    [t("manager.spread.max"), (s) => count(s.max_customers, locale)],
    [t("manager.spread.customersStddev"), (s) => decimal(s.customers_stddev, locale, 2)],
    [t("manager.spread.valueStddev"), (s) => cny(s.value_stddev, locale)],
  ];
  return (
    <div className="table-wrap">
      <table data-testid="rebalancing-spread">
        <caption className="visually-hidden">{t("manager.spread.title")}</caption>
        <thead>
          <tr>
            <th scope="col">{t("manager.spread.title")}</th>
            <th scope="col" className="num">
              {t("manager.spread.before")}
            </th>
            <th scope="col" className="num">
              {t("manager.spread.after")}
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map(([label, value]) => (
            <tr key={label}>
              <th scope="row">{label}</th>
              <td className="num">{value(before)}</td>
              <td className="num">{value(after)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** One move, made as a reassignment of the customer to the receiving RM. */
function ApplyMove({ move, label, onApplied }: { move: Move; label: string; onApplied: (answer: Answered) => void }) {
  const { t } = useI18n();
  const apply = useCommand(async () => {
    const answer = await answered(api.POST("/api/v1/customers/{id}/reassign", { params: { path: { id: move.customer_id } }, body: { to_rm_id: move.to_rm_id, reason: "rebalancing" } }));
    onApplied(answer);
    return answer;
  }, ASSIGNMENT_TOPICS);
  return (
    <div className="row-form">
      <button type="button" className="primary" aria-label={label} disabled={apply.busy} aria-busy={apply.busy} onClick={() => void apply.run()} data-testid="apply-move">
        {apply.busy ? t("state.working") : t("manager.rebalancing.apply")}
      </button>
      {apply.error && <ErrorMessage error={apply.error} />}
    </div>
  );
}
