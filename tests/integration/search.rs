//! Issue 22: head-office reads: search as people search, strict query parameters, kept queues.

use serde_json::json;

use crate::helpers::{spawn_app, TestApp};

fn named(app: &TestApp, unit: &str, name: &str, kind: &str, categories: &[&str]) -> String {
    let r = app.post(
        "/customers",
        &app.admin_token,
        &json!({"name": name, "kind": kind, "org_unit_id": unit, "is_key_account": false,
                "is_vip": false, "categories": categories}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    r.body["id"].as_str().expect("id").to_string()
}

fn names(app: &TestApp, path: &str) -> Vec<String> {
    let r = app.get(path, &app.admin_token);
    assert_eq!(r.status, 200, "{path}: {}", r.body);
    r.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|c| c["name"].as_str().expect("name").to_string())
        .collect()
}

#[test]
fn unknown_query_parameters_are_422_naming_them_on_every_route() {
    let app = spawn_app();
    let r = app.get("/customers?q=Nanjing", &app.admin_token);
    r.assert_problem(422, "validation_failed");
    assert_eq!(r.body["errors"][0]["field"], "q");
    assert!(
        r.body["errors"][0]["message"]
            .as_str()
            .unwrap_or("")
            .contains("name_contains"),
        "the message lists what the endpoint takes: {}",
        r.body
    );
    let r = app.get("/flags?limit=5&sevrity=critical", &app.admin_token);
    r.assert_problem(422, "validation_failed");
    assert_eq!(r.body["errors"][0]["field"], "sevrity");
    let r = app.get("/overview?unit=x", &app.admin_token);
    assert_eq!(r.body["errors"][0]["field"], "unit", "{}", r.body);
    // A download takes its list's filters, and only those.
    let r = app.get("/downloads/flags?format=csv&colour=red", &app.admin_token);
    r.assert_problem(422, "validation_failed");
    assert_eq!(r.body["errors"][0]["field"], "colour");
    assert_eq!(
        app.get("/downloads/flags?format=csv&status=open", &app.admin_token)
            .status,
        200
    );
    // Known parameters still work.
    assert_eq!(
        app.get("/customers?limit=5&kind=sme", &app.admin_token)
            .status,
        200
    );
}

#[test]
fn customers_are_found_by_name_prefix_and_contains_chinese_included_page_by_page() {
    let app = spawn_app();
    let root = app.root_id();
    let team = app.unit("Search Team", "team", &root);
    let other = app.unit("Other Team", "team", &root);
    for n in 0..5 {
        named(&app, &team, &format!("Nanjing Steel Co. {n}"), "sme", &[]);
    }
    named(&app, &other, "nanjing Textiles Co. 9", "sme", &[]);
    named(&app, &team, "Shanghai Solar Co. 1", "sme", &[]);
    named(&app, &team, "南京钢铁有限公司", "corporate", &[]);
    named(&app, &team, "上海南京路商贸有限公司", "corporate", &[]);

    // Prefix, any case of ASCII letters, in name order, across pages.
    let first = app.get("/customers?name=NANJING&limit=4", &app.admin_token);
    assert_eq!(first.status, 200, "{}", first.body);
    let mut found: Vec<String> = first.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|c| c["name"].as_str().expect("name").to_string())
        .collect();
    let cursor = first.body["next_cursor"]
        .as_str()
        .expect("a second page")
        .to_string();
    found.extend(names(
        &app,
        &format!("/customers?name=NANJING&limit=4&cursor={cursor}"),
    ));
    assert_eq!(
        found,
        [
            "Nanjing Steel Co. 0",
            "Nanjing Steel Co. 1",
            "Nanjing Steel Co. 2",
            "Nanjing Steel Co. 3",
            "Nanjing Steel Co. 4",
            "nanjing Textiles Co. 9"
        ]
    );
    // A cursor of one search does not continue another.
    let r = app.get(
        &format!("/customers?limit=4&cursor={cursor}"),
        &app.admin_token,
    );
    r.assert_problem(422, "validation_failed");
    assert_eq!(r.body["errors"][0]["field"], "cursor");

    // Inside a unit's subtree only.
    assert_eq!(
        names(
            &app,
            &format!("/customers?name=nanjing&org_unit_id={other}")
        ),
        ["nanjing Textiles Co. 9"]
    );
    // Chinese: a prefix and a substring.
    assert_eq!(names(&app, "/customers?name=南京"), ["南京钢铁有限公司"]);
    let mut contains = names(&app, "/customers?name_contains=南京路");
    contains.sort();
    assert_eq!(contains, ["上海南京路商贸有限公司"]);
    let mut contains = names(&app, "/customers?name_contains=有限公司");
    contains.sort();
    assert_eq!(contains, ["上海南京路商贸有限公司", "南京钢铁有限公司"]);
    // Contains, any case, page by page.
    let first = app.get("/customers?name_contains=STEEL&limit=3", &app.admin_token);
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(first.body["items"].as_array().map(Vec::len), Some(3));
    let cursor = first.body["next_cursor"].as_str().expect("a second page");
    let rest = names(
        &app,
        &format!("/customers?name_contains=STEEL&limit=3&cursor={cursor}"),
    );
    assert_eq!(rest.len(), 2, "{rest:?}");
    // No match, and wildcards taken literally.
    assert!(names(&app, "/customers?name_contains=Zzyzx").is_empty());
    assert!(names(&app, "/customers?name_contains=%25%25%25").is_empty());
    // Fewer than three characters cannot use the trigram index: 422 naming the field.
    let r = app.get("/customers?name_contains=南京", &app.admin_token);
    r.assert_problem(422, "validation_failed");
    assert_eq!(r.body["errors"][0]["field"], "name_contains");
    // A renamed customer is found by its new name only.
    let id = named(&app, &team, "Old Name Holdings", "sme", &[]);
    let current = app.get(&format!("/customers/{id}"), &app.admin_token).body;
    let r = app.patch(
        &format!("/customers/{id}"),
        &app.admin_token,
        &json!({"name": "Renamed Trading", "version": current["version"]}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(names(&app, "/customers?name_contains=Holdings").is_empty());
    assert_eq!(
        names(&app, "/customers?name_contains=renamed"),
        ["Renamed Trading"]
    );
}

#[test]
fn a6_the_second_rm_queue_and_category_lists_follow_every_change() {
    let app = spawn_app();
    let root = app.root_id();
    let team = app.unit("Queue Team", "team", &root);
    let rm1 = app.rm(&team, "corporate", "senior");
    let rm2 = app.rm(&team, "corporate", "senior");
    let high = named(&app, &team, "High Value Ltd", "corporate", &["high_value"]);
    let plain = named(&app, &team, "Plain Ltd", "corporate", &[]);
    let queue = |app: &TestApp| -> Vec<String> {
        let r = app.get("/queues/second-rm", &app.admin_token);
        assert_eq!(r.status, 200, "{}", r.body);
        r.body["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|c| c["customer_id"].as_str().expect("id").to_string())
            .collect()
    };
    assert_eq!(queue(&app), [high.clone()]);
    assert_eq!(
        names(&app, "/customers?category=high_value"),
        ["High Value Ltd"]
    );

    // Two holders take it off the queue; ending one puts it back.
    assert_eq!(
        app.assign(&app.admin_token, &high, &rm1, "primary").status,
        201
    );
    assert_eq!(queue(&app), [high.clone()]);
    let r = app.assign(&app.admin_token, &high, &rm2, "assistant");
    assert_eq!(r.status, 201, "{}", r.body);
    assert!(queue(&app).is_empty());
    let assignment = r.body["id"].as_str().expect("id").to_string();
    let r = app.post(
        &format!("/assignments/{assignment}/end"),
        &app.admin_token,
        &json!({"reason": "moved on"}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(queue(&app), [high.clone()]);

    // A marker set by PATCH puts a customer on the queue and on the category's list.
    let current = app
        .get(&format!("/customers/{plain}"), &app.admin_token)
        .body;
    let r = app.patch(
        &format!("/customers/{plain}"),
        &app.admin_token,
        &json!({"categories": ["potential_risk"], "version": current["version"]}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let mut q = queue(&app);
    q.sort();
    let mut expected = vec![high.clone(), plain.clone()];
    expected.sort();
    assert_eq!(q, expected);
    assert_eq!(
        names(&app, "/customers?category=potential_risk"),
        ["Plain Ltd"]
    );
    assert!(names(&app, "/customers?category=core").is_empty());
    // A category narrows a name search too, whichever index leads.
    assert_eq!(
        names(&app, "/customers?category=potential_risk&name=plain"),
        ["Plain Ltd"]
    );
    assert!(names(&app, "/customers?category=potential_risk&name=high").is_empty());
    assert_eq!(
        names(&app, "/customers?category=high_value&name_contains=value"),
        ["High Value Ltd"]
    );
    assert!(names(&app, "/customers?category=core&name_contains=value").is_empty());
}

#[test]
fn m3_a_customer_is_found_by_national_id_through_its_keyed_hash_only() {
    let app = spawn_app();
    let root = app.root_id();
    let team = app.unit("ID Team", "team", &root);
    let number = "11010519491231002X";
    let r = app.post(
        "/customers",
        &app.admin_token,
        &json!({"name": "Zhang Wei", "kind": "retail", "org_unit_id": team, "is_key_account": false,
                "is_vip": false, "categories": [], "national_id": number}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let id = r.body["id"].as_str().expect("id").to_string();
    named(&app, &team, "Li Na", "retail", &[]);

    let found = |token: &str, number: &str| -> Vec<String> {
        let r = app.get(&format!("/customers?national_id={number}"), token);
        assert_eq!(r.status, 200, "{}", r.body);
        r.body["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|c| c["id"].as_str().expect("id").to_string())
            .collect()
    };
    // Spacing and the check letter's case do not matter; another number finds nobody.
    assert_eq!(found(&app.admin_token, number), [id.clone()]);
    assert_eq!(found(&app.admin_token, "11010519491231002x"), [id.clone()]);
    assert!(found(&app.admin_token, "110105194912310021").is_empty());

    // A role that sees national IDs masked may not look one up (M-3).
    let auditor = app.user_token("id.auditor", &["auditor"], &root);
    let r = app.get(&format!("/customers?national_id={number}"), &auditor);
    assert_eq!(r.status, 403, "{}", r.body);

    // A change of the customer keeps it findable.
    let current = app.get(&format!("/customers/{id}"), &app.admin_token).body;
    let r = app.patch(
        &format!("/customers/{id}"),
        &app.admin_token,
        &json!({"name": "Zhang Wei (renamed)", "version": current["version"]}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(found(&app.admin_token, number), [id]);
}
