// The API's problem+json errors, as the dashboard shows them.

export interface FieldProblem {
  field: string;
  message: string;
}

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly rule: string | null;
  readonly errors: FieldProblem[];
  readonly requestId: string | null;

  constructor(status: number, body: unknown) {
    const p = (body ?? {}) as Record<string, unknown>;
    const detail = typeof p.detail === "string" ? p.detail : typeof p.title === "string" ? p.title : `HTTP ${status}`;
    super(detail);
    this.status = status;
    this.code = typeof p.code === "string" ? p.code : status === 0 ? "network" : "http_error";
    this.rule = typeof p.rule === "string" ? p.rule : null;
    this.errors = Array.isArray(p.errors) ? (p.errors as FieldProblem[]) : [];
    this.requestId = typeof p.request_id === "string" ? p.request_id : null;
  }
}

/** What the user can do about an error: the page shows a matching message. */
export type ErrorKind = "signed_out" | "forbidden" | "not_found" | "refused" | "conflict" | "unavailable";

export function errorKind(e: ApiError): ErrorKind {
  if (e.status === 401) return "signed_out";
  if (e.status === 403) return "forbidden";
  if (e.status === 404) return "not_found";
  if (e.status === 409 || e.status === 412) return "conflict";
  if (e.status === 422 || e.status === 400 || e.status === 413) return "refused";
  return "unavailable";
}

export function toApiError(e: unknown): ApiError {
  if (e instanceof ApiError) return e;
  return new ApiError(0, { detail: e instanceof Error ? e.message : String(e) });
}
