// What each problem code of the API means and what to do about it, in both languages: a refusal
// is shown from its code, so a Chinese reader never sees the server's English `detail` alone.
// `test/problems.test.ts` holds that every code in api/src/problems.rs is here.

export interface ProblemText {
  meaning: string;
  todo: string;
}

export const problemsEn: Record<string, ProblemText> = {
  malformed_request: { meaning: "The body is not JSON, not of the media type the operation reads, or a query string or header cannot be read.", todo: "Send `Content-Type: application/json` with a well-formed body; check the `detail`." },
  validation_failed: { meaning: "A field is missing, of the wrong type, out of range or of an unknown value; `errors` lists each field with what is wrong.", todo: "Correct the named fields and send again." },
  unauthorized: { meaning: "No valid bearer token: missing, expired, signed out, or its account changed (password, roles, unit, active flag) since it was issued.", todo: "Sign in again at `POST /api/v1/auth/token`." },
  forbidden: { meaning: "The caller's roles do not allow this operation.", todo: "Ask someone whose role allows it, or an admin to grant the role (M-4)." },
  not_found: { meaning: "No such resource in the caller's scope: it does not exist, or it belongs to a unit outside the caller's subtree.", todo: "Check the id, and that the caller's unit covers the resource." },
  version_conflict: { meaning: "The resource changed since it was read (stale `version` / `If-Match`), or its state no longer allows this action.", todo: "Read it again and decide on the current state." },
  duplicate: { meaning: "The thing exists already (a username, an open case, a relation, a pending proposal).", todo: "Use the existing one; the `detail` names it." },
  payload_too_large: { meaning: "The body is larger than the operation accepts.", todo: "Send less at once, or use the batch or streamed form of the operation." },
  too_many_attempts: { meaning: "Too many sign-in attempts for this username or from this address; each further attempt waits a growing delay.", todo: "Wait the `Retry-After` seconds; ask an admin if the password is lost." },
  service_unavailable: { meaning: "The database is unavailable or busy, or password checking is saturated.", todo: "Try again shortly; nothing was changed." },
  internal_error: { meaning: "An unexpected error; nothing was changed.", todo: "Report the `request_id` to the operators; the logs hold the cause." },
  no_primary: { meaning: "The change would leave an assigned customer without its primary RM.", todo: "Assign the new primary first (or reassign), then end the old one." },
  primary_exists: { meaning: "The customer has a primary RM already; it has exactly one.", todo: "Reassign the customer (`POST /customers/{id}/reassign`) instead of adding a primary." },
  primary_required: { meaning: "An assistant or team member needs the customer to have a primary first.", todo: "Assign the primary RM first." },
  same_rm: { meaning: "The RM holds this customer already.", todo: "Choose another RM." },
  already_assigned: { meaning: "The customer has all the marketers the policy allows (primary and assistant).", todo: "End an assignment first, or make it a team (A-7)." },
  too_many_marketers: { meaning: "More RMs than `assignment.max_marketers` would market to one customer.", todo: "End an assignment first." },
  team_needs_senior_lead: { meaning: "A team for a large customer is led by a senior RM.", todo: "Make a senior RM the primary first." },
  capacity_exceeded: { meaning: "The RM would hold more key accounts (loan customers and key deposit customers) or VIP customers than the cap.", todo: "Choose an RM with room, or ask for an override: send `override_reason` and a second person approves (M-1)." },
  rm_not_eligible: { meaning: "The RM may not receive customers: not active, qualification lapsed, term ended, or under an exit case.", todo: "Choose another RM; renew the qualification or term if due." },
  line_mismatch: { meaning: "The RM's line (corporate, retail) does not serve this kind of customer.", todo: "Choose an RM of the customer's line." },
  cross_unit_not_allowed: { meaning: "The RM and the customer are in different units the policy does not let cross.", todo: "Choose an RM of the customer's unit, or move the customer first." },
  grade_too_low: { meaning: "The RM's grade is below what this customer calls for.", todo: "Choose an RM of a higher grade." },
  invalid_share: { meaning: "The performance and responsibility shares do not add up as the policy requires.", todo: "Give shares that sum to 1 with the primary's at least the assistant's." },
  handover_required: { meaning: "The RM still holds customers: they must be handed over first.", todo: "Propose and confirm a handover (`POST /handovers`)." },
  handover_incomplete: { meaning: "The handover plan leaves customers without a receiving RM.", todo: "Give every customer of the plan a receiving RM, then confirm." },
  approval_required: { meaning: "This change needs a second person: a primary change of a flagged, blacklisted or high-value customer (A-10), or a privileged role (M-4).", todo: "Make it through the path that files an approval (reassign, handover confirm, user grant): it answers 202 and a second person approves." },
  invalid_org_placement: { meaning: "An org unit of this kind cannot sit under that parent.", todo: "Place it under a unit of the kind above it." },
  approval_level_too_low: { meaning: "The approving manager's unit is not high enough for this grade.", todo: "Have a manager of a higher unit approve." },
  entry_requirements_not_met: { meaning: "The person does not meet the entry requirements (counter experience, exam).", todo: "Record the missing qualification first." },
  qualification_lapsed: { meaning: "The RM's qualification is older than its validity.", todo: "Record a new qualification (exam) for the RM." },
  permanently_banned: { meaning: "The person was removed after a forced exit and may never be an RM again.", todo: "None: the ban is permanent." },
  second_rm_required: { meaning: "Investigations and inspections of A-6 customers are made by two RMs.", todo: "Name the second RM (`second_rm_id`)." },
  lead_must_submit: { meaning: "A check is submitted by the lead RM from their own login.", todo: "Sign in as the lead RM." },
  lead_must_cancel: { meaning: "Only the lead RM cancels a check waiting for confirmation.", todo: "Sign in as the lead RM." },
  lead_cannot_confirm: { meaning: "The lead RM cannot confirm for the second RM.", todo: "The second RM confirms from their own login." },
  second_must_confirm: { meaning: "Only the named second RM confirms or rejects, from their own login.", todo: "Sign in as the second RM." },
  same_person: { meaning: "The two people a rule requires are one person: the same account, or accounts of RM records with one national ID.", todo: "Have another person act." },
  participant_not_eligible: { meaning: "An RM of the check is not active and qualified.", todo: "Choose an active, qualified RM." },
  no_assigned_participant: { meaning: "Neither RM of the check is assigned to the customer.", todo: "Include an RM who holds the customer." },
  second_not_independent: { meaning: "The policy asks for an independent second RM for this check, and this one holds the customer.", todo: "Choose a second RM who does not hold the customer." },
  lowest_grade: { meaning: "The RM is at the lowest grade already; a demotion is not possible.", todo: "Consider another case kind (disqualification)." },
  case_open: { meaning: "The RM has an open exit case: no new assignment meanwhile.", todo: "Decide or close the case first." },
  exit_case_open: { meaning: "An exit case is open for this RM already, or one blocks this change.", todo: "Work the open case." },
  exit_case_required: { meaning: "Exits and misconduct suspensions happen only through an exit case decided by the committee.", todo: "Propose an exit case (`POST /exit-cases`)." },
  rm_exited: { meaning: "The RM has exited.", todo: "None for this RM." },
  own_account: { meaning: "Nobody changes their own roles, unit, active flag or RM link.", todo: "Ask another administrator." },
  account_not_yours_to_change: { meaning: "The account holds roles the caller may not grant, so the caller may not change it (a password reset included).", todo: "Ask an admin." },
  grant_not_allowed: { meaning: "The caller's roles may not grant or revoke this role (the policy's `duties.grants`).", todo: "Ask someone whose role may grant it." },
  checker_made_by_maker: { meaning: "The checker's deciding role was granted by the maker of the request: no second person.", todo: "Have another person with the role decide." },
  rm_linked: { meaning: "The RM record is linked to another account: one person, one RM record.", todo: "Unlink the other account first, or use it." },
};

export const problemsZh: Record<keyof typeof problemsEn, ProblemText> = {
  // TODO-ZH
};

/** The text of a problem code in the user's language, if the dashboard knows the code. */
export function problemText(lang: "en" | "zh-CN", code: string): ProblemText | null {
  return (lang === "zh-CN" ? problemsZh[code] : undefined) ?? problemsEn[code] ?? null;
}
