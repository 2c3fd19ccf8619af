import { useState } from "react";
import { api, ok, type Schemas } from "../../api/client";
import { ErrorMessage, Empty, Loaded, Pill } from "../../components/status";
import { dateTime } from "../../format";
import { useApi, useCommand, usePagedApi } from "../../api/queries";
import { useI18n } from "../../i18n";
import { Link, navigate, useLocation } from "../../router";
import { MoreOf } from "../../components/PagedTable";
import { namesOf } from "../customers/Customers";
import { ConfirmButton } from "../../components/forms";
import { PolicyChange } from "../risk/Policy";
import { useSession } from "../../session";

type Approval = Schemas["Approval"];
type Status = "pending" | "approved" | "rejected";

export function Approvals() {
  const { t } = useI18n();
  const { query } = useLocation();
  const status = (query.get("status") ?? "pending") as Status;
  const [notice, setNotice] = useState<{ text: string; customerId: string | null } | null>(null);
  const paged = usePagedApi(["approvals", "/api/v1/approvals", status], (cursor) => ok(api.GET("/api/v1/approvals", { params: { query: { status, limit: 50, cursor } } })));
  const { load } = paged;
  const subjects = paged.items.map((a) => subjectOf(a.payload as Record<string, unknown>));
  const customerIds = subjects.flatMap((s) => (s.customerId ? [s.customerId] : []));
  const rmIds = subjects.flatMap((s) => (s.rmId ? [s.rmId] : []));
  const names = useApi(["approvals", "names", customerIds, rmIds], () => namesOf(customerIds, rmIds), subjects.length > 0);

  return (
    <section aria-labelledby="approvals-title">
      <h1 id="approvals-title">{t("approvals.title")}</h1>
      <div className="tabs">
        {(["pending", "approved", "rejected"] as const).map((s) => (
          <button key={s} type="button" aria-pressed={s === status} onClick={() => navigate(`/approvals?status=${s}`)}>
            {t(`approvals.${s}`)}
          </button>
        ))}
      </div>
      {notice && (
        <p className="notice notice-ok" role="status" data-testid="decision-notice">
          {notice.text} {notice.customerId && <Link to={`/customers/${notice.customerId}`}>{t("approvals.customer")} →</Link>}
        </p>
      )}
      <Loaded load={load}>
        {() =>
          paged.items.length === 0 ? (
            <Empty>{status === "pending" ? t("approvals.none") : undefined}</Empty>
          ) : (
            <>
              <ul className="cards" data-testid="approvals">
                {paged.items.map((a) => (
                  <ApprovalCard
                    key={a.id}
                    approval={a}
                    names={names.data ?? new Map()}
                    onDecided={(text) => {
                      const payload = a.payload as Record<string, unknown>;
                      setNotice({ text, customerId: typeof payload.customer_id === "string" ? payload.customer_id : null });
                    }}
                  />
                ))}
              </ul>
              <MoreOf paged={paged} />
            </>
          )
        }
      </Loaded>
    </section>
  );
}

/** The customer and RM a stored command names. */
function subjectOf(payload: Record<string, unknown>): { customerId: string | null; rmId: string | null } {
  const customerId = typeof payload.customer_id === "string" ? payload.customer_id : null;
  const rmId = typeof payload.to_rm_id === "string" ? payload.to_rm_id : typeof payload.rm_id === "string" ? payload.rm_id : null;
  return { customerId, rmId };
}

/** The customer and RM a stored command names, by name (from the page's one bulk read). */
function Subject({ payload, names }: { payload: Record<string, unknown>; names: Map<string, string> }) {
  const { t } = useI18n();
  const { customerId, rmId } = subjectOf(payload);
  return (
    <dl className="facts">
      {customerId && (
        <>
          <dt>{t("approvals.customer")}</dt>
          <dd>
            <Link to={`/customers/${customerId}`}>{names.get(customerId) ?? customerId}</Link>
          </dd>
        </>
      )}
      {rmId && (
        <>
          <dt>{t("approvals.toRm")}</dt>
          <dd>
            <Link to={`/rms/${rmId}`}>{names.get(rmId) ?? rmId}</Link>
          </dd>
        </>
      )}
      {typeof payload.reason === "string" && (
        <>
          <dt>{t("field.reason")}</dt>
          <dd>{payload.reason}</dd>
        </>
      )}
    </dl>
  );
}

function ApprovalCard({ approval: a, names, onDecided }: { approval: Approval; names: Map<string, string>; onDecided: (message: string) => void }) {
  const { t, code, locale } = useI18n();
  const [note, setNote] = useState("");
  const decide = useCommand(async (decision: "approve" | "reject") => {
    const body = { note: note.trim() || undefined };
    const params = { path: { id: a.id } };
    if (decision === "approve") await ok(api.POST("/api/v1/approvals/{id}/approve", { params, body }));
    else await ok(api.POST("/api/v1/approvals/{id}/reject", { params, body }));
    onDecided(t(decision === "approve" ? "approvals.approvedDone" : "approvals.rejectedDone"));
  }, ["approvals", "customers", "assignments", "flags", "users", "policy", "rms"]);
  const noteId = `note-${a.id}`;
  const { roles, user } = useSession();
  // The API decides; this only spares a click that would be refused (M-1: a role, not the maker).
  const mayDecide = roles.some((r) => a.approver_roles.includes(r)) && user?.id !== a.maker_user_id;
  return (
    <li className="card approval" data-approval={a.id}>
      <h2>
        {code(a.command)} <Pill tone="info">{a.rule}</Pill> <Pill tone={a.status === "pending" ? "warning" : a.status === "approved" ? "ok" : "critical"}>{code(a.status)}</Pill>
      </h2>
      <p>{a.reason}</p>
      <Subject payload={a.payload as Record<string, unknown>} names={names} />
      {a.command === "change_policy" && <PolicyChange proposed={(a.payload as { policy?: unknown }).policy} />}
      <p className="muted small">
        <span data-testid="maker">{t("approvals.maker", { maker: a.maker_username })}</span> · {dateTime(a.created_at, locale)} ·{" "}
        {t("approvals.roles", { roles: a.approver_roles.map((r) => code(r)).join(", ") })}
      </p>
      {a.status === "pending" && !mayDecide ? (
        <p className="muted small">{t("approvals.notYours")}</p>
      ) : a.status === "pending" ? (
        <div className="decide">
          <label htmlFor={noteId}>{t("approvals.note")}</label>
          <textarea id={noteId} value={note} maxLength={1000} placeholder={t("approvals.notePlaceholder")} onChange={(e) => setNote(e.target.value)} />
          <div className="buttons">
            <ConfirmButton className="primary" disabled={decide.busy} question={t("approvals.confirmApprove", { command: code(a.command) })} onConfirm={() => void decide.run("approve")}>
              {decide.busy ? t("state.working") : t("approvals.approve")}
            </ConfirmButton>
            <ConfirmButton className="danger" disabled={decide.busy} question={t("approvals.confirmReject", { command: code(a.command) })} onConfirm={() => void decide.run("reject")}>
              {t("approvals.reject")}
            </ConfirmButton>
          </div>
          {decide.error && <ErrorMessage error={decide.error} />}
        </div>
      ) : (
        a.decided_at && <p className="muted small">{t("approvals.decidedBy", { date: dateTime(a.decided_at, locale), note: a.decision_note ?? "—" })}</p>
      )}
    </li>
  );
}
