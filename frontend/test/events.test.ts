// @vitest-environment jsdom
// The event stream's reading: the SSE parser on text cut anywhere, which topics each event marks
// stale, and the connection loop (header, resume, growing delays, stop on 401) against the fake API.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { EVENT_TOPICS, EVENT_TYPES, follow, readMessages, reconnectDelay, SseParser, topicsOf, typeOf, type LiveState, type SseMessage } from "../src/api/events";
import { currentToken, setToken, whenSignedOut } from "../src/api/client";
import { calls, resetFakeApi, route, type Answer } from "./fake-api";

beforeEach(resetFakeApi);
afterEach(() => setToken(null));

const event = (seq: number, type: string, extra = "") =>
  `id: ${seq}\nevent: ${type}\ndata: {"id":"e-${seq}","sequence":${seq},"type":"${type}","entity":"approval","entity_id":"a-${seq}","data":{"status":"pending"${extra}}}\n\n`;

/** The server's opening, a keep-alive and three events, as one text. */
const STREAM = `retry: 3000\n\n${event(41, "approval.requested")}: keep-alive\n\n${event(42, "flag.raised", ',"note":"审批 ✓"')}${event(43, "job.failed")}`;

function parseAll(chunks: string[]): { messages: SseMessage[]; parser: SseParser } {
  const parser = new SseParser();
  return { messages: chunks.flatMap((c) => parser.push(c)), parser };
}

describe("the SSE parser", () => {
  it("reads the server's events: id, type and one line of JSON; the retry line and keep-alives are no events", () => {
    const { messages, parser } = parseAll([STREAM]);
    expect(messages.map((m) => [m.lastEventId, m.type])).toEqual([
      ["41", "approval.requested"],
      ["42", "flag.raised"],
      ["43", "job.failed"],
    ]);
    expect(JSON.parse(messages[1].data)).toMatchObject({ sequence: 42, type: "flag.raised", data: { note: "审批 ✓" } });
    expect(parser.retry).toBe(3000);
  });

  it("gives the same events wherever the text is cut: at every place in two, and character by character", () => {
    const whole = parseAll([STREAM]).messages;
    for (let i = 0; i <= STREAM.length; i++) {
      expect(parseAll([STREAM.slice(0, i), STREAM.slice(i)]).messages, `cut at ${i}`).toEqual(whole);
    }
    expect(parseAll([...STREAM]).messages).toEqual(whole);
  });

  it("takes CRLF and lone CR as line ends, also with a CRLF cut between two chunks", () => {
    const crlf = STREAM.replace(/\n/g, "\r\n");
    const cr = STREAM.replace(/\n/g, "\r");
    const whole = parseAll([STREAM]).messages;
    expect(parseAll([crlf]).messages).toEqual(whole);
    expect(parseAll([cr]).messages).toEqual(whole);
    for (let i = 0; i <= crlf.length; i++) {
      expect(parseAll([crlf.slice(0, i), crlf.slice(i)]).messages, `cut at ${i}`).toEqual(whole);
    }
    // A CR at the end of a chunk, then a chunk that does not start with LF: two lines.
    expect(parseAll(["data: a\r", "data: b\r", "\r"]).messages).toEqual([{ type: "message", data: "a\nb", lastEventId: "" }]);
  });

  it("joins several data lines with a line feed; a field without a colon or without the space counts", () => {
    expect(parseAll(["data: first\ndata:second\ndata\ndata:  indented\n\n"]).messages).toEqual([{ type: "message", data: "first\nsecond\n\n indented", lastEventId: "" }]);
  });

  it("skips comments inside an event, ignores unknown fields and a retry that is no number", () => {
    const { messages, parser } = parseAll([": hello\nevent: flag.raised\n: still the same event\nfoo: bar\nretry: soon\ndata: x\n\n"]);
    expect(messages).toEqual([{ type: "flag.raised", data: "x", lastEventId: "" }]);
    expect(parser.retry).toBeNull();
  });

  it("keeps the last id for later events, forgets the type after each event, and drops an event never finished", () => {
    const { messages } = parseAll(["id: 7\nevent: flag.raised\ndata: a\n\ndata: b\n\nid: 8\ndata: never ended\n"]);
    expect(messages).toEqual([
      { type: "flag.raised", data: "a", lastEventId: "7" },
      { type: "message", data: "b", lastEventId: "7" },
    ]);
  });

  it("dispatches nothing for an empty event (an id or a type alone) but keeps its id", () => {
    expect(parseAll(["id: 9\n\nevent: x\n\ndata: y\n\n"]).messages).toEqual([{ type: "message", data: "y", lastEventId: "9" }]);
  });
});

describe("reading a response body", () => {
  it("decodes bytes cut inside a character and ends with the body", async () => {
    const bytes = new TextEncoder().encode(STREAM);
    const cut = bytes.indexOf(0xe5) + 1; // inside the first byte sequence of 审
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(bytes.slice(0, cut));
        c.enqueue(bytes.slice(cut));
        c.close();
      },
    });
    const read: SseMessage[] = [];
    await readMessages(body, (m) => read.push(m));
    expect(read).toEqual(parseAll([STREAM]).messages);
  });
});

describe("which topics an event marks stale", () => {
  const expected: [string, string[]][] = [
    ["approval.requested", ["approvals", "waiting"]],
    ["approval.decided", ["approvals", "waiting", "policy"]],
    ["flag.raised", ["flags", "waiting", "overview"]],
    ["flag.acknowledged", ["flags", "waiting", "overview"]],
    ["flag.resolved", ["flags", "waiting", "overview", "customers"]],
    ["required_check.overdue", ["required-checks", "waiting", "overview"]],
    ["field_check.submitted", ["field-checks", "required-checks", "waiting"]],
    ["field_check.confirmed", ["field-checks", "required-checks", "waiting"]],
    ["assignment.started", ["assignments", "customers", "rms", "queues"]],
    ["assignment.ended", ["assignments", "customers", "rms"]],
    ["handover.proposed", ["handovers", "waiting"]],
    ["handover.confirmed", ["handovers", "waiting"]],
    ["exit_case.proposed", ["exit-cases", "waiting", "overview"]],
    ["rm.status_changed", ["rms"]],
    ["evaluation.completed", ["evaluations", "overview"]],
    ["job.failed", ["jobs"]],
  ];
  it.each(expected)("%s marks %j stale", (type, topics) => {
    expect(topicsOf(type)).toEqual(expect.arrayContaining(topics));
  });

  it("maps every event type the server sends, and each topic once", () => {
    expect(Object.keys(EVENT_TOPICS).sort()).toEqual([...EVENT_TYPES].sort());
    for (const type of EVENT_TYPES) {
      expect(topicsOf(type).length, type).toBeGreaterThan(0);
      expect(new Set(topicsOf(type)).size, type).toBe(topicsOf(type).length);
    }
  });

  it("marks nothing for a type it does not know, and what a job failure touches only", () => {
    expect(topicsOf("webhook.tested")).toEqual([]);
    expect(topicsOf("toString")).toEqual([]);
    expect(topicsOf("job.failed")).toEqual(["jobs"]);
  });

  it("takes the type from the event line, else from the JSON", () => {
    expect(typeOf({ type: "flag.raised", data: "{}", lastEventId: "" })).toBe("flag.raised");
    expect(typeOf({ type: "message", data: '{"type":"approval.decided"}', lastEventId: "" })).toBe("approval.decided");
    expect(typeOf({ type: "message", data: "not json", lastEventId: "" })).toBe("");
  });
});

describe("following the stream", () => {
  it("waits 1 s, 2 s, 4 s … and never more than 30 s", () => {
    expect([0, 1, 2, 3, 4, 5, 6, 40].map(reconnectDelay)).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
  });

  const stream = (text: string): Answer => ({ status: 200, raw: text, headers: { "Content-Type": "text/event-stream" } });

  function run(answers: Answer[], silentMs?: number) {
    let n = 0;
    route("GET", "/api/v1/events/stream", () => answers[Math.min(n++, answers.length - 1)]);
    const abort = new AbortController();
    const seen: { messages: SseMessage[]; states: LiveState[]; waits: number[]; gaps: number } = { messages: [], states: [], waits: [], gaps: 0 };
    const done = follow({
      signal: abort.signal,
      onMessage: (m) => seen.messages.push(m),
      onState: (s) => seen.states.push(s),
      onGap: () => seen.gaps++,
      sleep: async (ms) => {
        seen.waits.push(ms);
        if (seen.waits.length > 10) abort.abort();
      },
      now: () => 0,
      silentMs,
    });
    return { done, seen };
  }

  it("sends the token as a header, resumes after the last event, backs off while failing and stops on 401", async () => {
    setToken("t-1");
    let signedOut = 0;
    whenSignedOut(() => signedOut++);
    const { done, seen } = run([
      stream(STREAM),
      { status: 503, body: { detail: "restarting" } },
      { status: 200, body: { not: "a stream" } },
      stream(event(44, "flag.resolved")),
      { status: 401, body: { code: "unauthorized" } },
    ]);
    await done;
    const asked = calls.filter((c) => c.path === "/api/v1/events/stream");
    expect(asked).toHaveLength(5);
    for (const c of asked) {
      expect(c.headers.get("Authorization")).toBe("Bearer t-1");
      expect([...c.query.keys()]).toEqual([]);
    }
    expect(asked.map((c) => c.headers.get("Last-Event-ID"))).toEqual([null, "43", "43", "43", "44"]);
    expect(seen.messages.map((m) => m.lastEventId)).toEqual(["41", "42", "43", "44"]);
    // After a stream that delivered: 1 s; then failures in a row: 2 s; then 1 s after the next good one.
    expect(seen.waits).toEqual([1000, 2000, 4000, 1000]);
    expect(seen.states).toEqual(["connecting", "live", "reconnecting", "reconnecting", "reconnecting", "live", "reconnecting"]);
    expect(seen.gaps).toBe(0);
    expect(currentToken()).toBeNull();
    expect(signedOut).toBe(1);
  });

  it("reads everything again after a reconnection that cannot resume (no event seen yet)", async () => {
    setToken("t-2");
    const { done, seen } = run([stream("retry: 3000\n\n: keep-alive\n\n"), stream(": keep-alive\n\n"), { status: 401, body: {} }]);
    await done;
    expect(calls.filter((c) => c.path === "/api/v1/events/stream").map((c) => c.headers.get("Last-Event-ID"))).toEqual([null, null, null]);
    expect(seen.gaps).toBe(1);
    expect(seen.waits).toEqual([1000, 2000]);
  });

  it("takes a connection silent for too long for dead, and resumes after its last event", async () => {
    setToken("t-4");
    // An event, then neither a keep-alive nor an end: a dropped network.
    const silent = new ReadableStream<Uint8Array>({ start: (c) => c.enqueue(new TextEncoder().encode(event(8, "flag.raised"))) });
    const { done, seen } = run([{ status: 200, raw: silent, headers: { "Content-Type": "text/event-stream" } }, { status: 401, body: {} }], 50);
    await done;
    expect(calls.filter((c) => c.path === "/api/v1/events/stream").map((c) => c.headers.get("Last-Event-ID"))).toEqual([null, "8"]);
    expect(seen.states).toEqual(["connecting", "live", "reconnecting"]);
  });

  it("forgets a position the server refuses (422) and starts from now", async () => {
    setToken("t-3");
    const { done } = run([stream(event(5, "job.failed")), { status: 422, body: { code: "validation_failed" } }, { status: 401, body: {} }]);
    await done;
    expect(calls.filter((c) => c.path === "/api/v1/events/stream").map((c) => c.headers.get("Last-Event-ID"))).toEqual([null, "5", null]);
  });
});
