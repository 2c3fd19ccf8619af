// `/imports` (administrators): the bank's existing book loaded from its files. A file is checked
// first (dry run: every problem by line, nothing written), then the same file applied in one
// transaction; while it runs, its phase and rows are polled every second.

import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useId, useRef, useState } from "react";
import { ApiError } from "../../api/problem";
import { useApi, useCommand, usePagedApi } from "../../api/queries";
import { ConfirmButton, CommandForm, SelectField, useFieldError } from "../../components/forms";
import { PagedTable, type Column } from "../../components/PagedTable";
import { RulePill } from "../../components/ReasonText";
import { ErrorMessage, Loaded, Pill } from "../../components/status";
import { count, dateTime } from "../../format";
import { useI18n } from "../../i18n";
import { importMediaType, listImports, readImport, startImport } from "./api";
import { IMPORT_KINDS, type Import, type ImportKind, type ImportStatus } from "./types";

const POLL_MS = 1000;
/** Rows of the error report drawn at a time (the API sends up to 1000). */
const ERRORS_PAGE = 100;

const TONE: Record<ImportStatus, string> = { running: "info", succeeded: "ok", refused: "warning", failed: "critical" };

/** The import on show: the one just started (with its file, to apply it after a dry run) or one from the list. */
interface Shown {
  id: string;
  file: File | null;
  /** Started from this page: when it ends, the lists it may have changed are read again. */
  fresh: boolean;
}

/** The API types `kind` as a Kind; a kind newer than this build still shows, by its API name. */
function isKind(kind: string): kind is ImportKind {
  return (IMPORT_KINDS as readonly string[]).includes(kind);
}

function useKindName() {
  const { t } = useI18n();
  return (kind: string) => (isKind(kind) ? t(`imports.kind.${kind}`) : kind);
}

export function Imports() {
  const { t } = useI18n();
  const [shown, setShown] = useState<Shown | null>(null);
  const started = (imp: Import, file: File) => setShown({ id: imp.id, file, fresh: true });
  return (
    <section aria-labelledby="imports-title">
      <h1 id="imports-title">{t("imports.title")}</h1>
      <p className="muted">{t("imports.intro")}</p>
      <NewImport onStarted={started} />
      {shown && <ImportReport key={shown.id} {...shown} onStarted={started} />}
      <RecentImports onShow={(id) => setShown({ id, file: null, fresh: false })} />
    </section>
  );
}

/** Sends a file; the answer (202) seeds the import's cache entry so its report shows at once. */
function useStartImport(onStarted: (imp: Import, file: File) => void) {
  const { t } = useI18n();
  const client = useQueryClient();
  const start = useCommand(
    ({ file, kind, dryRun }: { file: File; kind: ImportKind; dryRun: boolean }) => {
      const type = importMediaType(file);
      if (!type) throw new ApiError(422, { code: "validation_failed", detail: t("imports.fix"), errors: [{ field: "file", message: t("imports.badType", { file: file.name }) }] });
      return startImport(file, kind, dryRun, type);
    },
    ["imports"],
  );
  const run = async (args: { file: File; kind: ImportKind; dryRun: boolean }) => {
    const imp = await start.run(args);
    if (imp) {
      client.setQueryData(["imports", imp.id], imp);
      onStarted(imp, args.file);
    }
  };
  return { ...start, run };
}

function NewImport({ onStarted }: { onStarted: (imp: Import, file: File) => void }) {
  const { t } = useI18n();
  const kindName = useKindName();
  const [kind, setKind] = useState<ImportKind | "">("");
  const [file, setFile] = useState<File | null>(null);
  const [dryRun, setDryRun] = useState(true);
  const [missing, setMissing] = useState<ApiError | null>(null);
  const start = useStartImport(onStarted);
  const submit = () => {
    const errors = [
      ...(kind ? [] : [{ field: "kind", message: t("imports.chooseKind") }]),
      ...(file ? [] : [{ field: "file", message: t("imports.chooseFile") }]),
    ];
    setMissing(errors.length ? new ApiError(422, { code: "validation_failed", detail: t("imports.fix"), errors }) : null);
    if (kind && file) void start.run({ file, kind, dryRun });
  };
  return (
    <section className="card" aria-labelledby="import-new-title">
      <h2 id="import-new-title">{t("imports.new")}</h2>
      <CommandForm
        onSubmit={submit}
        error={missing ?? start.error}
        busy={start.busy}
        submit={dryRun ? t("imports.submitDry") : t("imports.submit")}
        confirm={dryRun || !file || !kind ? undefined : t("imports.applyConfirm", { file: file.name })}
        testId="import-form"
      >
        <SelectField name="kind" label={t("imports.kind")} required value={kind} onChange={setKind} options={IMPORT_KINDS.map((k) => ({ value: k, label: kindName(k) }))} />
        <FileField onChange={setFile} />
        <div className="field">
          <label className="inline">
            <input type="checkbox" name="dry_run" checked={dryRun} onChange={(e) => setDryRun(e.target.checked)} /> {t("imports.dryRun")}
          </label>
          <span className="muted small">{t("imports.dryRunHint")}</span>
        </div>
      </CommandForm>
    </section>
  );
}

function FileField({ onChange }: { onChange: (file: File | null) => void }) {
  const { t } = useI18n();
  const id = useId();
  // The API may name the body, its media type or the file name: all are about the chosen file.
  const problems = [useFieldError("file"), useFieldError("body"), useFieldError("content_type"), useFieldError("Content-Type"), useFieldError("file_name")].filter(Boolean).join("; ");
  return (
    <div className={`field${problems ? " field-invalid" : ""}`}>
      <label htmlFor={id}>
        {t("imports.file")}
        <span aria-hidden="true"> *</span>
      </label>
      <input
        id={id}
        name="file"
        type="file"
        required
        accept=".csv,.xlsx,.ndjson,.jsonl,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet,application/x-ndjson"
        aria-describedby={`${id}-hint${problems ? ` ${id}-error` : ""}`}
        aria-invalid={problems ? true : undefined}
        onChange={(e) => onChange(e.target.files?.[0] ?? null)}
      />
      <span id={`${id}-hint`} className="muted small">
        {t("imports.fileHint")}
      </span>
      {problems && (
        <span id={`${id}-error`} className="field-error">
          {problems}
        </span>
      )}
    </div>
  );
}

export function ImportStatusPill({ status }: { status: ImportStatus }) {
  const { t } = useI18n();
  return (
    <Pill tone={TONE[status] ?? "muted"}>
      <span data-status={status}>{t(`imports.status.${status}`)}</span>
    </Pill>
  );
}

/** One import: polled while it runs; then its outcome, counts and the problems by line. */
function ImportReport({ id, file, fresh, onStarted }: Shown & { onStarted: (imp: Import, file: File) => void }) {
  const client = useQueryClient();
  const load = useApi(["imports", id], () => readImport(id), true, (imp) => (imp?.status === "running" ? POLL_MS : undefined));
  const imp = load.data;
  const settled = useRef(false);
  useEffect(() => {
    if (!fresh || settled.current || !imp || imp.status === "running") return;
    settled.current = true;
    // An applied file may have changed any list of the bank; anything else only the list of imports.
    if (!imp.dry_run && imp.status === "succeeded") void client.invalidateQueries({ predicate: (q) => !(q.queryKey[0] === "imports" && q.queryKey[1] === id) });
    else void client.invalidateQueries({ queryKey: ["imports", "list"] });
  }, [client, fresh, id, imp]);
  return (
    <section className="card" aria-labelledby="import-report-title" data-testid="import-report" data-status={imp?.status}>
      <Loaded load={load}>{(data) => <Report imp={data} file={file} onStarted={onStarted} />}</Loaded>
    </section>
  );
}

function Report({ imp, file, onStarted }: { imp: Import; file: File | null; onStarted: (imp: Import, file: File) => void }) {
  const { t, locale } = useI18n();
  const kindName = useKindName();
  const name = imp.file_name ?? t("imports.noFileName");
  return (
    <>
      <h2 id="import-report-title">
        {t(imp.dry_run ? "imports.heading.dry" : "imports.heading.apply", { file: name })} <ImportStatusPill status={imp.status} />
      </h2>
      <p className="muted small">
        {kindName(imp.kind)} · {t("imports.started", { when: dateTime(imp.started_at, locale), user: imp.created_by })}
        {imp.finished_at && ` · ${t("imports.finished", { when: dateTime(imp.finished_at, locale) })}`} · SHA-256 <code title={imp.sha256}>{imp.sha256.slice(0, 16)}…</code>
      </p>
      {imp.status === "running" ? <Progress imp={imp} /> : <Outcome imp={imp} />}
      {imp.status === "succeeded" && <Counts imp={imp} />}
      {imp.status === "succeeded" && imp.dry_run && (file ? <Apply file={file} kind={imp.kind} onStarted={onStarted} /> : <p className="muted small">{t("imports.applyAgain")}</p>)}
      {imp.errors.length > 0 && <ErrorTable imp={imp} />}
    </>
  );
}

/** The phase, a bar of rows read against the rows in the file (moving without a total), rows/s. */
function Progress({ imp }: { imp: Import }) {
  const { t, locale } = useI18n();
  // Absent or null until the file is counted (the schema makes it optional): either way, no total.
  const total = imp.rows_total ?? 0;
  const known = total > 0;
  return (
    <div className="import-progress" data-testid="import-progress" data-phase={imp.phase}>
      <p>
        <strong>{t(`imports.phase.${imp.phase}`)}</strong>
      </p>
      <progress aria-label={t("imports.progress")} max={known ? total : undefined} value={known ? Math.min(imp.rows_read, total) : undefined} />
      {/* Not a live region: read out every second, the count would drown everything else. */}
      <p className="muted small">
        {known ? t("imports.rowsOf", { read: count(imp.rows_read, locale), total: count(total, locale) }) : t("imports.rowsRead", { read: count(imp.rows_read, locale) })} ·{" "}
        {t("imports.rate", { rate: count(Math.round(imp.rows_per_second), locale) })}
      </p>
    </div>
  );
}

function Outcome({ imp }: { imp: Import }) {
  const { t, locale } = useI18n();
  const [tone, text] =
    imp.status === "succeeded"
      ? ["ok", t(imp.dry_run ? "imports.outcome.valid" : "imports.outcome.succeeded")]
      : imp.status === "refused"
        ? ["error", t("imports.outcome.refused", { count: count(imp.errors_total, locale) })]
        : ["error", t("imports.outcome.failed", { id: imp.id })];
  return (
    <p className={`notice notice-${tone}`} role="status" data-testid="import-outcome">
      {text}
    </p>
  );
}

/** What the file adds, changes and leaves as it is (for a dry run: what applying it would do). */
function Counts({ imp }: { imp: Import }) {
  const { t, locale } = useI18n();
  return (
    <dl className="facts" data-testid="import-counts">
      <dt>{t(imp.dry_run ? "imports.wouldInsert" : "imports.inserted")}</dt>
      <dd data-count="inserted">{count(imp.inserted, locale)}</dd>
      <dt>{t(imp.dry_run ? "imports.wouldUpdate" : "imports.updated")}</dt>
      <dd data-count="updated">{count(imp.updated, locale)}</dd>
      <dt>{t("imports.unchanged")}</dt>
      <dd data-count="unchanged">{count(imp.unchanged, locale)}</dd>
    </dl>
  );
}

/** After a clean dry run: the same file again, for real (it asks first). */
function Apply({ file, kind, onStarted }: { file: File; kind: ImportKind; onStarted: (imp: Import, file: File) => void }) {
  const { t } = useI18n();
  const start = useStartImport(onStarted);
  return (
    <>
      <div className="buttons">
        <ConfirmButton className="primary" disabled={start.busy} question={t("imports.applyConfirm", { file: file.name })} onConfirm={() => void start.run({ file, kind, dryRun: false })}>
          {start.busy ? t("state.working") : t("imports.apply")}
        </ConfirmButton>
      </div>
      {start.error && <ErrorMessage error={start.error} />}
    </>
  );
}

function ErrorTable({ imp }: { imp: Import }) {
  const { t, locale } = useI18n();
  const [shown, setShown] = useState(ERRORS_PAGE);
  const listed = imp.errors.length;
  return (
    <section aria-labelledby="import-errors-title">
      <h3 id="import-errors-title">{t("imports.errors")}</h3>
      {imp.errors_total > listed && (
        <p className="notice notice-warning" data-testid="import-errors-total">
          {t("imports.errorsShown", { shown: count(listed, locale), total: count(imp.errors_total, locale) })}
        </p>
      )}
      <div className="table-wrap">
        <table data-testid="import-errors">
          <caption className="visually-hidden">{t("imports.errors")}</caption>
          <thead>
            <tr>
              <th scope="col" className="num">
                {t("imports.line")}
              </th>
              <th scope="col">{t("imports.field")}</th>
              <th scope="col">{t("field.rule")}</th>
              <th scope="col">{t("imports.message")}</th>
            </tr>
          </thead>
          <tbody>
            {imp.errors.slice(0, shown).map((e, i) => (
              <tr key={`${e.line}-${i}`} data-line={e.line}>
                {/* A line as an editor numbers it: no grouping. */}
                <td className="num">{e.line}</td>
                <td>{e.field ? <code>{e.field}</code> : "—"}</td>
                <td>{e.rule ? <RulePill rule={e.rule} /> : "—"}</td>
                <td>{e.message}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {listed > shown && (
        <div className="more">
          <button type="button" onClick={() => setShown(shown + ERRORS_PAGE)}>
            {t("imports.moreErrors", { shown: count(shown, locale), listed: count(listed, locale) })}
          </button>
        </div>
      )}
    </section>
  );
}

function RecentImports({ onShow }: { onShow: (id: string) => void }) {
  const { t, locale } = useI18n();
  const kindName = useKindName();
  const paged = usePagedApi(["imports", "list"], (cursor) => listImports(cursor));
  const columns: Column<Import>[] = [
    { header: t("field.when"), cell: (i) => dateTime(i.started_at, locale) },
    { header: t("field.kind"), cell: (i) => kindName(i.kind) },
    { header: t("imports.file"), cell: (i) => i.file_name ?? "—" },
    { header: t("imports.mode"), cell: (i) => t(i.dry_run ? "imports.modeDry" : "imports.modeApply") },
    { header: t("field.status"), cell: (i) => <ImportStatusPill status={i.status} /> },
    { header: t("imports.rows"), cell: (i) => count(i.rows_read, locale), numeric: true },
    { header: t("imports.changes"), cell: (i) => [i.inserted, i.updated, i.unchanged].map((n) => count(n, locale)).join(" · "), numeric: true },
    { header: t("imports.problems"), cell: (i) => count(i.errors_total, locale), numeric: true },
    { header: t("imports.by"), cell: (i) => i.created_by },
    {
      header: t("checks.action"),
      cell: (i) => (
        <button type="button" onClick={() => onShow(i.id)}>
          {t("imports.show")}
          <span className="visually-hidden"> · {i.file_name ?? t("imports.noFileName")}</span>
        </button>
      ),
    },
  ];
  return (
    <section className="card" aria-labelledby="imports-recent-title">
      <h2 id="imports-recent-title">{t("imports.recent")}</h2>
      <PagedTable
        paged={paged}
        columns={columns}
        rowKey={(i) => i.id}
        rowClass={(i) => (i.status === "refused" || i.status === "failed" ? "row-warning" : undefined)}
        empty={t("imports.none")}
        testId="imports"
        caption={t("imports.recent")}
      />
    </section>
  );
}
