// What happens in the bank while a page is open: the server's event stream (GET /events/stream,
// server-sent events) marks stale the cached reads an event may have changed, so every open page
// shows another person's change without a reload. EventSource cannot send the Authorization
// header, so the stream is read with fetch and parsed here; the token never goes into a URL.

import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { request } from "./client";
import { toApiError } from "./problem";
import type { Topic } from "./queries";

/** One event as the SSE format delivers it (the WHATWG "message"). */
export interface SseMessage {
  /** The `event:` field, "message" when there was none. */
  type: string;
  /** The `data:` lines joined by "\n". */
  data: string;
  /** The last `id:` seen, carried over from earlier events (empty when none). */
  lastEventId: string;
}

/**
 * The SSE text format, fed in chunks cut anywhere: lines end in LF, CRLF or CR (a CRLF may be cut
 * between two chunks), `:` starts a comment, several `data:` lines make one multi-line data, and
 * an empty line dispatches the event. A trailing event without its empty line is never dispatched.
 * A leading byte-order mark is the decoder's to drop (TextDecoder does).
 */
export class SseParser {
  /** The server's reconnection time (`retry:`), null until it sends one. */
  retry: number | null = null;
  private pending = "";
  private lastCr = false;
  private data: string[] = [];
  private type = "";
  private id = "";

  push(chunk: string): SseMessage[] {
    let text = chunk;
    if (this.lastCr && text.length > 0) {
      // The CR that ended the previous chunk and this LF are one line end.
      if (text.startsWith("\n")) text = text.slice(1);
      this.lastCr = false;
    }
    const buffer = this.pending + text;
    const out: SseMessage[] = [];
    const ends = /\r\n|\r|\n/g;
    let start = 0;
    for (let m = ends.exec(buffer); m; m = ends.exec(buffer)) {
      this.line(buffer.slice(start, m.index), out);
      start = m.index + m[0].length;
      if (m[0] === "\r" && start === buffer.length) this.lastCr = true;
    }
    this.pending = buffer.slice(start);
    return out;
  }

  private line(line: string, out: SseMessage[]): void {
    if (line === "") {
      if (this.data.length > 0) out.push({ type: this.type || "message", data: this.data.join("\n"), lastEventId: this.id });
      this.data = [];
      this.type = "";
      return;
    }
    if (line.startsWith(":")) return;
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    switch (field) {
      case "event":
        this.type = value;
        break;
      case "data":
        this.data.push(value);
        break;
      case "id":
        if (!value.includes("\0")) this.id = value;
        break;
      case "retry":
        if (/^\d+$/.test(value)) this.retry = Number(value);
        break;
    }
  }
}

/**
 * Reads an SSE body to its end (or until `signal` aborts), handing over each event; bytes may be
 * cut inside a character. `onChunk` hears every chunk, keep-alives included.
 */
export async function readMessages(
  body: ReadableStream<Uint8Array>,
  onMessage: (message: SseMessage) => void,
  { signal, onChunk }: { signal?: AbortSignal; onChunk?: () => void } = {},
): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const parser = new SseParser();
  // Cancelling ends a pending read, whatever the fetch does with its own signal.
  const cancel = () => void reader.cancel().catch(() => undefined);
  signal?.addEventListener("abort", cancel, { once: true });
  try {
    while (!signal?.aborted) {
      const { done, value } = await reader.read();
      if (done || signal?.aborted) break;
      onChunk?.();
      parser.push(decoder.decode(value, { stream: true })).forEach(onMessage);
    }
  } finally {
    signal?.removeEventListener("abort", cancel);
    await reader.cancel().catch(() => undefined);
  }
}

/** The bank's event types (the `event:` field and the JSON's `type`). */
export const EVENT_TYPES = [
  "flag.raised",
  "flag.acknowledged",
  "flag.resolved",
  "approval.requested",
  "approval.decided",
  "assignment.started",
  "assignment.ended",
  "handover.proposed",
  "handover.confirmed",
  "field_check.submitted",
  "field_check.confirmed",
  "required_check.created",
  "required_check.due",
  "required_check.overdue",
  "required_check.closed",
  "evaluation.completed",
  "rm.status_changed",
  "exit_case.proposed",
  "exit_case.decided",
  "exit_case.closed",
  "job.failed",
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

/** The event as JSON (the `data:` of a message): the same body a webhook receives. */
export interface BankEvent {
  id: string;
  sequence: number;
  type: string;
  occurred_at: string;
  entity: string;
  entity_id: string;
  org_path: string;
  data: Record<string, unknown>;
}

// Each event marks stale what shows it: its own pages, "waiting for me" where it adds or removes
// work, and the overview where it moves a count (open flags, checks due, pending approvals, open
// cases) or a portfolio of the heat map. A command an approval applies publishes its own events,
// except a policy change and a grant of roles, which only `approval.decided` tells.
// A flag moves a customer into or out of the queues as well (as FLAG_TOPICS of risk/forms.tsx says).
const FLAG: Topic[] = ["flags", "customers", "rms", "queues", "waiting", "overview"];
const APPROVAL: Topic[] = ["approvals", "waiting", "overview"];
const ASSIGNMENT: Topic[] = ["assignments", "customers", "rms", "queues", "rebalancing", "overview"];
const HANDOVER: Topic[] = ["handovers", "exit-cases", "waiting"];
const FIELD_CHECK: Topic[] = ["field-checks", "required-checks", "waiting"];
const REQUIRED_CHECK: Topic[] = ["required-checks", "field-checks", "waiting", "overview"];
const EXIT_CASE: Topic[] = ["exit-cases", "handovers", "rms", "waiting", "overview"];

export const EVENT_TOPICS: Record<EventType, readonly Topic[]> = {
  "flag.raised": FLAG,
  "flag.acknowledged": FLAG,
  "flag.resolved": FLAG,
  "approval.requested": APPROVAL,
  "approval.decided": [...APPROVAL, "policy", "users"],
  "assignment.started": ASSIGNMENT,
  "assignment.ended": ASSIGNMENT,
  "handover.proposed": HANDOVER,
  "handover.confirmed": HANDOVER,
  "field_check.submitted": FIELD_CHECK,
  "field_check.confirmed": FIELD_CHECK,
  "required_check.created": REQUIRED_CHECK,
  "required_check.due": REQUIRED_CHECK,
  "required_check.overdue": REQUIRED_CHECK,
  "required_check.closed": REQUIRED_CHECK,
  "evaluation.completed": ["evaluations", "overview"],
  "rm.status_changed": ["rms"],
  "exit_case.proposed": EXIT_CASE,
  "exit_case.decided": EXIT_CASE,
  "exit_case.closed": EXIT_CASE,
  "job.failed": ["jobs"],
};

/** The topics an event marks stale; none for a type this dashboard does not know (yet). */
export function topicsOf(type: string): readonly Topic[] {
  return Object.hasOwn(EVENT_TOPICS, type) ? EVENT_TOPICS[type as EventType] : [];
}

/** An event's type: its `event:` field, else the JSON's `type`. */
export function typeOf(message: SseMessage): string {
  if (message.type !== "message") return message.type;
  try {
    const event = JSON.parse(message.data) as Partial<BankEvent>;
    return typeof event.type === "string" ? event.type : "";
  } catch {
    return "";
  }
}

/** The wait before reconnecting after `failures` failed attempts in a row: 1 s, 2 s, 4 s … at most 30 s. */
export function reconnectDelay(failures: number): number {
  return Math.min(30_000, 1000 * 2 ** Math.min(failures, 15));
}

/** A connection that delivered an event or stayed open this long was fine: the delays start over. */
const HEALTHY_MS = 30_000;
/**
 * The server writes a keep-alive every 15 s: a connection silent for longer than three of them is
 * taken for dead (a dropped network often leaves a connection that neither ends nor fails).
 */
const SILENT_MS = 45_000;

export type LiveState = "connecting" | "live" | "reconnecting";

export interface Follow {
  signal: AbortSignal;
  onMessage: (message: SseMessage) => void;
  onState: (state: LiveState) => void;
  /** Connected again without knowing where the last connection stopped: anything may have changed. */
  onGap: () => void;
  /** Waits between attempts; tests pass their own. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  now?: () => number;
  /** How long a silent connection is trusted. */
  silentMs?: number;
}

function sleeping(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => (clearTimeout(timer), resolve()), { once: true });
  });
}

const STREAM = "/api/v1/events/stream";

/**
 * Follows the stream until `signal` aborts or the session ends (401: `request` signs out; asking
 * again would only be refused again). When the stream ends, fails or falls silent it reconnects
 * after growing delays, resuming after the last event seen (`Last-Event-ID`).
 */
export async function follow({ signal, onMessage, onState, onGap, sleep = sleeping, now = Date.now, silentMs = SILENT_MS }: Follow): Promise<void> {
  let lastEventId = "";
  let failures = 0;
  let connectedBefore = false;
  onState("connecting");
  while (!signal.aborted) {
    let opened: number | null = null;
    let heard = false;
    const connection = new AbortController();
    const hangUp = () => connection.abort();
    signal.addEventListener("abort", hangUp, { once: true });
    let silence: ReturnType<typeof setTimeout> | undefined;
    const alive = () => {
      clearTimeout(silence);
      silence = setTimeout(hangUp, silentMs);
    };
    try {
      alive();
      const headers = { Accept: "text/event-stream", ...(lastEventId ? { "Last-Event-ID": lastEventId } : {}) };
      const response = await request(STREAM, {}, { headers, signal: connection.signal, cache: "no-store" });
      if (!response.body || !(response.headers.get("Content-Type") ?? "").startsWith("text/event-stream")) {
        await response.body?.cancel();
        throw new Error(`not an event stream: ${response.headers.get("Content-Type")}`);
      }
      opened = now();
      onState("live");
      if (connectedBefore && !lastEventId) onGap();
      connectedBefore = true;
      const onEvent = (message: SseMessage) => {
        heard = true;
        lastEventId = message.lastEventId;
        onMessage(message);
      };
      await readMessages(response.body, onEvent, { signal: connection.signal, onChunk: alive });
    } catch (e) {
      if (signal.aborted) return;
      const status = toApiError(e).status;
      if (status === 401) return;
      // A position the server does not know: start from now, and read everything again.
      if (status === 422) lastEventId = "";
    } finally {
      clearTimeout(silence);
      signal.removeEventListener("abort", hangUp);
    }
    if (signal.aborted) return;
    if (heard || (opened !== null && now() - opened >= HEALTHY_MS)) failures = 0;
    onState("reconnecting");
    await sleep(reconnectDelay(failures++), signal);
  }
}

/** Every topic an event marks stale: what a gap in the stream may have changed. */
const ALL_TOPICS: Topic[] = [...new Set(Object.values(EVENT_TOPICS).flat())];

/** Events arriving close together are applied together: one read again per topic, not one per event. */
const BATCH_MS = 200;

/**
 * Follows the stream for the signed-in user (none without one) and marks stale what each event
 * may have changed. Answers the connection's state for the live indicator.
 */
export function useEventStream(userId: string | null): LiveState | null {
  const client = useQueryClient();
  const [state, setState] = useState<LiveState>("connecting");
  useEffect(() => {
    if (!userId) return;
    const abort = new AbortController();
    const stale = new Set<Topic>();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const mark = (topics: Iterable<Topic>) => {
      for (const topic of topics) stale.add(topic);
      timer ??= setTimeout(() => {
        timer = undefined;
        const topics = [...stale];
        stale.clear();
        for (const topic of topics) void client.invalidateQueries({ queryKey: [topic] });
      }, BATCH_MS);
    };
    void follow({
      signal: abort.signal,
      onMessage: (message) => mark(topicsOf(typeOf(message))),
      onState: setState,
      onGap: () => mark(ALL_TOPICS),
    });
    return () => {
      abort.abort();
      clearTimeout(timer);
    };
  }, [userId, client]);
  return userId ? state : null;
}
