import { useState, type FormEvent } from "react";
import { api, ok, type Schemas } from "../../api/client";
import { Empty, Loaded, Pill } from "../../components/status";
import { date, dateTime, percent } from "../../format";
import { useApi, usePagedApi } from "../../api/queries";
import { PagedTable } from "../../components/PagedTable";
import { ReasonText } from "../../components/ReasonText";
import type { ReasonParams } from "../../reasons";
import { CustomerAssignment, useAssignmentReason } from "../manager/slots";
import { CustomerRiskActions, FlagActions } from "../risk/slots";
import { useI18n } from "../../i18n";
import { Link, navigate, useLocation } from "../../router";

type Flag = Schemas["Flag"];
type CustomerKind = Schemas["CustomerKind"];

const KINDS: CustomerKind[] = ["corporate", "sme", "institution", "retail"];

export function Customers() {
  const { t, code } = useI18n();
  const { query } = useLocation();
  const name = query.get("name") ?? "";
  const kind = (query.get("kind") ?? "") as CustomerKind | "";
  const [draftName, setDraftName] = useState(name);
  const [draftKind, setDraftKind] = useState<CustomerKind | "">(kind);
  const paged = usePagedApi(["customers", "/api/v1/customers", name, kind], (cursor) => ok(api.GET("/api/v1/customers", { params: { query: { name: name || undefined, kind: kind || undefined, limit: 50, cursor } } })));

  const search = (e: FormEvent) => {
    e.preventDefault();
    const q = new URLSearchParams();
    if (draftName.trim()) q.set("name", draftName.trim());
    if (draftKind) q.set("kind", draftKind);
    navigate(`/customers${q.size ? `?${q}` : ""}`);
  };

  return (
    <section aria-labelledby="customers-title">
      <h1 id="customers-title">{t("customers.title")}</h1>
      <form className="filters" onSubmit={search} role="search">
        <label>
          {t("customers.search")}
          <input name="name" value={draftName} onChange={(e) => setDraftName(e.target.value)} />
        </label>
        <label>
          {t("customers.kind")}
          <select value={draftKind} onChange={(e) => setDraftKind(e.target.value as CustomerKind | "")}>
            <option value="">{t("customers.any")}</option>
            {KINDS.map((k) => (
              <option key={k} value={k}>
                {code(k)}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" className="primary">
          {t("customers.find")}
        </button>
      </form>
      <PagedTable
        paged={paged}
        rowKey={(c) => c.id}
        columns={[
          {
            header: t("customers.name"),
            cell: (c) => (
              <>
                <Link to={`/customers/${c.id}`}>{c.name}</Link>
                {c.is_key_account && <Pill tone="info">{t("customers.keyAccount")}</Pill>}
                {c.is_vip && <Pill tone="info">{t("customers.vip")}</Pill>}
              </>
            ),
          },
          { header: t("customers.kind"), cell: (c) => code(c.kind) },
          { header: t("customers.tier"), cell: (c) => code(c.tier) },
          { header: t("customer.categories"), cell: (c) => c.categories.map((x) => code(x)).join(", ") || "—" },
        ]}
      />
      <FlaggedCustomers />
    </section>
  );
}

function FlaggedCustomers() {
  const { t, code, locale } = useI18n();
  const paged = usePagedApi(["flags", "open-on-customers"], (cursor) =>
    ok(api.GET("/api/v1/flags", { params: { query: { status: "open", limit: 50, cursor } } })).then((page) => ({
      ...page,
      items: page.items.filter((f) => f.customer_id),
    })),
  );
  return (
    <section className="card" aria-labelledby="flagged-title">
      <h2 id="flagged-title">{t("customers.flagged")}</h2>
      <p className="muted small">{t("customers.flaggedHint")}</p>
      <PagedTable
        paged={paged}
        testId="flagged-customers"
        empty={t("customers.noFlagged")}
        rowKey={(f) => f.id}
        columns={[
          { header: t("field.customer"), cell: (f) => <Link to={`/customers/${f.customer_id}`}>{f.customer_name ?? f.customer_id}</Link> },
          { header: t("field.kind"), cell: (f) => code(f.kind) },
          { header: t("field.severity"), cell: (f) => <Pill tone={f.severity}>{code(f.severity)}</Pill> },
          { header: t("field.reason"), cell: (f) => <ReasonText code={f.reason_code} params={f.reason_params as ReasonParams | null} text={f.reason} /> },
          { header: t("field.when"), cell: (f) => dateTime(f.raised_at, locale) },
        ]}
      />
    </section>
  );
}

export function FlagList({ flags, showCustomer, empty }: { flags: Flag[]; showCustomer?: boolean; empty?: string }) {
  const { t, code, locale } = useI18n();
  if (flags.length === 0) return <Empty>{empty ?? t("customer.noFlags")}</Empty>;
  return (
    <ul className="flag-list" data-testid="customer-flags">
      {flags.map((f) => (
        <li key={f.id} className={`flag severity-${f.severity}`}>
          <Pill tone={f.severity}>{code(f.severity)}</Pill> <strong>{code(f.kind)}</strong> · {code(f.status)}
          {showCustomer && f.customer_id && (
            <>
              {" · "}
              <Link to={`/customers/${f.customer_id}`}>{f.customer_name ?? f.customer_id}</Link>
            </>
          )}
          <div>
            <ReasonText code={f.reason_code} params={f.reason_params as ReasonParams | null} text={f.reason} />
          </div>
          <FlagActions flag={f} />
          <div className="muted small">
            {dateTime(f.raised_at, locale)} · {f.raised_by}
            {f.rm_name ? ` · ${f.rm_name}` : ""}
          </div>
        </li>
      ))}
    </ul>
  );
}

export function CustomerDetail({ id }: { id: string }) {
  const { t, code, locale } = useI18n();
  const assignmentReason = useAssignmentReason();
  const load = useApi(["customers", id], async () => {
    const [customer, flags, relations, history] = await Promise.all([
      ok(api.GET("/api/v1/customers/{id}", { params: { path: { id } } })),
      ok(api.GET("/api/v1/customers/{id}/flags", { params: { path: { id } } })),
      ok(api.GET("/api/v1/customers/{id}/relations", { params: { path: { id } } })),
      ok(api.GET("/api/v1/customers/{id}/assignments", { params: { path: { id } } })),
    ]);
    const related = [...new Set(relations.flatMap((r) => [r.customer_id, r.related_customer_id]).filter((c) => c !== id))];
    const rmIds = [...new Set(history.map((a) => a.rm_id))];
    const names = await namesOf(related, rmIds);
    return { customer, flags, relations, history, names };
  });

  return (
    <section aria-labelledby="customer-title">
      <p>
        <Link to="/customers">← {t("customer.back")}</Link>
      </p>
      <Loaded load={load}>
        {({ customer, flags, relations, history, names }) => (
          <>
            <h1 id="customer-title">{customer.name}</h1>
            <div className="grid-2 actions">
              <CustomerAssignment customer={customer} history={history} />
              <CustomerRiskActions customer={customer} />
            </div>
            <div className="grid-2">
              <section className="card" aria-labelledby="details-title">
                <h2 id="details-title">{t("customer.details")}</h2>
                <dl className="facts">
                  <dt>{t("customers.kind")}</dt>
                  <dd>{code(customer.kind)}</dd>
                  <dt>{t("customers.tier")}</dt>
                  <dd>{code(customer.tier)}</dd>
                  <dt>{t("customer.categories")}</dt>
                  <dd>{customer.categories.map((x) => code(x)).join(", ") || "—"}</dd>
                  {customer.national_id && (
                    <>
                      <dt>{t("customer.nationalId")}</dt>
                      <dd>{customer.national_id}</dd>
                    </>
                  )}
                  {customer.phone && (
                    <>
                      <dt>{t("customer.phone")}</dt>
                      <dd>{customer.phone}</dd>
                    </>
                  )}
                  <dt>{t("customer.since")}</dt>
                  <dd>{date(customer.created_at, locale)}</dd>
                  {customer.needs_second_rm_since && (
                    <>
                      <dt>{t("customer.secondRm")}</dt>
                      <dd>{date(customer.needs_second_rm_since, locale)}</dd>
                    </>
                  )}
                </dl>
              </section>
              <section className="card" aria-labelledby="flags-title">
                <h2 id="flags-title">{t("customer.flags")}</h2>
                <FlagList flags={flags} />
              </section>
            </div>
            <section className="card" aria-labelledby="relations-title">
              <h2 id="relations-title">{t("customer.relations")}</h2>
              {relations.length === 0 ? (
                <Empty>{t("customer.noRelations")}</Empty>
              ) : (
                <ul>
                  {relations.map((r) => {
                    const other = r.customer_id === id ? r.related_customer_id : r.customer_id;
                    const guarantorIsOther = r.kind === "guarantor_of" && r.customer_id !== id;
                    return (
                      <li key={r.id}>
                        {guarantorIsOther ? `${code("guarantor_of")} ← ` : `${code(r.kind)} → `}
                        <Link to={`/customers/${other}`}>{names.get(other) ?? other}</Link>
                      </li>
                    );
                  })}
                </ul>
              )}
            </section>
            <section className="card" aria-labelledby="history-title">
              <h2 id="history-title">{t("customer.history")}</h2>
              {history.length === 0 ? (
                <Empty>{t("customer.noHistory")}</Empty>
              ) : (
                <ol className="timeline" data-testid="assignment-history">
                  {[...history].reverse().map((a) => (
                    <li key={a.id} className={a.valid_to ? "" : "current"}>
                      <span className="when">
                        {t("customer.from", { date: dateTime(a.valid_from, locale) })}
                        {a.valid_to ? ` ${t("customer.until", { date: dateTime(a.valid_to, locale) })}` : ""}
                      </span>
                      <span>
                        <strong>{code(a.role, "assignment")}</strong>: <Link to={`/rms/${a.rm_id}`}>{names.get(a.rm_id) ?? a.rm_id}</Link>
                        {!a.valid_to && <Pill tone="ok">{t("customer.current")}</Pill>}
                      </span>
                      <span className="muted small">
                        {t("customer.share", { share: percent(a.share, locale, 0) })} · {t("customer.reason", { reason: assignmentReason(a.reason) })} · {a.created_by}
                      </span>
                    </li>
                  ))}
                </ol>
              )}
            </section>
          </>
        )}
      </Loaded>
    </section>
  );
}

/**
 * The names of these customers and RMs in two reads (not one per record): the bulk `ids` filter
 * of the lists, up to 100 at a time. Records outside the reader's scope stay unnamed (O-1).
 */
export async function namesOf(customerIds: readonly string[], rmIds: readonly string[]): Promise<Map<string, string>> {
  const chunks = (ids: readonly string[]) => Array.from({ length: Math.ceil(ids.length / 100) }, (_, i) => ids.slice(i * 100, i * 100 + 100).join(","));
  const [customers, rms] = await Promise.all([
    Promise.all(chunks([...new Set(customerIds)]).map((ids) => ok(api.GET("/api/v1/customers", { params: { query: { ids, limit: 100 } } })))),
    Promise.all(chunks([...new Set(rmIds)]).map((ids) => ok(api.GET("/api/v1/rms", { params: { query: { ids, limit: 100 } } })))),
  ]);
  const names = new Map<string, string>();
  for (const page of [...customers, ...rms]) for (const record of page.items) names.set(record.id, record.name);
  return names;
}
