// P-1: the policy in force read as its sections (each value labelled, with the rule it sets), the
// changes waiting for a second person, and, for an administrator, a change proposed field by field
// or as the whole document (PUT /policy: 202, approved by another admin or a risk officer, M-1).
import { useState, type ReactNode } from "react";
import { answered, api, ok, type Schemas } from "../../api/client";
import { ApiError } from "../../api/problem";
import { useApi, useCommand } from "../../api/queries";
import { CommandForm, TextField } from "../../components/forms";
import { RulePill } from "../../components/ReasonText";
import { ErrorMessage, Loaded } from "../../components/status";
import { cny, count, date, dateTime, decimal, percent } from "../../format";
import { useI18n } from "../../i18n";
import type { MessageKey } from "../../messages";
import { Link } from "../../router";
import { useSession } from "../../session";
import { Answer, CheckField } from "./forms";
import { may } from "./may";

type Policy = Schemas["Policy"];
type Format = "count" | "ratio" | "bool" | "cny" | "bytes" | "decimal" | "date" | "ratios" | "cnys" | "dates";

/** The sections of the policy shown, each field with how it reads; paths as the API names them. */
const SECTIONS: { id: string; rules: string; fields: [string, Format][] }[] = [
  { id: "capacity", rules: "A-3", fields: [["corporate_key_accounts", "count"], ["retail_vip_customers", "count"]] },
  {
    id: "assignment",
    rules: "A-2 · A-6 · A-7 · A-8",
    fields: [["max_marketers", "count"], ["primary_share", "ratio"], ["assistant_share", "ratio"], ["rotation_years", "count"], ["second_rm_due_days", "count"]],
  },
  {
    id: "risk",
    rules: "R-2 · R-4 · R-5 · R-6",
    fields: [
      ["settlement_day", "count"],
      ["settlement_day_normal_ratio", "ratio"],
      ["action_required_ratio", "ratio"],
      ["second_check_day", "count"],
      ["second_check_target_ratio", "ratio"],
      ["month_end_target_ratio", "ratio"],
      ["month_end_inspection_ratio", "ratio"],
      ["out_of_control_ratio", "ratio"],
      ["min_loans_for_ratios", "count"],
      ["new_npl_ratio_trigger", "ratio"],
      ["new_npl_consecutive_months", "count"],
      ["due_collection_day", "count"],
      ["related_party_depth", "count"],
    ],
  },
  {
    id: "exit",
    rules: "X-2 · X-4 · O-6",
    fields: [
      ["complaints_threshold", "count"],
      ["complaints_window_months", "count"],
      ["bottom_score_share", "ratio"],
      ["level_shares", "ratios"],
      ["first_rating_months", "count"],
      ["rank_standard_min_score", "decimal"],
      ["ban_after_misconduct", "bool"],
    ],
  },
  { id: "qualification", rules: "O-4 · O-5", fields: [["validity_years", "count"], ["min_counter_experience_years", "count"], ["term_years", "count"]] },
  {
    id: "field_checks",
    rules: "D-1 · D-4 · D-5 · D-6",
    fields: [
      ["independence_required", "bool"],
      ["required_inspection_due_days", "count"],
      ["evidence_max_bytes", "bytes"],
      ["daily_targets.new_customer_visits", "count"],
      ["daily_targets.existing_customer_visits", "count"],
      ["daily_targets.calls", "count"],
    ],
  },
  { id: "pay", rules: "X-6", fields: [["level_allowances", "cnys"], ["transition_allowance", "cny"], ["manager_linked_share", "ratio"], ["scheme_started_on", "date"]] },
  {
    id: "calendar",
    rules: "P-2",
    fields: [
      ["day_closes_at_hour", "count"],
      ["monthly_run_day", "count"],
      ["yearly_rating_day", "count"],
      ["reminder_days_before_due", "count"],
      ["inspection_due_in_working_days", "bool"],
      ["non_working_days", "dates"],
      ["make_up_working_days", "dates"],
    ],
  },
];

const FIELDS = new Map<string, Format>(SECTIONS.flatMap((s) => s.fields.map(([f, format]) => [`${s.id}.${f}`, format] as const)));

function read(policy: unknown, path: string): unknown {
  return path.split(".").reduce<unknown>((o, k) => (o && typeof o === "object" ? (o as Record<string, unknown>)[k] : undefined), policy);
}

function label(t: (k: MessageKey) => string, path: string): string {
  const key = `risk.policy.f.${path}` as MessageKey;
  const text = t(key);
  return text === key ? path : text;
}

function useShow() {
  const { t, locale } = useI18n();
  return (value: unknown, format: Format): string => {
    if (value === null || value === undefined || value === "") return format === "date" ? t("risk.policy.unset") : "—";
    const list = Array.isArray(value) ? (value as string[]) : [];
    switch (format) {
      case "count":
        return count(Number(value), locale);
      case "ratio":
        return percent(value as string, locale);
      case "bool":
        return value ? t("risk.policy.yes") : t("risk.policy.no");
      case "cny":
        return cny(value as string, locale);
      case "bytes":
        return t("risk.policy.mb", { mb: decimal(Number(value) / 1048576, locale, 1) });
      case "decimal":
        return decimal(value as string, locale);
      case "date":
        return date(value as string, locale);
      case "ratios":
        return list.map((v) => percent(v, locale)).join(" / ");
      case "cnys":
        return list.map((v) => cny(v, locale)).join(" / ");
      case "dates":
        return list.length ? list.map((v) => date(v, locale)).join(", ") : t("risk.policy.none");
    }
  };
}

export function Policy() {
  const { t, locale } = useI18n();
  const { roles } = useSession();
  const load = useApi(["policy"], () => ok(api.GET("/api/v1/policy")));
  const [editing, setEditing] = useState(false);
  return (
    <section aria-labelledby="policy-title">
      <h1 id="policy-title">{t("risk.policy.title")}</h1>
      <Loaded load={load}>
        {(current) => (
          <>
            <p className="muted" data-testid="policy-version">
              {t("risk.policy.version", { version: current.version, date: dateTime(current.created_at, locale) })}{" "}
              {current.created_by ? t("risk.policy.by", { who: current.created_by }) : t("risk.policy.defaults")}
            </p>
            <p className="small">{t(may.proposePolicy(roles) ? "risk.policy.howAdmin" : may.approvePolicy(roles) ? "risk.policy.howApprover" : "risk.policy.howOthers")}</p>
            {may.readApprovals(roles) && <PendingChanges current={current.policy} />}
            {may.proposePolicy(roles) && (
              <div className="buttons">
                <button type="button" aria-expanded={editing} onClick={() => setEditing(!editing)}>
                  {editing ? t("risk.policy.stopEditing") : t("risk.policy.propose")}
                </button>
              </div>
            )}
            {editing ? <ProposeChange current={current.policy} /> : <Sections policy={current.policy} />}
          </>
        )}
      </Loaded>
    </section>
  );
}

/** The policy read as labelled values, section by section. */
function Sections({ policy }: { policy: Policy }) {
  const { t, code } = useI18n();
  const show = useShow();
  return (
    <div data-testid="policy-sections">
      <div className="grid-2">
      {SECTIONS.map((s) => (
        <Section key={s.id} id={s.id} rules={s.rules}>
          <dl className="facts">
            {s.fields.map(([f, format]) => (
              <Fact key={f} term={label(t, `${s.id}.${f}`)} value={show(read(policy, `${s.id}.${f}`), format)} />
            ))}
          </dl>
        </Section>
      ))}
      <Section id="duties" rules="M-4">
        <dl className="facts">
          {(policy.duties?.grants ?? []).map((g) => (
            <Fact key={g.role} term={code(g.role)} value={g.may_grant.map((r) => code(r)).join(", ") || "—"} />
          ))}
        </dl>
      </Section>
      </div>
      <Scoring scoring={policy.scoring} />
    </div>
  );
}

function Section({ id, rules, children }: { id: string; rules: string; children: ReactNode }) {
  const { t } = useI18n();
  return (
    <section className="card" aria-labelledby={`policy-${id}`}>
      <h2 id={`policy-${id}`}>
        {label(t, id)}{" "}
        {rules.split(" · ").map((r) => (
          <RulePill key={r} rule={r} />
        ))}
      </h2>
      {children}
    </section>
  );
}

function Fact({ term, value }: { term: string; value: string }) {
  return (
    <>
      <dt>{term}</dt>
      <dd>{value}</dd>
    </>
  );
}

type ScoringItem = { full?: number; cap?: number };

/** The order of the scoring tables, groups and items in the bank's rules (attachments 1-3). */
const SCORING_ORDER = [
  "sub_branch_rm",
  "retail_business_rm",
  "corporate_business_rm",
  "loans",
  "deposits",
  "intermediary",
  "new_loan_accounts",
  "new_loan_amount",
  "managed_accounts_increase",
  "npl_ratio",
  "savings_daily_avg_net_increase",
  "corporate_daily_avg_net_increase",
  "new_bank_cards",
  "payroll_agency",
  "personal_ebank",
  "corporate_ebank",
  "pos_merchants",
];

function ordered(keys: string[], order: string[]): string[] {
  const rank = (k: string) => (order.includes(k) ? order.indexOf(k) : order.length);
  return [...keys].sort((a, b) => rank(a) - rank(b));
}
type ScoringTables = Record<string, Record<string, Record<string, ScoringItem> | string>>;

/** X-1: the full marks and monthly cap of each item, per table (one column per kind of RM). */
function Scoring({ scoring }: { scoring: unknown }) {
  const { t, locale } = useI18n();
  const tables = ((scoring ?? {}) as { tables?: ScoringTables }).tables ?? {};
  // The server sends keys sorted by name; the rules' order reads better, any other key after it.
  const names = ordered(Object.keys(tables), SCORING_ORDER);
  // A group may read "same as <table>": it is that table's group.
  const group = (table: string, g: string): Record<string, ScoringItem> => {
    const value = tables[table]?.[g];
    if (typeof value === "string") {
      const other = names.find((n) => value.includes(n));
      return other && typeof tables[other][g] === "object" ? (tables[other][g] as Record<string, ScoringItem>) : {};
    }
    return value ?? {};
  };
  const groups = ordered([...new Set(names.flatMap((n) => Object.keys(tables[n])))], SCORING_ORDER);
  const mark = (i?: ScoringItem) => (i?.full !== undefined ? t("risk.policy.fullCap", { full: count(i.full, locale), cap: count(i.cap ?? i.full, locale) }) : "—");
  if (names.length === 0) return null;
  return (
    <section className="card" aria-labelledby="policy-scoring">
      <h2 id="policy-scoring">
        {label(t, "scoring")} <RulePill rule="X-1" />
      </h2>
      <p className="muted small">{t("risk.policy.scoringHint")}</p>
      <div className="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">{t("risk.policy.item")}</th>
              {names.map((n) => (
                <th key={n} scope="col" className="num">
                  {label(t, `scoring.${n}`)}
                </th>
              ))}
            </tr>
          </thead>
          {groups.map((g) => {
            const items = ordered([...new Set(names.flatMap((n) => Object.keys(group(n, g))))], SCORING_ORDER);
            return (
              <tbody key={g}>
                <tr>
                  <th scope="colgroup" colSpan={names.length + 1}>
                    {label(t, `scoring.${g}`)}
                  </th>
                </tr>
                {items.map((i) => (
                  <tr key={i}>
                    <th scope="row">{label(t, `scoring.${i}`)}</th>
                    {names.map((n) => (
                      <td key={n} className="num">
                        {mark(group(n, g)[i])}
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            );
          })}
        </table>
      </div>
    </section>
  );
}

/** JSON with the keys of every object sorted: two documents equal in content read alike. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value && typeof value === "object") {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/** Every leaf of a document by its dotted path, as JSON text, to compare two versions. */
function leaves(value: unknown, path = "", out = new Map<string, string>()): Map<string, string> {
  if (value && typeof value === "object" && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) leaves(v, path ? `${path}.${k}` : k, out);
  } else out.set(path, canonical(value));
  return out;
}

/** P-1 changes proposed and waiting for a second person, each read as what it changes. */
function PendingChanges({ current }: { current: Policy }) {
  const { t, locale } = useI18n();
  const load = useApi(["approvals", "pending", "change_policy"], async () => {
    const page = await ok(api.GET("/api/v1/approvals", { params: { query: { status: "pending", command: "change_policy", limit: 500 } } }));
    return page.items;
  });
  if (load.status === "error") return <ErrorMessage error={load.error} onRetry={load.reload} />;
  if (!load.data || load.data.length === 0) return null;
  return (
    <section className="card" aria-labelledby="policy-pending" data-testid="policy-pending">
      <h2 id="policy-pending">{t("risk.policy.pending")}</h2>
      <ul className="cards">
        {load.data.map((a) => (
          <li key={a.id}>
            <p className="small">
              {t("approvals.maker", { maker: a.maker_username })} · {dateTime(a.created_at, locale)} · <Link to="/approvals">{t("risk.waiting.open")}</Link>
            </p>
            <Changes current={current} proposed={(a.payload as { policy?: unknown }).policy} />
          </li>
        ))}
      </ul>
    </section>
  );
}

/**
 * What a proposed policy (an approval's `payload.policy`) changes against the version in force,
 * value by value: for the Approvals page as well, where a second person decides it.
 */
export function PolicyChange({ proposed }: { proposed: unknown }) {
  const load = useApi(["policy"], () => ok(api.GET("/api/v1/policy")));
  if (load.status === "error") return <ErrorMessage error={load.error} onRetry={load.reload} />;
  return load.data ? <Changes current={load.data.policy} proposed={proposed} /> : null;
}

function Changes({ current, proposed }: { current: Policy; proposed: unknown }) {
  const { t } = useI18n();
  const show = useShow();
  const before = leaves(current);
  const after = leaves(proposed);
  const changed = [...new Set([...before.keys(), ...after.keys()])].filter((p) => before.get(p) !== after.get(p));
  const value = (path: string, text: string | undefined) => {
    const format = FIELDS.get(path);
    return format && text !== undefined ? show(JSON.parse(text), format) : (text ?? "—");
  };
  if (changed.length === 0) return <p className="muted small">{t("risk.policy.noChange")}</p>;
  return (
    <ul data-testid="policy-changes">
      {changed.slice(0, 30).map((p) => (
        <li key={p}>
          {label(t, p)}: {value(p, before.get(p))} → <strong>{value(p, after.get(p))}</strong>
        </li>
      ))}
      {changed.length > 30 && <li className="muted">{t("risk.policy.moreChanges", { count: changed.length - 30 })}</li>}
    </ul>
  );
}

/** A value as its field is edited: numbers and decimals as text, lists comma-separated. */
function asDraft(value: unknown, format: Format): string | boolean {
  if (format === "bool") return Boolean(value);
  if (Array.isArray(value)) return value.join(", ");
  return value === null || value === undefined ? "" : String(value);
}

/** The draft back into the document, or the fields that cannot be read as their kind. */
function fromDraft(current: Policy, draft: Record<string, string | boolean>, t: (k: MessageKey) => string): Policy {
  const next = structuredClone(current) as unknown as Record<string, unknown>;
  const wrong: { field: string; message: string }[] = [];
  for (const [path, raw] of Object.entries(draft)) {
    const format = FIELDS.get(path);
    if (!format) continue;
    let value: unknown = raw;
    if (typeof raw === "string") {
      const text = raw.trim();
      const list = text ? text.split(/[,，\s]+/).filter(Boolean) : [];
      if (format === "count" || format === "bytes") {
        if (!/^\d+$/.test(text)) wrong.push({ field: path, message: t("risk.policy.wholeNumber") });
        value = Number(text);
      } else if (format === "ratios" || format === "cnys" || format === "dates") value = list;
      else if (format === "date") value = text || null;
      else value = text;
    }
    const keys = path.split(".");
    const parent = keys.slice(0, -1).reduce<Record<string, unknown>>((o, k) => (o[k] ??= {}) as Record<string, unknown>, next);
    parent[keys[keys.length - 1]] = value;
  }
  if (wrong.length) throw new ApiError(422, { code: "validation_failed", detail: t("risk.policy.fixFields"), errors: wrong });
  return next as unknown as Policy;
}

/** An administrator's proposal: chosen fields, or the whole document as JSON. */
function ProposeChange({ current }: { current: Policy }) {
  const { t } = useI18n();
  const [asJson, setAsJson] = useState(false);
  const [draft, setDraft] = useState<Record<string, string | boolean>>({});
  const [json, setJson] = useState(() => JSON.stringify(current, null, 2));
  const propose = useCommand(async () => {
    let policy: Policy;
    if (asJson) {
      try {
        policy = JSON.parse(json) as Policy;
      } catch (e) {
        throw new ApiError(422, { code: "validation_failed", detail: t("risk.policy.badJson"), errors: [{ field: "policy", message: String(e instanceof Error ? e.message : e) }] });
      }
    } else policy = fromDraft(current, draft, t);
    return answered(api.PUT("/api/v1/policy", { body: policy }));
  }, ["policy", "approvals"]);
  const value = (path: string, format: Format) => (path in draft ? draft[path] : asDraft(read(current, path), format));
  return (
    <section className="card" aria-labelledby="policy-propose" data-testid="policy-propose">
      <h2 id="policy-propose">{t("risk.policy.propose")}</h2>
      <p className="muted small">{t("risk.policy.proposeHint")}</p>
      <div className="tabs" role="group" aria-label={t("risk.policy.how")}>
        <button type="button" aria-pressed={!asJson} onClick={() => setAsJson(false)}>
          {t("risk.policy.byField")}
        </button>
        <button type="button" aria-pressed={asJson} onClick={() => setAsJson(true)}>
          {t("risk.policy.asJson")}
        </button>
      </div>
      <CommandForm onSubmit={() => void propose.run()} error={propose.error} busy={propose.busy} submit={t("risk.policy.submit")} testId="policy-form">
        {asJson ? (
          <TextField name="policy" label={t("risk.policy.document")} hint={t("risk.policy.documentHint")} multiline value={json} onChange={setJson} />
        ) : (
          SECTIONS.map((s) => (
            <fieldset key={s.id}>
              <legend>
                {label(t, s.id)} ({s.rules})
              </legend>
              {s.fields.map(([f, format]) => {
                const path = `${s.id}.${f}`;
                const v = value(path, format);
                return typeof v === "boolean" ? (
                  <CheckField key={path} name={path} label={label(t, path)} checked={v} onChange={(x) => setDraft({ ...draft, [path]: x })} />
                ) : (
                  <TextField
                    key={path}
                    name={path}
                    type={format === "date" ? "date" : "text"}
                    label={label(t, path)}
                    hint={format === "ratio" || format === "ratios" ? t("risk.policy.ratioHint") : format.endsWith("s") && format !== "bytes" ? t("risk.policy.listHint") : undefined}
                    value={v}
                    onChange={(x) => setDraft({ ...draft, [path]: x })}
                  />
                );
              })}
            </fieldset>
          ))
        )}
      </CommandForm>
      {propose.result && <Answer waiting={propose.result.waiting} data={propose.result.data} done={t("risk.policy.done")} />}
    </section>
  );
}
