// The import API of issue 20 as the server is building it. Until openapi/openapi.json describes
// it, its types are declared here; once `npm run api-types` has them, each becomes an alias of the
// generated schema (`export type Import = Schemas["Import"]`) and the calls in ./api.ts move to
// `api.GET` / `api.POST`, nothing else changes.

/** What a file loads, named by the `kind` query parameter. */
export type ImportKind = "org_units" | "rms" | "users" | "customers" | "relations" | "assignments" | "loans" | "complaints" | "metrics";

export const IMPORT_KINDS: readonly ImportKind[] = ["org_units", "rms", "users", "customers", "relations", "assignments", "loans", "complaints", "metrics"];

/** `refused`: the file did not validate and nothing was written; `failed`: the server failed. */
export type ImportStatus = "running" | "succeeded" | "refused" | "failed";

export type ImportPhase = "reading" | "validating" | "writing" | "done";

/** One problem of the file: its line, the field or rule it breaks, and what is wrong. */
export interface ImportError {
  line: number;
  field: string | null;
  rule: string | null;
  message: string;
}

export interface Import {
  id: string;
  kind: string;
  dry_run: boolean;
  file_name: string | null;
  sha256: string;
  status: ImportStatus;
  phase: ImportPhase;
  rows_read: number;
  rows_total: number | null;
  rows_per_second: number;
  inserted: number;
  updated: number;
  unchanged: number;
  /** The first 1000 problems; `errors_total` counts them all. */
  errors: ImportError[];
  errors_total: number;
  created_by: string;
  started_at: string;
  finished_at: string | null;
}

export interface ImportPage {
  items: Import[];
  next_cursor: string | null;
}
