// @vitest-environment jsdom
import { cleanup, fireEvent, screen, waitFor } from "@testing-library/react";
import { useState } from "react";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { api, answered } from "../src/api/client";
import { useApi, useCommand } from "../src/api/queries";
import { CommandForm, Outcome, TextField } from "../src/components/forms";
import { calls, resetFakeApi, route } from "./fake-api";
import { renderAs } from "./render";

function RaiseComplaint() {
  const [text, setText] = useState("");
  const flags = useApi(["flags", "count"], async () => (await api.GET("/api/v1/flags", { params: { query: { limit: 1 } } })).data?.items.length ?? 0);
  const send = useCommand(() => answered(api.POST("/api/v1/complaints", { body: { rm_id: "rm-1", description: text } as never })), ["flags"]);
  return (
    <>
      <p data-testid="count">{flags.data ?? "…"}</p>
      <CommandForm onSubmit={() => void send.run()} error={send.error} busy={send.busy} submit="Record">
        <TextField name="description" label="What happened" value={text} onChange={setText} />
      </CommandForm>
      {send.result && <Outcome waiting={send.result.waiting} done="Recorded." />}
    </>
  );
}

beforeEach(resetFakeApi);
afterEach(cleanup);

describe("a command form", () => {
  it("shows the API's message next to the field it names, and the rule with what to do", async () => {
    route("GET", "/api/v1/flags", { status: 200, body: { items: [], next_cursor: null } });
    route("POST", "/api/v1/complaints", {
      status: 422,
      body: { code: "validation_failed", detail: "1 field is invalid", errors: [{ field: "description", message: "must not be empty" }] },
    });
    renderAs(<RaiseComplaint />);
    fireEvent.click(screen.getByRole("button", { name: "Record" }));
    const field = await screen.findByLabelText("What happened");
    await waitFor(() => expect(field.getAttribute("aria-invalid")).toBe("true"));
    expect(screen.getByText("must not be empty")).toBeTruthy();
  });

  it("keeps in the summary a message for a field the form does not show", async () => {
    route("GET", "/api/v1/flags", { status: 200, body: { items: [], next_cursor: null } });
    route("POST", "/api/v1/complaints", {
      status: 422,
      body: { code: "validation_failed", detail: "2 fields are invalid", errors: [{ field: "description", message: "must not be empty" }, { field: "rm_id", message: "no such RM in your scope" }] },
    });
    renderAs(<RaiseComplaint />);
    fireEvent.click(screen.getByRole("button", { name: "Record" }));
    const summary = await screen.findByRole("alert");
    await waitFor(() => expect(summary.textContent).toContain("no such RM in your scope"));
    expect(summary.textContent).not.toContain("must not be empty");
    expect(screen.getByText("must not be empty").className).toBe("field-error");
  });

  it("says a 202 waits for a second person, and refreshes the reads it changed", async () => {
    let flags = 0;
    route("GET", "/api/v1/flags", () => ({ status: 200, body: { items: Array.from({ length: flags }, (_, i) => ({ id: `f${i}` })), next_cursor: null } }));
    route("POST", "/api/v1/complaints", () => {
      flags = 1;
      return { status: 202, body: { id: "a-1" } };
    });
    renderAs(<RaiseComplaint />);
    await waitFor(() => expect(screen.getByTestId("count").textContent).toBe("0"));
    fireEvent.click(screen.getByRole("button", { name: "Record" }));
    await screen.findByText(/waits for a second person/);
    await waitFor(() => expect(screen.getByTestId("count").textContent).toBe("1"));
    expect(calls.filter((c) => c.path === "/api/v1/flags").length).toBe(2);
  });

  it("shows a refusal by its code in Chinese with the rule", async () => {
    route("GET", "/api/v1/flags", { status: 200, body: { items: [], next_cursor: null } });
    route("POST", "/api/v1/complaints", { status: 422, body: { code: "capacity_exceeded", rule: "A-3", detail: "the RM holds 25 of 25" } });
    renderAs(<RaiseComplaint />, { lang: "zh-CN" });
    fireEvent.click(screen.getByRole("button", { name: "Record" }));
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain("规则 A-3");
    expect(alert.getAttribute("data-problem")).toBe("capacity_exceeded");
  });
});
