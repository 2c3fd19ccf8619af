//! X-1 monthly scores, X-2 items 3, 5 and 6 from the monthly run, X-4 yearly performance levels and
//! demotions, X-6 pay effects.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{Datelike, Months, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::exit_cases::{self, CaseKind, NewCase};
use super::Ctx;
use crate::bounded::{RecordId, Text10000, Text2000};
use crate::db::performance::{self as store, MetricsRow, ScoreRow};
use crate::db::rms::RmRow;
use crate::db::{self, DbConn};
use crate::domain::loan::Classification;
use crate::domain::org::{in_scope, OrgUnitKind};
use crate::domain::portfolio::{monthly_new_npl, new_npl_trigger, npl_ratio_at, LoanState};
use crate::domain::reason::Reason;
use crate::domain::rm::{Grade, Line};
use crate::domain::scoring::{self, ItemScore, Metrics};
use crate::error::{AppError, AppResult};

/// `YYYY-MM` → its first day (422 naming `field` otherwise).
pub fn month_start(text: &str, field: &str) -> AppResult<NaiveDate> {
    NaiveDate::parse_from_str(&format!("{text}-01"), "%Y-%m-%d")
        .ok()
        .filter(|_| text.len() == 7)
        .ok_or_else(|| AppError::field(field, "must be a month, YYYY-MM"))
}

fn month_text(d: NaiveDate) -> String {
    d.format("%Y-%m").to_string()
}

fn month_end(first: NaiveDate) -> NaiveDate {
    first
        .checked_add_months(Months::new(1))
        .and_then(|d| d.pred_opt())
        .unwrap_or(first)
}

fn fen(field: &str, amount: Decimal) -> AppResult<i64> {
    if amount.normalize().scale() > 2 {
        return Err(AppError::field(field, "at most two decimals (fen)"));
    }
    (amount * Decimal::from(100))
        .round()
        .try_into()
        .map_err(|_| AppError::field(field, "too large"))
}

/// One RM's business in one month (API.md `POST /performance/metrics`). Amounts in CNY; deposit
/// increases may be negative.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, validator::Validate)]
#[serde(deny_unknown_fields)]
pub struct MonthMetrics {
    pub rm_id: RecordId,
    #[schema(example = "2026-11")]
    pub month: String,
    #[serde(default)]
    pub new_loan_accounts: u32,
    #[serde(default)]
    #[schema(value_type = String, example = "300000.00")]
    pub new_loan_amount: Decimal,
    /// The month's increase in managed accounts (January: over the previous year end).
    #[serde(default)]
    pub managed_accounts_increase: i64,
    #[serde(default)]
    #[schema(value_type = String, example = "50000.00")]
    pub savings_daily_avg_net_increase: Decimal,
    #[serde(default)]
    #[schema(value_type = String, example = "2000000.00")]
    pub corporate_daily_avg_net_increase: Decimal,
    #[serde(default)]
    pub new_bank_cards: u32,
    #[serde(default)]
    pub payroll_customers_under_50: u32,
    #[serde(default)]
    pub payroll_customers_50_or_more: u32,
    #[serde(default)]
    pub personal_ebank: u32,
    #[serde(default)]
    pub corporate_ebank: u32,
    #[serde(default)]
    pub pos_merchants: u32,
    /// The RM's NPL ratio for the NPL item; computed from the loan facts when omitted.
    #[schema(value_type = Option<String>, example = "0.004")]
    pub npl_ratio: Option<Decimal>,
}

pub(crate) fn to_row(ctx: &Ctx, m: &MonthMetrics) -> AppResult<MetricsRow> {
    let first = month_start(&m.month, "month")?;
    if let Some(r) = m.npl_ratio {
        if r.is_sign_negative() || r > Decimal::ONE {
            return Err(AppError::field("npl_ratio", "must be between 0 and 1"));
        }
    }
    if m.new_loan_amount.is_sign_negative() {
        return Err(AppError::field("new_loan_amount", "must not be negative"));
    }
    Ok(MetricsRow {
        rm_id: m.rm_id.to_string(),
        month: month_text(first),
        new_loan_accounts: m.new_loan_accounts.into(),
        new_loan_amount_fen: fen("new_loan_amount", m.new_loan_amount)?,
        managed_accounts_increase: m.managed_accounts_increase,
        savings_increase_fen: fen(
            "savings_daily_avg_net_increase",
            m.savings_daily_avg_net_increase,
        )?,
        corporate_increase_fen: fen(
            "corporate_daily_avg_net_increase",
            m.corporate_daily_avg_net_increase,
        )?,
        new_bank_cards: m.new_bank_cards.into(),
        payroll_small: m.payroll_customers_under_50.into(),
        payroll_large: m.payroll_customers_50_or_more.into(),
        personal_ebank: m.personal_ebank.into(),
        corporate_ebank: m.corporate_ebank.into(),
        pos_merchants: m.pos_merchants.into(),
        npl_ratio: m.npl_ratio.map(|r| r.normalize().to_string()),
        recorded_by: ctx.actor.username.clone(),
        recorded_at: ctx.now,
    })
}

/// Records metrics (replacing the same RM and month); returns how many were new.
pub fn record_metrics(conn: &mut DbConn, ctx: &Ctx, all: &[MonthMetrics]) -> AppResult<usize> {
    let rms = db::rms::ids_in_subtree(conn, &ctx.scope)?;
    let mut created = 0;
    let mut errors = Vec::new();
    let mut rows = Vec::with_capacity(all.len());
    for (i, m) in all.iter().enumerate() {
        let prefix = |field: &str| {
            if all.len() == 1 {
                field.to_string()
            } else {
                format!("[{i}].{field}")
            }
        };
        if !rms.contains(m.rm_id.as_str()) {
            errors.push(crate::error::FieldError::new(
                prefix("rm_id"),
                "no such RM in your scope",
            ));
            continue;
        }
        match to_row(ctx, m) {
            Ok(row) => rows.push(row),
            Err(AppError::Validation(list)) => errors.extend(
                list.into_iter()
                    .map(|e| crate::error::FieldError::new(prefix(&e.field), e.message)),
            ),
            Err(other) => return Err(other),
        }
    }
    if !errors.is_empty() {
        return Err(AppError::Validation(errors));
    }
    for row in &rows {
        created += usize::from(store::upsert_metrics(conn, row)?);
    }
    db::audit::record(
        conn,
        &ctx.actor,
        db::audit::Change::new("performance.metrics", "performance_metrics", "", &ctx.scope)
            .after(&serde_json::json!({
                "rows": rows.len(),
                "created": created,
                "months": rows.iter().map(|r| r.month.as_str()).collect::<std::collections::BTreeSet<_>>(),
            }))?,
    )?;
    Ok(created)
}

fn metrics_of(row: &MetricsRow, npl_ratio: Decimal) -> Metrics {
    Metrics {
        new_loan_accounts: row.new_loan_accounts,
        new_loan_amount_fen: row.new_loan_amount_fen,
        managed_accounts_increase: row.managed_accounts_increase,
        savings_increase_fen: row.savings_increase_fen,
        corporate_increase_fen: row.corporate_increase_fen,
        new_bank_cards: row.new_bank_cards,
        payroll_small: row.payroll_small,
        payroll_large: row.payroll_large,
        personal_ebank: row.personal_ebank,
        corporate_ebank: row.corporate_ebank,
        pos_merchants: row.pos_merchants,
        npl_ratio,
    }
}

/// R-5 with A-7: every snapshot of the loans (originated since the team start) the RM answers
/// for, weighed by its share of each, as the rules read them.
fn responsible(states: Vec<db::loans::ResponsibleState>) -> AppResult<Vec<LoanState>> {
    states
        .into_iter()
        .map(|(loan_no, as_of, balance_fen, class, share_bp)| {
            Ok(LoanState {
                loan_no,
                as_of,
                balance_fen,
                npl: Classification::stored(&class)?.is_npl(),
                share_bp,
            })
        })
        .collect()
}

/// A case the monthly run opened.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OpenedCase {
    pub rm_id: String,
    #[schema(example = "X-2.3")]
    pub trigger: String,
    pub case_id: String,
    pub evidence: String,
}

/// What the monthly run did.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MonthRun {
    #[schema(example = "2026-11")]
    pub month: String,
    pub policy_version: i64,
    /// RMs scored (those with metrics for the month).
    pub scored: usize,
    pub cases_opened: Vec<OpenedCase>,
}

/// Whether the RM's unit is a sub-branch or a team of one (X-1 sub-branch table).
fn sub_branch_units(conn: &mut DbConn) -> AppResult<HashSet<String>> {
    let units = db::org_units::all(conn)?;
    let kinds: HashMap<&str, &str> = units
        .iter()
        .map(|u| (u.id.as_str(), u.kind.as_str()))
        .collect();
    let sub = OrgUnitKind::SubBranch.as_str();
    Ok(units
        .iter()
        .filter(|u| {
            u.kind == sub
                || (u.kind == OrgUnitKind::Team.as_str()
                    && u.parent_id.as_deref().and_then(|p| kinds.get(p)) == Some(&sub))
        })
        .map(|u| u.id.clone())
        .collect())
}

/// The monthly run for `first` (a month's first day) over the caller's scope: scores every RM with
/// metrics for the month (replacing earlier scores of that month), ranks them inside unit and line,
/// and opens one exit case per RM and trigger for X-2 items 3, 5 and 6, never a second while one is
/// open. Safe to run again.
pub fn run_month(conn: &mut DbConn, ctx: &Ctx, first: NaiveDate) -> AppResult<MonthRun> {
    let month = month_text(first);
    let last_day = month_end(first);
    let (policy_version, _) = db::policy::current(conn)?;
    let year_start = month_text(first.with_month(1).unwrap_or(first));
    let metrics = store::metrics_between(conn, &ctx.scope, &year_start, &month)?;
    let mut by_rm: BTreeMap<&str, Vec<&MetricsRow>> = BTreeMap::new();
    for m in &metrics {
        by_rm.entry(m.rm_id.as_str()).or_default().push(m);
    }
    let rms: HashMap<String, RmRow> = db::rms::serving_in_subtree(conn, &ctx.scope)?
        .into_iter()
        .map(|r| (r.id.clone(), r))
        .collect();
    let sub_branch = sub_branch_units(conn)?;
    let mut scored: Vec<(RmRow, scoring::MonthScore)> = Vec::new();
    // The loans each RM answers for, read once per run for all of them (the NPL item and X-2 item
    // 5 both use them).
    let terms: Vec<(String, NaiveDate)> = rms
        .values()
        .map(|r| (r.id.clone(), r.term_starts_on))
        .collect();
    let mut books: HashMap<String, Vec<LoanState>> =
        db::loans::responsible_states_of_many(conn, &terms)?
            .into_iter()
            .map(|(rm, states)| Ok((rm, responsible(states)?)))
            .collect::<AppResult<_>>()?;
    for (rm_id, rows) in &by_rm {
        let Some(rm) = rms.get(*rm_id) else { continue };
        let Some(this) = rows.iter().find(|r| r.month == month) else {
            continue;
        };
        let npl = match this.npl_ratio.as_deref().and_then(|r| r.parse().ok()) {
            Some(r) => r,
            None => npl_ratio_at(
                books.get(&rm.id).map(Vec::as_slice).unwrap_or_default(),
                last_day,
            ),
        };
        let earlier: Vec<Metrics> = rows
            .iter()
            .filter(|r| r.month < month)
            .map(|r| metrics_of(r, Decimal::ZERO))
            .collect();
        let line = Line::stored(&rm.line)?;
        let table = scoring::table_for(line, sub_branch.contains(&rm.org_unit_id));
        let score = scoring::score(&ctx.policy.scoring, table, &metrics_of(this, npl), &earlier)
            .map_err(|e| AppError::Internal(format!("scoring table: {e}")))?;
        scored.push((rm.clone(), score));
    }
    // Ranks inside unit and line.
    let mut groups: BTreeMap<(String, String), Vec<usize>> = BTreeMap::new();
    for (i, (rm, _)) in scored.iter().enumerate() {
        groups
            .entry((rm.org_unit_id.clone(), rm.line.clone()))
            .or_default()
            .push(i);
    }
    let mut rank = vec![(0u32, 0u32); scored.len()];
    for members in groups.values() {
        let totals: Vec<Decimal> = members.iter().map(|i| scored[*i].1.total).collect();
        for (i, r) in members.iter().zip(scoring::ranks(&totals)) {
            rank[*i] = (r, members.len() as u32);
        }
    }
    let rows = scored
        .iter()
        .zip(&rank)
        .map(|((rm, s), (r, of))| {
            Ok(ScoreRow {
                rm_id: rm.id.clone(),
                month: month.clone(),
                scoring_table: s.table.clone(),
                total: s.total.normalize().to_string(),
                items: serde_json::to_string(&s.items)?,
                risk_fund: s.risk_fund.normalize().to_string(),
                org_unit_id: rm.org_unit_id.clone(),
                org_path: rm.org_path.clone(),
                line: rm.line.clone(),
                rank: *r as i32,
                rank_of: *of as i32,
                policy_version,
                computed_at: ctx.now,
            })
        })
        .collect::<AppResult<Vec<_>>>()?;
    store::replace_scores(conn, &month, &rows)?;

    // X-2 triggers.
    let mut triggered: Vec<(String, &str, String)> = Vec::new();
    let exit = &ctx.policy.exit;
    let (window_start, _) = exit.complaints_window(last_day);
    for (rm_id, n) in
        db::conduct::verified_complaint_counts(conn, &ctx.scope, window_start, last_day)?
    {
        if n >= i64::from(exit.complaints_threshold) {
            triggered.push((
                rm_id,
                "X-2.3",
                format!("{n} verified complaints from {window_start} to {last_day}"),
            ));
        }
    }
    let risk = &ctx.policy.risk;
    let month_ends: Vec<NaiveDate> = (0..risk.new_npl_consecutive_months)
        .rev()
        .filter_map(|back| first.checked_sub_months(Months::new(back)).map(month_end))
        .collect();
    for rm_id in db::rms::with_npl_originations(conn, &ctx.scope)? {
        let Some(rm) = rms.get(&rm_id) else { continue };
        let book = books.remove(&rm.id).unwrap_or_default();
        let series = monthly_new_npl(&book, &month_ends);
        if new_npl_trigger(
            &series,
            risk.new_npl_ratio_trigger,
            risk.new_npl_consecutive_months,
        ) {
            let shown: Vec<String> = series.iter().map(|r| r.normalize().to_string()).collect();
            triggered.push((
                rm_id,
                "X-2.5",
                format!("monthly new-NPL ratios to {month}: {}", shown.join(", ")),
            ));
        }
    }
    let from = month_text(first.checked_sub_months(Months::new(11)).unwrap_or(first));
    let mut averages: BTreeMap<(String, String), Vec<(Decimal, String)>> = BTreeMap::new();
    let mut history: BTreeMap<String, Vec<Decimal>> = BTreeMap::new();
    for s in store::scores_between(conn, &ctx.scope, &from, &month)? {
        history
            .entry(s.rm_id.clone())
            .or_default()
            .push(stored_decimal("total", &s.total)?);
    }
    for (rm_id, totals) in history {
        let Some(rm) = rms.get(&rm_id) else { continue };
        if totals.len() < 12 {
            continue;
        }
        let average = (totals.iter().sum::<Decimal>() / Decimal::from(12)).round_dp(2);
        averages
            .entry((rm.org_unit_id.clone(), rm.line.clone()))
            .or_default()
            .push((average, rm_id));
    }
    for members in averages.values_mut() {
        members.sort();
        let n = scoring::bottom_count(members.len(), exit.bottom_score_share);
        for (average, rm_id) in members.iter().take(n) {
            triggered.push((
                rm_id.clone(),
                "X-2.6",
                format!(
                    "12-month average score {average} to {month}: bottom {} of {} in unit and line",
                    n,
                    members.len()
                ),
            ));
        }
    }
    let open = db::exit_cases::open_triggers(conn, &ctx.scope)?;
    let mut cases_opened = Vec::new();
    for (rm_id, trigger, evidence) in triggered {
        if open.contains(&(rm_id.clone(), trigger.to_string())) || !rms.contains_key(&rm_id) {
            continue;
        }
        let why = Reason::monthly_run_trigger(trigger, &month);
        let case = exit_cases::propose_written(
            conn,
            ctx,
            &NewCase {
                rm_id: RecordId::composed(rm_id.clone())?,
                kind: CaseKind::Disqualification,
                trigger: Some(trigger.into()),
                reason: Text2000::composed(why.text.clone())?,
                evidence: Text10000::composed(evidence.clone())?,
            },
            &why,
        )?;
        cases_opened.push(OpenedCase {
            rm_id,
            trigger: trigger.into(),
            case_id: case.id,
            evidence,
        });
    }
    let run = MonthRun {
        month,
        policy_version,
        scored: rows.len(),
        cases_opened,
    };
    db::audit::record(
        conn,
        &ctx.actor,
        db::audit::Change::new(
            "performance.run",
            "performance_month",
            &run.month,
            &ctx.scope,
        )
        .after(
            &serde_json::json!({"scored": run.scored, "cases_opened": run.cases_opened.len()}),
        )?,
    )?;
    Ok(run)
}

/// A stored score as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Score {
    pub rm_id: String,
    pub month: String,
    #[schema(example = "sub_branch_rm")]
    pub scoring_table: String,
    #[schema(value_type = String, example = "87.5")]
    pub total: Decimal,
    /// NPL points above full marks, paid at year end only without NPL.
    #[schema(value_type = String, example = "0")]
    pub risk_fund: Decimal,
    pub items: Vec<ItemScore>,
    pub org_unit_id: String,
    pub line: String,
    /// Rank inside unit and line (1 is best), of `rank_of`.
    pub rank: i32,
    pub rank_of: i32,
    pub policy_version: i64,
}

impl Score {
    pub fn from_row(r: ScoreRow) -> AppResult<Self> {
        Ok(Score {
            total: stored_decimal("total", &r.total)?,
            risk_fund: stored_decimal("risk_fund", &r.risk_fund)?,
            items: serde_json::from_str(&r.items)?,
            rm_id: r.rm_id,
            month: r.month,
            scoring_table: r.scoring_table,
            org_unit_id: r.org_unit_id,
            line: r.line,
            rank: r.rank,
            rank_of: r.rank_of,
            policy_version: r.policy_version,
        })
    }
}

/// One RM's yearly rating.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Rating {
    pub rm_id: String,
    pub org_unit_id: String,
    /// Average monthly score over the months scored (none for RMs still in transition).
    #[schema(value_type = Option<String>)]
    pub average: Option<Decimal>,
    pub months_scored: usize,
    /// 1, 2 or 3 (履职级别).
    pub level: i32,
    /// A demotion case opened for an average below the rank standard.
    pub demotion_case_id: Option<String>,
}

/// the year's performance levels by forced distribution of the average score inside each
/// unit (top 30% level 1, next 50% level 2, bottom 20% level 3); RMs with fewer scored months than
/// the first rating needs keep their level (new RMs start at 3). An average below the rank
/// standard opens a demotion case (decided by the committee).
pub fn rate_year(conn: &mut DbConn, ctx: &Ctx, year: i32) -> AppResult<Vec<Rating>> {
    let rms: HashMap<String, RmRow> = db::rms::serving_in_subtree(conn, &ctx.scope)?
        .into_iter()
        .map(|r| (r.id.clone(), r))
        .collect();
    let mut totals: BTreeMap<String, Vec<Decimal>> = BTreeMap::new();
    for s in store::scores_between(
        conn,
        &ctx.scope,
        &format!("{year}-01"),
        &format!("{year}-12"),
    )? {
        totals
            .entry(s.rm_id)
            .or_default()
            .push(stored_decimal("total", &s.total)?);
    }
    let mut by_unit: BTreeMap<String, Vec<(Decimal, String)>> = BTreeMap::new();
    let mut ratings: BTreeMap<String, Rating> = BTreeMap::new();
    for rm in rms.values() {
        let scores = totals.get(&rm.id).cloned().unwrap_or_default();
        let average = (!scores.is_empty())
            .then(|| (scores.iter().sum::<Decimal>() / Decimal::from(scores.len())).round_dp(2));
        if scores.len() >= ctx.policy.exit.first_rating_months as usize {
            if let Some(a) = average {
                by_unit
                    .entry(rm.org_unit_id.clone())
                    .or_default()
                    .push((a, rm.id.clone()));
            }
        }
        ratings.insert(
            rm.id.clone(),
            Rating {
                rm_id: rm.id.clone(),
                org_unit_id: rm.org_unit_id.clone(),
                average,
                months_scored: scores.len(),
                // Unrated RMs keep their level (new RMs start at 3).
                level: rm.performance_level,
                demotion_case_id: None,
            },
        );
    }
    for members in by_unit.values_mut() {
        members.sort_by(|a, b| b.cmp(a));
        for ((_, rm_id), level) in members.iter().zip(scoring::levels(
            members.len(),
            &ctx.policy.exit.level_shares,
        )) {
            if let Some(r) = ratings.get_mut(rm_id) {
                r.level = level.into();
            }
        }
    }
    let levels: Vec<(String, i32)> = ratings
        .values()
        .filter(|r| r.months_scored >= ctx.policy.exit.first_rating_months as usize)
        .map(|r| (r.rm_id.clone(), r.level))
        .collect();
    db::rms::set_levels(conn, &levels)?;
    let standard = ctx.policy.exit.rank_standard_min_score;
    let open = db::exit_cases::open_triggers(conn, &ctx.scope)?;
    for r in ratings.values_mut() {
        let Some(rm) = rms.get(&r.rm_id) else {
            continue;
        };
        let below = r.months_scored >= ctx.policy.exit.first_rating_months as usize
            && r.average.is_some_and(|a| a < standard);
        if below
            && Grade::parse(&rm.grade).is_some_and(|g| g != Grade::Assistant)
            && !open.contains(&(rm.id.clone(), "X-4".into()))
        {
            let why = Reason::demotion_below_standard(year, standard);
            let case = exit_cases::propose_written(
                conn,
                ctx,
                &NewCase {
                    rm_id: RecordId::composed(rm.id.clone())?,
                    kind: CaseKind::Demotion,
                    trigger: Some("X-4".into()),
                    reason: Text2000::composed(why.text.clone())?,
                    evidence: Text10000::composed(format!(
                        "average {} over {} months",
                        r.average.unwrap_or_default(),
                        r.months_scored
                    ))?,
                },
                &why,
            )?;
            r.demotion_case_id = Some(case.id);
        }
    }
    // M-2: every level set, by RM.
    let set: BTreeMap<&str, i32> = levels.iter().map(|(id, l)| (id.as_str(), *l)).collect();
    let change = db::audit::Change::new(
        "performance.levels",
        "performance_year",
        &year.to_string(),
        &ctx.scope,
    )
    .after(&serde_json::json!({"rated": set.len(), "levels": set}))?;
    db::audit::record(conn, &ctx.actor, change)?;
    Ok(ratings.into_values().collect())
}

/// one RM's pay effect for a month.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PayLine {
    pub rm_id: String,
    pub org_unit_id: String,
    pub level: i32,
    /// In the transition period: in post when the scheme started and fewer scored months than
    /// the first rating needs (X-6; new RMs start at level 3).
    pub transition: bool,
    #[schema(value_type = String, example = "1500")]
    pub allowance: Decimal,
    #[schema(value_type = String, example = "87.5")]
    pub score: Decimal,
    #[schema(value_type = String, example = "1312.50")]
    pub pay: Decimal,
    /// risk-fund points reserved this year up to this month (not paid monthly).
    #[schema(value_type = String, example = "36")]
    pub risk_fund_points: Decimal,
    /// in December, the year's fund paid in full (allowance × points / 100) when the RM has
    /// no NPL at year end; otherwise 0 (kept for recovery or penalties).
    #[schema(value_type = String, example = "0")]
    pub risk_fund_paid: Decimal,
}

/// a manager's linked share, by unit.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ManagerLink {
    pub org_unit_id: String,
    pub rms: usize,
    #[schema(value_type = String, example = "82.4")]
    pub average_score: Decimal,
    #[schema(value_type = String, example = "0.10")]
    pub linked_share: Decimal,
    /// The factor on the manager's pay: 1 − share + share × average / 100.
    #[schema(value_type = String, example = "0.9824")]
    pub pay_factor: Decimal,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PayReport {
    pub month: String,
    pub rms: Vec<PayLine>,
    pub managers: Vec<ManagerLink>,
}

/// A stored decimal that does not parse is corrupt data, not zero.
fn stored_decimal(field: &str, text: &str) -> AppResult<Decimal> {
    text.parse()
        .map_err(|_| AppError::Internal(format!("stored {field} {text:?} is not a decimal")))
}

/// whether the month's score shows no NPL (the NPL item's ratio is zero).
fn no_npl(items: &str) -> AppResult<bool> {
    let items: Vec<scoring::ItemScore> = serde_json::from_str(items)?;
    Ok(items
        .iter()
        .find(|i| i.item == "npl_ratio")
        .is_some_and(|i| i.volume.is_zero()))
}

/// pay effects of a month's scores (reported, not paid).
pub fn pay_report(
    conn: &mut DbConn,
    scope: &str,
    first: NaiveDate,
    policy: &crate::domain::policy::Policy,
) -> AppResult<PayReport> {
    let month = month_text(first);
    let scores = store::scores_of_month(conn, scope, &month)?;
    let from = month_text(first.checked_sub_months(Months::new(11)).unwrap_or(first));
    let mut months_scored: HashMap<String, usize> = HashMap::new();
    for s in store::scores_between(conn, scope, &from, &month)? {
        *months_scored.entry(s.rm_id).or_default() += 1;
    }
    let january = first.with_month(1).unwrap_or(first);
    let mut fund: HashMap<String, Decimal> = HashMap::new();
    for s in store::scores_between(conn, scope, &month_text(january), &month)? {
        *fund.entry(s.rm_id.clone()).or_default() += stored_decimal("risk_fund", &s.risk_fund)?;
    }
    let scheme_started_on = match policy.pay.scheme_started_on {
        Some(day) => Some(day),
        None => store::first_scored_month(conn)?
            .and_then(|m| NaiveDate::parse_from_str(&format!("{m}-01"), "%Y-%m-%d").ok()),
    };
    let mut lines = Vec::new();
    let mut units: BTreeMap<String, Vec<Decimal>> = BTreeMap::new();
    for s in scores {
        let Some(rm) = db::rms::find(conn, &s.rm_id)?.filter(|r| in_scope(scope, &r.org_path))
        else {
            continue;
        };
        let score = stored_decimal("total", &s.total)?;
        let in_post_at_start = scheme_started_on.is_some_and(|start| rm.term_starts_on < start);
        let transition = in_post_at_start
            && months_scored.get(&rm.id).copied().unwrap_or(0)
                < policy.exit.first_rating_months as usize;
        let level = rm.performance_level.clamp(1, 3);
        let allowance = if transition {
            policy.pay.transition_allowance
        } else {
            policy.pay.level_allowances[(level - 1) as usize]
        };
        units.entry(rm.org_unit_id.clone()).or_default().push(score);
        let risk_fund_points = fund.get(&rm.id).copied().unwrap_or_default();
        let risk_fund_paid = if first.month() == 12 && no_npl(&s.items)? {
            scoring::pay(allowance, risk_fund_points)
        } else {
            Decimal::ZERO
        };
        lines.push(PayLine {
            rm_id: rm.id,
            org_unit_id: rm.org_unit_id,
            level,
            transition,
            allowance,
            score,
            pay: scoring::pay(allowance, score),
            risk_fund_points,
            risk_fund_paid,
        });
    }
    let share = policy.pay.manager_linked_share;
    let managers = units
        .into_iter()
        .map(|(org_unit_id, scores)| {
            let average =
                (scores.iter().sum::<Decimal>() / Decimal::from(scores.len())).round_dp(2);
            ManagerLink {
                org_unit_id,
                rms: scores.len(),
                average_score: average,
                linked_share: share,
                pay_factor: (Decimal::ONE - share + share * average / Decimal::from(100))
                    .round_dp(4),
            }
        })
        .collect();
    Ok(PayReport {
        month,
        rms: lines,
        managers,
    })
}
