// The typed API client: every path, parameter and body comes from openapi/openapi.json, so a
// change to the API breaks `npm run build` rather than the dashboard in a risk officer's hands.

import createClient from "openapi-fetch";
import type { components, paths } from "./schema";
import { ApiError } from "./problem";

export type Schemas = components["schemas"];

const TOKEN_KEY = "rmdesk.token";

let token: string | null = sessionStorage.getItem(TOKEN_KEY);
let onSignedOut: () => void = () => {};

export function setToken(value: string | null): void {
  token = value;
  if (value) sessionStorage.setItem(TOKEN_KEY, value);
  else sessionStorage.removeItem(TOKEN_KEY);
}

export function currentToken(): string | null {
  return token;
}

/** Called when the API answers 401 to a signed-in request (expired or revoked token). */
export function whenSignedOut(handler: () => void): void {
  onSignedOut = handler;
}

// Absolute against this origin (a relative URL cannot make a Request outside a browser).
export const api = createClient<paths>({ baseUrl: typeof location === "undefined" ? "" : location.origin });

api.use({
  onRequest({ request }) {
    if (token) request.headers.set("Authorization", `Bearer ${token}`);
    return request;
  },
  onResponse({ response }) {
    if (response.status === 401 && token) {
      setToken(null);
      onSignedOut();
    }
    return response;
  },
});

/** The data of an answer, or the problem it carries as an ApiError. */
export async function ok<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  let answer: { data?: T; error?: unknown; response: Response };
  try {
    answer = await call;
  } catch (e) {
    throw new ApiError(0, { detail: e instanceof Error ? e.message : String(e) });
  }
  if (answer.error !== undefined || !answer.response.ok) {
    throw new ApiError(answer.response.status, answer.error);
  }
  return answer.data as T;
}

/**
 * A command's answer with its status: 202 means the change waits for a second person's approval
 * (M-1), 201/200 that it is done. The page says which.
 */
export async function answered<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<{ status: number; data: T; waiting: boolean }> {
  let status = 0;
  const data = await ok(
    call.then((a) => {
      status = a.response.status;
      return a;
    }),
  );
  return { status, data, waiting: status === 202 };
}

/** An export: the raw text to save and its manifest. */
export async function fetchExport(dataset: string, query: Record<string, string>): Promise<{ text: string; manifest: Schemas["Manifest"]; count: number }> {
  const params = new URLSearchParams({ format: "json", ...query });
  const response = await fetch(`/api/v1/exports/${encodeURIComponent(dataset)}?${params}`, {
    headers: token ? { Authorization: `Bearer ${token}` } : {},
  });
  const text = await response.text();
  if (!response.ok) {
    let body: unknown = null;
    try {
      body = JSON.parse(text);
    } catch {
      body = { detail: text };
    }
    throw new ApiError(response.status, body);
  }
  const parsed = JSON.parse(text) as { items: unknown[]; manifest: Schemas["Manifest"] };
  return { text, manifest: parsed.manifest, count: parsed.items.length };
}
