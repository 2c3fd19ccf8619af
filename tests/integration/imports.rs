//! Go-live imports: a test bank of files made here (a GBK CSV with Chinese headers, an XLSX, NDJSON),
//! dry-run with planted errors, applied, re-applied, and read back through the API as history.

use std::time::{Duration, Instant};

use chrono::{Datelike, Months, NaiveDate};
use serde_json::{json, Value};

use crate::helpers::{spawn_app, test_today, TestApp};

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// Posts a file and waits for the import to end; returns its final report.
fn import(app: &TestApp, kind: &str, dry_run: bool, content_type: &str, body: &[u8]) -> Value {
    let r = app.post_bytes(
        &format!("/imports?kind={kind}&dry_run={dry_run}&file_name={kind}"),
        &app.admin_token,
        content_type,
        body,
    );
    assert_eq!(r.status, 202, "{}", r.body);
    let id = r.body["id"].as_str().expect("import id").to_string();
    let started = Instant::now();
    loop {
        let r = app.get(&format!("/imports/{id}"), &app.admin_token);
        assert_eq!(r.status, 200, "{}", r.body);
        if r.body["status"] != "running" {
            return r.body;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "import {id} still running"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn gbk(text: &str) -> Vec<u8> {
    let (bytes, _, unmappable) = encoding_rs::GBK.encode(text);
    assert!(!unmappable, "the test's text fits GBK");
    bytes.into_owned()
}

fn errors_by_line(report: &Value) -> Vec<(u64, String, String)> {
    report["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| {
            (
                e["line"].as_u64().unwrap_or(0),
                e["field"].as_str().unwrap_or("").to_string(),
                e["rule"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

fn years_ago(years: u32) -> NaiveDate {
    test_today() - Months::new(12 * years)
}

fn slash(d: NaiveDate) -> String {
    d.format("%Y/%m/%d").to_string()
}

fn xlsx(rows: &[Vec<&str>]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            sheet.write_string(r as u32, c as u16, *cell).expect("cell");
        }
    }
    book.save_to_buffer().expect("xlsx")
}

/// Loads a small bank through every format and checks what the API then answers about its past.
fn load_bank(app: &TestApp) -> (Value, Value, Value) {
    // Units, NDJSON, with a parent that does not exist on line 3.
    let units_bad = "{\"code\":\"B01\",\"name\":\"Pudong Branch\",\"kind\":\"branch\",\"parent_code\":\"HO\"}\n\
        {\"code\":\"T01\",\"name\":\"Pudong Corporate Team\",\"kind\":\"team\",\"parent_code\":\"B01\"}\n\
        {\"code\":\"T02\",\"name\":\"Lost Team\",\"kind\":\"team\",\"parent_code\":\"NOPE\"}\n";
    let report = import(
        app,
        "org_units",
        true,
        "application/x-ndjson",
        units_bad.as_bytes(),
    );
    assert_eq!(report["status"], "refused", "{report}");
    assert_eq!(
        errors_by_line(&report),
        vec![(3, "parent_code".into(), "".into())],
        "{report}"
    );
    let units: String = units_bad
        .lines()
        .take(2)
        .map(|l| format!("{l}\n"))
        .collect();
    let report = import(
        app,
        "org_units",
        false,
        "application/x-ndjson",
        units.as_bytes(),
    );
    assert_eq!(report["status"], "succeeded", "{report}");
    assert_eq!(report["inserted"], 2);

    // RMs, XLSX with Chinese headers; line 4 has a grade that does not exist.
    let qualified = (test_today() - chrono::Days::new(100)).to_string();
    let header = vec![
        "工号",
        "身份证号",
        "姓名",
        "条线",
        "等级",
        "所属机构号",
        "资格日期",
    ];
    let rm_rows = |third_grade: &'static str| {
        vec![
            header.clone(),
            vec![
                "E1",
                "110101198001011234",
                "王芳",
                "corporate",
                "senior",
                "T01",
                qualified.as_str(),
            ],
            vec![
                "E2",
                "110101198502021234",
                "李强",
                "corporate",
                "rm",
                "T01",
                qualified.as_str(),
            ],
            vec![
                "E3",
                "110101199003031234",
                "张伟",
                "corporate",
                third_grade,
                "T01",
                qualified.as_str(),
            ],
        ]
    };
    let report = import(app, "rms", true, XLSX, &xlsx(&rm_rows("chief")));
    assert_eq!(report["status"], "refused", "{report}");
    assert_eq!(
        errors_by_line(&report),
        vec![(4, "grade".into(), "".into())],
        "{report}"
    );
    let report = import(app, "rms", false, XLSX, &xlsx(&rm_rows("rm")));
    assert_eq!(report["status"], "succeeded", "{report}");
    assert_eq!(report["inserted"], 3, "{report}");

    // Customers, GBK CSV with Chinese headers; line 6 names a unit that does not exist.
    let customers = "客户号,客户名称,客户类型,所属机构号,重点客户,证件号码\n\
        C1,上海钢铁有限公司,corporate,T01,否,\n\
        C2,浦东物流有限公司,corporate,T01,否,\n\
        C3,南京机械制造有限公司,corporate,T01,是,\n\
        C4,杭州纺织有限公司,corporate,T01,否,91330100MA2B3C4D5E\n";
    let bad = format!("{customers}C5,无名公司,corporate,ZZ,否,\n");
    let report = import(app, "customers", true, "text/csv", &gbk(&bad));
    assert_eq!(report["status"], "refused", "{report}");
    assert_eq!(
        errors_by_line(&report),
        vec![(6, "org_unit_code".into(), "".into())],
        "{report}"
    );
    assert_eq!(
        app.get("/customers?customer_no=C1", &app.admin_token).body["items"],
        json!([]),
        "a dry run writes nothing"
    );
    let customers_file = gbk(customers);
    let customers_report = import(app, "customers", false, "text/csv", &customers_file);
    assert_eq!(
        customers_report["status"], "succeeded",
        "{customers_report}"
    );
    assert_eq!(customers_report["inserted"], 4);
    // Issue 22: imported names are searchable at once (the index is kept by the database).
    let found = app.get(
        &format!("/customers?name_contains={}", "钢铁有限"),
        &app.admin_token,
    );
    assert_eq!(found.status, 200, "{}", found.body);
    assert_eq!(
        found.body["items"][0]["customer_no"], "C1",
        "{}",
        found.body
    );
    // M-3: national IDs written by the import are hashed as they are written: found at once.
    let by_id = app
        .get(
            "/customers?national_id=91330100MA2B3C4D5E",
            &app.admin_token,
        )
        .body;
    assert_eq!(by_id["items"][0]["customer_no"], "C4", "{by_id}");

    // Assignments with history, GBK CSV, dates as 2021/03/01. C3 changed hands on the first of this
    // month; C2 has been with E3 for four years; C1 was E1's until two years ago.
    let first_of_month = test_today().with_day(1).expect("first of the month");
    let history = format!(
        "客户号,客户经理工号,角色,起始日期,截止日期\n\
         C1,E1,主办,{},{}\n\
         C1,E2,primary,{},\n\
         C2,E3,primary,{},\n\
         C3,E1,primary,{},{}\n\
         C3,E2,primary,{},\n",
        slash(years_ago(6)),
        slash(years_ago(2)),
        slash(years_ago(2)),
        slash(years_ago(4)),
        slash(years_ago(3)),
        slash(first_of_month),
        slash(first_of_month),
    );
    // Planted: C4 with two primaries at once (line 8) and an assistant nobody leads (line 9).
    let bad = format!(
        "{history}C4,E1,primary,{},{}\nC4,E3,primary,{},\nC2,E2,assistant,{},{}\n",
        slash(years_ago(5)),
        slash(years_ago(1)),
        slash(years_ago(2)),
        slash(years_ago(5)),
        slash(years_ago(4)),
    );
    let report = import(
        app,
        "assignments",
        true,
        "text/csv; charset=gbk",
        &gbk(&bad),
    );
    assert_eq!(report["status"], "refused", "{report}");
    assert_eq!(
        errors_by_line(&report),
        vec![
            (8, "valid_from".into(), "A-1".into()),
            (9, "role".into(), "A-1".into())
        ],
        "{report}"
    );
    let history_file = gbk(&history);
    let history_report = import(app, "assignments", false, "text/csv", &history_file);
    assert_eq!(history_report["status"], "succeeded", "{history_report}");
    assert_eq!(history_report["inserted"], 5);
    (
        customers_report,
        history_report,
        json!({"customers": customers_file, "history": history_file}),
    )
}

fn customer_id(app: &TestApp, no: &str) -> String {
    let r = app.get(&format!("/customers?customer_no={no}"), &app.admin_token);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["items"][0]["customer_no"], no, "{}", r.body);
    r.body["items"][0]["id"].as_str().expect("id").to_string()
}

fn rm_id(app: &TestApp, employee_no: &str) -> String {
    let r = app.get(&format!("/rms?employee_no={employee_no}"), &app.admin_token);
    assert_eq!(
        r.body["items"].as_array().expect("rms").len(),
        1,
        "{}",
        r.body
    );
    r.body["items"][0]["id"]
        .as_str()
        .expect("rm by employee number")
        .to_string()
}

#[test]
fn import_loads_a_bank_with_its_history_from_gbk_xlsx_and_ndjson_files() {
    let app = spawn_app();
    let (_, _, files) = load_bank(&app);
    let (e1, e2, e3) = (rm_id(&app, "E1"), rm_id(&app, "E2"), rm_id(&app, "E3"));

    // A-1 as of five years back: C1 was E1's then, E2's now.
    let c1 = customer_id(&app, "C1");
    let then = app.get(
        &format!("/customers/{c1}/assignments?as_of={}", years_ago(5)),
        &app.admin_token,
    );
    assert_eq!(then.status, 200, "{}", then.body);
    assert_eq!(
        then.body.as_array().expect("history").len(),
        1,
        "{}",
        then.body
    );
    assert_eq!(then.body[0]["rm_id"], e1.as_str());
    let now = app.get(
        &format!("/customers/{c1}/assignments?as_of={}", test_today()),
        &app.admin_token,
    );
    assert_eq!(now.body[0]["rm_id"], e2.as_str(), "{}", now.body);

    // C2 has been E3's for four years, past the three-year rotation period; C1 only two.
    let c2 = customer_id(&app, "C2");
    let queue = app.get("/queues/rematch?kind=rotation&limit=500", &app.admin_token);
    assert_eq!(queue.status, 200, "{}", queue.body);
    let listed: Vec<&str> = queue.body["items"]
        .as_array()
        .expect("queue")
        .iter()
        .filter_map(|p| p["customer_id"].as_str())
        .collect();
    assert!(listed.contains(&c2.as_str()), "{}", queue.body);
    assert!(!listed.contains(&c1.as_str()), "{}", queue.body);
    let _ = e3;

    // R-4 of last month: C3's loan counts in E1's book, who held C3 until this month.
    let last_month_end = test_today().with_day(1).expect("first") - chrono::Days::new(1);
    let loans = format!(
        "{}\n",
        json!({"loan_no": "L-C3-1", "customer_no": "C3", "employee_no": "E1", "balance": "800000.00",
               "originated_on": years_ago(2), "classification": "normal", "interest_due": "1000.00",
               "interest_paid": "1000.00", "as_of": last_month_end})
    );
    let report = import(
        &app,
        "loans",
        false,
        "application/x-ndjson",
        loans.as_bytes(),
    );
    assert_eq!(report["status"], "succeeded", "{report}");
    let r = app.post(
        "/evaluations",
        &app.admin_token,
        &json!({"as_of": last_month_end}),
    );
    assert!(r.status == 201 || r.status == 200, "{}", r.body);
    let books: Vec<(String, u64)> = r.body["rms"]
        .as_array()
        .expect("rms")
        .iter()
        .map(|x| {
            (
                x["rm_id"].as_str().unwrap_or("").to_string(),
                x["indicator"]["loan_customers"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(books, vec![(e1.clone(), 1)], "{}", r.body);

    // The same files again change nothing.
    let bytes = |v: &Value| -> Vec<u8> {
        v.as_array()
            .expect("bytes")
            .iter()
            .map(|b| b.as_u64().unwrap_or(0) as u8)
            .collect()
    };
    let again = import(
        &app,
        "customers",
        false,
        "text/csv",
        &bytes(&files["customers"]),
    );
    assert_eq!(
        (
            again["status"].clone(),
            again["inserted"].clone(),
            again["unchanged"].clone()
        ),
        (json!("succeeded"), json!(0), json!(4)),
        "{again}"
    );
    let again = import(
        &app,
        "assignments",
        false,
        "text/csv",
        &bytes(&files["history"]),
    );
    assert_eq!(
        (
            again["status"].clone(),
            again["inserted"].clone(),
            again["unchanged"].clone()
        ),
        (json!("succeeded"), json!(0), json!(5)),
        "{again}"
    );

    // The applied imports are in the audit trail by their file's digest.
    let events = app.get("/audit/events?limit=500", &app.admin_token);
    let applied = events.body["items"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["action"] == "import.apply")
        .count();
    assert!(applied >= 6, "{}", events.body);
}

#[test]
fn a1_history_is_written_only_by_imports_the_api_refuses_a_backdated_assignment() {
    let app = spawn_app();
    load_bank(&app);
    let c4 = customer_id(&app, "C4");
    let e1 = rm_id(&app, "E1");
    let r = app.post(
        "/assignments",
        &app.admin_token,
        &json!({"customer_id": c4, "rm_id": e1, "role": "primary", "reason": "new", "valid_from": years_ago(3)}),
    );
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.to_string().contains("valid_from"), "{}", r.body);
}

#[test]
fn a3_an_import_that_leaves_an_rm_above_the_cap_is_refused_whole() {
    let app = spawn_app();
    load_bank(&app);
    // E2 already holds C3 (a key account); give E2 sixteen more key accounts today: A-3 caps 15.
    let mut customers = String::from("customer_no,name,kind,org_unit_code,is_key_account\n");
    let mut history = String::from("customer_no,employee_no,role,valid_from\n");
    for n in 0..16 {
        customers.push_str(&format!("K{n},Key Customer {n},corporate,T01,true\n"));
        history.push_str(&format!("K{n},E2,primary,{}\n", years_ago(1)));
    }
    let report = import(&app, "customers", false, "text/csv", customers.as_bytes());
    assert_eq!(report["status"], "succeeded", "{report}");
    let report = import(&app, "assignments", true, "text/csv", history.as_bytes());
    assert_eq!(report["status"], "refused", "{report}");
    let errors = errors_by_line(&report);
    assert_eq!(
        errors,
        vec![(17, "employee_no".into(), "A-3".into())],
        "{report}"
    );
    let k0 = customer_id(&app, "K0");
    let held = app.get(&format!("/customers/{k0}/assignments"), &app.admin_token);
    assert_eq!(
        held.body,
        json!([]),
        "nothing of a refused import is written"
    );
}

#[test]
fn import_refusals_name_the_field() {
    let app = spawn_app();
    let r = app.post_bytes(
        "/imports?kind=planets",
        &app.admin_token,
        "text/csv",
        b"a\n1\n",
    );
    assert_eq!(r.status, 422, "{}", r.body);
    let r = app.post_bytes(
        "/imports?kind=customers",
        &app.admin_token,
        "application/pdf",
        b"%PDF",
    );
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.to_string().contains("Content-Type"), "{}", r.body);
    // An unknown column is reported on line 1; a file that is not XLSX is refused as a file.
    let report = import(
        &app,
        "customers",
        true,
        "text/csv",
        "客户号,星座\nC1,orion\n".as_bytes(),
    );
    assert_eq!(report["status"], "refused", "{report}");
    assert!(
        errors_by_line(&report).contains(&(1, "星座".into(), "".into())),
        "{report}"
    );
    // A body that cannot be a file of the kind is refused at the door, naming `file`: bytes that
    // are not an XLSX workbook, a CSV whose header names none of the kind's columns (a number, say),
    // NDJSON whose first line is not an object.
    for (media, body) in [
        (XLSX, &b"not a zip"[..]),
        ("text/csv", b"4.901646666826144e+97"),
        ("text/csv", "星座,行星\norion,mars\n".as_bytes()),
        ("application/x-ndjson", b"[1,2]\n"),
        ("application/x-ndjson", b"{\"planet\":\"mars\"}\n"),
    ] {
        let r = app.post_bytes(
            "/imports?kind=customers&dry_run=true",
            &app.admin_token,
            media,
            body,
        );
        assert_eq!(r.status, 422, "{media}: {}", r.body);
        assert!(
            r.body.to_string().contains("\"file\""),
            "{media}: {}",
            r.body
        );
    }
    // Only admins import.
    let root = app.root_id();
    let manager = app.user_token("import.mgr", &["manager"], &root);
    let r = app.post_bytes(
        "/imports?kind=customers",
        &manager,
        "text/csv",
        b"customer_no\n",
    );
    assert_eq!(r.status, 403, "{}", r.body);
}
