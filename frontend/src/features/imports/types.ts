// The types of the import API (issue 20), as generated from openapi/openapi.json by
// `npm run api-types`: each is an alias of its schema, so a change to the API breaks the build.

import type { components } from "../../api/schema";

type Schemas = components["schemas"];

/** What a file loads, named by the `kind` query parameter. */
export type ImportKind = Schemas["Kind"];

/** Every kind, in the order the form offers them (the check below fails the build if one is missing). */
export const IMPORT_KINDS = ["org_units", "rms", "users", "customers", "relations", "assignments", "loans", "complaints", "metrics"] as const satisfies readonly ImportKind[];

type MissingKind = Exclude<ImportKind, (typeof IMPORT_KINDS)[number]>;
const allKindsListed: [MissingKind] extends [never] ? true : MissingKind = true;
void allKindsListed;

/** `refused`: the file did not validate and nothing was written; `failed`: the server failed. */
export type ImportStatus = Schemas["Status"];

export type ImportPhase = Schemas["Phase"];

/** One problem of the file: its line, the field or rule it breaks (either may be absent), and what is wrong. */
export type ImportError = Schemas["RowError"];

/**
 * An import and its report. `file_name`, `rows_total` and `finished_at` are optional and nullable:
 * the page treats absent and `null` alike. `errors` holds the first 1,000 problems; `errors_total`
 * counts them all.
 */
export type Import = Schemas["Import"];

export type ImportPage = Schemas["Page_Import"];
