// The risk officer's actions shown on other features' pages (customer, RM, flag in a list).
import { useState } from "react";
import { api, ok, type Schemas } from "../../api/client";
import { useApi } from "../../api/queries";
import { ErrorMessage, Pill } from "../../components/status";
import { date } from "../../format";
import { useI18n } from "../../i18n";
import { useSession } from "../../session";
import { AcknowledgeForm, Actions, ComplaintForm, ExitCaseForm, IncidentForm, RaiseFlagForm, ResolveForm } from "./forms";
import { may } from "./may";

/** On a customer's page: raise a flag on it (blacklisting waits for approval), a complaint about its RM. */
export function CustomerRiskActions({ customer }: { customer: Schemas["Customer"] }) {
  const { t } = useI18n();
  const { roles } = useSession();
  const actions = [];
  if (may.manageFlags(roles)) actions.push({ id: "raise", label: t("risk.raise.title"), form: () => <RaiseFlagForm customer={customer} /> });
  if (may.recordConduct(roles)) actions.push({ id: "complaint", label: t("risk.complaint.aboutRm"), form: () => <CustomerComplaint customer={customer} /> });
  if (actions.length === 0) return null;
  return (
    <section className="card" aria-labelledby="risk-actions-title" data-testid="customer-risk-actions">
      <h2 id="risk-actions-title">{t("risk.actions.title")}</h2>
      <Actions actions={actions} label={t("risk.actions.title")} />
    </section>
  );
}

/** The customer's current RMs to choose the one complained about (names looked up once, cached). */
function CustomerComplaint({ customer }: { customer: Schemas["Customer"] }) {
  const { t, code } = useI18n();
  const current = useApi(["assignments", customer.id, "current-rms"], async () => {
    const history = await ok(api.GET("/api/v1/customers/{id}/assignments", { params: { path: { id: customer.id } } }));
    const now = history.filter((a) => !a.valid_to);
    if (now.length === 0) return [];
    const rms = await ok(api.GET("/api/v1/rms", { params: { query: { ids: now.map((a) => a.rm_id).join(","), limit: 100 } } }));
    const names = new Map(rms.items.map((r) => [r.id, r.name]));
    return now.map((a) => ({ rmId: a.rm_id, role: a.role, name: names.get(a.rm_id) ?? a.rm_id }));
  });
  if (current.status === "error") return <ErrorMessage error={current.error} onRetry={current.reload} />;
  if (!current.data) return null;
  if (current.data.length === 0) return <p className="muted small">{t("risk.complaint.noRm")}</p>;
  return <ComplaintForm customerId={customer.id} rms={current.data.map((r) => ({ value: r.rmId, label: `${r.name} · ${code(r.role, "assignment")}` }))} />;
}

/** On an RM's page: complaints and incidents (X-2 inputs), and an exit case with evidence. */
export function RmRiskActions({ rm }: { rm: Schemas["Rm"] }) {
  const { t } = useI18n();
  const { roles } = useSession();
  const conduct = may.recordConduct(roles);
  const actions = [];
  if (conduct) {
    actions.push({ id: "complaint", label: t("risk.complaint.title"), form: () => <ComplaintForm rmId={rm.id} /> });
    actions.push({ id: "incident", label: t("risk.incident.title"), form: () => <IncidentForm rmId={rm.id} /> });
  }
  if (may.proposeExit(roles) && rm.status !== "exited") actions.push({ id: "case", label: t("risk.case.title"), form: () => <ExitCaseForm rmId={rm.id} rmName={rm.name} /> });
  if (actions.length === 0) return null;
  return (
    <section className="card" aria-labelledby="rm-risk-title" data-testid="rm-risk-actions">
      <h2 id="rm-risk-title">{t("risk.actions.conduct")}</h2>
      {conduct && <ConductRecord rmId={rm.id} />}
      <Actions actions={actions} label={t("risk.actions.conduct")} />
    </section>
  );
}

/** X-2 item 3 and items 1, 2, 4: what is on the RM's record now, the ground of an exit case. */
function ConductRecord({ rmId }: { rmId: string }) {
  const { t, locale } = useI18n();
  const load = useApi(["rms", rmId, "conduct"], () => ok(api.GET("/api/v1/rms/{id}/conduct", { params: { path: { id: rmId } } })));
  if (load.status === "error") return <ErrorMessage error={load.error} onRetry={load.reload} />;
  const c = load.data;
  if (!c) return null;
  return (
    <p className="small" data-testid="conduct">
      {t("risk.conduct.complaints", { count: c.verified_complaints.length, from: date(c.window_from, locale), to: date(c.window_to, locale) })}{" "}
      {c.complaints_threshold_reached && <Pill tone="critical">{t("risk.conduct.threshold")}</Pill>} · {t("risk.conduct.incidents", { count: c.incidents.length })}
    </p>
  );
}

/** Under a flag in a list: acknowledge or resolve it there, in a small form opened on demand. */
export function FlagActions({ flag }: { flag: Schemas["Flag"] }) {
  const { t, code } = useI18n();
  const { roles } = useSession();
  // The actions of the flag as it was first shown: once done, a form stays to say so.
  const [initial] = useState(flag.status);
  if (initial === "resolved") return null;
  const actions = [];
  if (initial === "open" && may.acknowledge(roles)) actions.push({ id: "ack", label: t("risk.ack.submit"), form: () => <AcknowledgeForm flag={flag} compact /> });
  if (may.manageFlags(roles)) actions.push({ id: "resolve", label: t("risk.resolve.submit"), form: () => <ResolveForm flag={flag} /> });
  if (actions.length === 0) return null;
  return <Actions actions={actions} label={t("risk.flag.actionsFor", { kind: code(flag.kind), subject: flag.customer_name ?? flag.rm_name ?? "" })} />;
}
