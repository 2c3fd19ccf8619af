// Handover plans in the reader's part of the bank: the ones waiting to be reviewed and
// confirmed first, each opening its plan. One read per page (GET /handovers), names included.

import { api, ok } from "../../api/client";
import { usePagedApi } from "../../api/queries";
import { PagedTable } from "../../components/PagedTable";
import { Pill } from "../../components/status";
import { count, dateTime } from "../../format";
import { useI18n } from "../../i18n";
import type { MessageKey } from "../../messages";
import { Link, navigate, useLocation } from "../../router";

const STATUSES = ["proposed", "confirmed", "withdrawn"] as const;
type Status = (typeof STATUSES)[number];

export function Handovers() {
  const { t, locale } = useI18n();
  const { query } = useLocation();
  const status = (STATUSES as readonly string[]).includes(query.get("status") ?? "") ? (query.get("status") as Status) : "proposed";
  const paged = usePagedApi(["handovers", "list", status], (cursor) => ok(api.GET("/api/v1/handovers", { params: { query: { status, limit: 50, cursor } } })));
  return (
    <section aria-labelledby="handovers-title">
      <h1 id="handovers-title">{t("committee.handovers.title")}</h1>
      <p className="muted">{t("committee.handovers.hint")}</p>
      <div className="tabs">
        {STATUSES.map((s) => (
          <button key={s} type="button" aria-pressed={s === status} onClick={() => navigate(`/handovers?status=${s}`)}>
            {t(`committee.handoverStatus.${s}` as MessageKey)}
          </button>
        ))}
      </div>
      <PagedTable
        paged={paged}
        testId="handovers"
        empty={t("committee.handovers.none")}
        rowKey={(h) => h.id}
        columns={[
          { header: t("committee.handovers.from"), cell: (h) => <Link to={`/handovers/${h.id}`}>{h.from_rm_name ?? h.from_rm_id}</Link> },
          { header: t("committee.handovers.moves"), cell: (h) => count(h.moves, locale), numeric: true },
          { header: t("committee.handovers.reason"), cell: (h) => h.reason },
          { header: t("committee.handovers.created"), cell: (h) => `${dateTime(h.created_at, locale)} · ${h.created_by}` },
          { header: t("committee.handovers.status"), cell: (h) => <Pill tone={h.status === "proposed" ? "warning" : h.status === "confirmed" ? "ok" : "muted"}>{t(`committee.handoverStatus.${h.status}` as MessageKey)}</Pill> },
        ]}
      />
    </section>
  );
}
