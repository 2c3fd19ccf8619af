// The calls of the import page. Reads go through the typed client; the file goes as the request
// body, as chosen: the browser streams it, so a file of a million rows is never read into the page.
// The typed client cannot send it (it types the body as a string and serializes it as JSON), so
// the start goes through the raw `request` helper, with the same token and the same refusals.

import { api, ok, requestJson } from "../../api/client";
import type { operations } from "../../api/schema";
import type { Import, ImportKind, ImportPage } from "./types";

const MEDIA_TYPES: Record<string, string> = {
  csv: "text/csv",
  xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
  ndjson: "application/x-ndjson",
  jsonl: "application/x-ndjson",
};

/**
 * The media type the API reads the file as, from its name (browsers give CSV and NDJSON files
 * other types, or none). A CSV goes without a charset: the server tells UTF-8 from GBK itself.
 */
export function importMediaType(file: { name: string }): string | null {
  return MEDIA_TYPES[file.name.split(".").pop()?.toLowerCase() ?? ""] ?? null;
}

/** Starts an import (202): a dry run validates and writes nothing; otherwise all or nothing. */
export function startImport(file: File, kind: ImportKind, dryRun: boolean, mediaType: string): Promise<Import> {
  const query: operations["start"]["parameters"]["query"] = { kind, dry_run: dryRun, file_name: file.name };
  return requestJson<Import>("/api/v1/imports", query, { method: "POST", body: file, headers: { "Content-Type": mediaType } });
}

export function readImport(id: string): Promise<Import> {
  return ok(api.GET("/api/v1/imports/{id}", { params: { path: { id } } }));
}

export function listImports(cursor?: string): Promise<ImportPage> {
  return ok(api.GET("/api/v1/imports", { params: { query: { limit: 20, cursor } } }));
}
