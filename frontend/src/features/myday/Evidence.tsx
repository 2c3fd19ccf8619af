// Evidence files of a field check: the files themselves go to the API (POST
// /field-checks/{id}/evidence takes the raw bytes, PDF, JPEG or PNG); the server stores them with
// their SHA-256, which this page computes too, so the RM sees that what was stored is what they chose.

import { useId, useState } from "react";
import { api, ok, type Schemas } from "../../api/client";
import { ApiError } from "../../api/problem";
import { useApi, useCommand } from "../../api/queries";
import { CommandForm, useFieldError } from "../../components/forms";
import { Empty, Loaded } from "../../components/status";
import { count, dateTime } from "../../format";
import { useI18n } from "../../i18n";
import { sha256Hex } from "../audit/verifyExport";

const TYPES: Record<string, string> = { pdf: "application/pdf", jpg: "image/jpeg", jpeg: "image/jpeg", png: "image/png" };

/** The media type the API asks for: the browser's, or from the file name when it gives none. */
export function evidenceType(file: { name: string; type: string }): string {
  if (file.type) return file.type;
  return TYPES[file.name.split(".").pop()?.toLowerCase() ?? ""] ?? "application/octet-stream";
}

export function size(bytes: number, locale: string): string {
  return bytes < 1024 ? `${count(bytes, locale)} B` : `${count(Math.ceil(bytes / 1024), locale)} KB`;
}

function EvidenceList({ items }: { items: Schemas["Evidence"][] }) {
  const { t, locale } = useI18n();
  if (items.length === 0) return <Empty>{t("myday.evidence.none")}</Empty>;
  return (
    <ul className="flag-list" data-testid="evidence-list">
      {items.map((e) => (
        <li key={e.id} className="flag">
          <strong>{e.file_name}</strong> <span className="muted small">{e.content_type} · {size(e.size_bytes, locale)}</span>
          <br />
          <span className="small">
            SHA-256 <code className="wrap">{e.sha256}</code>
          </span>
          <br />
          <span className="muted small">{t("myday.evidence.by", { user: e.uploaded_by, date: dateTime(e.created_at, locale) })}</span>
        </li>
      ))}
    </ul>
  );
}

function FileField({ id, onChange }: { id: string; onChange: (file: File | null) => void }) {
  const { t } = useI18n();
  // The API names the body, the file name or the media type: all are about the chosen file.
  const problems = [useFieldError("body"), useFieldError("file_name"), useFieldError("Content-Type")].filter(Boolean).join("; ");
  return (
    <div className={`field${problems ? " field-invalid" : ""}`}>
      <label htmlFor={id}>{t("myday.evidence.file")}</label>
      <input
        id={id}
        type="file"
        accept=".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"
        aria-describedby={`${id}-hint${problems ? ` ${id}-error` : ""}`}
        aria-invalid={problems ? true : undefined}
        onChange={(e) => onChange(e.target.files?.[0] ?? null)}
      />
      <span id={`${id}-hint`} className="muted small">
        {t("myday.evidence.hint")}
      </span>
      {problems && (
        <span id={`${id}-error`} className="field-error" role="alert">
          {problems}
        </span>
      )}
    </div>
  );
}

/** A check's evidence, and (for its RMs) a form to attach a file. */
export function EvidenceFiles({ checkId, canAttach }: { checkId: string; canAttach: boolean }) {
  const { t, locale } = useI18n();
  const detail = useApi(["field-checks", checkId], () => ok(api.GET("/api/v1/field-checks/{id}", { params: { path: { id: checkId } } })));
  const [file, setFile] = useState<File | null>(null);
  const [round, setRound] = useState(0);
  const attach = useCommand(async () => {
    if (!file) throw new ApiError(422, { code: "validation_failed", detail: t("myday.form.fix"), errors: [{ field: "body", message: t("myday.evidence.choose") }] });
    const bytes = new Uint8Array(await file.arrayBuffer());
    const local = await sha256Hex(bytes);
    const stored = await ok(
      api.POST("/api/v1/field-checks/{id}/evidence", {
        params: { path: { id: checkId }, query: { file_name: file.name } },
        // The raw file, not JSON: the schema's `number[]` is how OpenAPI spells bytes.
        body: bytes as unknown as number[],
        bodySerializer: (b: unknown) => b as BodyInit,
        headers: { "Content-Type": evidenceType(file) },
      }),
    );
    return { stored, local };
  }, ["field-checks"]);
  const inputId = useId();
  return (
    <div data-testid="evidence">
      <Loaded load={detail}>{(d) => <EvidenceList items={d.evidence} />}</Loaded>
      {canAttach && (
        <CommandForm
          onSubmit={async () => {
            const done = await attach.run();
            if (done) {
              setFile(null);
              setRound((n) => n + 1);
            }
          }}
          error={attach.error}
          busy={attach.busy}
          submit={t("myday.evidence.attach")}
          testId={`attach-${checkId}`}
        >
          <FileField key={round} id={inputId} onChange={setFile} />
        </CommandForm>
      )}
      {attach.result && (
        <p className={`notice ${attach.result.stored.sha256 === attach.result.local ? "notice-ok" : "notice-error"}`} role="status" data-testid="evidence-stored">
          {attach.result.stored.sha256 === attach.result.local
            ? t("myday.evidence.stored", { file: attach.result.stored.file_name, size: size(attach.result.stored.size_bytes, locale), hash: attach.result.stored.sha256.slice(0, 16) })
            : t("myday.evidence.differs", { file: attach.result.stored.file_name })}
        </p>
      )}
    </div>
  );
}
