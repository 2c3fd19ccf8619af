// Loading, error and empty states: each says what is happening and what to do.

import { Component, type ErrorInfo, type ReactNode } from "react";
import { errorKind, type ApiError } from "../api/problem";
import { useI18n } from "../i18n";
import type { Load } from "../state";
import { problemText } from "../problems";
import { RulePill } from "./ReasonText";

export function Spinner({ label }: { label?: string }) {
  const { t } = useI18n();
  return (
    <div className="spinner" role="status" aria-live="polite">
      <span className="spinner-dot" aria-hidden="true" />
      {label ?? t("state.loading")}
    </div>
  );
}

export function ErrorMessage({ error, onRetry, fieldsShown }: { error: ApiError; onRetry?: () => void; fieldsShown?: ReadonlySet<string> }) {
  const { t, lang } = useI18n();
  const kind = errorKind(error);
  const known = problemText(lang, error.code);
  // A refusal by a rule, a conflict, or a role's limit with its own code: said from the code in the
  // reader's language, with what to do.
  const explained = known && (kind === "refused" || kind === "conflict" || (kind === "forbidden" && error.code !== "forbidden"));
  const fields = error.errors.filter((f) => !fieldsShown?.has(f.field));
  return (
    <div className={`notice notice-error notice-${kind}`} role="alert" data-problem={error.code}>
      {explained ? (
        <>
          <p>
            {error.rule && <RulePill rule={error.rule}>{t("error.rule", { rule: error.rule })}</RulePill>} {known.meaning}
          </p>
          <p>
            <strong>{t("error.whatToDo")}</strong> {known.todo}
          </p>
          {error.message && error.message !== known.meaning && (
            <p className="muted small">
              {t("error.detail", { detail: "" })}
              <span lang="en">{error.message}</span>
            </p>
          )}
        </>
      ) : (
        <p>
          {error.rule && <RulePill rule={error.rule}>{t("error.rule", { rule: error.rule })}</RulePill>} {t(`error.${kind}`, { detail: error.message })}
        </p>
      )}
      {fields.length > 0 && (
        <ul>
          {fields.map((f) => (
            <li key={f.field + f.message}>
              <code>{f.field}</code>: {f.message}
            </li>
          ))}
        </ul>
      )}
      {error.requestId && <p className="muted small">{t("error.request", { id: error.requestId })}</p>}
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

/**
 * A page that fails while drawing shows what happened and a way back, instead of a blank
 * dashboard; the navigation stays usable. `resetKey` (the path) clears it on the next page.
 */
export class PageBoundary extends Component<{ children: ReactNode; resetKey: string; message: string; retry: string }, { failed: Error | null; key: string }> {
  state = { failed: null as Error | null, key: this.props.resetKey };

  static getDerivedStateFromError(failed: Error) {
    return { failed };
  }

  static getDerivedStateFromProps(props: { resetKey: string }, state: { failed: Error | null; key: string }) {
    return props.resetKey === state.key ? null : { failed: null, key: props.resetKey };
  }

  componentDidCatch(error: Error, info: ErrorInfo) {
    console.error(error, info.componentStack);
  }

  render() {
    if (!this.state.failed) return this.props.children;
    return (
      <div className="notice notice-error" role="alert">
        <p>{this.props.message}</p>
        <p className="muted small">{this.state.failed.message}</p>
        <button type="button" onClick={() => this.setState({ failed: null })}>
          {this.props.retry}
        </button>
      </div>
    );
  }
}
