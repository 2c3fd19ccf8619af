// A fake of the HTTP API for component tests: handlers by method and path pattern, every call
// recorded. Component tests check what the dashboard sends and how it shows what comes back; the
// real server is exercised by the integration suite and the end-to-end walks.

export interface Call {
  method: string;
  path: string;
  query: URLSearchParams;
  /** The JSON body parsed; any other body (a CSV file) as its text. */
  body: unknown;
  headers: Headers;
}

/** An answer: `body` as JSON, or `raw` as it is (a file) with its `headers`. */
export interface Answer {
  status: number;
  body?: unknown;
  raw?: BodyInit;
  headers?: Record<string, string>;
}

type Handler = (call: Call, params: Record<string, string>) => Answer | Promise<Answer>;

const routes: { method: string; pattern: RegExp; names: string[]; handler: Handler }[] = [];
export const calls: Call[] = [];

/** Answers `method path` (path like `/api/v1/flags/{id}`) with `handler`; later routes win. */
export function route(method: string, path: string, handler: Handler | Answer): void {
  const names: string[] = [];
  const pattern = new RegExp(`^${path.replace(/\{(\w+)\}/g, (_, n: string) => (names.push(n), "([^/]+)"))}$`);
  routes.unshift({ method, pattern, names, handler: typeof handler === "function" ? handler : () => handler });
}

export function resetFakeApi(): void {
  routes.length = 0;
  calls.length = 0;
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export function installFakeApi(): void {
  globalThis.fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = input instanceof Request ? input : new Request(new URL(String(input), "http://localhost"), init);
    const url = new URL(request.url, "http://localhost");
    const text = request.method === "GET" ? "" : await request.text();
    const call: Call = { method: request.method, path: url.pathname, query: url.searchParams, body: text ? parse(text) : undefined, headers: request.headers };
    calls.push(call);
    for (const r of routes) {
      const m = r.method === request.method ? r.pattern.exec(url.pathname) : null;
      if (!m) continue;
      const params = Object.fromEntries(r.names.map((n, i) => [n, decodeURIComponent(m[i + 1])]));
      const answer = await r.handler(call, params);
      if (answer.raw !== undefined) return new Response(answer.raw, { status: answer.status, headers: answer.headers });
      const json = answer.status >= 400 ? "application/problem+json" : "application/json";
      return new Response(answer.body === undefined ? null : JSON.stringify(answer.body), { status: answer.status, headers: { "Content-Type": json } });
    }
    return new Response(JSON.stringify({ code: "not_found", detail: `no fake for ${request.method} ${url.pathname}` }), { status: 404, headers: { "Content-Type": "application/problem+json" } });
  }) as typeof fetch;
}
