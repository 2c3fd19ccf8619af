// D-3 from the RM's side: checks waiting for THEM to confirm as the second RM (confirm or reject,
// from their own login), and checks they led that still wait for their second RM. Both come from
// one read: the RM's checks awaiting confirmation (`rm_id` matches lead or second).

import { useState, type ReactNode } from "react";
import { api, ok, type Schemas } from "../../api/client";
import { ApiError } from "../../api/problem";
import { useCommand, usePagedApi } from "../../api/queries";
import { CommandForm, TextField } from "../../components/forms";
import { MoreOf } from "../../components/PagedTable";
import { Empty, Loaded } from "../../components/status";
import { dateTime } from "../../format";
import { useI18n } from "../../i18n";
import { Link } from "../../router";
import { CheckStatusPill } from "../checks/Checks";
import { RmName, type RmsInScope } from "../checks/rms";
import { EvidenceFiles } from "./Evidence";

type FieldCheck = Schemas["FieldCheck"];

/** The RM's checks awaiting the second RM's confirmation, as lead or as second. */
export function useAwaiting(rmId: string) {
  return usePagedApi(["field-checks", "awaiting", rmId], (cursor) =>
    ok(api.GET("/api/v1/field-checks", { params: { query: { rm_id: rmId, status: "awaiting_confirmation", limit: 100, cursor } } })),
  );
}

/** Shown on demand: what it reads (a check's evidence) is read only once opened, not once per row. */
function Disclosure({ summary, children }: { summary: string; children: () => ReactNode }) {
  const [open, setOpen] = useState(false);
  return (
    <details onToggle={(e) => setOpen(e.currentTarget.open)}>
      <summary>{summary}</summary>
      {open && children()}
    </details>
  );
}

function CheckFacts({ check: c, rms }: { check: FieldCheck; rms: RmsInScope | undefined }) {
  const { t, locale } = useI18n();
  return (
    <dl className="facts">
      <dt>{t("checks.lead")}</dt>
      <dd>
        <RmName id={c.lead_rm_id} name={c.lead_rm_name ?? rms?.byId.get(c.lead_rm_id)?.name} />
      </dd>
      <dt>{t("checks.second")}</dt>
      <dd>
        <RmName id={c.second_rm_id} name={c.second_rm_name ?? (c.second_rm_id ? rms?.byId.get(c.second_rm_id)?.name : undefined)} />
      </dd>
      <dt>{t("myday.form.performedAt")}</dt>
      <dd>{dateTime(c.performed_at, locale)}</dd>
      <dt>{t("myday.form.place")}</dt>
      <dd>{c.place ?? "—"}</dd>
      <dt>{t("myday.form.findings")}</dt>
      <dd className="wrap">{c.findings}</dd>
      {c.outcome && (
        <>
          <dt>{t("myday.form.outcome")}</dt>
          <dd className="wrap">{c.outcome}</dd>
        </>
      )}
      <dt>{t("myday.submittedBy")}</dt>
      <dd>{c.submitted_by}</dd>
    </dl>
  );
}

function Title({ check: c }: { check: FieldCheck }) {
  const { code } = useI18n();
  return (
    <h3>
      <Link to={`/customers/${c.customer_id}`}>{c.customer_name ?? c.customer_id}</Link> · {code(c.kind)} <CheckStatusPill status={c.status} />
    </h3>
  );
}

/** The second RM decides: confirm (optionally with a note) or reject (with the reason). Both final. */
function Decide({ check: c, onDecided }: { check: FieldCheck; onDecided: (decided: FieldCheck) => void }) {
  const { t } = useI18n();
  const [note, setNote] = useState("");
  const [reason, setReason] = useState("");
  const customer = c.customer_name ?? c.customer_id;
  const confirm = useCommand(
    () => ok(api.POST("/api/v1/field-checks/{id}/confirm", { params: { path: { id: c.id } }, body: { note: note.trim() || null } })),
    ["field-checks", "required-checks"],
  );
  const reject = useCommand(async () => {
    if (!reason.trim()) throw new ApiError(422, { code: "validation_failed", detail: t("myday.form.fix"), errors: [{ field: "note", message: t("myday.confirm.reasonNeeded") }] });
    return ok(api.POST("/api/v1/field-checks/{id}/reject", { params: { path: { id: c.id } }, body: { note: reason.trim() } }));
  }, ["field-checks"]);
  return (
    <div className="grid-2">
      <CommandForm
        testId={`confirm-${c.id}`}
        onSubmit={async () => {
          const done = await confirm.run();
          if (done) onDecided(done);
        }}
        error={confirm.error}
        busy={confirm.busy}
        submit={t("myday.confirm.confirm")}
        confirm={t("myday.confirm.question", { customer })}
      >
        <TextField name="note" label={t("myday.confirm.note")} multiline value={note} onChange={setNote} maxLength={2000} />
      </CommandForm>
      <CommandForm
        testId={`reject-${c.id}`}
        onSubmit={async () => {
          const done = await reject.run();
          if (done) onDecided(done);
        }}
        error={reject.error}
        busy={reject.busy}
        submit={t("myday.confirm.reject")}
        danger
        confirm={t("myday.confirm.rejectQuestion", { customer })}
      >
        <TextField name="note" label={t("myday.confirm.reason")} required multiline value={reason} onChange={setReason} maxLength={2000} />
      </CommandForm>
    </div>
  );
}

/** Checks waiting for this RM to confirm as the second RM (D-3). */
export function ToConfirm({ rmId, rms }: { rmId: string; rms: RmsInScope | undefined }) {
  const { t, code } = useI18n();
  const paged = useAwaiting(rmId);
  const [decided, setDecided] = useState<FieldCheck | null>(null);
  const mine = paged.items.filter((c) => c.second_rm_id === rmId);
  return (
    <>
      {decided && (
        <p className={`notice ${decided.status === "confirmed" ? "notice-ok" : "notice-warning"}`} role="status" data-testid="decided">
          {t(decided.status === "confirmed" ? "myday.confirm.confirmed" : "myday.confirm.rejected", { customer: decided.customer_name ?? decided.customer_id, kind: code(decided.kind) })}{" "}
          <CheckStatusPill status={decided.status} />
        </p>
      )}
      <Loaded load={paged.load}>
        {() =>
          mine.length === 0 ? (
            <Empty>{t("myday.confirm.none")}</Empty>
          ) : (
            <ul className="cards" data-testid="to-confirm">
              {mine.map((c) => (
                <li key={c.id} className="card" data-check={c.id}>
                  <Title check={c} />
                  <CheckFacts check={c} rms={rms} />
                  <Disclosure summary={t("myday.evidence.show")}>{() => <EvidenceFiles checkId={c.id} canAttach={false} />}</Disclosure>
                  <Decide check={c} onDecided={setDecided} />
                </li>
              ))}
            </ul>
          )
        }
      </Loaded>
      <MoreOf paged={paged} />
    </>
  );
}

/** The lead withdraws a check still waiting for the second RM (with the reason; final). */
function Withdraw({ check: c }: { check: FieldCheck }) {
  const { t } = useI18n();
  const [reason, setReason] = useState("");
  const cancel = useCommand(async () => {
    if (!reason.trim()) throw new ApiError(422, { code: "validation_failed", detail: t("myday.form.fix"), errors: [{ field: "note", message: t("myday.withdraw.reasonNeeded") }] });
    return ok(api.POST("/api/v1/field-checks/{id}/cancel", { params: { path: { id: c.id } }, body: { note: reason.trim() } }));
  }, ["field-checks"]);
  return (
    <Disclosure summary={t("myday.withdraw.open")}>
      {() => (
        <CommandForm
          testId={`withdraw-${c.id}`}
          onSubmit={() => void cancel.run()}
          error={cancel.error}
          busy={cancel.busy}
          submit={t("myday.withdraw.submit")}
          danger
          confirm={t("myday.withdraw.question", { customer: c.customer_name ?? c.customer_id })}
        >
          <TextField name="note" label={t("myday.withdraw.reason")} required multiline value={reason} onChange={setReason} maxLength={2000} />
        </CommandForm>
      )}
    </Disclosure>
  );
}

/** Checks this RM led that still wait for their second RM; evidence can still be attached. */
export function Submitted({ rmId, rms }: { rmId: string; rms: RmsInScope | undefined }) {
  const { t } = useI18n();
  const paged = useAwaiting(rmId);
  const mine = paged.items.filter((c) => c.lead_rm_id === rmId);
  return (
    <>
      <Loaded load={paged.load}>
        {() =>
          mine.length === 0 ? (
            <Empty>{t("myday.submitted.none")}</Empty>
          ) : (
            <ul className="cards" data-testid="submitted-waiting">
              {mine.map((c) => (
                <li key={c.id} className="card" data-check={c.id}>
                  <Title check={c} />
                  <CheckFacts check={c} rms={rms} />
                  <Disclosure summary={t("myday.evidence.showAttach")}>{() => <EvidenceFiles checkId={c.id} canAttach />}</Disclosure>
                  <Withdraw check={c} />
                </li>
              ))}
            </ul>
          )
        }
      </Loaded>
      <MoreOf paged={paged} />
    </>
  );
}
