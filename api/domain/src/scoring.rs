//! X-1 monthly scores from the policy's scoring tables (data, not code), X-4 forced distribution of
//! performance levels, X-2 item 6 bottom share, X-6 pay effects. Pure functions over the policy.

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::portfolio::npl_points;
use super::rm::Line;

/// An RM's business in one month (money in fen; counts as counts).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Metrics {
    pub new_loan_accounts: i64,
    pub new_loan_amount_fen: i64,
    /// The month's increase in managed accounts (January: over the previous year end).
    pub managed_accounts_increase: i64,
    pub savings_increase_fen: i64,
    pub corporate_increase_fen: i64,
    pub new_bank_cards: i64,
    /// Payroll-agency customers won: under 50 employees, 50 or more.
    pub payroll_small: i64,
    pub payroll_large: i64,
    pub personal_ebank: i64,
    pub corporate_ebank: i64,
    pub pos_merchants: i64,
    /// R-5 NPL ratio of the loans the RM originated.
    pub npl_ratio: Decimal,
}

/// One item of a month's score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ItemScore {
    pub group: String,
    pub item: String,
    /// The month's volume in the item's unit (CNY for amounts, a count otherwise, a ratio for NPL).
    #[schema(value_type = String)]
    pub volume: Decimal,
    /// Points the volume earns before the cap.
    #[schema(value_type = String)]
    pub earned: Decimal,
    /// Points scored this month (capped; full marks plus new business once the year's task is done).
    #[schema(value_type = String)]
    pub points: Decimal,
    #[schema(value_type = String)]
    pub full: Decimal,
    #[schema(value_type = String)]
    pub cap: Decimal,
    /// The year's task (12 × full marks) was completed in earlier months.
    pub completed_early: bool,
}

/// A month's score.
#[derive(Debug, Clone, PartialEq)]
pub struct MonthScore {
    pub table: String,
    pub items: Vec<ItemScore>,
    /// Sum of the items, the NPL item counted up to its full marks.
    pub total: Decimal,
    /// The NPL item's high-cap points (cap − full), reserved this month: paid at year end only if
    /// the RM then has no NPL.
    pub risk_fund: Decimal,
}

/// the three tables every policy carries (sub-branch RM, retail business RM, corporate
/// business RM).
pub const TABLES: [&str; 3] = [
    "sub_branch_rm",
    "retail_business_rm",
    "corporate_business_rm",
];

/// which default table scores an RM: sub-branch RMs have their own; the others by line.
pub fn table_for(line: Line, in_sub_branch: bool) -> &'static str {
    match (in_sub_branch, line) {
        (true, _) => "sub_branch_rm",
        (false, Line::Retail) => "retail_business_rm",
        (false, _) => "corporate_business_rm",
    }
}

fn dec(v: &Value) -> Option<Decimal> {
    match v {
        Value::String(s) => s.parse().ok(),
        Value::Number(n) => n.to_string().parse().ok(),
        _ => None,
    }
}

fn volume(m: &Metrics, item: &str) -> Option<Decimal> {
    let cny = |fen: i64| Decimal::new(fen, 2);
    Some(match item {
        "new_loan_accounts" => m.new_loan_accounts.into(),
        "new_loan_amount" => cny(m.new_loan_amount_fen),
        "managed_accounts_increase" => m.managed_accounts_increase.into(),
        "savings_daily_avg_net_increase" => cny(m.savings_increase_fen),
        "corporate_daily_avg_net_increase" => cny(m.corporate_increase_fen),
        "new_bank_cards" => m.new_bank_cards.into(),
        "payroll_agency" => (m.payroll_small + m.payroll_large).into(),
        "personal_ebank" => m.personal_ebank.into(),
        "corporate_ebank" => m.corporate_ebank.into(),
        "pos_merchants" => m.pos_merchants.into(),
        "npl_ratio" => m.npl_ratio,
        _ => return None,
    })
}

/// Points a month's volume earns before any cap: whole units of `per` times `points`; payroll per
/// customer by size; NPL by band.
fn earned(spec: &Value, item: &str, m: &Metrics, scoring: &Value) -> Result<Decimal, String> {
    if item == "npl_ratio" {
        return Ok(npl_points(m.npl_ratio, scoring)
            .map(Decimal::from)
            .unwrap_or_default());
    }
    if let Some(per_customer) = spec.get("per_customer") {
        let small = per_customer
            .get("under_50_employees")
            .and_then(dec)
            .ok_or("payroll_agency.per_customer.under_50_employees")?;
        let large = per_customer
            .get("50_or_more")
            .and_then(dec)
            .ok_or("payroll_agency.per_customer.50_or_more")?;
        return Ok(small * Decimal::from(m.payroll_small) + large * Decimal::from(m.payroll_large));
    }
    let per = spec
        .get("per")
        .and_then(dec)
        .filter(|p| !p.is_zero())
        .ok_or_else(|| format!("{item}.per"))?;
    let points = spec
        .get("points")
        .and_then(dec)
        .ok_or_else(|| format!("{item}.points"))?;
    let v = volume(m, item).ok_or_else(|| format!("{item}: no such metric"))?;
    if v.is_sign_negative() {
        return Ok(Decimal::ZERO);
    }
    Ok((v / per).floor() * points)
}

/// One group's items: name → spec.
type Items<'a> = &'a serde_json::Map<String, Value>;

/// The items of a table, by group, resolving "same as <table>" references.
fn groups<'a>(tables: &'a Value, table: &str) -> Result<Vec<(String, Items<'a>)>, String> {
    let t = tables
        .get(table)
        .and_then(Value::as_object)
        .ok_or_else(|| format!("no scoring table {table}"))?;
    let mut out = Vec::new();
    for (group, items) in t {
        let items = match items {
            Value::String(reference) => {
                let other = reference.trim_start_matches("same as ").trim();
                tables
                    .get(other)
                    .and_then(|o| o.get(group))
                    .and_then(Value::as_object)
                    .ok_or_else(|| format!("{table}.{group}: {reference}"))?
            }
            Value::Object(map) => map,
            _ => return Err(format!("{table}.{group}")),
        };
        out.push((group.clone(), items));
    }
    Ok(out)
}

/// scores `month` by the table. `earlier` are the RM's earlier months of the same year: an item
/// whose points earned in them reach the year's task (12 × full marks) scores full marks plus the
/// month's new business, up to the cap. Nothing carries over otherwise.
pub fn score(
    scoring: &Value,
    table: &str,
    month: &Metrics,
    earlier: &[Metrics],
) -> Result<MonthScore, String> {
    let tables = scoring.get("tables").ok_or("scoring.tables")?;
    let mut items = Vec::new();
    let (mut total, mut risk_fund) = (Decimal::ZERO, Decimal::ZERO);
    for (group, specs) in groups(tables, table)? {
        for (item, spec) in specs {
            let full = spec
                .get("full")
                .and_then(dec)
                .ok_or_else(|| format!("{item}.full"))?;
            let cap = spec
                .get("cap")
                .and_then(dec)
                .ok_or_else(|| format!("{item}.cap"))?;
            let earned_now = earned(spec, item, month, scoring)?;
            let completed_early = item != "npl_ratio" && {
                let mut so_far = Decimal::ZERO;
                for m in earlier {
                    so_far += earned(spec, item, m, scoring)?;
                }
                so_far >= full * Decimal::from(12)
            };
            let points = if completed_early {
                (full + earned_now).min(cap)
            } else {
                earned_now.min(cap)
            };
            if item == "npl_ratio" {
                // X-1 (003 附件): the item's high-cap points above full marks are a risk fund,
                // reserved every month and paid at year end only if the RM then has no NPL.
                total += points.min(full);
                risk_fund += (cap - full).max(Decimal::ZERO);
            } else {
                total += points;
            }
            items.push(ItemScore {
                group: group.clone(),
                item: item.clone(),
                volume: volume(month, item).unwrap_or_default(),
                earned: earned_now,
                points,
                full,
                cap,
                completed_early,
            });
        }
    }
    Ok(MonthScore {
        table: table.into(),
        items,
        total,
        risk_fund,
    })
}

/// Competition ranks (1, 2, 2, 4) of scores, highest first, in the input's order.
pub fn ranks(scores: &[Decimal]) -> Vec<u32> {
    scores
        .iter()
        .map(|s| 1 + scores.iter().filter(|o| *o > s).count() as u32)
        .collect()
}

/// performance levels by forced distribution of a unit's RMs ordered best first: the top
/// share level 1, the bottom share level 3 (each rounded half up), the rest level 2.
pub fn levels(n: usize, shares: &[Decimal; 3]) -> Vec<u8> {
    let count = |share: Decimal| {
        (share * Decimal::from(n))
            .round_dp_with_strategy(0, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
            .to_usize()
            .unwrap_or(0)
            .min(n)
    };
    let top = count(shares[0]);
    let bottom = count(shares[2]).min(n - top);
    (0..n)
        .map(|i| {
            if i < top {
                1
            } else if i >= n - bottom {
                3
            } else {
                2
            }
        })
        .collect()
}

/// X-2 item 6: how many of `n` RMs form the bottom share (rounded down: never more than the rule says).
pub fn bottom_count(n: usize, share: Decimal) -> usize {
    (share * Decimal::from(n)).floor().to_usize().unwrap_or(0)
}

/// the month's pay effect: allowance × score / 100, to the fen.
pub fn pay(allowance: Decimal, score: Decimal) -> Decimal {
    (allowance * score / Decimal::from(100)).round_dp(2)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::Policy;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap_or_default()
    }

    fn scored(table: &str, month: &Metrics, earlier: &[Metrics]) -> MonthScore {
        score(&Policy::default().scoring, table, month, earlier).unwrap_or_else(|e| panic!("{e}"))
    }

    fn item<'a>(s: &'a MonthScore, name: &str) -> &'a ItemScore {
        s.items
            .iter()
            .find(|i| i.item == name)
            .unwrap_or_else(|| panic!("{name}"))
    }

    /// The worked example of the integration test: sub-branch table, capped and uncapped items.
    #[test]
    fn x1_sub_branch_month_scored_by_the_default_table() {
        let m = Metrics {
            new_loan_accounts: 9,                // 9 × 2.5 = 22.5, capped at 20
            new_loan_amount_fen: 30_000_000,     // 300,000 / 40,000 = 7 whole units → 7
            managed_accounts_increase: 2,        // 2 × 2 = 4
            savings_increase_fen: 5_000_000,     // 50,000 / 10,000 = 5
            corporate_increase_fen: 200_000_000, // 2,000,000 / 20,000 = 100, capped at 50
            new_bank_cards: 10,                  // 10 × 0.2 = 2
            payroll_small: 1,                    // 3
            payroll_large: 1,                    // + 6 = 9
            personal_ebank: 10,                  // 10 × 0.3 = 3
            corporate_ebank: 1,                  // 2
            pos_merchants: 0,                    // 0
            npl_ratio: d("0.004"),               // band < 0.5%: 3
        };
        let s = scored("sub_branch_rm", &m, &[]);
        assert_eq!(item(&s, "new_loan_accounts").earned, d("22.5"));
        assert_eq!(item(&s, "new_loan_accounts").points, d("20"));
        assert_eq!(item(&s, "new_loan_amount").points, d("7"));
        assert_eq!(item(&s, "corporate_daily_avg_net_increase").points, d("50"));
        assert_eq!(item(&s, "payroll_agency").points, d("9"));
        assert_eq!(item(&s, "npl_ratio").points, d("3"));
        // 20 + 7 + 4 + 3 + 5 + 50 + 2 + 9 + 3 + 2 + 0
        assert_eq!(s.total, d("105"));
        assert_eq!(
            s.risk_fund,
            d("6"),
            "X-1: the NPL item's high-cap points are reserved"
        );
    }

    #[test]
    fn x1_no_carry_over_but_early_completion_scores_full_plus_new_business() {
        let busy = Metrics {
            new_loan_accounts: 40, // earns 100 (cap 20) every month
            ..Metrics::default()
        };
        let quiet = Metrics {
            new_loan_accounts: 1, // earns 2.5
            ..Metrics::default()
        };
        let alone = scored("sub_branch_rm", &quiet, &[]);
        assert_eq!(
            item(&alone, "new_loan_accounts").points,
            d("2.5"),
            "no carry-over"
        );
        // 100 points earned in the year's first month < 120 (12 × 10): task not yet done.
        let after_one = scored("sub_branch_rm", &quiet, std::slice::from_ref(&busy));
        assert_eq!(item(&after_one, "new_loan_accounts").points, d("2.5"));
        // 200 ≥ 120: full marks (10) plus the month's 2.5.
        let after_two = scored("sub_branch_rm", &quiet, &[busy.clone(), busy]);
        assert!(item(&after_two, "new_loan_accounts").completed_early);
        assert_eq!(item(&after_two, "new_loan_accounts").points, d("12.5"));
    }

    #[test]
    fn x1_tables_by_line_and_unit_and_intermediary_shared() {
        assert_eq!(table_for(Line::Retail, true), "sub_branch_rm");
        assert_eq!(table_for(Line::Retail, false), "retail_business_rm");
        assert_eq!(table_for(Line::Sme, false), "corporate_business_rm");
        let m = Metrics {
            new_loan_accounts: 1,
            pos_merchants: 2,
            ..Metrics::default()
        };
        let s = scored("corporate_business_rm", &m, &[]);
        assert_eq!(item(&s, "new_loan_accounts").points, d("10"));
        assert_eq!(item(&s, "pos_merchants").points, d("2"));
        // npl_ratio 0 → 6
        assert_eq!(s.total, d("18"));
    }

    #[test]
    fn x4_forced_distribution_30_50_20() {
        let shares = Policy::default().exit.level_shares;
        assert_eq!(levels(10, &shares), vec![1, 1, 1, 2, 2, 2, 2, 2, 3, 3]);
        assert_eq!(levels(1, &shares), vec![2]);
        assert_eq!(
            ranks(&[d("90"), d("80"), d("90"), d("70")]),
            vec![1, 3, 1, 4]
        );
        assert_eq!(bottom_count(10, d("0.2")), 2);
        assert_eq!(bottom_count(4, d("0.2")), 0);
        assert_eq!(pay(d("1500"), d("87.5")), d("1312.50"));
    }
}
