//! M-1 stateful property test: a seeded random walk of API calls by several users with different
//! roles against the real server, checking after every step that the rules hold on the state,
//! whatever path the walk took. `RMDESK_WALK_SEED` and `RMDESK_WALK_STEPS` set the seed and the
//! length (CI: a fixed seed, 600 steps per database; release checks: `RMDESK_WALK_STEPS=5000` with
//! a few seeds). A failure names the seed and the step, so it can be replayed.

use std::collections::{BTreeMap, BTreeSet};

use diesel::sql_types::{BigInt, Text};
use diesel::{QueryableByName, RunQueryDsl};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};

use crate::helpers::{spawn_app, TestApp};

#[derive(QueryableByName)]
struct Pair {
    #[diesel(sql_type = Text)]
    a: String,
    #[diesel(sql_type = Text)]
    b: String,
}

#[derive(QueryableByName)]
struct One {
    #[diesel(sql_type = Text)]
    a: String,
}

#[derive(QueryableByName)]
struct Counted {
    #[diesel(sql_type = Text)]
    a: String,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

struct World {
    app: TestApp,
    branches: [String; 2],
    rms: Vec<String>,
    customers: Vec<String>,
    /// (username, token) of each acting user.
    managers: Vec<String>,
    risk_officers: Vec<String>,
    committee: Vec<String>,
}

fn world() -> World {
    let app = spawn_app();
    let root = app.root_id();
    let pudong = app.unit("Pudong Branch", "branch", &root);
    let minhang = app.unit("Minhang Branch", "branch", &root);
    let team = app.unit("Corporate Team 1", "team", &pudong);
    let mut rms = Vec::new();
    for grade in ["rm", "rm", "senior", "rm", "senior"] {
        rms.push(app.rm(&team, "corporate", grade));
    }
    rms.push(app.rm(&minhang, "corporate", "rm"));
    let mut customers = Vec::new();
    for n in 0..14 {
        let categories: &[&str] = match n % 4 {
            0 => &["high_value"],
            1 => &["new_product"],
            _ => &[],
        };
        let unit = if n % 5 == 4 { &minhang } else { &team };
        customers.push(app.customer_of(unit, "corporate", n % 3 == 0, categories));
    }
    let managers = vec![
        app.user_token("walk.mgr1", &["manager"], &pudong),
        app.user_token("walk.mgr2", &["manager"], &root),
        app.admin_token.clone(),
    ];
    let risk_officers = vec![
        app.user_token("walk.risk1", &["risk_officer"], &root),
        app.user_token("walk.risk2", &["risk_officer"], &root),
    ];
    let committee = vec![
        app.user_token("walk.com1", &["committee"], &root),
        app.user_token("walk.com2", &["committee"], &root),
    ];
    World {
        app,
        branches: [pudong, minhang],
        rms,
        customers,
        managers,
        risk_officers,
        committee,
    }
}

fn user(rng: &mut StdRng, tokens: &[String]) -> String {
    pick(rng, tokens).clone()
}

fn pick<'a, T>(rng: &mut StdRng, items: &'a [T]) -> &'a T {
    &items[rng.gen_range(0..items.len())]
}

/// The primary of every assigned customer (several when the invariant is broken).
fn primaries(w: &World) -> BTreeMap<String, Vec<String>> {
    let mut conn = w.app.db();
    let rows: Vec<Pair> = diesel::sql_query(
        "SELECT customer_id AS a, rm_id AS b FROM assignments WHERE valid_to IS NULL AND role = 'primary'",
    )
    .load(&mut conn)
    .expect("primaries");
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for r in rows {
        out.entry(r.a).or_default().push(r.b);
    }
    out
}

/// customers whose primary changes need a second person (open flag, blacklisted, high-value).
fn sensitive(w: &World) -> BTreeSet<String> {
    let mut conn = w.app.db();
    let rows: Vec<One> = diesel::sql_query(
        "SELECT id AS a FROM customers WHERE categories LIKE '%high_value%' \
         UNION SELECT customer_id AS a FROM flags WHERE customer_id IS NOT NULL AND status <> 'resolved'",
    )
    .load(&mut conn)
    .expect("sensitive");
    rows.into_iter().map(|r| r.a).collect()
}

/// Checks every invariant on the state; `step` names what the walk just did.
fn check(
    w: &World,
    seed: u64,
    n: usize,
    step: &str,
    before: &BTreeMap<String, Vec<String>>,
    was_sensitive: &BTreeSet<String>,
    approved_by_other: bool,
) {
    let at = format!("seed {seed}, step {n} ({step})");
    let mut conn = w.app.db();
    let now = primaries(w);

    // each assigned customer has exactly one primary.
    let holders: Vec<Counted> = diesel::sql_query(
        "SELECT customer_id AS a, COUNT(*) AS n FROM assignments WHERE valid_to IS NULL GROUP BY customer_id",
    )
    .load(&mut conn)
    .expect("holders");
    for h in &holders {
        let p = now.get(&h.a).map(Vec::len).unwrap_or(0);
        assert_eq!(
            p, 1,
            "A-1: customer {} has {} primaries with {} holders at {at}",
            h.a, p, h.n
        );
    }

    // A-10 / M-1: no sensitive customer changed (or lost) its primary but through an approval
    // decided by another person.
    for (customer, old) in before {
        if was_sensitive.contains(customer) && now.get(customer) != Some(old) {
            assert!(
                approved_by_other,
                "A-10: {customer} moved from {old:?} to {:?} at {at}",
                now.get(customer)
            );
        }
    }
    for (customer, new) in &now {
        if was_sensitive.contains(customer) && !before.contains_key(customer) {
            // Taking a primary again is allowed only for its last primary, or under approval.
            let last: Vec<One> = diesel::sql_query(format!(
                "SELECT rm_id AS a FROM assignments WHERE customer_id = '{customer}' AND role = 'primary' \
                 AND valid_to IS NOT NULL ORDER BY valid_from DESC, id DESC LIMIT 1"
            ))
            .load(&mut conn)
            .expect("last primary");
            if let Some(last) = last.first() {
                assert!(
                    approved_by_other || new == &vec![last.a.clone()],
                    "A-10: {customer} took a new primary at {at}"
                );
            }
        }
    }

    // no RM above its cap (key accounts: the marker or a loan outstanding) without an approved
    // override for that RM.
    let loads: Vec<Counted> = diesel::sql_query(
        "SELECT a.rm_id AS a, COUNT(*) AS n FROM assignments a JOIN customers c ON c.id = a.customer_id \
         WHERE a.valid_to IS NULL AND (c.is_key_account = TRUE OR EXISTS \
           (SELECT 1 FROM loans l WHERE l.customer_id = c.id AND l.balance_fen > 0)) GROUP BY a.rm_id",
    )
    .load(&mut conn)
    .expect("loads");
    let overrides: Vec<One> = diesel::sql_query(
        "SELECT payload AS a FROM approvals WHERE command = 'assign_over_cap' AND status = 'approved'",
    )
    .load(&mut conn)
    .expect("overrides");
    for load in loads.iter().filter(|l| l.n > 15) {
        let allowed = overrides.iter().filter(|o| o.a.contains(&load.a)).count() as i64;
        assert!(
            load.n <= 15 + allowed,
            "A-3: RM {} holds {} key accounts at {at}",
            load.a,
            load.n
        );
    }

    // The figures the database keeps equal a recount of the state: each RM's A-3 load and the
    // overview's open flags and checks per unit.
    let kept_flags = "SELECT org_path, kind, severity, SUM(open) AS n FROM \
        (SELECT org_path, kind, severity, open FROM open_flag_counts UNION ALL \
         SELECT org_path, kind, severity, open FROM open_flag_count_changes) k \
        GROUP BY org_path, kind, severity HAVING SUM(open) <> 0";
    let counted_flags = "SELECT org_path, kind, severity, COUNT(*) AS n FROM flags \
        WHERE status <> 'resolved' GROUP BY org_path, kind, severity";
    let kept_checks = "SELECT org_path, due_on, SUM(open) AS n FROM \
        (SELECT org_path, due_on, open FROM open_check_counts UNION ALL \
         SELECT org_path, due_on, open FROM open_check_count_changes) k \
        GROUP BY org_path, due_on HAVING SUM(open) <> 0";
    let counted_checks = "SELECT org_path, due_on, COUNT(*) AS n FROM required_checks \
        WHERE closed_at IS NULL GROUP BY org_path, due_on";
    let drift: Vec<One> = diesel::sql_query(format!(
        "SELECT 'rm_loads ' || r.id AS a FROM rms r \
         WHERE COALESCE((SELECT key_accounts FROM rm_loads k WHERE k.rm_id = r.id), 0) \
             + COALESCE((SELECT SUM(key_accounts) FROM rm_load_changes k WHERE k.rm_id = r.id), 0) \
             <> (SELECT COUNT(*) FROM assignments a JOIN customers c ON c.id = a.customer_id \
                 WHERE a.rm_id = r.id AND a.valid_to IS NULL AND (c.is_key_account = TRUE OR EXISTS \
                   (SELECT 1 FROM loans l WHERE l.customer_id = c.id AND l.balance_fen > 0))) \
            OR COALESCE((SELECT vip_customers FROM rm_loads k WHERE k.rm_id = r.id), 0) \
             + COALESCE((SELECT SUM(vip_customers) FROM rm_load_changes k WHERE k.rm_id = r.id), 0) \
             <> (SELECT COUNT(*) FROM assignments a JOIN customers c ON c.id = a.customer_id \
                 WHERE a.rm_id = r.id AND a.valid_to IS NULL AND c.is_vip = TRUE) \
         UNION ALL SELECT 'open flags ' || d.org_path || ' ' || d.kind FROM \
           (SELECT * FROM ({kept_flags}) x EXCEPT SELECT * FROM ({counted_flags}) y) d \
         UNION ALL SELECT 'open flags ' || d.org_path || ' ' || d.kind FROM \
           (SELECT * FROM ({counted_flags}) x EXCEPT SELECT * FROM ({kept_flags}) y) d \
         UNION ALL SELECT 'open checks ' || d.org_path FROM \
           (SELECT * FROM ({kept_checks}) x EXCEPT SELECT * FROM ({counted_checks}) y) d \
         UNION ALL SELECT 'open checks ' || d.org_path FROM \
           (SELECT * FROM ({counted_checks}) x EXCEPT SELECT * FROM ({kept_checks}) y) d"
    ))
    .load(&mut conn)
    .expect("kept figures");
    assert!(
        drift.is_empty(),
        "kept figures differ from a recount at {at}: {:?}",
        drift.iter().map(|d| &d.a).collect::<Vec<_>>()
    );

    // every assigned A-6 customer without a second RM is on the queue.
    let unqueued: Vec<One> = diesel::sql_query(
        "SELECT c.id AS a FROM customers c WHERE c.needs_second_rm_since IS NULL \
         AND (c.categories LIKE '%new_product%' OR c.categories LIKE '%high_value%' \
              OR EXISTS (SELECT 1 FROM flags f WHERE f.customer_id = c.id AND f.status <> 'resolved')) \
         AND (SELECT COUNT(*) FROM assignments a WHERE a.customer_id = c.id AND a.valid_to IS NULL) = 1",
    )
    .load(&mut conn)
    .expect("a6");
    assert!(
        unqueued.is_empty(),
        "A-6: {:?} need a second RM but are not queued at {at}",
        unqueued.iter().map(|o| &o.a).collect::<Vec<_>>()
    );

    // nobody exited without a closed case.
    let exited: Vec<One> = diesel::sql_query(
        "SELECT r.id AS a FROM rms r WHERE r.status = 'exited' AND NOT EXISTS \
         (SELECT 1 FROM exit_cases e WHERE e.rm_id = r.id AND e.status = 'closed')",
    )
    .load(&mut conn)
    .expect("exited");
    assert!(
        exited.is_empty(),
        "X-5: exited without a closed case at {at}"
    );
}

fn active_assignments(w: &World, customer: &str) -> Vec<Value> {
    let r = w.app.get(
        &format!("/customers/{customer}/assignments"),
        &w.app.admin_token,
    );
    r.body
        .as_array()
        .map(|a| {
            a.iter()
                .filter(|x| x["valid_to"].is_null())
                .cloned()
                .collect()
        })
        .unwrap_or_default()
}

fn proposed_handover(w: &World, rm: &str) -> Option<String> {
    let mut conn = w.app.db();
    let rows: Vec<One> = diesel::sql_query(format!(
        "SELECT id AS a FROM handovers WHERE from_rm_id = '{rm}' AND status = 'proposed'"
    ))
    .load(&mut conn)
    .expect("proposed handover");
    rows.into_iter().next().map(|r| r.a)
}

fn audit_count(w: &World) -> i64 {
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let mut conn = w.app.db();
    let r: Vec<N> = diesel::sql_query("SELECT COUNT(*) AS n FROM audit_events")
        .load(&mut conn)
        .expect("count");
    r[0].n
}

#[test]
fn m1_a_random_walk_of_many_users_never_breaks_a_rule() {
    let seed: u64 = std::env::var("RMDESK_WALK_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20261130);
    let steps: usize = std::env::var("RMDESK_WALK_STEPS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(600);
    let mut rng = StdRng::seed_from_u64(seed);
    let w = world();
    let statuses = ["normal", "normal", "substandard"];
    let mut tally: BTreeMap<(&str, u16), usize> = BTreeMap::new();
    for n in 0..steps {
        let before = primaries(&w);
        let was_sensitive = sensitive(&w);
        let events_before = audit_count(&w);
        let customer = pick(&mut rng, &w.customers).clone();
        let rm = pick(&mut rng, &w.rms).clone();
        let manager = pick(&mut rng, &w.managers).clone();
        let mut approved_by_other = false;
        let (step, r) = match rng.gen_range(0..12) {
            0 | 1 => {
                let role = if rng.gen_bool(0.6) {
                    "primary"
                } else {
                    "assistant"
                };
                ("assign", w.app.post("/assignments", &manager, &json!({"customer_id": customer, "rm_id": rm, "role": role, "override_reason": "walk"})))
            }
            2 => match active_assignments(&w, &customer).first() {
                Some(a) => (
                    "end",
                    w.app.post(
                        &format!("/assignments/{}/end", a["id"].as_str().unwrap_or("")),
                        &manager,
                        &json!({"reason": "walk"}),
                    ),
                ),
                None => continue,
            },
            3 => (
                "reassign",
                w.app.post(
                    &format!("/customers/{customer}/reassign"),
                    &manager,
                    &json!({"to_rm_id": rm, "reason": "rotation"}),
                ),
            ),
            4 => {
                let r = w.app.post(
                    "/handovers",
                    &manager,
                    &json!({"from_rm_id": rm, "reason": "walk"}),
                );
                // one plan per RM; the one already proposed (an exit case's) is confirmed.
                let open = match r.body["id"].as_str() {
                    Some(id) => Some(id.to_string()),
                    None => proposed_handover(&w, &rm),
                };
                match open {
                    Some(id) => (
                        "handover",
                        w.app.post(
                            &format!("/handovers/{id}/confirm"),
                            &user(&mut rng, &w.managers),
                            &json!({}),
                        ),
                    ),
                    None => ("handover proposal", r),
                }
            }
            5 => {
                let current = w
                    .app
                    .get(&format!("/customers/{customer}"), &w.app.admin_token)
                    .body;
                let patch = match rng.gen_range(0..4) {
                    0 => {
                        json!({"is_key_account": !current["is_key_account"].as_bool().unwrap_or(false)})
                    }
                    1 => json!({"categories": []}),
                    2 => json!({"categories": ["high_value"]}),
                    _ => json!({"org_unit_id": pick(&mut rng, &w.branches)}),
                };
                let mut patch = patch;
                patch["version"] = current["version"].clone();
                (
                    "patch customer",
                    w.app
                        .patch(&format!("/customers/{customer}"), &manager, &patch),
                )
            }
            6 => {
                let no = format!("W{}", rng.gen_range(0..20));
                let class = *pick(&mut rng, &statuses);
                let body = json!({"loan_no": no, "customer_id": customer, "rm_id": rm, "balance": "1000.00", "originated_on": "2026-01-10",
                                  "classification": class, "interest_due": "10.00", "interest_paid": "10.00", "as_of": "2026-11-20"});
                (
                    "loan",
                    w.app
                        .post("/loans", &user(&mut rng, &w.risk_officers), &body),
                )
            }
            7 => {
                let kind = if rng.gen_bool(0.3) {
                    "blacklisted"
                } else {
                    "anomaly"
                };
                (
                    "flag",
                    w.app.post(
                        "/flags",
                        &user(&mut rng, &w.risk_officers),
                        &json!({"customer_id": customer, "kind": kind, "reason": "walk"}),
                    ),
                )
            }
            8 => {
                let flags = w
                    .app
                    .get(&format!("/customers/{customer}/flags"), &w.app.admin_token)
                    .body;
                match flags
                    .as_array()
                    .and_then(|f| f.iter().find(|f| f["status"] != "resolved"))
                {
                    Some(f) => (
                        "resolve flag",
                        w.app.post(
                            &format!("/flags/{}/resolve", f["id"].as_str().unwrap_or("")),
                            &user(&mut rng, &w.risk_officers),
                            &json!({"evidence": "walk"}),
                        ),
                    ),
                    None => continue,
                }
            }
            9 | 10 => {
                let pending = w
                    .app
                    .get("/approvals?status=pending", &w.app.admin_token)
                    .body;
                let items = pending["items"].as_array().cloned().unwrap_or_default();
                let Some(a) = (!items.is_empty()).then(|| pick(&mut rng, &items).clone()) else {
                    continue;
                };
                let deciders: Vec<String> =
                    w.managers.iter().chain(&w.risk_officers).cloned().collect();
                let decider = pick(&mut rng, &deciders).clone();
                let r = w.app.post(
                    &format!("/approvals/{}/approve", a["id"].as_str().unwrap_or("")),
                    &decider,
                    &json!({}),
                );
                approved_by_other = r.status == 200;
                ("approve", r)
            }
            _ => {
                let kind = *pick(&mut rng, &["forced", "voluntary"]);
                let proposer = rng.gen_range(0..2);
                let r = w.app.post(
                    "/exit-cases",
                    &w.committee[proposer],
                    &json!({"rm_id": rm, "kind": kind, "reason": "walk", "evidence": "walk"}),
                );
                match r.body["id"].as_str() {
                    Some(id) => (
                        "exit case",
                        w.app.post(
                            &format!("/exit-cases/{id}/decide"),
                            &w.committee[1 - proposer],
                            &json!({"decision": "approve", "note": "walk"}),
                        ),
                    ),
                    None => ("exit case proposal", r),
                }
            }
        };
        *tally.entry((step, r.status)).or_default() += 1;
        assert!(
            r.status < 500,
            "seed {seed}, step {n} ({step}): server error {}",
            r.body
        );
        if r.status < 300 {
            assert!(
                audit_count(&w) > events_before,
                "M-2: {step} answered {} without an audit event (seed {seed}, step {n})",
                r.status
            );
        } else {
            assert!(
                r.body["code"].is_string(),
                "seed {seed}, step {n} ({step}): refusal without a code: {}",
                r.body
            );
        }
        check(
            &w,
            seed,
            n,
            step,
            &before,
            &was_sensitive,
            approved_by_other,
        );
    }
    println!("walk (seed {seed}, {steps} steps): {tally:?}");
    let verify = w.app.get("/audit/verify", &w.app.admin_token);
    assert_eq!(
        verify.body["status"], "ok",
        "M-2: the chain verifies after the walk (seed {seed}): {}",
        verify.body
    );
}
