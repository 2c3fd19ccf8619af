// Forms that help: each field shows the API's message for it (from the problem's `errors[]`),
// the rest of a refusal shows once under the form with its rule and what to do, irreversible
// steps ask first, and a change that waits for a second person says so.

import { createContext, useContext, useId, useRef, type FormEvent, type ReactNode, type RefObject } from "react";
import type { ApiError } from "../api/problem";
import { useI18n } from "../i18n";
import { ErrorMessage } from "./status";

const FormError = createContext<ApiError | null>(null);

/** A form whose submit runs a command; Enter submits, the error of the last try is shown. */
export function CommandForm({ onSubmit, error, busy, submit, children, danger, confirm, testId }: {
  onSubmit: () => void;
  error: ApiError | null;
  busy: boolean;
  submit: string;
  children: ReactNode;
  danger?: boolean;
  /** Asks before an irreversible step: the question shown in a dialog. */
  confirm?: string;
  testId?: string;
}) {
  const { t } = useI18n();
  const dialog = useRef<HTMLDialogElement>(null);
  const send = (e: FormEvent) => {
    e.preventDefault();
    if (confirm) dialog.current?.showModal();
    else onSubmit();
  };
  // A field's message shows beside it when the form has that field; any other (a fixed id, a
  // header, a nested policy path) stays in the summary, never dropped.
  const form = useRef<HTMLFormElement>(null);
  const shown = new Set(error?.errors.map((f) => f.field).filter((field) => form.current?.elements.namedItem(field.split(/[.[]/)[0]) != null));
  return (
    <FormError.Provider value={error}>
      <form ref={form} className="command-form" onSubmit={send} noValidate data-testid={testId}>
        {children}
        <div className="buttons">
          <button type="submit" className={danger ? "danger" : "primary"} disabled={busy} aria-busy={busy}>
            {busy ? t("state.working") : submit}
          </button>
        </div>
        {error && <ErrorMessage error={error} fieldsShown={shown} />}
      </form>
      {confirm && <ConfirmDialog dialog={dialog} question={confirm} danger={danger} onConfirm={onSubmit} />}
    </FormError.Provider>
  );
}

/** The API's messages for one field (its name as the API spells it, e.g. `reason`). */
export function useFieldError(name: string): string | null {
  const error = useContext(FormError);
  const mine = error?.errors.filter((f) => f.field === name || f.field.startsWith(`${name}.`) || f.field.startsWith(`${name}[`)) ?? [];
  return mine.length ? mine.map((f) => f.message).join("; ") : null;
}

type Input = { name: string; label: string; hint?: string; required?: boolean };

function Labelled({ name, label, hint, required, children }: Input & { children: (id: string, describedBy: string | undefined, invalid: boolean) => ReactNode }) {
  const id = useId();
  const problem = useFieldError(name);
  const described = [hint && `${id}-hint`, problem && `${id}-error`].filter(Boolean).join(" ") || undefined;
  return (
    <div className={`field${problem ? " field-invalid" : ""}`}>
      <label htmlFor={id}>
        {label}
        {required && <span aria-hidden="true"> *</span>}
      </label>
      {children(id, described, problem !== null)}
      {hint && (
        <span id={`${id}-hint`} className="muted small">
          {hint}
        </span>
      )}
      {problem && (
        <span id={`${id}-error`} className="field-error">
          {problem}
        </span>
      )}
    </div>
  );
}

export function TextField({ value, onChange, multiline, type, maxLength, ...input }: Input & {
  value: string;
  onChange: (value: string) => void;
  multiline?: boolean;
  type?: "text" | "date" | "number" | "datetime-local";
  maxLength?: number;
}) {
  return (
    <Labelled {...input}>
      {(id, describedBy, invalid) =>
        multiline ? (
          <textarea id={id} name={input.name} value={value} maxLength={maxLength} required={input.required} aria-describedby={describedBy} aria-invalid={invalid || undefined} onChange={(e) => onChange(e.target.value)} />
        ) : (
          <input id={id} name={input.name} type={type ?? "text"} value={value} maxLength={maxLength} required={input.required} aria-describedby={describedBy} aria-invalid={invalid || undefined} onChange={(e) => onChange(e.target.value)} />
        )
      }
    </Labelled>
  );
}

export function SelectField<V extends string>({ value, onChange, options, ...input }: Input & {
  value: V | "";
  onChange: (value: V) => void;
  options: readonly { value: V; label: string }[];
}) {
  const { t } = useI18n();
  return (
    <Labelled {...input}>
      {(id, describedBy, invalid) => (
        <select id={id} name={input.name} value={value} required={input.required} aria-describedby={describedBy} aria-invalid={invalid || undefined} onChange={(e) => onChange(e.target.value as V)}>
          {value === "" && <option value="">{t("form.choose")}</option>}
          {options.map((o) => (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ))}
        </select>
      )}
    </Labelled>
  );
}

/** What a command did: done, or waiting for a second person (202, M-1). */
export function Outcome({ waiting, done }: { waiting: boolean; done: string }) {
  const { t } = useI18n();
  return (
    <p className={`notice ${waiting ? "notice-warning" : "notice-ok"}`} role="status" data-testid="outcome">
      {waiting ? t("form.waiting") : done}
    </p>
  );
}

/** The question before an irreversible step: confirm runs it, cancel (or Escape) does nothing. */
function ConfirmDialog({ dialog, question, danger, onConfirm }: {
  dialog: RefObject<HTMLDialogElement | null>;
  question: string;
  danger?: boolean;
  onConfirm: () => void;
}) {
  const { t } = useI18n();
  const id = useId();
  return (
    <dialog ref={dialog} className="confirm" aria-labelledby={`${id}-q`}>
      <p id={`${id}-q`}>{question}</p>
      <p className="muted small">{t("form.irreversible")}</p>
      <div className="buttons">
        <button
          type="button"
          className={danger ? "danger" : "primary"}
          onClick={() => {
            dialog.current?.close();
            onConfirm();
          }}
        >
          {t("form.confirm")}
        </button>
        <button type="button" autoFocus onClick={() => dialog.current?.close()}>
          {t("form.cancel")}
        </button>
      </div>
    </dialog>
  );
}

/** A button for an irreversible step outside a form (approve, reject): it asks first. */
export function ConfirmButton({ question, onConfirm, className, disabled, children }: {
  question: string;
  onConfirm: () => void;
  className?: string;
  disabled?: boolean;
  children: ReactNode;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  return (
    <>
      <button type="button" className={className} disabled={disabled} onClick={() => dialog.current?.showModal()}>
        {children}
      </button>
      <ConfirmDialog dialog={dialog} question={question} danger={className === "danger"} onConfirm={onConfirm} />
    </>
  );
}
