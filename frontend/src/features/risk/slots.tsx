// The risk officer's actions shown on other features' pages (customer, RM, flag in a list).
import type { Schemas } from "../../api/client";

export function CustomerRiskActions(_: { customer: Schemas["Customer"] }) {
  return null;
}
export function RmRiskActions(_: { rm: Schemas["Rm"] }) {
  return null;
}
export function FlagActions(_: { flag: Schemas["Flag"] }) {
  return null;
}
