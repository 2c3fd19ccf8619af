// The reads the manager's pages share: RMs and org units of the caller's scope, the policy, and
// the names of customers that the queues and proposals name only by id. Each is one cached query,
// so the picker, the queue and the proposal read the same list once.

import { api, ok, type Schemas } from "../../api/client";
import { useApi, usePagedApi } from "../../api/queries";
import { useQueries } from "@tanstack/react-query";

type Rm = Schemas["Rm"];
type Line = Schemas["Line"];
type Grade = Schemas["Grade"];

/** Active RMs of the caller's scope, filtered as `GET /rms` allows (line, grade). */
export function useActiveRms(line: Line | "" = "", grade: Grade | "" = "") {
  return usePagedApi<Rm>(["rms", "/api/v1/rms", "active", line, grade], (cursor) =>
    ok(api.GET("/api/v1/rms", { params: { query: { status: "active", line: line || undefined, grade: grade || undefined, limit: 500, cursor } } })),
  );
}

/** The org units of the caller's scope (one page of up to 500: a branch has a few dozen). */
export function useOrgUnits() {
  return useApi(["org-units", "/api/v1/org-units", "scope"], async () => {
    const page = await ok(api.GET("/api/v1/org-units", { params: { query: { limit: 500 } } }));
    return page.items;
  });
}

/** The policy in force: the numbers the forms quote (caps, shares, validity, term). */
export function usePolicy() {
  return useApi(["policy", "/api/v1/policy"], () => ok(api.GET("/api/v1/policy")));
}

/** Names by id of the RMs and units loaded so far. */
export function namesOf(items: readonly { id: string; name: string }[] | undefined): Map<string, string> {
  return new Map((items ?? []).map((i) => [i.id, i.name]));
}

/**
 * Names of these customers, for lists that name customers by id only (rebalancing moves, re-match
 * proposals): one bulk read per 100 ids (`GET /customers?ids=`), never one per row.
 */
export function useCustomerNames(ids: readonly string[]): Map<string, string> {
  const distinct = [...new Set(ids)].sort();
  const chunks: string[][] = [];
  for (let i = 0; i < distinct.length; i += 100) chunks.push(distinct.slice(i, i + 100));
  const pages = useQueries({
    queries: chunks.map((chunk) => ({
      queryKey: ["customers", "/api/v1/customers", "ids", chunk.join(",")],
      queryFn: () => ok(api.GET("/api/v1/customers", { params: { query: { ids: chunk.join(","), limit: 100 } } })),
    })),
  });
  const names = new Map<string, string>();
  for (const page of pages) for (const c of page.data?.items ?? []) names.set(c.id, c.name);
  return names;
}

/** Which RM lines serve a kind of customer. */
export function linesFor(kind: Schemas["CustomerKind"] | undefined): Line[] {
  if (kind === "retail") return ["retail"];
  if (kind) return ["corporate", "sme"];
  return ["corporate", "sme", "retail"];
}

export const GRADES: Grade[] = ["assistant", "rm", "senior", "principal", "general_manager", "director"];
export const LINES: Line[] = ["corporate", "sme", "retail"];
