//! `rmdesk demo`: a realistic demo bank in an empty database: head office, regions, branches,
//! sub-branches and teams; RMs of every line and grade; customers of every kind with their primary
//! RM (under the A-3 caps); loans with a realistic share overdue and non-performing. Sizes come
//! from flags, so the same command builds the 1,000,000-customer benchmark set. Then the bank is put
//! to work through the commands (see `activity`), so the dashboard has flags, cases and approvals.

mod activity;

use std::time::Instant;

use chrono::Days;
use diesel::prelude::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::auth::password;
use crate::config::Config;
use crate::db::assignments::AssignmentRow;
use crate::db::audit::Change;
use crate::db::audit::{self, Actor};
use crate::db::customers::CustomerRow;
use crate::db::loans::SnapshotRow;
use crate::db::org_units::OrgUnitRow;
use crate::db::rms::RmRow;
use crate::db::schema::{assignments, customers, loan_snapshots, org_units, rms};
use crate::db::users::UserRow;
use crate::db::{self, Db, DbConn};
use crate::domain::customer::{Category, CustomerKind};
use crate::domain::org::{child_path, OrgUnitKind};
use crate::domain::policy::Policy;
use crate::domain::rm::{term_end, Grade, Line, RmStatus};
use crate::domain::role::{join_roles, Role};
use crate::error::{AppError, AppResult};

/// How big a bank to build.
#[derive(Debug, Clone)]
pub struct Size {
    pub customers: usize,
    /// RMs; by default one per 250 customers (at least 3 per team).
    pub rms: Option<usize>,
    pub seed: u64,
    /// Record a chained audit event per customer created (`customer.create`, with its snapshot).
    pub audit: bool,
    /// The data set only, without putting the bank to work (benchmarks start from this).
    pub bare: bool,
}

impl Default for Size {
    fn default() -> Self {
        Size {
            customers: 20_000,
            rms: None,
            seed: 20261123,
            audit: false,
            bare: false,
        }
    }
}

impl Size {
    pub fn from_args(args: &[String]) -> Result<Self, String> {
        let mut size = Size::default();
        let mut it = args.iter();
        while let Some(flag) = it.next() {
            let mut value = |name: &str| -> Result<usize, String> {
                it.next()
                    .and_then(|v| v.replace('_', "").parse().ok())
                    .ok_or_else(|| format!("{name} needs a whole number"))
            };
            match flag.as_str() {
                "--customers" => size.customers = value("--customers")?,
                "--rms" => size.rms = Some(value("--rms")?),
                "--seed" => size.seed = value("--seed")? as u64,
                "--audit" => size.audit = true,
                "--bare" => size.bare = true,
                other => return Err(format!("unknown demo flag {other:?}")),
            }
        }
        if size.customers == 0 || size.customers > 20_000_000 {
            return Err("--customers must be between 1 and 20000000".into());
        }
        Ok(size)
    }
}

/// Builds the demo bank; refuses a database that already has customers.
pub fn run(config: &Config, size: &Size) -> Result<(), String> {
    let db = connect(config)?;
    if has_customers(&db)? {
        return Err(
            "the database already has customers; demo data goes only into an empty database".into(),
        );
    }
    seed(&db, config, size)
}

/// `serve --demo`: builds the demo bank only when the database has no customers yet.
pub fn run_if_empty(config: &Config, size: &Size) -> Result<(), String> {
    let db = connect(config)?;
    if has_customers(&db)? {
        tracing::info!("database has customers; demo data not added");
        return Ok(());
    }
    seed(&db, config, size)
}

fn connect(config: &Config) -> Result<Db, String> {
    let db = Db::connect(&config.database, 2)?;
    crate::startup::bootstrap(&db, config).map_err(|e| e.to_string())?;
    Ok(db)
}

fn has_customers(db: &Db) -> Result<bool, String> {
    let mut conn = db.writer().map_err(|e| e.to_string())?;
    let n: i64 = customers::table
        .count()
        .get_result(&mut *conn)
        .map_err(|e| e.to_string())?;
    Ok(n > 0)
}

const REGIONS: &[&str] = &["East China", "North China", "South China", "West China"];
const CITIES: &[&str] = &[
    "Shanghai",
    "Hangzhou",
    "Nanjing",
    "Beijing",
    "Tianjin",
    "Jinan",
    "Guangzhou",
    "Shenzhen",
    "Xiamen",
    "Chengdu",
    "Chongqing",
    "Xi'an",
];
const CITIES_ZH: &[&str] = &[
    "上海", "杭州", "南京", "北京", "天津", "济南", "广州", "深圳", "厦门", "成都", "重庆", "西安",
];
const SURNAMES_ZH: &[&str] = &[
    "李", "王", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "胡", "朱", "高", "林",
];
const GIVEN_ZH: &[&str] = &[
    "娜", "伟", "芳", "敏", "静", "磊", "强", "燕", "军", "慧", "涛", "平", "欣", "宇", "浩", "玲",
];
const TRADES_ZH: &[&str] = &[
    "钢铁",
    "纺织",
    "物流",
    "食品",
    "电子",
    "化工",
    "机械",
    "医药",
    "纸业",
    "光伏",
    "汽车配件",
    "陶瓷",
];
const SURNAMES: &[&str] = &[
    "Li", "Wang", "Zhang", "Liu", "Chen", "Yang", "Zhao", "Huang", "Zhou", "Wu", "Xu", "Sun", "Hu",
    "Zhu", "Gao", "Lin",
];
const GIVEN: &[&str] = &[
    "Na", "Wei", "Fang", "Min", "Jing", "Lei", "Qiang", "Yan", "Jun", "Hui", "Tao", "Ping", "Xin",
    "Yu", "Hao", "Ling",
];
const TRADES: &[&str] = &[
    "Steel",
    "Textiles",
    "Logistics",
    "Foods",
    "Electronics",
    "Chemicals",
    "Machinery",
    "Pharma",
    "Paper",
    "Solar",
    "Auto Parts",
    "Ceramics",
];

struct Team {
    id: String,
    path: String,
    retail: Vec<usize>,
    business: Vec<usize>,
}

fn seed(db: &Db, config: &Config, size: &Size) -> Result<(), String> {
    let started = Instant::now();
    let summary = {
        let mut conn = db.writer().map_err(|e| e.to_string())?;
        let conn: &mut DbConn = &mut conn;
        conn.transaction(|conn| build(conn, config, size))
            .map_err(|e: AppError| format!("demo data failed: {e}"))?
    };
    let summary = if size.bare {
        summary
    } else {
        let runs = run_the_year(db, config)?;
        format!("{summary}, {runs} job runs for the past year")
    };
    // The counts the database kept while the bank was written start folded.
    crate::db::kept::fold_now(db).map_err(|e| format!("folding the kept counts failed: {e}"))?;
    // The bank is written in one transaction: fold SQLite's log into the file now, or the next
    // server to open it replays gigabytes before it can write.
    // PostgreSQL plans from statistics: gather them for the tables the bank was just written into
    // (autovacuum may take minutes; until then lists walk whole indexes).
    if let Ok(mut conn) = db.writer() {
        use diesel::connection::SimpleConnection;
        let (statement, what) = match &mut *conn {
            DbConn::Sqlite(_) => ("PRAGMA wal_checkpoint(TRUNCATE)", "WAL checkpoint"),
            DbConn::Pg(_) => ("ANALYZE", "ANALYZE"),
        };
        let done = match &mut *conn {
            DbConn::Sqlite(c) => c.batch_execute(statement),
            DbConn::Pg(c) => c.batch_execute(statement),
        };
        if let Err(e) = done {
            tracing::warn!(error = %e, "{what} after the demo failed");
        }
    }
    tracing::info!(seconds = started.elapsed().as_secs_f64(), %summary, "demo bank ready");
    println!(
        "demo bank ready in {:.1}s: {summary}",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// P-2: the demo bank's calendar of the past twelve months, run by the scheduler's own path
/// (evaluations of every checkpoint, monthly runs, sweeps, the audit checkpoints ...), so that the
/// jobs page shows a year of runs. The runs are marked `demo`.
fn run_the_year(db: &Db, config: &Config) -> Result<usize, String> {
    let today = config.clock.today();
    let since = chrono::Datelike::with_day(&today, 1)
        .and_then(|d| d.checked_sub_months(chrono::Months::new(12)))
        .unwrap_or(today);
    let mut conn = db.writer().map_err(|e| e.to_string())?;
    crate::db::jobs::set_calendar_start(&mut conn, since).map_err(|e| e.to_string())?;
    drop(conn);
    let signer = std::sync::Arc::new(crate::anchor::Signer::load_or_create(&config.data_dir)?);
    let scheduler = crate::jobs::Scheduler::new(db.clone(), config.clock, signer);
    let runs = scheduler
        .catch_up("demo")
        .map_err(|e| format!("the demo year's jobs failed: {e}"))?;
    if let Some(failed) = runs.iter().find(|r| r.status != "succeeded") {
        return Err(format!(
            "the demo year's {} of {} failed: {}",
            failed.job,
            failed.business_date,
            failed.error.as_deref().unwrap_or("")
        ));
    }
    Ok(runs.len())
}

fn build(conn: &mut DbConn, config: &Config, size: &Size) -> AppResult<String> {
    let mut rng = StdRng::seed_from_u64(size.seed);
    let search_key =
        crate::national_ids::SearchKey::load(config.search_key.as_deref(), &config.data_dir)
            .map_err(AppError::Internal)?;
    let (_, policy) = db::policy::current(conn)?;
    let root = db::org_units::root(conn)?.ok_or(AppError::NotFound("head office"))?;
    let today = config.clock.today();
    let now = config.clock.now();
    let demo_actor = Actor::system("demo", config.clock);
    let id = || uuid::Uuid::now_v7().to_string();

    // Org tree: regions → branches → sub-branches → teams.
    let mut units = Vec::new();
    let mut teams = Vec::new();
    let mut first_branch = None;
    let unit = |name: String, kind: OrgUnitKind, parent: &OrgUnitRow| {
        let uid = id();
        OrgUnitRow {
            path: child_path(&parent.path, &uid),
            id: uid,
            name,
            kind: kind.as_str().into(),
            parent_id: Some(parent.id.clone()),
            depth: parent.depth + 1,
            version: 1,
            created_at: now,
            updated_at: now,
            code: None,
        }
    };
    for (r, region_name) in REGIONS.iter().enumerate() {
        let region = unit(format!("{region_name} Region"), OrgUnitKind::Region, &root);
        for b in 0..3 {
            let city = CITIES[(r * 3 + b) % CITIES.len()];
            let branch = unit(format!("{city} Branch"), OrgUnitKind::Branch, &region);
            first_branch.get_or_insert_with(|| branch.clone());
            for s in 0..3 {
                let sub = unit(
                    format!("{city} Sub-branch {}", s + 1),
                    OrgUnitKind::SubBranch,
                    &branch,
                );
                for (t, team_name) in ["Corporate Team", "Retail Team"].iter().enumerate() {
                    let team = unit(
                        format!("{city} {} {team_name}", s + 1),
                        OrgUnitKind::Team,
                        &sub,
                    );
                    teams.push((team.id.clone(), team.path.clone(), t));
                    units.push(team);
                }
                units.push(sub);
            }
            units.push(branch);
        }
        units.push(region);
    }
    units.sort_by_key(|u| u.depth);
    for (i, u) in units.iter_mut().enumerate() {
        u.code = Some(format!("{}", 1001 + i));
    }
    crate::db::insert_rows!(conn, org_units::table, &units);

    // RMs: corporate teams hold corporate and SME RMs, retail teams retail RMs.
    let rm_count = size
        .rms
        .unwrap_or(size.customers / 250)
        .max(teams.len() * 3);
    let mut rm_rows = Vec::with_capacity(rm_count);
    let mut team_slots: Vec<Team> = teams
        .iter()
        .map(|(id, path, _)| Team {
            id: id.clone(),
            path: path.clone(),
            retail: vec![],
            business: vec![],
        })
        .collect();
    for i in 0..rm_count {
        let t = i % teams.len();
        let retail_team = teams[t].2 == 1;
        let line = if retail_team {
            Line::Retail
        } else if i % 3 == 0 {
            Line::Sme
        } else {
            Line::Corporate
        };
        let grade = match rng.gen_range(0..100) {
            0..=14 => Grade::Assistant,
            15..=54 => Grade::Rm,
            55..=79 => Grade::Senior,
            80..=91 => Grade::Principal,
            92..=97 => Grade::GeneralManager,
            _ => Grade::Director,
        };
        // About 5% have a lapsed qualification (O-4) to show the re-certification list.
        let qualified_days_ago = if rng.gen_range(0..100) < 5 {
            rng.gen_range(731..1200)
        } else {
            rng.gen_range(10..700)
        };
        let term_start = today
            .checked_sub_days(Days::new(rng.gen_range(0..300)))
            .unwrap_or(today);
        let name = format!(
            "{} {}",
            SURNAMES[rng.gen_range(0..SURNAMES.len())],
            GIVEN[rng.gen_range(0..GIVEN.len())]
        );
        rm_rows.push(RmRow {
            id: id(),
            employee_no: format!("E{:06}", i + 1),
            national_id: national_id(&mut rng),
            name,
            line: line.as_str().into(),
            grade: grade.as_str().into(),
            status: RmStatus::Active.as_str().into(),
            org_unit_id: team_slots[t].id.clone(),
            org_path: team_slots[t].path.clone(),
            qualified_on: today
                .checked_sub_days(Days::new(qualified_days_ago))
                .unwrap_or(today),
            term_starts_on: term_start,
            term_ends_on: term_end(term_start, &policy),
            performance_level: rng.gen_range(1..=3),
            version: 1,
            created_at: now,
            updated_at: now,
        });
        if line == Line::Retail {
            team_slots[t].retail.push(i);
        } else {
            team_slots[t].business.push(i);
        }
    }
    crate::db::insert_rows!(conn, rms::table, &rm_rows);

    // Customers, each with a primary RM of a fitting line under the A-3 caps.
    let retail_teams: Vec<usize> = (0..teams.len()).filter(|&t| teams[t].2 == 1).collect();
    let business_teams: Vec<usize> = (0..teams.len()).filter(|&t| teams[t].2 == 0).collect();
    let mut capped = vec![0u32; rm_rows.len()];
    let mut next_rm = vec![0usize; teams.len()];
    let as_of = today;
    let (mut customer_batch, mut assignment_batch, mut loan_batch) =
        (Vec::new(), Vec::new(), Vec::new());
    let (mut loans_total, mut overdue, mut npl) = (0usize, 0usize, 0usize);
    // Non-performing borrowers, each with the customer made just before it (a guarantor to be).
    let mut npl_borrowers: Vec<(String, Option<String>)> = Vec::new();
    let mut previous_customer: Option<String> = None;
    for n in 0..size.customers {
        let kind = match rng.gen_range(0..100) {
            0..=69 => CustomerKind::Retail,
            70..=84 => CustomerKind::Sme,
            85..=96 => CustomerKind::Corporate,
            _ => CustomerKind::Institution,
        };
        let retail = kind == CustomerKind::Retail;
        let pool = if retail {
            &retail_teams
        } else {
            &business_teams
        };
        let t = pool[rng.gen_range(0..pool.len())];
        let team = &team_slots[t];
        let members = if retail { &team.retail } else { &team.business };
        let rm_index = members[next_rm[t] % members.len()];
        next_rm[t] += 1;
        let cap = if retail {
            policy.capacity.retail_vip_customers
        } else {
            policy.capacity.corporate_key_accounts
        };
        let mut is_key_account = !retail && rng.gen_range(0..100) < 8;
        let mut is_vip = retail && rng.gen_range(0..100) < 10;
        let mut has_loan = if retail {
            rng.gen_range(0..100) < 5
        } else {
            rng.gen_range(0..100) < 40
        };
        // a business customer with a loan counts toward the key-account cap like a key
        // deposit customer; an RM at the cap takes neither.
        let counts = is_key_account || is_vip || (!retail && has_loan);
        if counts && capped[rm_index] >= cap {
            is_key_account = false;
            is_vip = false;
            has_loan = has_loan && retail;
        }
        if is_key_account || is_vip || (!retail && has_loan) {
            capped[rm_index] += 1;
        }
        let categories = match rng.gen_range(0..100) {
            0..=2 => Category::HighValue.as_str(),
            3..=4 => Category::Basic.as_str(),
            5 => Category::NewProduct.as_str(),
            6 if !retail => Category::Core.as_str(),
            _ => "",
        };
        // One customer in five carries a Chinese name (the same draws, another script).
        let chinese = n % 5 == 4;
        let name = if retail {
            let surname = rng.gen_range(0..SURNAMES.len());
            let given = rng.gen_range(0..GIVEN.len());
            if chinese {
                format!("{}{}", SURNAMES_ZH[surname], GIVEN_ZH[given])
            } else {
                format!("{} {}", SURNAMES[surname], GIVEN[given])
            }
        } else {
            let city = rng.gen_range(0..CITIES.len());
            let trade = rng.gen_range(0..TRADES.len());
            match (kind, chinese) {
                (CustomerKind::Institution, false) => {
                    format!("{} {} Institute {n}", CITIES[city], TRADES[trade])
                }
                (CustomerKind::Institution, true) => {
                    format!("{}{}研究院{n}", CITIES_ZH[city], TRADES_ZH[trade])
                }
                (_, false) => format!("{} {} Co. {n}", CITIES[city], TRADES[trade]),
                (_, true) => format!("{}{}有限公司{n}", CITIES_ZH[city], TRADES_ZH[trade]),
            }
        };
        let customer_id = id();
        let rm = &rm_rows[rm_index];
        customer_batch.push(CustomerRow {
            id: customer_id.clone(),
            customer_no: Some(format!("C{:09}", n + 1)),
            name,
            kind: kind.as_str().into(),
            org_unit_id: team.id.clone(),
            org_path: team.path.clone(),
            size: (!retail)
                .then(|| ["large", "medium", "small", "small"][rng.gen_range(0..4)].to_string()),
            tier: Some(["standard", "silver", "gold", "platinum"][rng.gen_range(0..4)].to_string()),
            categories: categories.into(),
            is_key_account,
            is_vip,
            national_id: retail.then(|| national_id(&mut rng)),
            phone: retail.then(|| format!("13{:09}", rng.gen_range(0..1_000_000_000u64))),
            needs_second_rm_since: Category::parse(categories)
                .filter(|c| c.needs_two_rms())
                .map(|_| now),
            version: 1,
            created_at: now,
            updated_at: now,
            national_id_hash: None,
        });
        // Hashed for search as it is written (M-3), so the bank needs no second pass over it.
        if let Some(row) = customer_batch.last_mut() {
            row.national_id_hash = row.national_id.as_deref().map(|n| search_key.digest(n));
        }
        let since = now
            .checked_sub_days(Days::new(rng.gen_range(1..1500)))
            .unwrap_or(now);
        assignment_batch.push(AssignmentRow {
            id: id(),
            customer_id: customer_id.clone(),
            rm_id: rm.id.clone(),
            role: "primary".into(),
            share_bp: 10_000,
            reason: "demo".into(),
            valid_from: since,
            valid_to: None,
            held_since: since,
            created_by: "system".into(),
        });
        if has_loan {
            let balance_fen: i64 = if retail {
                rng.gen_range(5_000_000..100_000_000)
            } else {
                rng.gen_range(100_000_000..5_000_000_000)
            };
            let classification = match rng.gen_range(0..1000) {
                0..=929 => "normal",
                930..=969 => "special_mention",
                970..=984 => "substandard",
                985..=994 => "doubtful",
                _ => "loss",
            };
            let interest_due_fen = balance_fen * 4 / 100 / 12;
            let is_overdue = classification != "normal" || rng.gen_range(0..100) < 3;
            let days_past_due = match classification {
                "normal" if is_overdue => rng.gen_range(1..30),
                "normal" => 0,
                "special_mention" => rng.gen_range(30..90),
                "substandard" => rng.gen_range(90..180),
                "doubtful" => rng.gen_range(180..360),
                _ => rng.gen_range(360..900),
            };
            loans_total += 1;
            overdue += usize::from(is_overdue);
            if matches!(classification, "substandard" | "doubtful" | "loss") {
                npl += 1;
                npl_borrowers.push((customer_id.clone(), previous_customer.clone()));
            }
            // each loan's state as of the demo date is its first snapshot.
            loan_batch.push(SnapshotRow {
                loan_no: format!("L{:09}", loans_total),
                customer_id: customer_id.clone(),
                rm_id: rm.id.clone(),
                balance_fen,
                originated_on: today
                    .checked_sub_days(Days::new(rng.gen_range(30..1500)))
                    .unwrap_or(today),
                classification: classification.into(),
                interest_due_fen,
                interest_paid_fen: if is_overdue { 0 } else { interest_due_fen },
                days_past_due,
                as_of,
                matures_on: None,
            });
        }
        previous_customer = Some(customer_id.clone());
        if customer_batch.len() >= 10_000 {
            flush(
                conn,
                &mut customer_batch,
                &mut assignment_batch,
                &mut loan_batch,
                size.audit.then_some(&demo_actor),
            )?;
        }
    }
    flush(
        conn,
        &mut customer_batch,
        &mut assignment_batch,
        &mut loan_batch,
        size.audit.then_some(&demo_actor),
    )?;

    // People to log in as, with the admin password, when one is configured.
    let mut users = Vec::new();
    let branch = first_branch.unwrap_or_else(|| root.clone());
    if let Some(pass) = &config.admin_password {
        let hash = password::hash(pass)?;
        let first_rm = &rm_rows[0];
        // A colleague of the first RM (same team and line) with a login of their own: the second
        // RM of a dual check confirms from their own account (D-3).
        let colleague = rm_rows.iter().find(|rm| {
            rm.id != first_rm.id
                && rm.org_unit_id == first_rm.org_unit_id
                && rm.line == first_rm.line
        });
        let mut accounts = vec![
            (
                "security.admin",
                "Security Administrator",
                vec![Role::Admin],
                &root.id,
                &root.path,
                None,
            ),
            (
                "risk.officer",
                "Risk Officer",
                vec![Role::RiskOfficer],
                &root.id,
                &root.path,
                None,
            ),
            (
                "auditor",
                "Internal Auditor",
                vec![Role::Auditor],
                &root.id,
                &root.path,
                None,
            ),
            (
                "committee",
                "Committee Member",
                vec![Role::Committee],
                &root.id,
                &root.path,
                None,
            ),
            (
                "branch.manager",
                "Branch Manager",
                vec![Role::Manager],
                &branch.id,
                &branch.path,
                None,
            ),
            (
                "rm.demo",
                first_rm.name.as_str(),
                vec![Role::Rm],
                &first_rm.org_unit_id,
                &first_rm.org_path,
                Some(first_rm.id.clone()),
            ),
        ];
        if let Some(c) = colleague {
            accounts.push((
                "rm.second",
                c.name.as_str(),
                vec![Role::Rm],
                &c.org_unit_id,
                &c.org_path,
                Some(c.id.clone()),
            ));
        }
        for (username, display, roles, unit_id, unit_path, rm_id) in accounts {
            if db::users::find_by_username(conn, username)?.is_some() {
                continue;
            }
            let row = UserRow {
                id: id(),
                username: username.into(),
                password_hash: hash.clone(),
                display_name: display.into(),
                roles: join_roles(&roles),
                org_unit_id: unit_id.clone(),
                org_path: unit_path.clone(),
                rm_id,
                active: true,
                version: 1,
                created_at: now,
                updated_at: now,
                security_stamp: db::users::new_stamp(),
            };
            db::users::insert(conn, &row)?;
            let granted: Vec<String> = roles.iter().map(|r| r.as_str().to_string()).collect();
            db::users::record_grants(conn, &row.id, &granted, &[], None, None, now)?;
            users.push(username);
        }
    }

    let activity = if size.bare {
        "bare (no activity)".to_string()
    } else {
        activity::run(conn, config.clock, &root, &branch, &rm_rows, &npl_borrowers)?
    };

    let summary = format!(
        "{} org units, {} RMs, {} customers, {} loans ({} overdue, {} non-performing), {activity}, users {:?}",
        units.len(),
        rm_rows.len(),
        size.customers,
        loans_total,
        overdue,
        npl,
        users
    );
    let after = serde_json::json!({"summary": summary, "seed": size.seed, "policy": policy_digest(&policy)});
    audit::record(
        conn,
        &demo_actor,
        Change::new("demo.seed", "bank", &root.id, &root.path).after(&after)?,
    )?;
    Ok(summary)
}

fn flush(
    conn: &mut DbConn,
    customers_: &mut Vec<CustomerRow>,
    assignments_: &mut Vec<AssignmentRow>,
    loans_: &mut Vec<SnapshotRow>,
    audit: Option<&Actor>,
) -> AppResult<()> {
    crate::db::insert_rows!(conn, customers::table, customers_);
    if let Some(actor) = audit {
        let changes = customers_
            .iter()
            .map(|c| Change::new("customer.create", "customer", &c.id, &c.org_path).after(c))
            .collect::<AppResult<Vec<_>>>()?;
        crate::db::audit::record_many(conn, actor, changes)?;
    }
    crate::db::insert_rows!(conn, assignments::table, assignments_);
    crate::db::insert_rows!(conn, loan_snapshots::table, loans_);
    customers_.clear();
    assignments_.clear();
    loans_.clear();
    Ok(())
}

fn national_id(rng: &mut StdRng) -> String {
    let region = ["110101", "310104", "440305", "510107", "330106"][rng.gen_range(0..5)];
    let birth = format!(
        "{}{:02}{:02}",
        rng.gen_range(1960..2002),
        rng.gen_range(1..13),
        rng.gen_range(1..29)
    );
    let seq = rng.gen_range(0..1000);
    let body = format!("{region}{birth}{seq:03}");
    format!("{body}{}", checksum(&body))
}

/// GB 11643 check character of the first 17 digits.
fn checksum(body: &str) -> char {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];
    let sum: u32 = body
        .chars()
        .zip(WEIGHTS)
        .map(|(c, w)| c.to_digit(10).unwrap_or(0) * w)
        .sum();
    CHECK[(sum % 11) as usize]
}

fn policy_digest(policy: &Policy) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(
        serde_json::to_vec(policy).unwrap_or_default(),
    ))
}
