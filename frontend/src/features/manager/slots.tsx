// The manager's actions shown on other features' pages: on the customer page, who holds the
// customer and the assign / reassign / end commands (A-1..A-10); on the RM page, qualifications
// (O-3, O-4) and the appointment term (O-5). Shown to the roles the API lets act (admin, manager);
// the API still decides, and every refusal is shown with its rule.

import { useState } from "react";
import { answered, api, ok, type Schemas } from "../../api/client";
import { toApiError } from "../../api/problem";
import { useApi, useCommand, type Topic } from "../../api/queries";
import { CommandForm, Outcome, SelectField, TextField } from "../../components/forms";
import { Empty, Loaded, Pill } from "../../components/status";
import { date, dateTime, percent } from "../../format";
import { useI18n } from "../../i18n";
import { Link, useLocation } from "../../router";
import { useSession } from "../../session";
import type { MessageKey } from "../../messages";
import { Answer } from "./Answer";
import { GRADES, linesFor, namesOf, useActiveRms, useOrgUnits, usePolicy } from "./lookups";
import { RmPicker } from "./RmPicker";

type Customer = Schemas["Customer"];
type Assignment = Schemas["Assignment"];
type AssignmentRole = Schemas["AssignmentRole"];
type Grade = Schemas["Grade"];

/** What an assignment command may change: the customer, the RMs' books, queues, proposals. */
export const ASSIGNMENT_TOPICS: Topic[] = ["customers", "assignments", "rms", "queues", "rebalancing", "approvals"];

export function useMayManage(): boolean {
  const { roles } = useSession();
  return roles.includes("admin") || roles.includes("manager");
}

// ---------------------------------------------------------------------------------------------
// Customer page

export function CustomerAssignment({ customer, history }: { customer: Customer; history: Assignment[] }) {
  if (!useMayManage()) return null;
  return <AssignmentCard customer={customer} history={history} />;
}

function AssignmentCard({ customer, history }: { customer: Customer; history: Assignment[] }) {
  const { t, code, locale } = useI18n();
  const lines = linesFor(customer.kind);
  // The picker's default list (same query, cached once) also names the RMs holding the customer.
  const rms = useActiveRms(lines.length === 1 ? lines[0] : "");
  const names = namesOf(rms.items);
  const current = history.filter((a) => !a.valid_to);
  const primary = current.find((a) => a.role === "primary");
  const needsSecond = customer.needs_second_rm_since != null && current.length < 2;
  // `?act=reassign&reason=rotation` (from the re-matching queue) opens the reassignment.
  const { query } = useLocation();
  const reassigning = query.get("act") === "reassign";
  const askedReason = REASSIGN_REASONS.find((r) => r === query.get("reason"));
  // Which form is open first; later the user's choice, not the data, decides (a form stays open
  // to show what it did).
  const [assignFirst] = useState(() => !primary || (needsSecond && !reassigning));
  const [ended, setEnded] = useState<string | null>(null);
  return (
    <section className="card" aria-labelledby="assignment-title" data-testid="customer-assignment">
      <h2 id="assignment-title">{t("manager.assign.title")}</h2>
      {current.length === 0 ? (
        <Empty>{t("manager.assign.nobody")}</Empty>
      ) : (
        <ul className="holders" data-testid="holders">
          {current.map((a) => (
            <li key={a.id}>
              <strong>{code(a.role, "assignment")}</strong>: <Link to={`/rms/${a.rm_id}`}>{names.get(a.rm_id) ?? t("manager.rm")}</Link>{" "}
              <span className="muted small">
                {t("customer.share", { share: percent(a.share, locale, 0) })} · {t("customer.from", { date: dateTime(a.valid_from, locale) })}
              </span>
              <EndAssignment assignment={a} customer={customer} rmName={names.get(a.rm_id) ?? t("manager.rm")} onEnded={setEnded} />
            </li>
          ))}
        </ul>
      )}
      {ended && <Outcome waiting={false} done={ended} />}
      {needsSecond && customer.needs_second_rm_since && (
        <p className="notice notice-warning">{t("manager.assign.needsSecond", { date: date(customer.needs_second_rm_since, locale) })}</p>
      )}
      <details open={assignFirst} data-testid="assign-details">
        <summary>{t("manager.assign.open")}</summary>
        <AssignForm customer={customer} holders={current.map((a) => a.rm_id)} hasPrimary={primary !== undefined} />
      </details>
      {primary && (
        <details open={reassigning} data-testid="reassign-details">
          <summary>{t("manager.reassign.open")}</summary>
          <ReassignForm customer={customer} primary={primary} reason={askedReason} />
        </details>
      )}
    </section>
  );
}

const ASSIGN_REASONS = ["new", "second_rm", "customer_request", "other"] as const;
const REASSIGN_REASONS = ["customer_request", "rotation", "tier_change", "rebalancing", "workload", "other"] as const;
/** Reason codes the dashboard and the server record on assignments (the server: `new`, `share_split`, `demo`). */
const REASON_CODES: readonly string[] = ["new", "second_rm", "customer_request", "rotation", "tier_change", "rebalancing", "workload", "share_split", "demo"];

/**
 * An assignment's recorded reason in the reader's language when it is a code the dashboard or the
 * server writes; what a person wrote is shown as written.
 */
export function useAssignmentReason(): (reason: string) => string {
  const { t } = useI18n();
  return (reason) => (REASON_CODES.includes(reason) ? t(`manager.reason.${reason}` as MessageKey) : reason);
}

/** A recorded reason: the code chosen, or the text written for "other". */
function reasonOf(choice: string, other: string): string | undefined {
  return choice === "other" ? other.trim() || undefined : choice || undefined;
}

function AssignForm({ customer, holders, hasPrimary }: { customer: Customer; holders: string[]; hasPrimary: boolean }) {
  const { t, code } = useI18n();
  const policy = usePolicy();
  const [role, setRole] = useState<AssignmentRole>(hasPrimary ? "assistant" : "primary");
  const [rmId, setRmId] = useState("");
  const [share, setShare] = useState("");
  const [reason, setReason] = useState<(typeof ASSIGN_REASONS)[number]>(hasPrimary ? "second_rm" : "new");
  const [other, setOther] = useState("");
  const [overrideReason, setOverrideReason] = useState("");
  // the RM the API found at its cap; for that RM the form asks for an override.
  const [atCap, setAtCap] = useState<string | null>(null);
  const overriding = atCap !== null && atCap === rmId;
  const send = useCommand(async () => {
    try {
      const answer = await answered(
        api.POST("/api/v1/assignments", {
          body: {
            customer_id: customer.id,
            rm_id: rmId,
            role,
            share: role === "primary" ? undefined : share.trim() || undefined,
            reason: reasonOf(reason, other),
            override_reason: overriding ? overrideReason : undefined,
          },
        }),
      );
      // The RM now holds the customer (or waits to): it leaves the choices.
      setRmId("");
      return answer;
    } catch (e) {
      if (toApiError(e).rule === "A-3") setAtCap(rmId);
      throw e;
    }
  }, ASSIGNMENT_TOPICS);
  const defaultShare = policy.data?.policy.assignment.assistant_share;
  return (
    <>
      <CommandForm onSubmit={() => void send.run()} error={send.error} busy={send.busy} submit={overriding ? t("manager.assign.askOverride") : t("manager.assign.submit")} testId="assign-form">
        <SelectField<AssignmentRole>
          name="role"
          label={t("manager.assign.role")}
          required
          value={role}
          onChange={setRole}
          options={(["primary", "assistant", "team_member"] as const).map((r) => ({ value: r, label: code(r, "assignment") }))}
        />
        <RmPicker label={t("manager.assign.rm")} value={rmId} onChange={setRmId} customer={customer} exclude={holders} />
        {role !== "primary" && (
          <TextField
            name="share"
            label={t("manager.assign.share")}
            hint={defaultShare ? t("manager.assign.shareHint", { share: defaultShare }) : undefined}
            value={share}
            onChange={setShare}
            maxLength={8}
          />
        )}
        <ReasonFields name="reason" reasons={ASSIGN_REASONS} value={reason} onChange={setReason} other={other} onOther={setOther} />
        {overriding && (
          <>
            <p className="notice notice-warning">{t("manager.assign.overrideHint")}</p>
            <TextField name="override_reason" label={t("manager.assign.overrideReason")} required multiline maxLength={500} value={overrideReason} onChange={setOverrideReason} />
          </>
        )}
      </CommandForm>
      {send.result && <Answer answer={send.result} done={t("manager.assign.done")} link={send.result.waiting ? undefined : { to: `/rms/${(send.result.data as Assignment).rm_id}`, text: t("manager.openRm") }} />}
    </>
  );
}

function ReasonFields<R extends string>({ name, reasons, value, onChange, other, onOther }: {
  name: string;
  reasons: readonly R[];
  value: R;
  onChange: (r: R) => void;
  other: string;
  onOther: (text: string) => void;
}) {
  const { t } = useI18n();
  return (
    <>
      <SelectField<R> name={value === "other" ? "reason-choice" : name} label={t("field.reason")} required value={value} onChange={onChange} options={reasons.map((r) => ({ value: r, label: t(`manager.reason.${r}` as MessageKey) }))} />
      {value === "other" && <TextField name={name} label={t("manager.reason.otherText")} required maxLength={500} value={other} onChange={onOther} />}
    </>
  );
}

function ReassignForm({ customer, primary, reason: proposed }: { customer: Customer; primary: Assignment; reason?: (typeof REASSIGN_REASONS)[number] }) {
  const { t } = useI18n();
  const [rmId, setRmId] = useState("");
  const [reason, setReason] = useState<(typeof REASSIGN_REASONS)[number]>(proposed ?? "customer_request");
  const [other, setOther] = useState("");
  const send = useCommand(async () => {
    const answer = await answered(api.POST("/api/v1/customers/{id}/reassign", { params: { path: { id: customer.id } }, body: { to_rm_id: rmId, reason: reasonOf(reason, other) ?? "" } }));
    setRmId("");
    return answer;
  }, ASSIGNMENT_TOPICS);
  return (
    <>
      <p className="muted small">{t("manager.reassign.hint")}</p>
      <CommandForm onSubmit={() => void send.run()} error={send.error} busy={send.busy} submit={t("manager.reassign.submit")} testId="reassign-form">
        <RmPicker label={t("manager.reassign.to")} name="to_rm_id" value={rmId} onChange={setRmId} customer={customer} exclude={[primary.rm_id]} />
        <ReasonFields name="reason" reasons={REASSIGN_REASONS} value={reason} onChange={setReason} other={other} onOther={setOther} />
      </CommandForm>
      {send.result && <Answer answer={send.result} done={t("manager.reassign.done")} link={send.result.waiting ? undefined : { to: `/rms/${(send.result.data as Assignment).rm_id}`, text: t("manager.openRm") }} />}
    </>
  );
}

function EndAssignment({ assignment, customer, rmName, onEnded }: { assignment: Assignment; customer: Customer; rmName: string; onEnded: (message: string) => void }) {
  const { t, code } = useI18n();
  const [reason, setReason] = useState("");
  const role = code(assignment.role, "assignment");
  const end = useCommand(async () => {
    await ok(api.POST("/api/v1/assignments/{id}/end", { params: { path: { id: assignment.id } }, body: { reason: reason.trim() || undefined } }));
    onEnded(t("manager.end.done", { role, rm: rmName }));
  }, ASSIGNMENT_TOPICS);
  return (
    <details className="end-assignment">
      <summary>{t("manager.end.open")}</summary>
      <CommandForm
        onSubmit={() => void end.run()}
        error={end.error}
        busy={end.busy}
        danger
        submit={t("manager.end.submit")}
        confirm={t("manager.end.confirm", { role, rm: rmName, customer: customer.name })}
        testId={`end-${assignment.id}`}
      >
        <TextField name="reason" label={t("field.reason")} maxLength={500} value={reason} onChange={setReason} />
      </CommandForm>
    </details>
  );
}

// ---------------------------------------------------------------------------------------------
// RM page

export function RmAdministration({ rm }: { rm: Schemas["Rm"] }) {
  if (!useMayManage()) return null;
  return <RmAdminCard rm={rm} />;
}

function RmAdminCard({ rm }: { rm: Schemas["Rm"] }) {
  const { t, code, locale } = useI18n();
  const units = namesOf(useOrgUnits().data);
  const qualifications = useApi(["rms", rm.id, "qualifications"], () => ok(api.GET("/api/v1/rms/{id}/qualifications", { params: { path: { id: rm.id } } })));
  return (
    <section className="card" aria-labelledby="rm-admin-title" data-testid="rm-administration">
      <h2 id="rm-admin-title">{t("manager.admin.title")}</h2>
      <dl className="facts">
        <dt>{t("rm.qualified")}</dt>
        <dd>
          {date(rm.qualified_on, locale)} · {t("manager.admin.validUntil", { date: date(rm.qualification_valid_until, locale) })}
          {rm.qualification_lapsed && <Pill tone="warning">{t("manager.admin.lapsed")}</Pill>}
        </dd>
        <dt>{t("rm.term")}</dt>
        <dd>
          {date(rm.term_starts_on, locale)} – {date(rm.term_ends_on, locale)}
          {rm.term_expired && <Pill tone="warning">{t("manager.admin.expired")}</Pill>}
        </dd>
      </dl>
      <h3>{t("manager.admin.qualifications")}</h3>
      <Loaded load={qualifications}>
        {(list) =>
          list.length === 0 ? (
            <Empty>{t("manager.admin.noQualifications")}</Empty>
          ) : (
            <div className="table-wrap">
              <table data-testid="qualifications">
                <thead>
                  <tr>
                    <th scope="col">{t("rms.grade")}</th>
                    <th scope="col">{t("manager.admin.exam")}</th>
                    <th scope="col">{t("manager.admin.approvedBy")}</th>
                    <th scope="col">{t("manager.admin.recorded")}</th>
                  </tr>
                </thead>
                <tbody>
                  {list.map((q) => (
                    <tr key={q.id}>
                      <td>{code(q.grade)}</td>
                      <td>{date(q.exam_passed_on, locale)}</td>
                      <td>{units.get(q.approved_by_unit_id) ?? "—"}</td>
                      <td>{dateTime(q.created_at, locale)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </Loaded>
      <details data-testid="qualify-details">
        <summary>{t("manager.qualify.open")}</summary>
        <QualifyForm rm={rm} />
      </details>
      <details data-testid="renew-details">
        <summary>{t("manager.renew.open")}</summary>
        <RenewTerm rm={rm} />
      </details>
    </section>
  );
}

function QualifyForm({ rm }: { rm: Schemas["Rm"] }) {
  const { t, code } = useI18n();
  const [grade, setGrade] = useState<Grade>(rm.grade);
  const [exam, setExam] = useState("");
  const send = useCommand(
    () => answered(api.POST("/api/v1/rms/{id}/qualifications", { params: { path: { id: rm.id } }, body: { grade, exam_passed_on: exam } })),
    ["rms", "approvals"],
  );
  return (
    <>
      <p className="muted small">{t("manager.qualify.hint")}</p>
      <CommandForm onSubmit={() => void send.run()} error={send.error} busy={send.busy} submit={t("manager.qualify.submit")} testId="qualify-form">
        <SelectField<Grade> name="grade" label={t("rms.grade")} required value={grade} onChange={setGrade} options={GRADES.map((g) => ({ value: g, label: code(g) }))} />
        <TextField name="exam_passed_on" type="date" label={t("manager.admin.exam")} required value={exam} onChange={setExam} />
      </CommandForm>
      {send.result && <Answer answer={send.result} done={t("manager.qualify.done")} />}
    </>
  );
}

function RenewTerm({ rm }: { rm: Schemas["Rm"] }) {
  const { t, locale } = useI18n();
  const policy = usePolicy();
  const years = policy.data?.policy.qualification.term_years;
  const renew = useCommand(() => ok(api.POST("/api/v1/rms/{id}/term-renewals", { params: { path: { id: rm.id } } })), ["rms"]);
  return (
    <>
      <p className="muted small">{years !== undefined ? t("manager.renew.hint", { years }) : t("manager.renew.hintPlain")}</p>
      <CommandForm
        onSubmit={() => void renew.run()}
        error={renew.error}
        busy={renew.busy}
        submit={t("manager.renew.submit")}
        confirm={t("manager.renew.confirm", { rm: rm.name, date: date(rm.term_ends_on, locale) })}
        testId="renew-form"
      >
        {null}
      </CommandForm>
      {renew.result && <Outcome waiting={false} done={t("manager.renew.done", { date: date(renew.result.term_ends_on, locale) })} />}
    </>
  );
}
