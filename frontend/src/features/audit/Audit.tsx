import { useState, type FormEvent } from "react";
import { api, fetchExport, ok, type Schemas } from "../../api/client";
import { ErrorMessage, Pill } from "../../components/status";
import { count, dateTime } from "../../format";
import { useApi, useCommand, usePagedApi } from "../../api/queries";
import { useI18n } from "../../i18n";
import { PagedTable } from "../../components/PagedTable";
import { NotAnExport, verifyExport, type ExportReport } from "./verifyExport";

type Manifest = Schemas["Manifest"];

const DATASETS = ["audit_events", "assignments", "flags", "field_checks", "exit_cases", "rms", "customers", "scores"] as const;

export function Audit() {
  const { t } = useI18n();
  return (
    <section aria-labelledby="audit-title">
      <h1 id="audit-title">{t("audit.title")}</h1>
      <Exports />
      <VerifyExport />
      <Events />
    </section>
  );
}

function Events() {
  const { t, locale } = useI18n();
  const [filter, setFilter] = useState({ entity: "", action: "", actor: "" });
  const [applied, setApplied] = useState(filter);
  const paged = usePagedApi(["audit", "/api/v1/audit/events", applied], (cursor) =>
      ok(
        api.GET("/api/v1/audit/events", {
          params: {
            query: {
              entity: applied.entity || undefined,
              action: applied.action || undefined,
              actor: applied.actor || undefined,
              limit: 50,
              cursor,
            },
          },
        }),
      ));
  const verify = useCommand(() => ok(api.GET("/api/v1/audit/verify")), []);
  const [report, setReport] = useState<Schemas["ChainReport"] | null>(null);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setApplied({ ...filter });
  };

  return (
    <section className="card" aria-labelledby="events-title">
      <h2 id="events-title">{t("audit.events")}</h2>
      <form className="filters" onSubmit={submit}>
        {(["entity", "action", "actor"] as const).map((key) => (
          <label key={key}>
            {t(`audit.${key}`)}
            <input value={filter[key]} onChange={(e) => setFilter({ ...filter, [key]: e.target.value })} />
          </label>
        ))}
        <button type="submit">{t("audit.filter")}</button>
        <button
          type="button"
          disabled={verify.busy}
          aria-busy={verify.busy}
          onClick={async () => {
            const r = await verify.run();
            if (r) setReport(r);
          }}
        >
          {verify.busy ? t("state.working") : t("audit.verify")}
        </button>
      </form>
      {verify.error && <ErrorMessage error={verify.error} />}
      {report && (
        <p className={`notice ${report.status === "ok" ? "notice-ok" : "notice-error"}`} role="status">
          {report.status === "ok"
            ? t("audit.chainOk", { count: count(report.events_checked, locale) })
            : t("audit.chainBroken", { seq: report.first_broken?.seq ?? "?" })}
        </p>
      )}
      <PagedTable
        paged={paged}
        rowKey={(e) => String(e.seq)}
        columns={[
          { header: "#", cell: (e) => e.seq, numeric: true },
          { header: t("field.when"), cell: (e) => dateTime(e.occurred_at, locale) },
          { header: t("audit.actor"), cell: (e) => e.actor_username },
          { header: t("audit.action"), cell: (e) => <code>{e.action}</code> },
          {
            header: t("audit.entity"),
            cell: (e) => (
              <>
                {e.entity} <span className="muted small">{e.entity_id}</span>
              </>
            ),
          },
          { header: "hash", cell: (e) => <code className="small">{e.hash.slice(0, 12)}…</code> },
        ]}
      />
    </section>
  );
}

function save(text: string, file: string) {
  const url = URL.createObjectURL(new Blob([text], { type: "application/json" }));
  const a = document.createElement("a");
  a.href = url;
  a.download = file;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function Exports() {
  const { t, code, locale } = useI18n();
  const [dataset, setDataset] = useState<(typeof DATASETS)[number]>("audit_events");
  const [from, setFrom] = useState("");
  const [to, setTo] = useState("");
  const [result, setResult] = useState<{ manifest: Manifest; count: number; file: string } | null>(null);
  const download = useCommand(async () => {
    const query: Record<string, string> = {};
    if (from) query.from = from;
    if (to) query.to = to;
    const exported = await fetchExport(dataset, query);
    const file = `rmdesk-${dataset}-${new Date().toISOString().slice(0, 10)}.json`;
    save(exported.text, file);
    setResult({ manifest: exported.manifest, count: exported.count, file });
  }, []);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setResult(null);
    void download.run();
  };
  const m = result?.manifest;
  return (
    <section className="card" aria-labelledby="exports-title">
      <h2 id="exports-title">{t("audit.exports")}</h2>
      <form className="filters" onSubmit={submit}>
        <label>
          {t("audit.dataset")}
          <select value={dataset} onChange={(e) => setDataset(e.target.value as (typeof DATASETS)[number])}>
            {DATASETS.map((d) => (
              <option key={d} value={d}>
                {code(d)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t("audit.from")}
          <input type="date" value={from} onChange={(e) => setFrom(e.target.value)} />
        </label>
        <label>
          {t("audit.to")}
          <input type="date" value={to} onChange={(e) => setTo(e.target.value)} />
        </label>
        <button type="submit" className="primary" disabled={download.busy} aria-busy={download.busy}>
          {download.busy ? t("state.working") : t("audit.download")}
        </button>
      </form>
      {download.error && <ErrorMessage error={download.error} />}
      {result && m && (
        <div data-testid="manifest">
          <p className="notice notice-ok" role="status">
            {t("audit.saved", { count: count(result.count, locale), file: result.file })} {t("audit.check.next")}
          </p>
          <h3>{t("audit.manifest")}</h3>
          <dl className="facts">
            <dt>dataset</dt>
            <dd>{m.dataset}</dd>
            <dt>row_count</dt>
            <dd>{count(m.row_count, locale)}</dd>
            <dt>items_sha256</dt>
            <dd>
              <code className="wrap">{m.items_sha256}</code>
            </dd>
            <dt>generated</dt>
            <dd>
              {dateTime(m.generated_at, locale)} · {m.generated_by}
            </dd>
            <dt>policy_version</dt>
            <dd>{m.policy_version}</dd>
            <dt>complete</dt>
            <dd>
              <Pill tone={m.complete ? "ok" : "critical"}>{String(m.complete)}</Pill>
            </dd>
            {m.chain_from !== undefined && m.chain_from !== null && (
              <>
                <dt>chain</dt>
                <dd>
                  <code className="wrap">{m.chain_from.slice(0, 16)}… → {(m.chain_to ?? "").slice(0, 16)}…</code> · contiguous {String(m.contiguous)}
                </dd>
              </>
            )}
          </dl>
        </div>
      )}
    </section>
  );
}

type Checked = { file: string; report: ExportReport } | { file: string; failed: NotAnExport["reason"] };

function Verdict({ ok }: { ok: boolean }) {
  const { t } = useI18n();
  return <Pill tone={ok ? "ok" : "critical"}>{t(ok ? "audit.check.match" : "audit.check.mismatch")}</Pill>;
}

/**
 * M-3: the auditor checks a downloaded export in the browser, trusting neither the file nor this
 * page's server copy: the items are hashed as they stand in the file, the manifest's signature is
 * checked with the server's published key (GET /audit/public-key), and audit events are re-chained.
 */
export function VerifyExport() {
  const { t, locale } = useI18n();
  const key = useApi(["audit", "public-key"], () => ok(api.GET("/api/v1/audit/public-key")));
  const [round, setRound] = useState(0);
  const check = useCommand(async (file: File): Promise<Checked> => {
    const publicKey = key.data?.public_key ?? (await ok(api.GET("/api/v1/audit/public-key"))).public_key;
    const bytes = new Uint8Array(await file.arrayBuffer());
    try {
      return { file: file.name, report: await verifyExport(bytes, publicKey) };
    } catch (e) {
      if (e instanceof NotAnExport) return { file: file.name, failed: e.reason };
      throw e;
    }
  }, []);
  const checked = check.result;
  const report = checked && "report" in checked ? checked.report : null;
  return (
    <section className="card" aria-labelledby="verify-export-title">
      <h2 id="verify-export-title">{t("audit.check.title")}</h2>
      <p className="muted small">{t("audit.check.intro")}</p>
      <div className="field">
        <label htmlFor="verify-export-file">{t("audit.check.file")}</label>
        <input
          key={round}
          id="verify-export-file"
          type="file"
          accept=".json,.ndjson,application/json,application/x-ndjson"
          disabled={check.busy}
          onChange={(e) => {
            const file = e.target.files?.[0];
            if (file) void check.run(file).then(() => setRound((n) => n + 1));
          }}
        />
        {key.data && (
          <span className="muted small">
            {t("audit.check.key", { algorithm: key.data.algorithm, id: key.data.key_id })}
          </span>
        )}
      </div>
      {check.busy && <p role="status">{t("audit.check.working")}</p>}
      {key.status === "error" && <ErrorMessage error={key.error} onRetry={key.reload} />}
      {check.error && <ErrorMessage error={check.error} />}
      {checked && "failed" in checked && (
        <p className="notice notice-error" role="alert" data-testid="verify-failed">
          {t("audit.check.cannot", { file: checked.file })} {t(`audit.check.${checked.failed}`)}
        </p>
      )}
      {checked && report && (
        <div data-testid="verify-result" data-ok={String(report.ok)}>
          <p className={`notice ${report.ok ? "notice-ok" : "notice-error"}`} role="status">
            <strong>{checked.file}</strong> · {report.ok ? t("audit.check.allMatch") : t("audit.check.changed")}
          </p>
          {!report.manifest.complete && <p className="notice notice-warning">{t("audit.check.incomplete")}</p>}
          <div className="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">{t("audit.check.what")}</th>
                  <th scope="col">{t("audit.check.manifest")}</th>
                  <th scope="col">{t("audit.check.found")}</th>
                  <th scope="col">{t("audit.check.result")}</th>
                </tr>
              </thead>
              <tbody>
                <tr data-check="count" data-ok={String(report.count.ok)}>
                  <th scope="row">{t("audit.check.count")}</th>
                  <td>{count(report.count.expected, locale)}</td>
                  <td>{count(report.count.found, locale)}</td>
                  <td>
                    <Verdict ok={report.count.ok} />
                  </td>
                </tr>
                <tr data-check="digest" data-ok={String(report.digest.ok)}>
                  <th scope="row">{t("audit.check.digest")}</th>
                  <td>
                    <code className="wrap small">{report.digest.expected}</code>
                  </td>
                  <td>
                    <code className="wrap small">{report.digest.found}</code>
                  </td>
                  <td>
                    <Verdict ok={report.digest.ok} />
                  </td>
                </tr>
                <tr data-check="signature" data-ok={String(report.signature.ok)}>
                  <th scope="row">{t("audit.check.signature")}</th>
                  <td>{t("audit.check.keyId", { id: report.signature.keyId })}</td>
                  <td>
                    {!report.signature.key
                      ? t("audit.check.otherKey", { id: report.signature.expectedKeyId })
                      : report.signature.valid
                        ? t("audit.check.signatureValid")
                        : t("audit.check.signatureInvalid")}
                  </td>
                  <td>
                    <Verdict ok={report.signature.ok} />
                  </td>
                </tr>
                {report.chain && (
                  <tr data-check="chain" data-ok={String(report.chain.ok)}>
                    <th scope="row">{t("audit.check.chain")}</th>
                    <td>
                      <code className="small">
                        {(report.manifest.chain_from ?? "—").slice(0, 12)}… → {(report.manifest.chain_to ?? "—").slice(0, 12)}…
                      </code>
                    </td>
                    <td>
                      {report.chain.firstBreak
                        ? t("audit.check.breakAt", { seq: report.chain.firstBreak.seq, reason: t(`audit.check.break.${report.chain.firstBreak.reason}`) })
                        : t("audit.check.chainOk", { count: count(report.chain.checked, locale) })}
                    </td>
                    <td>
                      <Verdict ok={report.chain.ok} />
                    </td>
                  </tr>
                )}
              </tbody>
            </table>
          </div>
          <p className="muted small">{t("audit.check.snapshots")}</p>
        </div>
      )}
    </section>
  );
}
