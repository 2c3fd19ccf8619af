// Whether this page hears the bank live (the event stream of api/events.ts): a dot and a word in
// the top bar, and the full sentence for screen readers, announced when it changes.

import type { LiveState } from "../../api/events";
import { useI18n } from "../../i18n";

export function LiveIndicator({ state }: { state: LiveState }) {
  const { t } = useI18n();
  const label = t(`live.label.${state}`);
  return (
    <span className={`live live-${state}`} role="status" data-testid="live" data-state={state} title={label}>
      <span className="live-dot" aria-hidden="true" />
      <span aria-hidden="true">{t(`live.${state}`)}</span>
      <span className="visually-hidden">{label}</span>
    </span>
  );
}
