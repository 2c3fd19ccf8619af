// The one paged table of the dashboard: a cursor-paged query, its columns, "load more" with its
// own error, and the empty state.

import type { ReactNode } from "react";
import type { Paged } from "../api/queries";
import { useI18n } from "../i18n";
import { Empty, ErrorMessage, Loaded } from "./status";

export interface Column<T> {
  header: string;
  cell: (item: T) => ReactNode;
  /** Right-aligned (amounts, counts). */
  numeric?: boolean;
}

export function PagedTable<T>({ paged, columns, rowKey, rowClass, empty, testId, caption }: {
  paged: Paged<T>;
  columns: Column<T>[];
  rowKey: (item: T) => string;
  /** A row that needs attention (a failed run, an overdue check). */
  rowClass?: (item: T) => string | undefined;
  empty?: string;
  testId?: string;
  caption?: string;
}) {
  return (
    <Loaded load={paged.load}>
      {(items) =>
        items.length === 0 ? (
          <Empty>{empty}</Empty>
        ) : (
          <>
            <div className="table-wrap">
              <table data-testid={testId}>
                {caption && <caption className="visually-hidden">{caption}</caption>}
                <thead>
                  <tr>
                    {columns.map((c) => (
                      <th key={c.header} scope="col" className={c.numeric ? "num" : undefined}>
                        {c.header}
                      </th>
                    ))}
                  </tr>
                </thead>
                <tbody>
                  {items.map((item) => (
                    <tr key={rowKey(item)} className={rowClass?.(item)}>
                      {columns.map((c) => (
                        <td key={c.header} className={c.numeric ? "num" : undefined}>
                          {c.cell(item)}
                        </td>
                      ))}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <MoreOf paged={paged} />
          </>
        )
      }
    </Loaded>
  );
}

/** "Load more" for any paged query, with the error of the last try shown, never swallowed. */
export function MoreOf<T>({ paged }: { paged: Paged<T> }) {
  const { t } = useI18n();
  if (!paged.hasMore && !paged.moreError) return null;
  return (
    <div className="more">
      {paged.moreError && <ErrorMessage error={paged.moreError} />}
      {paged.hasMore && (
        <button type="button" disabled={paged.loadingMore} aria-busy={paged.loadingMore} onClick={paged.more}>
          {paged.loadingMore ? t("state.loading") : paged.moreError ? t("state.retry") : t("state.more")}
        </button>
      )}
    </div>
  );
}
