// @vitest-environment jsdom
// The live desk: an event from the stream makes the navigation's counts read again (no reload),
// the overview's entry counts everything that waits, and the indicator says so in both languages.
import { cleanup, screen, waitFor } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { useEventStream } from "../src/api/events";
import { LiveIndicator } from "../src/features/desk/Live";
import { NavCount } from "../src/features/desk/Waiting";
import { calls, resetFakeApi, route } from "./fake-api";
import { renderAs } from "./render";

const waiting = (approvals: number) => ({
  as_of: "2026-11-30",
  now: "2026-11-30T04:00:00Z",
  approvals_to_decide: approvals,
  checks_to_confirm: 0,
  my_checks_due: 2,
  my_checks_overdue: 1,
  cases_to_decide: 0,
  handovers_to_confirm: 0,
  flags_to_acknowledge: 4,
  unit_checks_overdue: 0,
});

/** A stream the test writes to, event by event. */
function openStream() {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const body = new ReadableStream<Uint8Array>({ start: (c) => void (controller = c) });
  route("GET", "/api/v1/events/stream", { status: 200, raw: body, headers: { "Content-Type": "text/event-stream" } });
  return {
    send: (text: string) => controller.enqueue(new TextEncoder().encode(text)),
    // The page may have hung up already (unmounted: the stream was cancelled).
    close: () => {
      try {
        controller.close();
      } catch {
        /* closed by the reader */
      }
    },
  };
}

function Desk() {
  const live = useEventStream("u-me");
  return (
    <>
      {live && <LiveIndicator state={live} />}
      <NavCount page="overview" />
      <NavCount page="approvals" />
    </>
  );
}

let stream: ReturnType<typeof openStream> | null = null;
beforeEach(resetFakeApi);
afterEach(() => {
  cleanup();
  stream?.close();
  stream = null;
});

describe("the live desk", () => {
  it("reads the counts again when an approval is requested, and shows the total on the overview's entry", async () => {
    let approvals = 1;
    route("GET", "/api/v1/me/waiting", () => ({ status: 200, body: waiting(approvals) }));
    stream = openStream();
    renderAs(<Desk />);
    const live = await screen.findByTestId("live");
    await waitFor(() => expect(live.getAttribute("data-state")).toBe("live"));
    expect(live.textContent).toContain("connected");
    expect((await screen.findByTestId("nav-count-approvals")).textContent).toContain("1 waiting for you");
    // Everything the panel lists: 1 approval + 2 due + 1 overdue + 4 flags.
    expect(screen.getByTestId("nav-count-overview").textContent).toContain("8 waiting for you");

    approvals = 2;
    const reads = calls.filter((c) => c.path === "/api/v1/me/waiting").length;
    stream.send('retry: 3000\n\n: keep-alive\n\nid: 12\nevent: approval.requested\ndata: {"type":"approval.requested","sequence":12}\n\n');
    await waitFor(() => expect(screen.getByTestId("nav-count-approvals").textContent).toContain("2 waiting for you"));
    expect(screen.getByTestId("nav-count-overview").textContent).toContain("9 waiting for you");
    expect(calls.filter((c) => c.path === "/api/v1/me/waiting").length).toBe(reads + 1);
  });

  it("does not read the counts again for an event that does not touch them", async () => {
    route("GET", "/api/v1/me/waiting", { status: 200, body: waiting(1) });
    stream = openStream();
    renderAs(<Desk />);
    await screen.findByTestId("nav-count-approvals");
    await waitFor(() => expect(screen.getByTestId("live").getAttribute("data-state")).toBe("live"));
    const reads = calls.filter((c) => c.path === "/api/v1/me/waiting").length;
    stream.send('id: 13\nevent: job.failed\ndata: {"type":"job.failed"}\n\n');
    await new Promise((r) => setTimeout(r, 400));
    expect(calls.filter((c) => c.path === "/api/v1/me/waiting").length).toBe(reads);
  });

  it("names its state for screen readers in Chinese as well", () => {
    renderAs(<LiveIndicator state="reconnecting" />, { lang: "zh-CN" });
    const live = screen.getByRole("status");
    expect(live.textContent).toContain("正在重新连接");
    expect(live.getAttribute("data-state")).toBe("reconnecting");
  });
});
