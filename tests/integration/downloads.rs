//! Office formats out: a list downloaded as XLSX opens in a spreadsheet reader (calamine) with the
//! API list's rows and masking; CSV carries the same rows with a BOM for Excel.

use calamine::Reader;
use serde_json::Value;

use crate::helpers::spawn_app;

fn sheet_rows(bytes: &[u8]) -> Vec<Vec<String>> {
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec()))
            .expect("an XLSX workbook");
    let name = book.sheet_names()[0].clone();
    let range = book.worksheet_range(&name).expect("the first sheet");
    range
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect()
}

#[test]
fn m3_an_rms_download_opens_in_a_spreadsheet_with_the_api_rows_and_masking() {
    let app = spawn_app();
    let root = app.root_id();
    let team = app.unit("Corporate Team 1", "team", &root);
    for grade in ["rm", "senior", "rm"] {
        app.rm(&team, "corporate", grade);
    }
    // An auditor sees national IDs masked (M-3); the download must not show more.
    let auditor = app.user_token("dl.auditor", &["auditor"], &root);
    let listed = app.get("/rms?limit=500&grade=rm", &auditor);
    assert_eq!(listed.status, 200, "{}", listed.body);
    let items = listed.body["items"].as_array().expect("items").clone();
    assert_eq!(items.len(), 2);

    let (status, content_type, bytes) =
        app.get_bytes("/downloads/rms?format=xlsx&lang=zh&grade=rm", &auditor);
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&bytes));
    assert!(content_type.contains("spreadsheetml"), "{content_type}");
    let rows = sheet_rows(&bytes);
    assert_eq!(
        rows[0][0..3],
        ["工号".to_string(), "姓名".into(), "身份证号".into()]
    );
    assert_eq!(rows.len(), items.len() + 1, "{rows:?}");
    for (row, item) in rows[1..].iter().zip(&items) {
        let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
        assert_eq!(row[0], text(&item["employee_no"]));
        assert_eq!(row[2], text(&item["national_id"]));
        assert!(row[2].contains('*'), "masked for an auditor: {row:?}");
    }

    let (status, content_type, bytes) =
        app.get_bytes("/downloads/rms?format=csv&grade=rm", &auditor);
    assert_eq!(status, 200);
    assert!(content_type.starts_with("text/csv"), "{content_type}");
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "a BOM for Excel");
    let text = String::from_utf8(bytes[3..].to_vec()).expect("UTF-8");
    assert_eq!(text.lines().count(), 3, "{text}");
    assert!(text.starts_with("Employee no.,Name,National ID"), "{text}");

    // Refusals name the parameter.
    let r = app.get("/downloads/planets", &auditor);
    assert_eq!(r.status, 422, "{}", r.body);
    let r = app.get("/downloads/rms?format=pdf", &auditor);
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.to_string().contains("format"), "{}", r.body);
    let r = app.get("/downloads/rms?grade=chief", &auditor);
    assert_eq!(r.status, 422, "{}", r.body);
}

#[test]
fn a_flags_download_holds_every_page_of_the_list() {
    let app = spawn_app();
    let root = app.root_id();
    let team = app.unit("Corporate Team 1", "team", &root);
    let rm = app.rm(&team, "corporate", "rm");
    for n in 0..3 {
        let customer = app.customer_of(&team, "corporate", false, &[]);
        let r = app.post(
            "/flags",
            &app.admin_token,
            &serde_json::json!({"customer_id": customer, "kind": "anomaly", "reason": format!("news {n}")}),
        );
        assert_eq!(r.status, 201, "{}", r.body);
    }
    let _ = rm;
    let listed = app.get("/flags?limit=500", &app.admin_token);
    let ids: Vec<String> = listed.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|f| f["id"].as_str().unwrap_or("").to_string())
        .collect();
    let (status, _, bytes) = app.get_bytes("/downloads/flags", &app.admin_token);
    assert_eq!(status, 200);
    let rows = sheet_rows(&bytes);
    let downloaded: Vec<String> = rows[1..].iter().map(|r| r[0].clone()).collect();
    assert_eq!(downloaded, ids);
}
