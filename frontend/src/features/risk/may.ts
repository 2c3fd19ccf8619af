// Which of the risk desk's actions a user's roles can ever take: the same table as the API's
// `allows` (api/domain/src/role.rs). The dashboard only spares a form that would always be refused;
// the API decides each time, and its refusals are shown.

import type { Role } from "../../state";

const anyOf = (allowed: readonly Role[]) => (roles: readonly Role[]) => roles.some((r) => allowed.includes(r));

export const may = {
  /** Raise and resolve flags, run evaluations (ManageFlags). */
  manageFlags: anyOf(["admin", "risk_officer"]),
  /** Acknowledge a flag: every role but auditors (AcknowledgeFlags). */
  acknowledge: (roles: readonly Role[]) => roles.some((r) => r !== "auditor"),
  /** Complaints and incidents about RMs (RecordConduct). */
  recordConduct: anyOf(["admin", "manager", "risk_officer"]),
  /** Open an exit, disqualification or demotion case (ProposeExit). */
  proposeExit: anyOf(["admin", "manager", "risk_officer", "committee"]),
  /** Propose a policy version (ProposePolicy); admins and risk officers approve it (P-1, M-1). */
  proposePolicy: anyOf(["admin"]),
  approvePolicy: anyOf(["admin", "risk_officer"]),
  /** The approvals inbox is read by every role but RMs. */
  readApprovals: anyOf(["admin", "manager", "risk_officer", "committee", "auditor"]),
};
