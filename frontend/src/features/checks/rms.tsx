// RMs by name for pages whose lists name them by id only (field checks): read in bulk, never one
// read per row: the RMs of the caller's scope for a picker, or the RMs of a page by their ids.

import { api, ok, type Schemas } from "../../api/client";
import { useApi } from "../../api/queries";
import { useI18n } from "../../i18n";
import { Link } from "../../router";

type Rm = Schemas["Rm"];

export interface RmsInScope {
  list: Rm[];
  byId: Map<string, Rm>;
}

/** Up to 500 RMs of the caller's scope (a team or a branch holds fewer; a larger scope shows ids). */
export function useRmsInScope() {
  return useApi<RmsInScope>(["rms", "in-scope"], async () => {
    const page = await ok(api.GET("/api/v1/rms", { params: { query: { limit: 500 } } }));
    return { list: page.items, byId: new Map(page.items.map((r) => [r.id, r])) };
  });
}

/** An RM by name, linked to its page; a short record id when the name is outside the reader's scope. */
export function RmName({ id, name }: { id: string | null | undefined; name: string | null | undefined }) {
  const { t } = useI18n();
  if (!id) return <>—</>;
  return <Link to={`/rms/${id}`}>{name ?? t("checks.rmRecord", { id: id.slice(-6) })}</Link>;
}
