// Renders a piece of the dashboard as it runs: a fresh query cache, the language chosen, and a
// signed-in user whose `/me` the fake API answers.

import { QueryClientProvider } from "@tanstack/react-query";
import { render } from "@testing-library/react";
import type { ReactNode } from "react";
import { newQueryClient } from "../src/api/queries";
import { setToken } from "../src/api/client";
import { I18nProvider } from "../src/i18n";
import { SessionProvider } from "../src/session";
import { route } from "./fake-api";

export function renderAs(ui: ReactNode, { roles = ["risk_officer"], lang = "en", userId = "u-me", rmId = null }: { roles?: string[]; lang?: "en" | "zh-CN"; userId?: string; rmId?: string | null } = {}) {
  localStorage.setItem("rmdesk.lang", lang);
  setToken("test-token");
  route("GET", "/api/v1/me", { status: 200, body: { id: userId, username: "me", display_name: "Me", roles, org_unit_id: "ou-1", rm_id: rmId, active: true } });
  const client = newQueryClient();
  client.setDefaultOptions({ queries: { ...client.getDefaultOptions().queries, retry: false } });
  const view = render(
    <QueryClientProvider client={client}>
      <I18nProvider>
        <SessionProvider>{ui}</SessionProvider>
      </I18nProvider>
    </QueryClientProvider>,
  );
  return { ...view, client };
}
