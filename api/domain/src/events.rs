//! Business events out (M-2's companion): which audited changes third parties hear about, under
//! which type, with which small payload. Derived from the audit change itself, so that every path
//! that records a change (M-1: one place per aggregate) publishes its event without being told to.
//!
//! Payloads carry identifiers, statuses and dates only, never a snapshot: a subscriber learns that
//! something happened and reads the record through the API, where O-1 and M-3 apply.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

crate::text_enum! {
    /// A business event's type.
    EventType {
        FlagRaised => "flag.raised",
        FlagAcknowledged => "flag.acknowledged",
        FlagResolved => "flag.resolved",
        ApprovalRequested => "approval.requested",
        ApprovalDecided => "approval.decided",
        AssignmentStarted => "assignment.started",
        AssignmentEnded => "assignment.ended",
        HandoverProposed => "handover.proposed",
        HandoverConfirmed => "handover.confirmed",
        FieldCheckSubmitted => "field_check.submitted",
        FieldCheckConfirmed => "field_check.confirmed",
        RequiredCheckCreated => "required_check.created",
        RequiredCheckDue => "required_check.due",
        RequiredCheckOverdue => "required_check.overdue",
        RequiredCheckClosed => "required_check.closed",
        EvaluationCompleted => "evaluation.completed",
        RmStatusChanged => "rm.status_changed",
        ExitCaseProposed => "exit_case.proposed",
        ExitCaseDecided => "exit_case.decided",
        ExitCaseClosed => "exit_case.closed",
        JobFailed => "job.failed",
    }
}

impl EventType {
    /// What the event means, for the OpenAPI document's `webhooks` section.
    pub fn describe(self) -> &'static str {
        use EventType::*;
        match self {
            FlagRaised => {
                "A credit-risk flag was raised on a customer (R-2, R-3), by a person or a rule."
            }
            FlagAcknowledged => "A flag was acknowledged by someone who works with the customer.",
            FlagResolved => "A flag was resolved with its evidence.",
            ApprovalRequested => "A change waits for a second person's approval (M-1).",
            ApprovalDecided => "A second person approved or rejected a waiting change (M-1).",
            AssignmentStarted => "An RM started to hold a customer in a role (A-1 to A-7).",
            AssignmentEnded => "An RM stopped holding a customer in a role.",
            HandoverProposed => "A handover of an RM's customers was proposed (X-6).",
            HandoverConfirmed => "A handover was confirmed; its assignments moved.",
            FieldCheckSubmitted => {
                "A field check was submitted and waits for the second person (D-2)."
            }
            FieldCheckConfirmed => "The second person confirmed a field check (D-2).",
            RequiredCheckCreated => "A field check became required for a customer (D-5).",
            RequiredCheckDue => {
                "A required check falls due within the policy's reminder days (D-5)."
            }
            RequiredCheckOverdue => "A required check is past its due date and not done (D-5).",
            RequiredCheckClosed => "A required check was done (or closed with its reason).",
            EvaluationCompleted => "An R-4 portfolio evaluation of a checkpoint finished.",
            RmStatusChanged => {
                "An RM's status changed (qualified, demoted, suspended, exited ...)."
            }
            ExitCaseProposed => "An exit, disqualification or demotion case was proposed (X-5).",
            ExitCaseDecided => "The committee approved or rejected a case (X-5).",
            ExitCaseClosed => "A case was closed after its handover.",
            JobFailed => "A scheduled job of the bank's calendar failed and will be retried (P-2).",
        }
    }
}

/// One event a change produces: its type, the entity it is about and its payload.
#[derive(Debug, Clone, PartialEq)]
pub struct Derived {
    pub event_type: EventType,
    pub entity: String,
    pub entity_id: String,
    pub data: Value,
}

/// The payload of an event: identifiers, statuses and dates of the entity, never personal data.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct EventData {
    pub id: Option<String>,
    pub customer_id: Option<String>,
    pub rm_id: Option<String>,
    pub assignment_id: Option<String>,
    /// The assignment role (`primary`, `assistant`, `team_member`).
    pub role: Option<String>,
    pub status: Option<String>,
    /// The status before the change (`rm.status_changed`).
    pub previous_status: Option<String>,
    /// Flag kind, field-check kind, case kind or approval kind.
    pub kind: Option<String>,
    pub severity: Option<String>,
    pub source: Option<String>,
    /// The rule the event is about, e.g. `D-5`.
    pub rule: Option<String>,
    pub due_on: Option<String>,
    pub from_rm_id: Option<String>,
    pub to_rm_id: Option<String>,
    pub checkpoint: Option<String>,
    pub job: Option<String>,
    pub business_date: Option<String>,
    pub error: Option<String>,
    pub version: Option<i64>,
}

/// The keys of a snapshot an event may carry (top-level scalars only, see [`EventData`]).
const CARRIED: &[&str] = &[
    "id",
    "customer_id",
    "rm_id",
    "status",
    "kind",
    "severity",
    "source",
    "rule",
    "due_on",
    "from_rm_id",
    "to_rm_id",
    "checkpoint",
    "job",
    "business_date",
    "error",
    "version",
];

/// The events an audited change produces. `before` and `after` are its snapshots as recorded.
pub fn derive(
    action: &str,
    entity: &str,
    entity_id: &str,
    before: Option<&Value>,
    after: Option<&Value>,
) -> Vec<Derived> {
    let one = |event_type: EventType| {
        let mut data = carried(after.or(before));
        data.entry("id").or_insert_with(|| entity_id.into());
        vec![Derived {
            event_type,
            entity: entity.into(),
            entity_id: entity_id.into(),
            data: Value::Object(data),
        }]
    };
    match single(action) {
        Some(event_type) => one(event_type),
        None if entity == "rm" => rm_status(entity_id, before, after),
        None if is_assignment_change(action, entity) => holders_changed(entity_id, before, after),
        None => Vec::new(),
    }
}

/// Whether a change of `action` on `entity` may publish an event (the audit writer reads its
/// snapshots only then).
pub fn publishes(action: &str, entity: &str) -> bool {
    single(action).is_some() || entity == "rm" || is_assignment_change(action, entity)
}

fn is_assignment_change(action: &str, entity: &str) -> bool {
    entity == "customer" && action.starts_with("assignment.")
}

/// The changes that publish exactly one event, of this type.
fn single(action: &str) -> Option<EventType> {
    use EventType::*;
    Some(match action {
        "flag.raise" => FlagRaised,
        "flag.acknowledge" => FlagAcknowledged,
        "flag.resolve" => FlagResolved,
        "approval.request" => ApprovalRequested,
        "approval.approve" | "approval.reject" => ApprovalDecided,
        "handover.propose" => HandoverProposed,
        "handover.confirm" => HandoverConfirmed,
        "field_check.submit" => FieldCheckSubmitted,
        "field_check.confirm" => FieldCheckConfirmed,
        "required_check.create" => RequiredCheckCreated,
        "required_check.reminder" => RequiredCheckDue,
        "required_check.overdue" => RequiredCheckOverdue,
        "required_check.close" => RequiredCheckClosed,
        "evaluation.run" => EvaluationCompleted,
        "exit_case.propose" => ExitCaseProposed,
        "exit_case.approve" | "exit_case.reject" => ExitCaseDecided,
        "exit_case.close" => ExitCaseClosed,
        "job.fail" => JobFailed,
        _ => return None,
    })
}

fn carried(snapshot: Option<&Value>) -> Map<String, Value> {
    let mut data = Map::new();
    if let Some(Value::Object(fields)) = snapshot {
        for key in CARRIED {
            if let Some(v) = fields.get(*key).filter(|v| !v.is_object() && !v.is_array()) {
                if !v.is_null() {
                    data.insert((*key).into(), v.clone());
                }
            }
        }
    }
    data
}

/// `rm.status_changed` when an RM's stored status differs before and after the change.
fn rm_status(rm_id: &str, before: Option<&Value>, after: Option<&Value>) -> Vec<Derived> {
    fn status(s: Option<&Value>) -> Option<&str> {
        s.and_then(|v| v.get("status")).and_then(Value::as_str)
    }
    match (status(before), status(after)) {
        (Some(was), Some(now)) if was != now => vec![Derived {
            event_type: EventType::RmStatusChanged,
            entity: "rm".into(),
            entity_id: rm_id.into(),
            data: serde_json::json!({ "id": rm_id, "rm_id": rm_id, "previous_status": was, "status": now }),
        }],
        _ => Vec::new(),
    }
}

/// The holders of a customer as an assignment change records them: a list of assignment rows, or
/// `{"holders": [...]}` when the change says more.
fn holders(snapshot: Option<&Value>) -> Vec<(&str, &str, &str)> {
    let list = match snapshot {
        Some(Value::Array(list)) => list,
        Some(Value::Object(o)) => match o.get("holders") {
            Some(Value::Array(list)) => list,
            _ => return Vec::new(),
        },
        _ => return Vec::new(),
    };
    list.iter()
        .filter_map(|row| {
            Some((
                row.get("id")?.as_str()?,
                row.get("rm_id")?.as_str()?,
                row.get("role")?.as_str()?,
            ))
        })
        .collect()
}

/// `assignment.ended` for each (RM, role) that held the customer before and not after, then
/// `assignment.started` for each one that holds it now and did not before. A share moved between
/// the same holders starts and ends nothing.
fn holders_changed(
    customer_id: &str,
    before: Option<&Value>,
    after: Option<&Value>,
) -> Vec<Derived> {
    let was = holders(before);
    let now = holders(after);
    let held = |list: &[(&str, &str, &str)], rm: &str, role: &str| {
        list.iter().any(|(_, r, o)| *r == rm && *o == role)
    };
    let event = |event_type, (id, rm, role): (&str, &str, &str)| Derived {
        event_type,
        entity: "assignment".into(),
        entity_id: id.into(),
        data: serde_json::json!({
            "id": id, "assignment_id": id, "customer_id": customer_id, "rm_id": rm, "role": role
        }),
    };
    let ended = was
        .iter()
        .filter(|(_, rm, role)| !held(&now, rm, role))
        .map(|h| event(EventType::AssignmentEnded, *h));
    let started = now
        .iter()
        .filter(|(_, rm, role)| !held(&was, rm, role))
        .map(|h| event(EventType::AssignmentStarted, *h));
    ended.chain(started).collect()
}

/// Whether a subscription to `types` hears `event_type` (an empty list hears every type).
pub fn hears(types: &[EventType], event_type: EventType) -> bool {
    types.is_empty() || types.contains(&event_type)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_flag_change_carries_ids_and_status_but_no_personal_data() {
        let after = json!({"id": "f1", "customer_id": "c1", "status": "open", "kind": "overdue",
            "severity": "high", "note": "a phone number 13800000000", "national_id": "x"});
        let events = derive("flag.raise", "flag", "f1", None, Some(&after));
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].event_type, EventType::FlagRaised);
        assert_eq!(
            events[0].data,
            json!({"id": "f1", "customer_id": "c1", "status": "open", "kind": "overdue", "severity": "high"})
        );
    }

    #[test]
    fn a_reassignment_ends_the_old_primary_and_starts_the_new_one() {
        let before = json!([{"id": "a1", "rm_id": "r1", "role": "primary"},
                            {"id": "a2", "rm_id": "r2", "role": "assistant"}]);
        let after = json!({"holders": [{"id": "a3", "rm_id": "r3", "role": "primary"},
                                       {"id": "a2", "rm_id": "r2", "role": "assistant"}]});
        let events = derive(
            "assignment.reassign",
            "customer",
            "c1",
            Some(&before),
            Some(&after),
        );
        let kinds: Vec<_> = events
            .iter()
            .map(|e| (e.event_type, e.entity_id.as_str()))
            .collect();
        assert_eq!(
            kinds,
            vec![
                (EventType::AssignmentEnded, "a1"),
                (EventType::AssignmentStarted, "a3")
            ]
        );
        assert_eq!(events[1].data["customer_id"], "c1");
    }

    #[test]
    fn a7_a_share_moved_between_the_same_holders_is_no_event() {
        let before = json!([{"id": "a1", "rm_id": "r1", "role": "primary", "share_bp": 10000}]);
        let after = json!([{"id": "a9", "rm_id": "r1", "role": "primary", "share_bp": 6000},
                           {"id": "a2", "rm_id": "r2", "role": "assistant", "share_bp": 4000}]);
        let events = derive(
            "assignment.create",
            "customer",
            "c1",
            Some(&before),
            Some(&after),
        );
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].event_type, EventType::AssignmentStarted);
        assert_eq!(events[0].data["rm_id"], "r2");
    }

    #[test]
    fn an_rm_event_is_a_status_change_only_when_the_status_changed() {
        let was = json!({"status": "active"});
        let now = json!({"status": "suspended"});
        let events = derive("rm.suspend", "rm", "r1", Some(&was), Some(&now));
        assert_eq!(events[0].event_type, EventType::RmStatusChanged);
        assert_eq!(events[0].data["previous_status"], "active");
        assert!(derive("rm.update", "rm", "r1", Some(&was), Some(&was)).is_empty());
    }

    #[test]
    fn unlisted_changes_publish_nothing_and_empty_subscriptions_hear_everything() {
        assert!(derive("user.password_change", "user", "u1", None, None).is_empty());
        assert!(hears(&[], EventType::JobFailed));
        assert!(!hears(&[EventType::FlagRaised], EventType::JobFailed));
    }
}
