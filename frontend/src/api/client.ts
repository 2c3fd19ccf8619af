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

const origin = typeof location === "undefined" ? "http://localhost" : location.origin;

/** Query parameters; an empty, null or undefined one is left out. */
export type Query = Record<string, string | number | boolean | null | undefined>;

/**
 * A call the typed client cannot make (a file as the body, a file as the answer): the same token,
 * the same sign-out on 401, and a refusal thrown as its ApiError.
 */
export async function request(path: string, query: Query = {}, init: RequestInit = {}): Promise<Response> {
  const url = new URL(path, origin);
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== "") url.searchParams.set(name, String(value));
  }
  const headers = new Headers(init.headers);
  if (token) headers.set("Authorization", `Bearer ${token}`);
  let response: Response;
  try {
    response = await fetch(url, { ...init, headers });
  } catch (e) {
    throw new ApiError(0, { detail: e instanceof Error ? e.message : String(e) });
  }
  if (response.status === 401 && token) {
    setToken(null);
    onSignedOut();
  }
  if (!response.ok) {
    const text = await response.text().catch(() => "");
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = text ? { detail: text } : null;
    }
    throw new ApiError(response.status, body);
  }
  return response;
}

/** The JSON answer of `request`. */
export async function requestJson<T>(path: string, query?: Query, init?: RequestInit): Promise<T> {
  return (await request(path, query, init)).json() as Promise<T>;
}

/**
 * The file name a `Content-Disposition: attachment` header gives: the RFC 5987 `filename*` first
 * (a Chinese name arrives that way), else the plain `filename`; no directory part is kept.
 */
export function attachmentName(header: string | null): string | null {
  if (!header) return null;
  let name: string | null = null;
  const encoded = /filename\*\s*=\s*([\w-]*)'[^']*'([^;]+)/i.exec(header);
  if (encoded) {
    try {
      name = decodeURIComponent(encoded[2].trim().replace(/^"|"$/g, ""));
    } catch {
      name = null;
    }
  }
  if (name === null) {
    const plain = /filename\s*=\s*(?:"((?:\\.|[^"\\])*)"|([^;]+))/i.exec(header);
    if (plain) name = plain[1] !== undefined ? plain[1].replace(/\\(.)/g, "$1") : plain[2].trim();
  }
  const base = name?.split(/[\\/]/).pop()?.trim();
  return base ? base : null;
}

/** A file the API answers with (a download): its bytes and the name the server gives it. */
export async function fetchFile(path: string, query: Query): Promise<{ blob: Blob; fileName: string | null }> {
  const response = await request(path, query);
  return { blob: await response.blob(), fileName: attachmentName(response.headers.get("Content-Disposition")) };
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
