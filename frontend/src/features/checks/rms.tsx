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

/** The RMs these ids name, in reads of up to 100 ids (GET /rms?ids=), the ids sorted for the cache. */
export function useRmsByIds(ids: readonly (string | null | undefined)[]) {
  const wanted = [...new Set(ids.filter((id): id is string => !!id))].sort();
  return useApi<RmsInScope>(
    ["rms", "by-ids", wanted],
    async () => {
      const chunks = Array.from({ length: Math.ceil(wanted.length / 100) }, (_, i) => wanted.slice(i * 100, i * 100 + 100).join(","));
      const pages = await Promise.all(chunks.map((chunk) => ok(api.GET("/api/v1/rms", { params: { query: { ids: chunk, limit: 100 } } }))));
      const list = pages.flatMap((p) => p.items);
      return { list, byId: new Map(list.map((r) => [r.id, r])) };
    },
    wanted.length > 0,
  );
}

/** An RM by name, linked to its page; its id when outside the list read. */
export function RmName({ id, rms }: { id: string | null | undefined; rms: RmsInScope | undefined }) {
  const { t } = useI18n();
  if (!id) return <>—</>;
  const name = rms?.byId.get(id)?.name;
  return <Link to={`/rms/${id}`}>{name ?? t("checks.rmRecord", { id: id.slice(-6) })}</Link>;
}
