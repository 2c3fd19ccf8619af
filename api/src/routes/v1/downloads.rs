//! Office formats out: the lists a risk officer works from, as XLSX or CSV, headers in the
//! dashboard's language. Each download reads its list through the very function that answers the
//! list's own endpoint (every page of it), so its rows, scope (O-1) and masking (M-3) are the API's.

use actix_web::http::header;
use actix_web::{get, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::Value;
use utoipa::IntoParams;

use crate::auth::Caller;
use crate::error::{AppError, AppResult, Problem};
use crate::http::{parse_query, PageParams};
use crate::known_params::KnownParams;
use crate::startup::AppState;

use super::{exit_cases, field_checks, flags, loans, performance, rms};

/// The rows a download holds at most (narrow the filter for more).
const MAX_ROWS: usize = 100_000;

crate::domain::text_enum! {
    /// A list that downloads.
    ListName {
        Flags => "flags",
        Rms => "rms",
        RequiredChecks => "required-checks",
        Scores => "scores",
        ExitCases => "exit-cases",
        DueList => "due-list",
    }
}

crate::domain::text_enum! {
    /// The file's format.
    FileFormat {
        Xlsx => "xlsx",
        Csv => "csv",
    }
}

crate::domain::text_enum! {
    /// The language of the headers.
    Lang {
        En => "en",
        Zh => "zh",
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DownloadParams {
    /// `xlsx` (default) or `csv` (UTF-8 with BOM, as Excel opens it).
    pub format: Option<FileFormat>,
    /// The headers' language: `en` (default) or `zh`.
    pub lang: Option<Lang>,
    /// `due-list` only: the RM.
    pub rm_id: Option<String>,
    /// `due-list` and `scores`: the month, `YYYY-MM`.
    pub month: Option<String>,
}

/// A column: where its value is in the list's item (`a.b` for nested fields) and its headers.
struct Column {
    key: &'static str,
    en: &'static str,
    zh: &'static str,
}

const fn col(key: &'static str, en: &'static str, zh: &'static str) -> Column {
    Column { key, en, zh }
}

const FLAGS: &[Column] = &[
    col("id", "Flag", "预警编号"),
    col("kind", "Kind", "预警类型"),
    col("severity", "Severity", "严重程度"),
    col("status", "Status", "状态"),
    col("customer_name", "Customer", "客户"),
    col("rm_name", "RM", "客户经理"),
    col("reason", "Reason", "原因"),
    col("source", "Source", "来源"),
    col("raised_by", "Raised by", "发起人"),
    col("raised_at", "Raised at", "发起时间"),
];

const RMS: &[Column] = &[
    col("employee_no", "Employee no.", "工号"),
    col("name", "Name", "姓名"),
    col("national_id", "National ID", "身份证号"),
    col("line", "Line", "条线"),
    col("grade", "Grade", "等级"),
    col("status", "Status", "状态"),
    col("capacity.held", "Held (capped)", "管户数（限额口径）"),
    col("capacity.cap", "Cap", "限额"),
    col("capacity.utilisation", "Utilisation", "限额使用率"),
    col(
        "qualification_valid_until",
        "Qualified until",
        "资格有效期至",
    ),
    col("term_ends_on", "Term ends", "任期截止"),
    col("performance_level", "Level", "绩效等级"),
];

const REQUIRED_CHECKS: &[Column] = &[
    col("customer_name", "Customer", "客户"),
    col("kind", "Check", "检查类型"),
    col("due_on", "Due", "到期日"),
    col("overdue", "Overdue", "是否逾期"),
    col("reason", "Reason", "原因"),
    col("source", "Rule", "依据"),
    col("closed_at", "Closed at", "完成时间"),
];

const SCORES: &[Column] = &[
    col("month", "Month", "月份"),
    col("rm_id", "RM", "客户经理"),
    col("line", "Line", "条线"),
    col("total", "Score", "得分"),
    col("rank", "Rank", "排名"),
    col("rank_of", "Of", "参评人数"),
    col("risk_fund", "Risk fund", "风险金"),
    col("scoring_table", "Table", "评分表"),
];

const EXIT_CASES: &[Column] = &[
    col("rm_name", "RM", "客户经理"),
    col("kind", "Kind", "类型"),
    col("trigger", "Trigger", "触发条款"),
    col("status", "Status", "状态"),
    col("reason", "Reason", "原因"),
    col("proposed_by", "Proposed by", "提议人"),
    col("decided_by", "Decided by", "决定人"),
    col("created_at", "Opened", "立案时间"),
];

const DUE_LIST: &[Column] = &[
    col("section", "List", "清单"),
    col("loan_no", "Loan", "借据号"),
    col("customer_name", "Customer", "客户"),
    col("balance", "Balance", "余额"),
    col("matures_on", "Matures", "到期日"),
    col("collect_by", "Collect by", "收回期限"),
    col("unpaid_interest", "Unpaid interest", "欠息"),
    col("chase_from", "Chase from", "催收起始日"),
];

fn columns(list: ListName) -> &'static [Column] {
    match list {
        ListName::Flags => FLAGS,
        ListName::Rms => RMS,
        ListName::RequiredChecks => REQUIRED_CHECKS,
        ListName::Scores => SCORES,
        ListName::ExitCases => EXIT_CASES,
        ListName::DueList => DUE_LIST,
    }
}

impl ListName {
    /// The list endpoint whose filters the download takes (`due-list` checks its own two).
    fn route(self) -> Option<&'static str> {
        match self {
            ListName::Flags => Some("/api/v1/flags"),
            ListName::Rms => Some("/api/v1/rms"),
            ListName::RequiredChecks => Some("/api/v1/required-checks"),
            ListName::Scores => Some("/api/v1/performance/scores"),
            ListName::ExitCases => Some("/api/v1/exit-cases"),
            ListName::DueList => None,
        }
    }
}

/// Download a list as XLSX or CSV: `flags`, `rms`, `required-checks`, `exit-cases` take the same
/// filters as their list; `scores` those of `GET /performance/scores`; `due-list` `rm_id` and
/// `month`. At most 100,000 rows.
#[utoipa::path(
    tag = "exports",
    params(("list" = ListName, Path, description = "the list"), DownloadParams),
    responses(
        (status = 200, description = "the file", content(
            (String = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            (String = "text/csv"),
        )),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/downloads/{list}")]
pub async fn download(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    list: web::Path<String>,
) -> AppResult<HttpResponse> {
    let list = ListName::parse(&list.into_inner()).ok_or_else(|| {
        AppError::field(
            "list",
            "one of flags, rms, required-checks, scores, exit-cases, due-list",
        )
    })?;
    // The download's own parameters, then the list's filters from the rest of the query.
    let mut own = Vec::new();
    let mut rest = Vec::new();
    for (k, v) in form_urlencoded::parse(req.query_string().as_bytes()) {
        match k.as_ref() {
            "format" | "lang" => own.push((k, v)),
            "limit" | "cursor" => {
                return Err(AppError::field(
                    &k,
                    "a download holds every row of the list",
                ))
            }
            _ => rest.push((k, v)),
        }
    }
    let encode = |pairs: &[(std::borrow::Cow<str>, std::borrow::Cow<str>)]| {
        form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs.iter().map(|(k, v)| (k.as_ref(), v.as_ref())))
            .finish()
    };
    let params: DownloadParams = parse_query(&encode(&own))?;
    let filters = encode(&rest);
    if let (Some(path), Some(known)) = (list.route(), req.app_data::<web::Data<KnownParams>>()) {
        known.check(path, &filters)?;
    }
    let rows = rows_of(&state, &caller, list, &filters).await?;
    let lang = params.lang.unwrap_or(Lang::En);
    let format = params.format.unwrap_or(FileFormat::Xlsx);
    let name = format!("{}-{}.{}", list.as_str(), caller.today(), format.as_str());
    let (content_type, body) = match format {
        FileFormat::Xlsx => (
            crate::imports::read::XLSX_MEDIA_TYPE,
            xlsx(list, lang, &rows)?,
        ),
        FileFormat::Csv => ("text/csv; charset=utf-8", csv(list, lang, &rows)?),
    };
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{name}\""),
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body))
}

/// Every item of the list, as the list's endpoint answers it, page after page.
async fn rows_of(
    state: &AppState,
    caller: &Caller,
    list: ListName,
    filters: &str,
) -> AppResult<Vec<Value>> {
    let mut rows: Vec<Value> = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page: PageParams = parse_query(&match &cursor {
            Some(c) => format!("limit=500&cursor={}", urlencode(c)),
            None => "limit=500".into(),
        })?;
        let (items, next) = match list {
            ListName::Flags => {
                paged(flags::flags_page(state, caller.clone(), parse_query(filters)?, page).await?)?
            }
            ListName::Rms => {
                paged(rms::rms_page(state, caller.clone(), parse_query(filters)?, page).await?)?
            }
            ListName::RequiredChecks => paged(
                field_checks::required_page(state, caller.clone(), parse_query(filters)?, page)
                    .await?,
            )?,
            ListName::ExitCases => paged(
                exit_cases::cases_page(state, caller.clone(), parse_query(filters)?, page).await?,
            )?,
            ListName::Scores => {
                let all =
                    performance::scores_list(state, caller.clone(), parse_query(filters)?).await?;
                (
                    all.iter()
                        .map(serde_json::to_value)
                        .collect::<Result<_, _>>()?,
                    None,
                )
            }
            ListName::DueList => {
                #[derive(Deserialize)]
                #[serde(deny_unknown_fields)]
                struct DueParams {
                    rm_id: String,
                    month: Option<String>,
                }
                let p: DueParams = parse_query(filters)?;
                let q: loans::DueListParams = parse_query(&match &p.month {
                    Some(m) => format!("month={}", urlencode(m)),
                    None => String::new(),
                })?;
                let due = loans::due_list_of(state, caller.clone(), p.rm_id, q).await?;
                let mut items = Vec::new();
                for d in &due.due {
                    let mut v = serde_json::to_value(d)?;
                    v["section"] = Value::String("due".into());
                    items.push(v);
                }
                for o in &due.overdue_interest {
                    let mut v = serde_json::to_value(o)?;
                    v["section"] = Value::String("overdue_interest".into());
                    items.push(v);
                }
                (items, None)
            }
        };
        rows.extend(items);
        if rows.len() > MAX_ROWS {
            return Err(AppError::field(
                "list",
                format!("more than {MAX_ROWS} rows: narrow the filter"),
            ));
        }
        match next {
            Some(c) => cursor = Some(c),
            None => return Ok(rows),
        }
    }
}

fn paged<T: serde::Serialize>(
    page: crate::http::Page<T>,
) -> AppResult<(Vec<Value>, Option<String>)> {
    let items = page
        .items
        .iter()
        .map(serde_json::to_value)
        .collect::<Result<_, _>>()?;
    Ok((items, page.next_cursor))
}

fn urlencode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// A cell's text: strings as they are, numbers and yes/no as text, lists joined, null empty.
fn cell(item: &Value, key: &str) -> Value {
    let mut v = item;
    for part in key.split('.') {
        v = match v.get(part) {
            Some(x) => x,
            None => return Value::Null,
        };
    }
    v.clone()
}

fn text_of(v: &Value, lang: Lang) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => match (lang, b) {
            (Lang::Zh, true) => "是".into(),
            (Lang::Zh, false) => "否".into(),
            (Lang::En, true) => "yes".into(),
            (Lang::En, false) => "no".into(),
        },
        Value::Number(n) => n.to_string(),
        Value::Array(items) => items
            .iter()
            .map(|i| text_of(i, lang))
            .collect::<Vec<_>>()
            .join(", "),
        Value::Object(_) => v.to_string(),
    }
}

fn header(c: &Column, lang: Lang) -> &'static str {
    match lang {
        Lang::En => c.en,
        Lang::Zh => c.zh,
    }
}

fn xlsx(list: ListName, lang: Lang, rows: &[Value]) -> AppResult<Vec<u8>> {
    let fail = |e: rust_xlsxwriter::XlsxError| AppError::Internal(format!("xlsx: {e}"));
    let mut book = rust_xlsxwriter::Workbook::new();
    let bold = rust_xlsxwriter::Format::new().set_bold();
    let sheet = book.add_worksheet();
    sheet.set_name(list.as_str()).map_err(fail)?;
    let cols = columns(list);
    for (c, column) in cols.iter().enumerate() {
        sheet
            .write_string_with_format(0, c as u16, header(column, lang), &bold)
            .map_err(fail)?;
    }
    for (r, item) in rows.iter().enumerate() {
        let row = r as u32 + 1;
        for (c, column) in cols.iter().enumerate() {
            match cell(item, column.key) {
                Value::Number(n) => {
                    sheet
                        .write_number(row, c as u16, n.as_f64().unwrap_or_default())
                        .map_err(fail)?;
                }
                Value::Null => {}
                other => {
                    sheet
                        .write_string(row, c as u16, text_of(&other, lang))
                        .map_err(fail)?;
                }
            }
        }
    }
    sheet.set_freeze_panes(1, 0).map_err(fail)?;
    sheet.autofit();
    book.save_to_buffer().map_err(fail)
}

fn csv(list: ListName, lang: Lang, rows: &[Value]) -> AppResult<Vec<u8>> {
    let fail = |e: csv::Error| AppError::Internal(format!("csv: {e}"));
    let cols = columns(list);
    // The BOM makes Excel read the file as UTF-8 (Chinese headers and names).
    let mut out = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    out.write_record(cols.iter().map(|c| header(c, lang)))
        .map_err(fail)?;
    for item in rows {
        out.write_record(cols.iter().map(|c| text_of(&cell(item, c.key), lang)))
            .map_err(fail)?;
    }
    out.into_inner()
        .map_err(|e| AppError::Internal(format!("csv: {e}")))
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(download);
}
