// The risk desk's forms: raise, acknowledge and resolve a flag (R-2); record a complaint or an
// incident about an RM (X-2 inputs); propose an exit case (X-5). Each sends one command of the
// public API, shows the API's message next to the field it names, and says whether the change is
// done or waits for a second person (M-1).

import { useId, useState, type KeyboardEvent, type ReactNode } from "react";
import { answered, api, ok, type Schemas } from "../../api/client";
import { useApi, useCommand, type Topic } from "../../api/queries";
import { CommandForm, Outcome, SelectField, TextField, useFieldError } from "../../components/forms";
import { ErrorMessage, Spinner } from "../../components/status";
import { useI18n } from "../../i18n";
import { Link } from "../../router";
import { useBusinessClock } from "../desk/Waiting";

type Flag = Schemas["Flag"];
type FlagKind = Schemas["FlagKind"];
type Severity = Schemas["Severity"];
type CaseKind = Schemas["CaseKind"];
type IncidentItem = Schemas["IncidentItem"];
type PendingApproval = Schemas["PendingApproval"];

/** Kinds a person raises; the others come from loan facts and evaluations (R-2, R-4). */
const MANUAL_KINDS = ["anomaly", "blacklisted"] as const satisfies readonly FlagKind[];
type ManualKind = (typeof MANUAL_KINDS)[number];
const SEVERITIES: readonly Severity[] = ["info", "warning", "critical"];
const CASE_KINDS: readonly CaseKind[] = ["disqualification", "forced", "demotion", "natural", "voluntary"];
const INCIDENT_ITEMS: readonly IncidentItem[] = ["X-2.1", "X-2.2", "X-2.4", "X-3"];
/** The triggers each case kind accepts (X-5; the API's `check_trigger`), the first the default. */
export const TRIGGERS: Record<CaseKind, readonly string[]> = {
  disqualification: ["X-2.1", "X-2.2", "X-2.3", "X-2.4", "X-2.5", "X-2.6"],
  forced: ["X-3"],
  voluntary: ["X-4"],
  natural: ["X-4"],
  demotion: ["X-4"],
};

/** What a flag changes: every page that lists flags, a customer's or an RM's, and the queues. */
const FLAG_TOPICS: Topic[] = ["flags", "customers", "rms", "queues", "approvals"];

/** Done, or waiting for a second person: then which approval, and where it is decided. */
export function Answer({ waiting, data, done, link }: { waiting: boolean; data: unknown; done: string; link?: { to: string; label: string } }) {
  const { t } = useI18n();
  const pending = waiting ? (data as PendingApproval) : null;
  return (
    <div data-testid="risk-outcome" data-approval={pending?.approval_id} data-waiting={waiting}>
      <Outcome waiting={waiting} done={done} />
      {pending ? (
        <p className="small">
          {t("risk.waiting.which", { rule: pending.rule })} <Link to="/approvals">{t("risk.waiting.open")}</Link>
        </p>
      ) : (
        link && (
          <p className="small">
            <Link to={link.to}>{link.label}</Link>
          </p>
        )
      )}
    </div>
  );
}

/** A checkbox labelled beside it, with the API's message for its field. */
export function CheckField({ name, label, checked, onChange, hint }: { name: string; label: string; checked: boolean; onChange: (v: boolean) => void; hint?: string }) {
  const id = useId();
  const problem = useFieldError(name);
  return (
    <div className={`field${problem ? " field-invalid" : ""}`}>
      <label className="inline" htmlFor={id}>
        <input id={id} name={name} type="checkbox" checked={checked} aria-invalid={problem ? true : undefined} aria-describedby={problem ? `${id}-error` : hint ? `${id}-hint` : undefined} onChange={(e) => onChange(e.target.checked)} />{" "}
        {label}
      </label>
      {hint && (
        <span id={`${id}-hint`} className="muted small">
          {hint}
        </span>
      )}
      {problem && (
        <span id={`${id}-error`} className="field-error" role="alert">
          {problem}
        </span>
      )}
    </div>
  );
}

/**
 * A customer chosen by name: type the start of the name, find, choose among the matches. The
 * choice is the `customer_id` the API reads (its message for that field shows here).
 */
function CustomerPicker({ value, onChange }: { value: string; onChange: (id: string) => void }) {
  const { t } = useI18n();
  const [draft, setDraft] = useState("");
  const [term, setTerm] = useState("");
  const found = useApi(
    ["customers", "pick", term],
    () => ok(api.GET("/api/v1/customers", { params: { query: { name: term, limit: 20 } } })),
    term !== "",
  );
  const find = () => {
    setTerm(draft.trim());
    onChange("");
  };
  const enter = (e: KeyboardEvent<HTMLInputElement>) => {
    // Enter here looks the name up instead of sending the whole form.
    if (e.key === "Enter") {
      e.preventDefault();
      find();
    }
  };
  const searchId = useId();
  const matches = found.data?.items ?? [];
  return (
    <>
      <div className="field">
        <label htmlFor={searchId}>{t("risk.pick.search")}</label>
        <span className="picker">
          <input id={searchId} value={draft} onChange={(e) => setDraft(e.target.value)} onKeyDown={enter} aria-describedby={`${searchId}-hint`} />{" "}
          <button type="button" onClick={find}>
            {t("risk.pick.find")}
          </button>
        </span>
        <span id={`${searchId}-hint`} className="muted small">
          {t("risk.pick.hint")}
        </span>
      </div>
      {term !== "" && found.status === "loading" && <Spinner />}
      {term !== "" && found.status === "error" && <ErrorMessage error={found.error} onRetry={found.reload} />}
      {term !== "" && found.status === "ready" && matches.length === 0 && <p className="muted small">{t("risk.pick.none", { name: term })}</p>}
      <SelectField
        name="customer_id"
        label={t("field.customer")}
        required
        value={value}
        onChange={onChange}
        options={matches.map((c) => ({ value: c.id, label: c.name }))}
      />
    </>
  );
}

/** R-2: raise `anomaly` (applied at once) or `blacklisted` (waits for a second person, M-1). */
export function RaiseFlagForm({ customer }: { customer?: { id: string; name: string } }) {
  const { t, code } = useI18n();
  const [customerId, setCustomerId] = useState("");
  const [kind, setKind] = useState<ManualKind | "">("");
  const [severity, setSeverity] = useState<Severity | "">("");
  const [reason, setReason] = useState("");
  const raise = useCommand((body: Schemas["NewFlag"]) => answered(api.POST("/api/v1/flags", { body })), FLAG_TOPICS);
  const submit = async () => {
    const body = {
      customer_id: customer?.id ?? customerId,
      kind: kind as FlagKind,
      reason,
      // A blacklisting is critical by rule; the severity is for anomalies.
      severity: kind === "anomaly" && severity ? severity : null,
    };
    if (await raise.run(body)) {
      setReason("");
      setSeverity("");
    }
  };
  const result = raise.result;
  return (
    <>
      <CommandForm onSubmit={() => void submit()} error={raise.error} busy={raise.busy} submit={kind === "blacklisted" ? t("risk.raise.submitBlacklist") : t("risk.raise.submit")} testId="raise-flag">
        {customer ? (
          <p className="small">
            {t("field.customer")}: <strong>{customer.name}</strong>
          </p>
        ) : (
          <CustomerPicker value={customerId} onChange={setCustomerId} />
        )}
        <SelectField
          name="kind"
          label={t("field.kind")}
          required
          value={kind}
          onChange={setKind}
          options={MANUAL_KINDS.map((k) => ({ value: k, label: code(k) }))}
          hint={kind === "blacklisted" ? t("risk.raise.blacklistHint") : kind === "anomaly" ? t("risk.raise.anomalyHint") : undefined}
        />
        {kind !== "blacklisted" && (
          <SelectField name="severity" label={t("field.severity")} value={severity} onChange={setSeverity} options={SEVERITIES.map((s) => ({ value: s, label: code(s) }))} hint={t("risk.raise.severityHint")} />
        )}
        <TextField name="reason" label={t("field.reason")} required multiline maxLength={2000} value={reason} onChange={setReason} />
      </CommandForm>
      {result && (
        <Answer
          waiting={result.waiting}
          data={result.data}
          done={t("risk.raise.done")}
          link={result.waiting ? undefined : { to: `/flags/${(result.data as Flag).id}`, label: t("risk.flag.open") }}
        />
      )}
    </>
  );
}

/** Acknowledge an open flag: someone responsible has seen it (every role but auditors). */
export function AcknowledgeForm({ flag, compact }: { flag: Flag; compact?: boolean }) {
  const { t, code } = useI18n();
  const [note, setNote] = useState("");
  const ack = useCommand(
    () => ok(api.POST("/api/v1/flags/{id}/acknowledge", { params: { path: { id: flag.id } }, body: { note: note.trim() || null } })),
    FLAG_TOPICS,
  );
  if (ack.result) return <Outcome waiting={false} done={t("risk.ack.done")} />;
  if (flag.status !== "open") return <p className="muted small">{t("risk.flag.already", { status: code(flag.status) })}</p>;
  return (
    <CommandForm onSubmit={() => void ack.run()} error={ack.error} busy={ack.busy} submit={t("risk.ack.submit")} testId={`ack-${flag.id}`}>
      <TextField name="note" label={t("risk.ack.note")} hint={compact ? undefined : t("risk.ack.hint")} multiline={!compact} maxLength={2000} value={note} onChange={setNote} />
    </CommandForm>
  );
}

/** Resolve a flag with evidence (R-2); un-blacklisting waits for a second person (M-1). */
export function ResolveForm({ flag }: { flag: Flag }) {
  const { t, code } = useI18n();
  const [evidence, setEvidence] = useState("");
  const resolve = useCommand(
    () => answered(api.POST("/api/v1/flags/{id}/resolve", { params: { path: { id: flag.id } }, body: { evidence } })),
    FLAG_TOPICS,
  );
  const blacklist = flag.kind === "blacklisted";
  if (resolve.result) return <Answer waiting={resolve.result.waiting} data={resolve.result.data} done={t("risk.resolve.done")} />;
  if (flag.status === "resolved") return <p className="muted small">{t("risk.flag.already", { status: code(flag.status) })}</p>;
  return (
    <CommandForm
      onSubmit={() => void resolve.run()}
      error={resolve.error}
      busy={resolve.busy}
      submit={t("risk.resolve.submit")}
      // Resolving closes the flag for good; un-blacklisting is checked by a second person instead.
      confirm={blacklist ? undefined : t("risk.resolve.confirm", { kind: code(flag.kind) })}
      testId={`resolve-${flag.id}`}
    >
      <TextField
        name="evidence"
        label={t("risk.resolve.evidence")}
        hint={blacklist ? t("risk.resolve.blacklistHint") : t("risk.resolve.hint")}
        required
        multiline
        maxLength={5000}
        value={evidence}
        onChange={setEvidence}
      />
    </CommandForm>
  );
}

/**
 * A date input defaulting to the bank's business date (P-2): the `as_of` of "waiting for me", the
 * read the navigation makes anyway, not a whole overview read for one date.
 */
export function useBusinessDate(): string {
  return useBusinessClock().asOf ?? "";
}

/**
 * X-2 item 3: a customer's complaint about an RM. The page fixes the customer (the customer's page,
 * choosing among its current RMs) or the RM (the RM's page, finding the customer by name).
 */
export function ComplaintForm({ customerId, rmId, rms }: { customerId?: string; rmId?: string; rms?: { value: string; label: string }[] }) {
  const { t } = useI18n();
  const today = useBusinessDate();
  const [customer, setCustomer] = useState("");
  const [rm, setRm] = useState("");
  // A customer with one RM: that RM, once the list is known.
  const chosenRm = rmId ?? (rm || (rms?.length === 1 ? rms[0].value : ""));
  const [receivedOn, setReceivedOn] = useState<string | null>(null);
  const [verified, setVerified] = useState(false);
  const [summary, setSummary] = useState("");
  const record = useCommand((body: Schemas["NewComplaint"]) => ok(api.POST("/api/v1/complaints", { body })), ["rms", "exit-cases"]);
  const submit = async () => {
    const done = await record.run({ customer_id: customerId ?? customer, rm_id: chosenRm, received_on: receivedOn ?? today, verified, summary });
    if (done) setSummary("");
  };
  return (
    <>
      <CommandForm onSubmit={() => void submit()} error={record.error} busy={record.busy} submit={t("risk.complaint.submit")} testId="complaint">
        {!customerId && <CustomerPicker value={customer} onChange={setCustomer} />}
        {!rmId && <SelectField name="rm_id" label={t("risk.complaint.rm")} required value={chosenRm} onChange={setRm} options={rms ?? []} />}
        <TextField name="received_on" type="date" label={t("risk.complaint.receivedOn")} required value={receivedOn ?? today} onChange={setReceivedOn} />
        <CheckField name="verified" label={t("risk.complaint.verified")} hint={t("risk.complaint.verifiedHint")} checked={verified} onChange={setVerified} />
        <TextField name="summary" label={t("risk.complaint.summary")} required multiline maxLength={5000} value={summary} onChange={setSummary} />
      </CommandForm>
      {record.result && <Answer waiting={false} data={record.result} done={t("risk.complaint.done")} link={rmId ? undefined : { to: `/rms/${record.result.rm_id}`, label: t("risk.complaint.toRm") }} />}
    </>
  );
}

/** X-2 items 1, 2, 4 and X-3: an incident about an RM, entered with its evidence. */
export function IncidentForm({ rmId }: { rmId: string }) {
  const { t } = useI18n();
  const today = useBusinessDate();
  const [item, setItem] = useState<IncidentItem | "">("");
  const [occurredOn, setOccurredOn] = useState<string | null>(null);
  const [description, setDescription] = useState("");
  const [evidence, setEvidence] = useState("");
  const record = useCommand((body: Schemas["NewIncident"]) => ok(api.POST("/api/v1/incidents", { body })), ["rms", "exit-cases"]);
  const submit = async () => {
    const done = await record.run({ rm_id: rmId, item: item as IncidentItem, occurred_on: occurredOn ?? today, description, evidence });
    if (done) {
      setDescription("");
      setEvidence("");
    }
  };
  return (
    <>
      <CommandForm onSubmit={() => void submit()} error={record.error} busy={record.busy} submit={t("risk.incident.submit")} testId="incident">
        <SelectField name="item" label={t("risk.incident.item")} required value={item} onChange={setItem} options={INCIDENT_ITEMS.map((i) => ({ value: i, label: `${i} · ${t(`risk.trigger.${i}`)}` }))} />
        <TextField name="occurred_on" type="date" label={t("risk.incident.occurredOn")} required value={occurredOn ?? today} onChange={setOccurredOn} />
        <TextField name="description" label={t("risk.incident.description")} required multiline maxLength={5000} value={description} onChange={setDescription} />
        <TextField name="evidence" label={t("risk.evidence")} hint={t("risk.incident.evidenceHint")} required multiline maxLength={5000} value={evidence} onChange={setEvidence} />
      </CommandForm>
      {record.result && <Outcome waiting={false} done={t("risk.incident.done")} />}
    </>
  );
}

/** X-5: propose an exit, disqualification or demotion case with its evidence. */
export function ExitCaseForm({ rmId, rmName }: { rmId: string; rmName: string }) {
  const { t, code } = useI18n();
  const [kind, setKind] = useState<CaseKind | "">("");
  const [trigger, setTrigger] = useState("");
  const [reason, setReason] = useState("");
  const [evidence, setEvidence] = useState("");
  const propose = useCommand((body: Schemas["NewCase"]) => ok(api.POST("/api/v1/exit-cases", { body })), ["exit-cases", "rms", "customers", "handovers", "assignments"]);
  const triggers = kind ? TRIGGERS[kind] : [];
  const chooseKind = (k: CaseKind) => {
    setKind(k);
    setTrigger(TRIGGERS[k].length === 1 ? TRIGGERS[k][0] : "");
  };
  const submit = () => void propose.run({ rm_id: rmId, kind: kind as CaseKind, trigger: trigger || null, reason, evidence });
  return (
    <>
      <CommandForm
        onSubmit={submit}
        error={propose.error}
        busy={propose.busy}
        danger={kind === "forced"}
        confirm={kind === "forced" ? t("risk.case.confirmForced", { rm: rmName }) : undefined}
        submit={t("risk.case.submit")}
        testId="exit-case"
      >
        <SelectField name="kind" label={t("field.kind")} required value={kind} onChange={chooseKind} options={CASE_KINDS.map((k) => ({ value: k, label: code(k) }))} hint={kind ? t(`risk.case.kind.${kind}`) : undefined} />
        {kind && (
          <SelectField name="trigger" label={t("exits.trigger")} required value={trigger} onChange={setTrigger} options={triggers.map((x) => ({ value: x, label: `${x} · ${t(`risk.trigger.${x}` as "risk.trigger.X-3")}` }))} />
        )}
        <TextField name="reason" label={t("field.reason")} required multiline maxLength={2000} value={reason} onChange={setReason} />
        <TextField name="evidence" label={t("risk.evidence")} hint={t("risk.case.evidenceHint")} multiline maxLength={10000} value={evidence} onChange={setEvidence} />
      </CommandForm>
      {propose.result && (
        <Answer waiting={false} data={propose.result} done={t("risk.case.done")} link={{ to: `/exit-cases/${propose.result.id}`, label: t("risk.case.open") }} />
      )}
    </>
  );
}

/** A button that opens one form below it (aria-expanded); one action at a time. */
export function Actions({ actions, label }: { actions: { id: string; label: string; form: () => ReactNode; tone?: "danger" }[]; label: string }) {
  const [open, setOpen] = useState<string | null>(null);
  const base = useId();
  const shown = actions.find((a) => a.id === open);
  return (
    <div className="risk-actions">
      <div className="buttons" role="group" aria-label={label}>
        {actions.map((a) => (
          <button
            key={a.id}
            type="button"
            className={a.id === open ? "primary" : undefined}
            aria-expanded={a.id === open}
            aria-controls={a.id === open ? `${base}-${a.id}` : undefined}
            onClick={() => setOpen(a.id === open ? null : a.id)}
          >
            {a.label}
          </button>
        ))}
      </div>
      {shown && (
        <div id={`${base}-${shown.id}`} className="risk-action-form">
          {shown.form()}
        </div>
      )}
    </div>
  );
}
