//! The pages problem `type` URIs resolve to: `/problems/{code}` says what a code means, the rule
//! of RULES.md behind it and what to do. One entry per code the API can answer with; a test holds
//! the list to the codes in the source.

/// One problem code.
pub struct ProblemDoc {
    pub code: &'static str,
    pub status: u16,
    /// The RULES.md IDs that refuse with this code (empty for protocol problems).
    pub rules: &'static [&'static str],
    pub meaning: &'static str,
    pub what_to_do: &'static str,
}

const fn doc(
    code: &'static str,
    status: u16,
    rules: &'static [&'static str],
    meaning: &'static str,
    what_to_do: &'static str,
) -> ProblemDoc {
    ProblemDoc {
        code,
        status,
        rules,
        meaning,
        what_to_do,
    }
}

pub const PROBLEMS: &[ProblemDoc] = &[
    doc("malformed_request", 400, &[], "The body is not JSON, not of the media type the operation reads, or a query string or header cannot be read.", "Send `Content-Type: application/json` with a well-formed body; check the `detail`."),
    doc("validation_failed", 422, &[], "A field is missing, of the wrong type, out of range or of an unknown value; `errors` lists each field with what is wrong.", "Correct the named fields and send again."),
    doc("unauthorized", 401, &[], "No valid bearer token: missing, expired, signed out, or its account changed (password, roles, unit, active flag) since it was issued.", "Sign in again at `POST /api/v1/auth/token`."),
    doc("forbidden", 403, &[], "The caller's roles do not allow this operation.", "Ask someone whose role allows it, or an admin to grant the role (M-4)."),
    doc("not_found", 404, &["O-1"], "No such resource in the caller's scope: it does not exist, or it belongs to a unit outside the caller's subtree.", "Check the id, and that the caller's unit covers the resource."),
    doc("version_conflict", 409, &[], "The resource changed since it was read (stale `version` / `If-Match`), or its state no longer allows this action.", "Read it again and decide on the current state."),
    doc("duplicate", 409, &[], "The thing exists already (a username, an open case, a relation, a pending proposal).", "Use the existing one; the `detail` names it."),
    doc("payload_too_large", 413, &[], "The body is larger than the operation accepts.", "Send less at once, or use the batch or streamed form of the operation."),
    doc("too_many_attempts", 429, &[], "Too many sign-in attempts for this username or from this address; each further attempt waits a growing delay.", "Wait the `Retry-After` seconds; ask an admin if the password is lost."),
    doc("service_unavailable", 503, &[], "The database is unavailable or busy, or password checking is saturated.", "Try again shortly; nothing was changed."),
    doc("internal_error", 500, &[], "An unexpected error; nothing was changed.", "Report the `request_id` to the operators; the logs hold the cause."),
    doc("no_primary", 422, &["A-1"], "The change would leave an assigned customer without its primary RM.", "Assign the new primary first (or reassign), then end the old one."),
    doc("primary_exists", 422, &["A-1"], "The customer has a primary RM already; it has exactly one.", "Reassign the customer (`POST /customers/{id}/reassign`) instead of adding a primary."),
    doc("primary_required", 422, &["A-1"], "An assistant or team member needs the customer to have a primary first.", "Assign the primary RM first."),
    doc("same_rm", 422, &["A-1"], "The RM holds this customer already.", "Choose another RM."),
    doc("already_assigned", 422, &["A-2"], "The customer has all the marketers the policy allows (primary and assistant).", "End an assignment first, or make it a team (A-7)."),
    doc("too_many_marketers", 422, &["A-2"], "More RMs than `assignment.max_marketers` would market to one customer.", "End an assignment first."),
    doc("team_needs_senior_lead", 422, &["A-2"], "A team for a large customer is led by a senior RM.", "Make a senior RM the primary first."),
    doc("capacity_exceeded", 422, &["A-3"], "The RM would hold more key accounts (loan customers and key deposit customers) or VIP customers than the cap.", "Choose an RM with room, or ask for an override: send `override_reason` and a second person approves (M-1)."),
    doc("rm_not_eligible", 422, &["A-4"], "The RM may not receive customers: not active, qualification lapsed, term ended, or under an exit case.", "Choose another RM; renew the qualification or term if due."),
    doc("line_mismatch", 422, &["A-4"], "The RM's line (corporate, retail) does not serve this kind of customer.", "Choose an RM of the customer's line."),
    doc("cross_unit_not_allowed", 422, &["A-5"], "The RM and the customer are in different units the policy does not let cross.", "Choose an RM of the customer's unit, or move the customer first."),
    doc("grade_too_low", 422, &["A-5"], "The RM's grade is below what this customer calls for.", "Choose an RM of a higher grade."),
    doc("invalid_share", 422, &["A-7"], "The performance and responsibility shares do not add up as the policy requires.", "Give shares that sum to 1 with the primary's at least the assistant's."),
    doc("handover_required", 422, &["A-9"], "The RM still holds customers: they must be handed over first.", "Propose and confirm a handover (`POST /handovers`)."),
    doc("handover_incomplete", 422, &["A-9"], "The handover plan leaves customers without a receiving RM.", "Give every customer of the plan a receiving RM, then confirm."),
    doc("approval_required", 422, &["A-10", "M-4"], "This change needs a second person: a primary change of a flagged, blacklisted or high-value customer (A-10), or a privileged role (M-4).", "Make it through the path that files an approval (reassign, handover confirm, user grant): it answers 202 and a second person approves."),
    doc("invalid_org_placement", 422, &["O-1"], "An org unit of this kind cannot sit under that parent.", "Place it under a unit of the kind above it."),
    doc("approval_level_too_low", 422, &["O-3"], "The approving manager's unit is not high enough for this grade.", "Have a manager of a higher unit approve."),
    doc("entry_requirements_not_met", 422, &["O-4"], "The person does not meet the entry requirements (counter experience, exam).", "Record the missing qualification first."),
    doc("qualification_lapsed", 422, &["O-4"], "The RM's qualification is older than its validity.", "Record a new qualification (exam) for the RM."),
    doc("permanently_banned", 422, &["O-6"], "The person was removed after a forced exit and may never be an RM again.", "None: the ban is permanent."),
    doc("second_rm_required", 422, &["D-2"], "Investigations and inspections of A-6 customers are made by two RMs.", "Name the second RM (`second_rm_id`)."),
    doc("lead_must_submit", 422, &["D-3"], "A check is submitted by the lead RM from their own login.", "Sign in as the lead RM."),
    doc("lead_must_cancel", 422, &["D-3"], "Only the lead RM cancels a check waiting for confirmation.", "Sign in as the lead RM."),
    doc("lead_cannot_confirm", 422, &["D-3"], "The lead RM cannot confirm for the second RM.", "The second RM confirms from their own login."),
    doc("second_must_confirm", 422, &["D-3"], "Only the named second RM confirms or rejects, from their own login.", "Sign in as the second RM."),
    doc("same_person", 422, &["D-3", "M-1"], "The two people a rule requires are one person: the same account, or accounts of RM records with one national ID.", "Have another person act."),
    doc("participant_not_eligible", 422, &["D-3"], "An RM of the check is not active and qualified.", "Choose an active, qualified RM."),
    doc("no_assigned_participant", 422, &["D-3"], "Neither RM of the check is assigned to the customer.", "Include an RM who holds the customer."),
    doc("second_not_independent", 422, &["D-4"], "The policy asks for an independent second RM for this check, and this one holds the customer.", "Choose a second RM who does not hold the customer."),
    doc("lowest_grade", 422, &["X-4"], "The RM is at the lowest grade already; a demotion is not possible.", "Consider another case kind (disqualification)."),
    doc("case_open", 422, &["X-5"], "The RM has an open exit case: no new assignment meanwhile.", "Decide or close the case first."),
    doc("exit_case_open", 409, &["X-5"], "An exit case is open for this RM already, or one blocks this change.", "Work the open case."),
    doc("exit_case_required", 422, &["X-5"], "Exits and misconduct suspensions happen only through an exit case decided by the committee.", "Propose an exit case (`POST /exit-cases`)."),
    doc("rm_exited", 422, &["X-5"], "The RM has exited.", "None for this RM."),
    doc("own_account", 403, &["M-4"], "Nobody changes their own roles, unit, active flag or RM link.", "Ask another administrator."),
    doc("account_not_yours_to_change", 403, &["M-4"], "The account holds roles the caller may not grant, so the caller may not change it (a password reset included).", "Ask an admin."),
    doc("grant_not_allowed", 403, &["M-4"], "The caller's roles may not grant or revoke this role (the policy's `duties.grants`).", "Ask someone whose role may grant it."),
    doc("checker_made_by_maker", 403, &["M-4"], "The checker's deciding role was granted by the maker of the request: no second person.", "Have another person with the role decide."),
    doc("rm_linked", 422, &["M-4"], "The RM record is linked to another account: one person, one RM record.", "Unlink the other account first, or use it."),
];

pub fn find(code: &str) -> Option<&'static ProblemDoc> {
    PROBLEMS.iter().find(|p| p.code == code)
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The page of one code: plain HTML, no script.
pub fn page(p: &ProblemDoc) -> String {
    let rules = if p.rules.is_empty() {
        "none (a protocol problem)".to_string()
    } else {
        p.rules.join(", ")
    };
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>rmdesk problem: {code}</title></head>\
         <body><h1><code>{code}</code></h1><p>HTTP {status}. Rules: {rules}.</p>\
         <h2>What it means</h2><p>{meaning}</p><h2>What to do</h2><p>{todo}</p>\
         <p><a href=\"/problems\">All problem codes</a></p></body></html>",
        code = escape(p.code),
        status = p.status,
        meaning = escape(p.meaning),
        todo = escape(p.what_to_do),
    )
}

/// The index of every code.
pub fn index() -> String {
    let rows: String = PROBLEMS
        .iter()
        .map(|p| {
            format!(
                "<tr><td><a href=\"/problems/{c}\"><code>{c}</code></a></td><td>{}</td><td>{}</td><td>{}</td></tr>",
                p.status,
                p.rules.join(", "),
                escape(p.meaning),
                c = p.code
            )
        })
        .collect();
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>rmdesk problem codes</title></head>\
         <body><h1>rmdesk problem codes</h1><table><thead><tr><th>code</th><th>status</th><th>rules</th><th>meaning</th></tr></thead>\
         <tbody>{rows}</tbody></table></body></html>"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every code the source refuses with has its page.
    #[test]
    fn every_code_in_the_source_has_a_page() {
        let mut missing = Vec::new();
        let mut stack = vec![
            std::path::PathBuf::from("src"),
            std::path::PathBuf::from("domain/src"),
        ];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                let text = std::fs::read_to_string(&path).unwrap_or_default();
                let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
                for start in ["AppError::rule(\"", "RuleViolation::new(\""] {
                    for piece in flat.split(start).skip(1) {
                        // `"A-3", "capacity_exceeded", ...`
                        let code = piece.split('"').nth(2).unwrap_or_default();
                        if !code.is_empty()
                            && code.chars().all(|c| c.is_ascii_lowercase() || c == '_')
                            && find(code).is_none()
                        {
                            missing.push(format!("{code} ({})", path.display()));
                        }
                    }
                }
            }
        }
        assert!(missing.is_empty(), "codes without a page: {missing:?}");
    }
}
