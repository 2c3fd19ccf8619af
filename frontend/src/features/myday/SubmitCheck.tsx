// D-1..D-4: the lead RM records a field check from their own login, naming the second RM when
// there is one; the second then confirms from theirs. Evidence files are attached once the check
// exists. The API decides every rule; the form says beforehand what it will ask.

import { useEffect, useRef, useState } from "react";
import { answered, api, ok, type Schemas } from "../../api/client";
import { ApiError } from "../../api/problem";
import { useApi, useCommand } from "../../api/queries";
import { CommandForm, Outcome, SelectField, TextField } from "../../components/forms";
import { useI18n } from "../../i18n";
import type { RmsInScope } from "../checks/rms";
import { EvidenceFiles } from "./Evidence";

type CheckKind = Schemas["CheckKind"];
const KINDS: readonly CheckKind[] = ["pre_loan_investigation", "post_loan_inspection", "site_visit", "anomaly_review"];
/** The second-RM choice "nobody": a single-RM check. */
const NONE = "none";
const NEEDS_TWO_FOR_A6: readonly CheckKind[] = ["pre_loan_investigation", "post_loan_inspection"];

/** What a required check fills in beforehand. */
export interface Draft {
  customerId: string;
  customerName?: string | null;
  kind?: CheckKind | null;
}

export function isCheckKind(value: string | null | undefined): value is CheckKind {
  return KINDS.includes(value as CheckKind);
}

function newKey(): string {
  return globalThis.crypto?.randomUUID?.() ?? `${Date.now()}-${Math.random()}`;
}

/** The ISO instant of a `datetime-local` value, in the browser's time zone. */
export function instant(local: string): string | null {
  const d = new Date(local);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

export function SubmitCheck({ rmId, rms, draft }: { rmId: string; rms: RmsInScope | undefined; draft: Draft | null }) {
  const { t, code } = useI18n();
  const held = useApi(["customers", "held-by", rmId], () => ok(api.GET("/api/v1/customers", { params: { query: { rm_id: rmId, limit: 500 } } })));
  const [customer, setCustomer] = useState(draft?.customerId ?? "");
  const [kind, setKind] = useState<CheckKind | "">(draft?.kind ?? "");
  const [second, setSecond] = useState(NONE);
  const [performedAt, setPerformedAt] = useState("");
  const [place, setPlace] = useState("");
  const [findings, setFindings] = useState("");
  const [outcome, setOutcome] = useState("");
  const [idempotency, setIdempotency] = useState(newKey);
  const box = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (!draft) return;
    box.current?.scrollIntoView?.({ block: "start" });
    box.current?.querySelector<HTMLElement>("select[name=second_rm_id]")?.focus();
  }, [draft]);

  const customers = held.data?.items ?? [];
  const options = customers.map((c) => ({ value: c.id, label: c.needs_second_rm_since ? `${c.name} · ${t("myday.form.a6")}` : c.name }));
  if (draft && !customers.some((c) => c.id === draft.customerId)) options.unshift({ value: draft.customerId, label: draft.customerName ?? draft.customerId });
  const chosen = customers.find((c) => c.id === customer);
  // D-3: another person, active and qualified; the API checks it again, with D-4.
  const seconds = (rms?.list ?? []).filter((r) => r.id !== rmId && r.status === "active" && !r.qualification_lapsed);
  const secondName = (id: string | null | undefined) => rms?.byId.get(id ?? "")?.name ?? "";

  const submit = useCommand(async () => {
    const missing: { field: string; message: string }[] = [];
    const required = t("myday.form.required");
    if (!customer) missing.push({ field: "customer_id", message: required });
    if (!kind) missing.push({ field: "kind", message: required });
    const at = instant(performedAt);
    if (!at) missing.push({ field: "performed_at", message: required });
    if (!findings.trim()) missing.push({ field: "findings", message: required });
    if (missing.length || !kind || !at) throw new ApiError(422, { code: "validation_failed", detail: t("myday.form.fix"), errors: missing });
    return answered(
      api.POST("/api/v1/field-checks", {
        params: { header: { "Idempotency-Key": idempotency } },
        body: {
          customer_id: customer,
          kind,
          lead_rm_id: rmId,
          second_rm_id: second === NONE ? null : second,
          performed_at: at,
          place: place.trim() || null,
          findings: findings.trim(),
          outcome: outcome.trim() || null,
        },
      }),
    );
  }, ["field-checks", "required-checks"]);

  const send = async () => {
    const done = await submit.run();
    if (!done) return;
    setSecond(NONE);
    setPlace("");
    setFindings("");
    setOutcome("");
    setIdempotency(newKey());
  };

  const result = submit.result;
  return (
    <div ref={box}>
      <CommandForm onSubmit={() => void send()} error={submit.error} busy={submit.busy} submit={t("myday.form.submit")} testId="submit-check">
        <SelectField name="customer_id" label={t("field.customer")} required value={customer} onChange={setCustomer} options={options} hint={t("myday.form.customerHint")} />
        <SelectField name="kind" label={t("field.kind")} required value={kind} onChange={setKind} options={KINDS.map((k) => ({ value: k, label: code(k) }))} />
        <SelectField
          name="second_rm_id"
          label={t("checks.second")}
          value={second}
          onChange={setSecond}
          options={[{ value: NONE, label: t("myday.form.noSecond") }, ...seconds.map((r) => ({ value: r.id, label: `${r.name} · ${code(r.grade)}` }))]}
          hint={t("myday.form.secondHint")}
        />
        {chosen?.needs_second_rm_since && kind && NEEDS_TWO_FOR_A6.includes(kind) && second === NONE && (
          <p className="notice notice-warning" role="note">
            {t("myday.form.needsSecond")}
          </p>
        )}
        <TextField name="performed_at" type="datetime-local" label={t("myday.form.performedAt")} required value={performedAt} onChange={setPerformedAt} hint={t("myday.form.performedHint")} />
        <TextField name="place" label={t("myday.form.place")} value={place} onChange={setPlace} maxLength={500} />
        <TextField name="findings" label={t("myday.form.findings")} required multiline value={findings} onChange={setFindings} maxLength={20000} />
        <TextField name="outcome" label={t("myday.form.outcome")} multiline value={outcome} onChange={setOutcome} maxLength={2000} />
      </CommandForm>
      {result && (
        <div data-testid="submitted" data-check={result.data.id}>
          <Outcome
            waiting={result.waiting}
            done={
              result.data.status === "awaiting_confirmation"
                ? t("myday.form.awaiting", { name: secondName(result.data.second_rm_id) || t("checks.second") })
                : t("myday.form.completed")
            }
          />
          <h3>{t("myday.evidence.title", { customer: result.data.customer_name ?? customers.find((c) => c.id === result.data.customer_id)?.name ?? "" })}</h3>
          <EvidenceFiles checkId={result.data.id} canAttach />
        </div>
      )}
    </div>
  );
}
