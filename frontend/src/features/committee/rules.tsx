// The rule a case names (X-2 items, X-3, X-4), by ID and by name in the user's language; who did
// a step (a person, or the system's own rules).

import { RulePill } from "../../components/ReasonText";
import { useI18n } from "../../i18n";
import { ruleName } from "../../reasons";

/** A rule ID as a pill with its name beside it ("X-2.2 Not acting or reporting in time"). */
export function RuleWithName({ rule, compact }: { rule: string | null | undefined; compact?: boolean }) {
  const { lang } = useI18n();
  if (!rule) return <span className="muted">—</span>;
  const name = ruleName(lang, rule);
  return (
    <span className="rule-name">
      <RulePill rule={rule} />
      {name && (compact ? <span className="muted small"> {name}</span> : <> {name}</>)}
    </span>
  );
}

/** Who did something: a person's username, or the system's own rules. */
export function Who({ username }: { username: string | null | undefined }) {
  const { t } = useI18n();
  if (!username) return <>—</>;
  return <>{username === "system" ? t("committee.bySystem") : username}</>;
}
