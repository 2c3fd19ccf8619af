// The dashboard's data layer: every read is a cached query keyed by what it reads, every write a
// command that, once it succeeds, marks stale the reads it could have changed. Pages never hold
// their own copy of the bank: two pages showing one flag show the same flag.

import { QueryClient, useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useCallback } from "react";
import { toApiError, type ApiError } from "./problem";
import type { Load } from "../state";

/** What a query reads, first element of its key; a command names the ones it changes. */
export type Topic =
  | "overview"
  | "waiting"
  | "customers"
  | "rms"
  | "flags"
  | "approvals"
  | "assignments"
  | "field-checks"
  | "required-checks"
  | "queues"
  | "exit-cases"
  | "handovers"
  | "rebalancing"
  | "evaluations"
  | "performance"
  | "policy"
  | "audit"
  | "jobs"
  | "org-units"
  | "users"
  | "imports";

export type Key = readonly [Topic, ...unknown[]];

export function newQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        staleTime: 20_000,
        refetchOnWindowFocus: false,
        // A refusal or a missing record does not change by asking again; an outage may.
        retry: (failures, error) => failures < 2 && [0, 502, 503, 504].includes(toApiError(error).status),
      },
    },
  });
}

/**
 * A read, in the shape `Loaded` shows: loading, ready, or the error (with what was shown kept).
 * `refreshEveryMs` may depend on what was read (poll a run while it runs, then stop).
 */
export function useApi<T>(key: Key, read: () => Promise<T>, enabled = true, refreshEveryMs?: number | ((data: T | undefined) => number | undefined)): Load<T> & { reload: () => void } {
  const q = useQuery<T, ApiError>({
    queryKey: key,
    queryFn: () => read().catch((e) => Promise.reject(toApiError(e))),
    enabled,
    refetchInterval: typeof refreshEveryMs === "function" ? (query) => refreshEveryMs(query.state.data) ?? false : refreshEveryMs,
  });
  const reload = useCallback(() => void q.refetch(), [q]);
  if (q.error) return { status: "error", error: q.error, data: q.data, reload };
  // A refresh in the background (after an action, on a timer) keeps what is shown, without a spinner.
  if (q.data !== undefined) return { status: "ready", data: q.data, reload };
  return { status: "loading", data: q.data, reload };
}

interface Page<T> {
  items: T[];
  next_cursor?: string | null;
}

/** A cursor-paged list: pages appended in order; the error of "load more" is kept to be shown. */
export function usePagedApi<T>(key: Key, readPage: (cursor?: string) => Promise<Page<T>>) {
  const q = useInfiniteQuery<Page<T>, ApiError>({
    queryKey: key,
    queryFn: ({ pageParam }) => readPage(pageParam as string | undefined).catch((e) => Promise.reject(toApiError(e))),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });
  const items = q.data?.pages.flatMap((p) => p.items);
  const load: Load<T[]> & { reload: () => void } =
    q.error && !q.isFetchNextPageError
      ? { status: "error", error: q.error, data: items, reload: () => void q.refetch() }
      : items !== undefined
        ? { status: "ready", data: items, reload: () => void q.refetch() }
        : { status: "loading", data: items, reload: () => void q.refetch() };
  return {
    load,
    items: items ?? [],
    hasMore: q.hasNextPage,
    more: () => void q.fetchNextPage(),
    loadingMore: q.isFetchingNextPage,
    moreError: q.isFetchNextPageError ? q.error : null,
  };
}

export type Paged<T> = ReturnType<typeof usePagedApi<T>>;

/**
 * A command: runs `act`; on success marks stale the topics it changes, and with them "waiting for
 * me" and the overview, which count nearly everything. An action that only reads (verifying the
 * chain, downloading an export) names no topic. The error stays for the form to show.
 */
export function useCommand<A = void, R = unknown>(act: (args: A) => Promise<R>, changes: Topic[]) {
  const client = useQueryClient();
  const m = useMutation<R, ApiError, A>({
    mutationFn: (args) => act(args).catch((e) => Promise.reject(toApiError(e))),
    onSuccess: () => {
      const stale = changes.length ? new Set<Topic>([...changes, "waiting", "overview"]) : new Set<Topic>();
      return Promise.all([...stale].map((topic) => client.invalidateQueries({ queryKey: [topic] })));
    },
  });
  const { mutateAsync } = m;
  const run = useCallback(
    (...args: A extends void ? [] : [A]): Promise<R | undefined> => mutateAsync(args[0] as A).then((r) => r, () => undefined),
    [mutateAsync],
  );
  return { run, busy: m.isPending, error: m.error, result: m.data, clear: m.reset };
}
