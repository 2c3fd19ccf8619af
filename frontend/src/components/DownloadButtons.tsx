// A working list as a spreadsheet: XLSX or CSV of what the list shows (the same filters, the
// server's scope and masking), headers in the dashboard's language. The download needs the
// token, so it is fetched and saved from the page rather than linked.

import { fetchFile, type Query } from "../api/client";
import { useCommand } from "../api/queries";
import { useI18n } from "../i18n";
import { ErrorMessage } from "./status";

/** The lists the API offers as files (`GET /api/v1/downloads/{list}`). */
export type DownloadList = "flags" | "rms" | "required-checks" | "scores" | "exit-cases" | "due-list";

const FORMATS = ["xlsx", "csv"] as const;
type Format = (typeof FORMATS)[number];

/** Saves a file the page holds under `name`, as a click on a link to it would. */
export function saveFile(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** `filters`: the query the list itself is read with, without its paging (`limit`, `cursor`). */
export function DownloadButtons({ list, filters = {} }: { list: DownloadList; filters?: Query }) {
  const { t, lang } = useI18n();
  const save = useCommand(async (format: Format) => {
    const file = await fetchFile(`/api/v1/downloads/${list}`, { ...filters, format, lang: lang === "zh-CN" ? "zh" : "en" });
    saveFile(file.blob, file.fileName ?? `rmdesk-${list}.${format}`);
  }, []);
  return (
    <div className="downloads" data-testid={`download-${list}`}>
      <div className="buttons" role="group" aria-label={t("download.label")}>
        {FORMATS.map((format) => (
          <button key={format} type="button" disabled={save.busy} aria-busy={save.busy} onClick={() => void save.run(format)} aria-label={t("download.as", { format: format.toUpperCase() })}>
            {format.toUpperCase()}
          </button>
        ))}
      </div>
      {save.error && <ErrorMessage error={save.error} />}
    </div>
  );
}
