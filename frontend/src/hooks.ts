import { useCallback, useEffect, useReducer, useRef, useState } from "react";
import { toApiError, type ApiError } from "./api/problem";
import { appendPage, loadReducer, type Load, type LoadAction, type Paged } from "./state";

/** Loads data for a page; runs again when `deps` change; `reload` for a retry or after an action. */
export function useLoad<T>(fetcher: () => Promise<T>, deps: unknown[]): Load<T> & { reload: () => void } {
  const [state, dispatch] = useReducer(loadReducer<T>, { status: "loading" } as Load<T>) as [Load<T>, (a: LoadAction<T>) => void];
  const [tick, setTick] = useState(0);
  const latest = useRef(0);
  useEffect(() => {
    const run = ++latest.current;
    dispatch({ type: "start" });
    fetcher().then(
      (data) => run === latest.current && dispatch({ type: "done", data }),
      (e) => run === latest.current && dispatch({ type: "fail", error: toApiError(e) }),
    );
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((n) => n + 1), []);
  return { ...state, reload };
}

/** A long action (approve, export ...): busy while it runs, its error kept for the page to show. */
export function useAction<A extends unknown[], R>(action: (...args: A) => Promise<R>) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const run = useCallback(
    async (...args: A): Promise<R | undefined> => {
      setBusy(true);
      setError(null);
      try {
        return await action(...args);
      } catch (e) {
        setError(toApiError(e));
        return undefined;
      } finally {
        setBusy(false);
      }
    },
    [action],
  );
  return { run, busy, error, clearError: () => setError(null) };
}

/** A cursor-paged list: the first page loads when `deps` change, `more` appends the next one. */
export function usePaged<T>(fetchPage: (cursor?: string) => Promise<{ items: T[]; next_cursor?: string | null }>, deps: unknown[]) {
  const [pages, setPages] = useState<Paged<T> | null>(null);
  const load = useLoad(async () => {
    const first = appendPage<T>(null, await fetchPage());
    setPages(first);
    return first;
  }, deps);
  const more = async () => {
    if (pages?.next) setPages(appendPage(pages, await fetchPage(pages.next)));
  };
  return { load, pages, more };
}
