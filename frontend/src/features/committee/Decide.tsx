// The committee's decision on a case (X-5): approve or reject with a note, after a confirmation,
// never by the person who proposed it (M-1). The API decides; the page says why it offers nothing.

import { useState } from "react";
import { api, ok, type Schemas } from "../../api/client";
import { ApiError } from "../../api/problem";
import { useCommand } from "../../api/queries";
import { CommandForm, TextField, useFieldError } from "../../components/forms";
import { useI18n } from "../../i18n";
import { Link } from "../../router";
import { useSession } from "../../session";

type ExitCase = Schemas["ExitCase"];
type Decision = Schemas["Decision"];

/** X-2 items 1 and 4 and forced exits ban the person for good (O-6). */
function bans(c: ExitCase): boolean {
  return c.kind === "forced" || (c.kind === "disqualification" && (c.trigger === "X-2.1" || c.trigger === "X-2.4"));
}

export function DecideCase({ c, rmName, handoverId }: { c: ExitCase; rmName: string; handoverId?: string | null }) {
  const { t, code } = useI18n();
  const { user, roles } = useSession();
  const [decision, setDecision] = useState<Decision | "">("");
  const [note, setNote] = useState("");
  const [missing, setMissing] = useState<ApiError | null>(null);
  const decide = useCommand(
    (body: { decision: Decision; note: string }) => ok(api.POST("/api/v1/exit-cases/{id}/decide", { params: { path: { id: c.id } }, body })),
    ["exit-cases", "handovers", "rms", "customers"],
  );

  // What was decided here stays said after the case (now decided) reloads.
  if (decide.result) return <Decided c={decide.result} handoverId={decide.result.handover_id ?? handoverId} />;
  if (c.status !== "proposed") return null;
  if (!roles.includes("committee")) {
    return (
      <p className="notice" data-testid="decide-not-committee">
        {t("committee.decide.notCommittee")}
      </p>
    );
  }
  if (user && c.proposed_by === user.username) {
    return (
      <p className="notice notice-warning" data-testid="own-proposal">
        {t("committee.decide.ownProposal")}
      </p>
    );
  }

  const consequence =
    c.kind === "demotion" ? t("committee.decide.demotion") : `${t("committee.decide.exit")}${bans(c) ? ` ${t("committee.decide.ban")}` : ""}`;
  const question =
    decision === "approve"
      ? `${t("committee.decide.confirmApprove", { kind: code(c.kind), rm: rmName })} ${consequence}`
      : decision === "reject"
        ? t("committee.decide.confirmReject", { rm: rmName })
        : undefined;
  const submit = () => {
    if (!decision) {
      setMissing(new ApiError(422, { code: "validation_failed", detail: t("committee.decide.choose"), errors: [{ field: "decision", message: t("committee.decide.choose") }] }));
      return;
    }
    setMissing(null);
    void decide.run({ decision, note: note.trim() });
  };
  return (
    <section className="card" aria-labelledby="decide-title">
      <h2 id="decide-title">{t("committee.decide.title")}</h2>
      <p className="muted small">{t("committee.decide.intro")}</p>
      <CommandForm
        onSubmit={submit}
        error={missing ?? decide.error}
        busy={decide.busy}
        submit={decision === "approve" ? t("committee.decide.approve") : decision === "reject" ? t("committee.decide.reject") : t("committee.decide.record")}
        danger={decision === "approve"}
        confirm={question}
        testId="decide"
      >
        <DecisionChoice
          value={decision}
          onChange={(d) => {
            setDecision(d);
            setMissing(null);
          }}
          consequence={consequence}
        />
        <TextField name="note" label={t("committee.decide.note")} hint={t("committee.decide.noteHint")} value={note} onChange={setNote} multiline maxLength={2000} />
      </CommandForm>
    </section>
  );
}

function DecisionChoice({ value, onChange, consequence }: { value: Decision | ""; onChange: (d: Decision) => void; consequence: string }) {
  const { t } = useI18n();
  const problem = useFieldError("decision");
  return (
    <fieldset className={`field choices${problem ? " field-invalid" : ""}`} aria-describedby={problem ? "decision-error" : undefined}>
      <legend>
        {t("committee.decide.decision")}
        <span aria-hidden="true"> *</span>
      </legend>
      {(["approve", "reject"] as const).map((d) => (
        <label key={d} className="inline">
          <input type="radio" name="decision" value={d} checked={value === d} onChange={() => onChange(d)} />
          <span>
            <strong>{t(d === "approve" ? "committee.decide.approveOption" : "committee.decide.rejectOption")}</strong>{" "}
            <span className="muted small">{d === "approve" ? consequence : t("committee.decide.rejectMeans")}</span>
          </span>
        </label>
      ))}
      {problem && (
        <span id="decision-error" className="field-error" role="alert">
          {problem}
        </span>
      )}
    </fieldset>
  );
}

/** What the decision just made did, with the way on (the handover of the RM's customers). */
function Decided({ c, handoverId }: { c: ExitCase; handoverId?: string | null }) {
  const { t } = useI18n();
  const text =
    c.status === "rejected"
      ? t("committee.decided.rejected")
      : c.status === "handover"
        ? t("committee.decided.handover")
        : t("committee.decided.closed");
  return (
    <p className="notice notice-ok" role="status" data-testid="decision-outcome">
      {text}{" "}
      {handoverId && c.status === "handover" && <Link to={`/handovers/${handoverId}`}>{t("committee.case.openHandover")} →</Link>}
    </p>
  );
}
