// The manager's actions shown on other features' pages (customer, RM).
import type { Schemas } from "../../api/client";

export function CustomerAssignment(_: { customer: Schemas["Customer"]; history: Schemas["Assignment"][] }) {
  return null;
}
export function RmAdministration(_: { rm: Schemas["Rm"] }) {
  return null;
}
