// Loading, error and empty states: each says what is happening and what to do.

import type { ReactNode } from "react";
import { errorKind, type ApiError } from "../api/problem";
import { useI18n } from "../i18n";
import type { Load } from "../state";

export function Spinner({ label }: { label?: string }) {
  const { t } = useI18n();
  return (
    <div className="spinner" role="status" aria-live="polite">
      <span className="spinner-dot" aria-hidden="true" />
      {label ?? t("state.loading")}
    </div>
  );
}

export function ErrorMessage({ error, onRetry }: { error: ApiError; onRetry?: () => void }) {
  const { t } = useI18n();
  const kind = errorKind(error);
  return (
    <div className={`notice notice-error notice-${kind}`} role="alert">
      <p>{t(`error.${kind}`, { detail: error.message })}</p>
      {error.errors.length > 0 && (
        <ul>
          {error.errors.map((f) => (
            <li key={f.field + f.message}>
              <code>{f.field}</code>: {f.message}
            </li>
          ))}
        </ul>
      )}
      <p className="muted small">
        {error.rule && <span className="rule">{t("error.rule", { rule: error.rule })}</span>}
        {error.requestId && <span> {t("error.request", { id: error.requestId })}</span>}
      </p>
      {onRetry && kind !== "forbidden" && kind !== "not_found" && (
        <button type="button" onClick={onRetry}>
          {t("state.retry")}
        </button>
      )}
    </div>
  );
}

export function Empty({ children }: { children?: ReactNode }) {
  const { t } = useI18n();
  return <p className="empty">{children ?? t("state.empty")}</p>;
}

/** Shows a load: spinner first, the content when ready (kept while reloading), the error if any. */
export function Loaded<T>({ load, children }: { load: Load<T> & { reload: () => void }; children: (data: T) => ReactNode }) {
  return (
    <div aria-busy={load.status === "loading"}>
      {load.status === "error" && <ErrorMessage error={load.error} onRetry={load.reload} />}
      {load.status === "loading" && <Spinner />}
      {load.data !== undefined && children(load.data)}
    </div>
  );
}

export function Pill({ tone, children }: { tone: string; children: ReactNode }) {
  return <span className={`pill pill-${tone}`}>{children}</span>;
}
