// What a manager's command did: done (with a link to what it made), or filed for a second
// person's approval (202, M-1) with the rule that asks for it and the way to the approvals inbox.

import type { Schemas } from "../../api/client";
import { Outcome } from "../../components/forms";
import { Pill } from "../../components/status";
import { useI18n } from "../../i18n";
import { Link } from "../../router";

/** The answer of `answered(...)`; a 202's data is the pending approval. */
export interface Answered {
  waiting: boolean;
  data: unknown;
}

export function Answer({ answer, done, link }: { answer: Answered; done: string; link?: { to: string; text: string } }) {
  const { t } = useI18n();
  const pending = answer.waiting ? (answer.data as Schemas["PendingApproval"]) : null;
  return (
    <div className="answer" data-testid="manager-answer" data-waiting={answer.waiting}>
      <Outcome waiting={answer.waiting} done={done} />
      {pending ? (
        <p className="small">
          {pending.rule && <Pill tone="info">{t("error.rule", { rule: pending.rule })}</Pill>} <Link to="/approvals">{t("manager.waiting.open")}</Link>
        </p>
      ) : (
        link && (
          <p className="small">
            <Link to={link.to}>{link.text}</Link>
          </p>
        )
      )}
    </div>
  );
}
