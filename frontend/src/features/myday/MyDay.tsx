// "My day" for the signed-in RM (their RM record is `rm_id` of GET /me): checks to confirm as the
// second RM, the required checks of their customers (overdue first), a field check to record, the
// checks they submitted still waiting, the R-6 due list, and their own portfolio and score.

import { useState } from "react";
import { api, ok, type Schemas } from "../../api/client";
import { useApi, usePagedApi } from "../../api/queries";
import { MoreOf } from "../../components/PagedTable";
import { DownloadButtons } from "../../components/DownloadButtons";
import { Empty, Loaded, Pill } from "../../components/status";
import { cny, count, date, decimal, month as monthName, percent } from "../../format";
import { useI18n } from "../../i18n";
import { Link, useLocation } from "../../router";
import { useSession } from "../../session";
import { RequiredReason } from "../checks/reasons";
import { useRmsInScope } from "../checks/rms";
import { Submitted, ToConfirm, useAwaiting } from "./FieldChecks";
import { isCheckKind, SubmitCheck, type Draft } from "./SubmitCheck";

type RequiredCheck = Schemas["RequiredCheck"];

export function MyDay() {
  const { t } = useI18n();
  const { user } = useSession();
  if (!user?.rm_id) {
    return (
      <section aria-labelledby="myday-title">
        <h1 id="myday-title">{t("myday.title")}</h1>
        <p className="notice notice-warning" role="status" data-testid="no-rm">
          {t("myday.noRm")}
        </p>
      </section>
    );
  }
  return <Day rmId={user.rm_id} />;
}

/** Overdue first, then by due date: what is most late comes first. */
export function byUrgency(checks: readonly RequiredCheck[]): RequiredCheck[] {
  return [...checks].sort((a, b) => Number(b.overdue) - Number(a.overdue) || a.due_on.localeCompare(b.due_on));
}

function previousMonth(m: string): string {
  const [y, mo] = m.split("-").map(Number);
  return mo === 1 ? `${y - 1}-12` : `${y}-${String(mo - 1).padStart(2, "0")}`;
}

function Day({ rmId }: { rmId: string }) {
  const { t, code, locale } = useI18n();
  const { query } = useLocation();
  const me = useApi(["rms", rmId, "record"], () => ok(api.GET("/api/v1/rms/{id}", { params: { path: { id: rmId } } })));
  const rms = useRmsInScope().data;
  // The API filters by the customers' primary RM; it orders by creation, so the page sorts one page of 200.
  const required = usePagedApi(["required-checks", "mine", rmId], (cursor) =>
    ok(api.GET("/api/v1/required-checks", { params: { query: { rm_id: rmId, status: "open", limit: 200, cursor } } })),
  );
  const awaiting = useAwaiting(rmId);
  const due = useApi(["rms", rmId, "due-list"], () => ok(api.GET("/api/v1/rms/{id}/due-list", { params: { path: { id: rmId } } })));

  const fromLink = query.get("customer");
  const kindFromLink = query.get("kind");
  const [draft, setDraft] = useState<Draft | null>(
    fromLink ? { customerId: fromLink, customerName: query.get("name"), kind: isCheckKind(kindFromLink) ? kindFromLink : null } : null,
  );
  const [round, setRound] = useState(0);
  const record = (c: RequiredCheck) => {
    setDraft({ customerId: c.customer_id, customerName: c.customer_name, kind: c.kind });
    setRound((n) => n + 1);
  };

  const open = byUrgency(required.items);
  const overdue = open.filter((c) => c.overdue).length;
  const toConfirm = awaiting.items.filter((c) => c.second_rm_id === rmId).length;
  const dueItems = (due.data?.due.length ?? 0) + (due.data?.overdue_interest.length ?? 0);
  const rm = me.data;

  return (
    <section aria-labelledby="myday-title" data-testid="my-day">
      <h1 id="myday-title">{t("myday.title")}</h1>
      {rm && (
        <p className="muted">
          {rm.name} · {code(rm.grade)} · {code(rm.line)} · <Link to={`/rms/${rm.id}`}>{t("myday.myRecord")}</Link>
        </p>
      )}
      {rm && (rm.status !== "active" || rm.qualification_lapsed) && (
        <p className="notice notice-warning" role="status" data-testid="not-eligible">
          {rm.status !== "active" ? t("myday.notActive", { status: code(rm.status) }) : t("myday.lapsed", { date: date(rm.qualification_valid_until, locale) })}
        </p>
      )}

      <div className="kpis">
        <a className="kpi" href="#confirm-title">
          <span className="kpi-label">{t("myday.kpi.toConfirm")}</span>
          <span className="kpi-value" data-testid="kpi-to-confirm">
            {awaiting.load.status === "ready" ? count(toConfirm, locale) : "…"}
          </span>
        </a>
        <a className="kpi" href="#required-title">
          <span className="kpi-label">{t("myday.kpi.required")}</span>
          <span className="kpi-value">{required.load.status === "ready" ? count(open.length, locale) : "…"}</span>
          <span className={`kpi-note ${overdue > 0 ? "tone-critical" : ""}`}>{t("myday.kpi.overdue", { count: count(overdue, locale) })}</span>
        </a>
        <a className="kpi" href="#due-title">
          <span className="kpi-label">{t("myday.kpi.due")}</span>
          <span className="kpi-value">{due.status === "ready" ? count(dueItems, locale) : "…"}</span>
        </a>
        <a className="kpi" href="#submit-title">
          <span className="kpi-label">{t("myday.kpi.record")}</span>
          <span className="kpi-note">{t("myday.kpi.recordNote")}</span>
        </a>
      </div>

      <section className="card" aria-labelledby="confirm-title">
        <h2 id="confirm-title">{t("myday.confirm.title")}</h2>
        <p className="muted small">{t("myday.confirm.intro")}</p>
        <ToConfirm rmId={rmId} rms={rms} />
      </section>

      <section className="card" aria-labelledby="required-title">
        <h2 id="required-title">{t("myday.required.title")}</h2>
        <Loaded load={required.load}>
          {() =>
            open.length === 0 ? (
              <Empty>{t("myday.required.none")}</Empty>
            ) : (
              <div className="table-wrap">
                <table data-testid="my-required">
                  <thead>
                    <tr>
                      <th scope="col">{t("field.customer")}</th>
                      <th scope="col">{t("field.kind")}</th>
                      <th scope="col">{t("field.rule")}</th>
                      <th scope="col">{t("field.reason")}</th>
                      <th scope="col">{t("myday.required.due")}</th>
                      <th scope="col">{t("checks.action")}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {open.map((c) => (
                      <tr key={c.id}>
                        <td>
                          <Link to={`/customers/${c.customer_id}`}>{c.customer_name ?? c.customer_id}</Link>
                        </td>
                        <td>{code(c.kind)}</td>
                        <td>{c.source}</td>
                        <td>
                          <RequiredReason check={c} />
                        </td>
                        <td>
                          <Pill tone={c.overdue ? "critical" : "warning"}>{t(c.overdue ? "myday.required.overdueSince" : "checks.due", { date: date(c.due_on, locale) })}</Pill>
                        </td>
                        <td>
                          <button type="button" onClick={() => record(c)}>
                            {t("checks.record")}
                            <span className="visually-hidden"> · {c.customer_name ?? c.customer_id}</span>
                          </button>
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )
          }
        </Loaded>
        <MoreOf paged={required} />
      </section>

      <section className="card" aria-labelledby="submit-title" id="submit-check">
        <h2 id="submit-title">{t("myday.form.title")}</h2>
        <p className="muted small">{t("myday.form.intro")}</p>
        <SubmitCheck key={round} rmId={rmId} rms={rms} draft={draft} />
      </section>

      <section className="card" aria-labelledby="submitted-title">
        <h2 id="submitted-title">{t("myday.submitted.title")}</h2>
        <Submitted rmId={rmId} rms={rms} />
      </section>

      <section className="card" aria-labelledby="due-title">
        <div className="page-head">
          <h2 id="due-title">{t("myday.due.title", { month: due.data ? monthName(due.data.month, locale) : "" })}</h2>
          {due.data && <DownloadButtons list="due-list" filters={{ rm_id: rmId, month: due.data.month }} />}
        </div>
        <Loaded load={due}>{(d) => <DueList list={d} />}</Loaded>
      </section>

      <section className="card" aria-labelledby="book-title">
        <h2 id="book-title">{t("myday.book.title")}</h2>
        <Book rmId={rmId} month={due.data?.month} />
      </section>
    </section>
  );
}

function DueList({ list }: { list: Schemas["DueList"] }) {
  const { t, locale } = useI18n();
  return (
    <>
      <h3>{t("myday.due.loans")}</h3>
      {list.due.length === 0 ? (
        <Empty>{t("myday.due.noLoans")}</Empty>
      ) : (
        <div className="table-wrap">
          <table data-testid="due-loans">
            <thead>
              <tr>
                <th scope="col">{t("myday.due.loan")}</th>
                <th scope="col">{t("field.customer")}</th>
                <th scope="col" className="num">
                  {t("myday.due.balance")}
                </th>
                <th scope="col">{t("myday.due.matures")}</th>
                <th scope="col">{t("myday.due.collectBy")}</th>
              </tr>
            </thead>
            <tbody>
              {list.due.map((l) => (
                <tr key={l.loan_no}>
                  <td>{l.loan_no}</td>
                  <td>
                    <Link to={`/customers/${l.customer_id}`}>{l.customer_name}</Link>
                  </td>
                  <td className="num">{cny(l.balance, locale)}</td>
                  <td>{date(l.matures_on, locale)}</td>
                  <td>{date(l.collect_by, locale)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <h3>{t("myday.due.interest")}</h3>
      {list.overdue_interest.length === 0 ? (
        <Empty>{t("myday.due.noInterest")}</Empty>
      ) : (
        <div className="table-wrap">
          <table data-testid="due-interest">
            <thead>
              <tr>
                <th scope="col">{t("myday.due.loan")}</th>
                <th scope="col">{t("field.customer")}</th>
                <th scope="col" className="num">
                  {t("myday.due.unpaid")}
                </th>
                <th scope="col">{t("myday.due.chaseFrom")}</th>
                <th scope="col">{t("myday.due.guarantors")}</th>
              </tr>
            </thead>
            <tbody>
              {list.overdue_interest.map((l) => (
                <tr key={l.loan_no}>
                  <td>{l.loan_no}</td>
                  <td>
                    <Link to={`/customers/${l.customer_id}`}>{l.customer_name}</Link>
                  </td>
                  <td className="num">{cny(l.unpaid_interest, locale)}</td>
                  <td>{date(l.chase_from, locale)}</td>
                  <td>
                    {l.guarantors.length === 0
                      ? "—"
                      : l.guarantors.map((g, i) => (
                          <span key={g.customer_id}>
                            {i > 0 && ", "}
                            <Link to={`/customers/${g.customer_id}`}>{g.name}</Link>
                          </span>
                        ))}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

/** The RM's own book (A-3 load, categories, R-4 today, R-5) and latest monthly score. */
function Book({ rmId, month }: { rmId: string; month: string | undefined }) {
  const { t, code, locale } = useI18n();
  const portfolio = useApi(["rms", rmId, "portfolio"], () => ok(api.GET("/api/v1/rms/{id}/portfolio", { params: { path: { id: rmId } } })));
  // The month's score exists once the month is run: this month's if any, else the month before (one read).
  const score = useApi(
    ["performance", "scores", rmId, month],
    async () => {
      const scores = await ok(api.GET("/api/v1/performance/scores", { params: { query: { month: previousMonth(month as string), to: month, rm_id: rmId } } }));
      return [...scores].sort((a, b) => b.month.localeCompare(a.month))[0] ?? null;
    },
    month !== undefined,
  );
  return (
    <div className="grid-2">
      <Loaded load={portfolio}>
        {(p) => (
          <dl className="facts" data-testid="my-portfolio">
            <dt>{t("myday.book.customers")}</dt>
            <dd>{count(p.customers, locale)}</dd>
            <dt>{t("myday.book.capacity")}</dt>
            <dd>
              {t("myday.book.held", { held: count(p.capacity.held, locale), cap: count(p.capacity.cap, locale) })} ({percent(p.capacity.utilisation, locale, 0)})
            </dd>
            <dt>{t("myday.book.categories")}</dt>
            <dd>
              {Object.entries(p.by_category as Record<string, number>).length === 0
                ? "—"
                : Object.entries(p.by_category as Record<string, number>)
                    .map(([c, n]) => `${code(c)} ${count(n, locale)}`)
                    .join(" · ")}
            </dd>
            <dt>{t("myday.book.ratio")}</dt>
            <dd>
              {percent(p.risk.overdue_ratio, locale)} ({t("myday.book.ofLoans", { overdue: count(p.risk.overdue_customers, locale), loans: count(p.risk.loan_customers, locale) })}){" "}
              {!p.risk.ratio_applies ? (
                <Pill tone="muted">{t("myday.book.fewLoans", { min: count(p.thresholds.min_loans, locale) })}</Pill>
              ) : p.risk.out_of_control ? (
                <Pill tone="critical">{code("out_of_control")}</Pill>
              ) : p.risk.action_required ? (
                <Pill tone="critical">{code("action_required")}</Pill>
              ) : (
                <Pill tone={p.risk.within_target ? "ok" : "warning"}>{t(p.risk.within_target ? "myday.book.withinTarget" : "myday.book.aboveTarget")}</Pill>
              )}
            </dd>
            <dt>{t("myday.book.npl")}</dt>
            <dd>
              {percent(p.npl.npl_ratio, locale)} · {cny(p.npl.npl_balance, locale)} / {cny(p.npl.originated_balance, locale)}
            </dd>
          </dl>
        )}
      </Loaded>
      <Loaded load={score}>
        {(s) =>
          s === null ? (
            <Empty>{t("myday.book.noScore")}</Empty>
          ) : (
            <>
            <dl className="facts" data-testid="my-score">
              <dt>{t("myday.book.score")}</dt>
              <dd>
                <strong>{decimal(s.total, locale)}</strong> · {monthName(s.month, locale)}
              </dd>
              <dt>{t("myday.book.rank")}</dt>
              <dd>{t("myday.book.rankOf", { rank: count(s.rank, locale), of: count(s.rank_of, locale) })}</dd>
              <dt>{t("myday.book.riskFund")}</dt>
              <dd>{decimal(s.risk_fund, locale)}</dd>
            </dl>
            <p>
              <Link to={`/rms/${rmId}`}>{t("myday.book.more")}</Link>
            </p>
            </>
          )
        }
      </Loaded>
    </div>
  );
}
