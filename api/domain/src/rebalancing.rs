//! A-11 workload fairness (客户资源分布不均): moves of primary customers from the most loaded RMs
//! to the least loaded ones of the same pool, each move keeping A-3..A-5 and A-10, until the
//! spread of customer counts cannot shrink further.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;
use utoipa::ToSchema;

use super::assignment::{
    check_assignment, reassignment_needs_approval, AssignmentRole, CustomerFacts, Holder, RmFacts,
};
use super::policy::Policy;
use super::rm::Line;

/// A customer an RM holds as primary, with its value (loan balance, CNY).
#[derive(Debug, Clone)]
pub struct Book {
    pub customer_id: String,
    pub facts: CustomerFacts,
    /// The customer's other RMs (assistants, team members).
    pub others: Vec<Holder>,
    pub value: Decimal,
    /// An unresolved risk flag: moving the customer needs approval.
    pub flagged: bool,
}

#[derive(Debug, Clone)]
pub struct Desk {
    pub rm: RmFacts,
    pub book: Vec<Book>,
}

/// Spread of load across the RMs of a unit.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Spread {
    pub rms: usize,
    pub min_customers: usize,
    pub max_customers: usize,
    /// Standard deviation of customers per RM.
    #[schema(value_type = String, example = "3.2")]
    pub customers_stddev: Decimal,
    /// Standard deviation of customer value (loan balance, CNY) per RM.
    #[schema(value_type = String, example = "1250000.00")]
    pub value_stddev: Decimal,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(as = RebalancingMove)]
pub struct Move {
    pub customer_id: String,
    pub from_rm_id: String,
    pub to_rm_id: String,
    #[schema(value_type = String, example = "500000.00")]
    pub customer_value: Decimal,
}

fn stddev(values: &[Decimal]) -> Decimal {
    if values.is_empty() {
        return Decimal::ZERO;
    }
    let n = Decimal::from(values.len());
    let mean = values.iter().sum::<Decimal>() / n;
    let var: Decimal = values
        .iter()
        .map(|v| (*v - mean) * (*v - mean))
        .sum::<Decimal>()
        / n;
    // Newton's method: Decimal has no sqrt without a feature.
    let mut x = if var > Decimal::ONE {
        var / Decimal::TWO
    } else {
        Decimal::ONE
    };
    for _ in 0..60 {
        if x.is_zero() {
            break;
        }
        let next = (x + var / x) / Decimal::TWO;
        if (next - x).abs() < Decimal::new(1, 6) {
            x = next;
            break;
        }
        x = next;
    }
    x.round_dp(2)
}

pub fn spread(desks: &[Desk]) -> Spread {
    let counts: Vec<usize> = desks.iter().map(|d| d.book.len()).collect();
    Spread {
        rms: desks.len(),
        min_customers: counts.iter().copied().min().unwrap_or(0),
        max_customers: counts.iter().copied().max().unwrap_or(0),
        customers_stddev: stddev(&counts.iter().map(|c| Decimal::from(*c)).collect::<Vec<_>>()),
        value_stddev: stddev(
            &desks
                .iter()
                .map(|d| d.book.iter().map(|b| b.value).sum())
                .collect::<Vec<_>>(),
        ),
    }
}

/// Whether two RMs can serve the same customers (A-4 lines).
fn pool(line: Line) -> u8 {
    match line {
        Line::Retail => 0,
        _ => 1,
    }
}

/// Proposes at most `max_moves` moves; `desks` ends in the state after them. Within each pool of
/// lines, the most loaded RM gives the customer whose value best halves the value gap to the least
/// loaded RM that may take it under every rule; customers needing approval stay put.
pub fn propose(
    desks: &mut [Desk],
    today: NaiveDate,
    policy: &Policy,
    max_moves: usize,
) -> Vec<Move> {
    let mut moves = Vec::new();
    for line_pool in [0u8, 1u8] {
        let members: Vec<usize> = (0..desks.len())
            .filter(|&i| pool(desks[i].rm.line) == line_pool)
            .collect();
        if members.len() < 2 {
            continue;
        }
        // Receivers that could take nothing from a donor are skipped for that donor.
        let mut stuck: std::collections::HashSet<(usize, usize)> = std::collections::HashSet::new();
        while moves.len() < max_moves {
            let donor = *members
                .iter()
                .max_by_key(|&&i| (desks[i].book.len(), std::cmp::Reverse(i)))
                .unwrap_or(&members[0]);
            let receiver = members
                .iter()
                .copied()
                .filter(|&i| i != donor && !stuck.contains(&(donor, i)))
                .min_by_key(|&i| (desks[i].book.len(), i));
            let Some(receiver) = receiver else { break };
            if desks[donor].book.len() <= desks[receiver].book.len() + 1 {
                break;
            }
            let donor_value: Decimal = desks[donor].book.iter().map(|b| b.value).sum();
            let receiver_value: Decimal = desks[receiver].book.iter().map(|b| b.value).sum();
            let ideal = (donor_value - receiver_value) / Decimal::TWO;
            let pick = desks[donor]
                .book
                .iter()
                .enumerate()
                .filter(|(_, b)| reassignment_needs_approval(&b.facts, b.flagged, false).is_none())
                .filter(|(_, b)| {
                    check_assignment(
                        &desks[receiver].rm,
                        &b.facts,
                        &b.others,
                        AssignmentRole::Primary,
                        today,
                        policy,
                    )
                    .is_ok()
                })
                .min_by_key(|(_, b)| ((b.value - ideal).abs(), b.customer_id.clone()))
                .map(|(i, _)| i);
            let Some(index) = pick else {
                stuck.insert((donor, receiver));
                continue;
            };
            let book = desks[donor].book.remove(index);
            let receiving = &mut desks[receiver].rm;
            receiving.key_accounts += u32::from(book.facts.is_key_account);
            receiving.vip_customers += u32::from(book.facts.is_vip);
            let giving = &mut desks[donor].rm;
            giving.key_accounts = giving
                .key_accounts
                .saturating_sub(u32::from(book.facts.is_key_account));
            giving.vip_customers = giving
                .vip_customers
                .saturating_sub(u32::from(book.facts.is_vip));
            moves.push(Move {
                customer_id: book.customer_id.clone(),
                from_rm_id: desks[donor].rm.id.clone(),
                to_rm_id: desks[receiver].rm.id.clone(),
                customer_value: book.value,
            });
            desks[receiver].book.push(book);
            stuck.clear();
        }
    }
    moves
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::customer::{Category, CustomerKind};
    use crate::rm::{Grade, RmStatus};

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or(NaiveDate::MIN)
    }

    fn desk(id: &str, line: Line, customers: usize) -> Desk {
        let rm = RmFacts {
            id: id.into(),
            line,
            grade: Grade::Rm,
            status: RmStatus::Active,
            org_path: "/ho/t/".into(),
            qualified_on: day("2026-01-01"),
            term_ends_on: day("2027-06-01"),
            under_exit_review: false,
            banned: false,
            key_accounts: 0,
            vip_customers: 0,
        };
        let kind = if line == Line::Retail {
            CustomerKind::Retail
        } else {
            CustomerKind::Corporate
        };
        let book = (0..customers)
            .map(|n| Book {
                customer_id: format!("{id}-c{n}"),
                facts: CustomerFacts {
                    kind,
                    categories: vec![],
                    is_key_account: false,
                    is_vip: false,
                    org_path: "/ho/t/".into(),
                },
                others: vec![],
                value: Decimal::from(100 * (n as i64 + 1)),
                flagged: false,
            })
            .collect();
        Desk { rm, book }
    }

    #[test]
    fn a11_moves_reduce_the_spread_within_a_line_pool() {
        let policy = Policy::default();
        let mut desks = vec![
            desk("a", Line::Corporate, 10),
            desk("b", Line::Sme, 0),
            desk("c", Line::Retail, 0),
        ];
        let before = spread(&desks);
        let moves = propose(&mut desks, day("2026-11-23"), &policy, 100);
        let after = spread(&desks);
        assert_eq!(moves.len(), 5);
        assert!(
            moves
                .iter()
                .all(|m| m.from_rm_id == "a" && m.to_rm_id == "b"),
            "retail RM c takes no corporate customer"
        );
        assert_eq!((desks[0].book.len(), desks[1].book.len()), (5, 5));
        assert!(after.customers_stddev < before.customers_stddev);
    }

    #[test]
    fn a11_sensitive_and_senior_only_customers_stay() {
        let policy = Policy::default();
        let mut desks = vec![desk("a", Line::Corporate, 4), desk("b", Line::Corporate, 0)];
        desks[0].book[0].facts.categories = vec![Category::HighValue];
        desks[0].book[1].facts.categories = vec![Category::Core];
        desks[0].book[2].facts.categories = vec![Category::Core];
        desks[0].book[3].facts.categories = vec![Category::Core];
        let moves = propose(&mut desks, day("2026-11-23"), &policy, 100);
        assert!(
            moves.is_empty(),
            "A-10 needs approval and A-5 needs a senior: {moves:?}"
        );
    }

    #[test]
    fn stddev_is_exact_enough() {
        let v: Vec<Decimal> = [2, 4, 4, 4, 5, 5, 7, 9]
            .iter()
            .map(|n| Decimal::from(*n))
            .collect();
        assert_eq!(stddev(&v), Decimal::from(2));
    }
}
