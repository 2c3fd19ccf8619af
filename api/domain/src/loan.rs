//! Loan facts and the customer flags they raise.

use rust_decimal::Decimal;

use super::text_enum;

text_enum! {
    /// Five-tier loan classification (五级分类).
    Classification {
        /// 正常
        Normal => "normal",
        /// 关注
        SpecialMention => "special_mention",
        /// 次级
        Substandard => "substandard",
        /// 可疑
        Doubtful => "doubtful",
        /// 损失
        Loss => "loss",
    }
}

impl Classification {
    /// NPL (不良贷款): substandard or worse.
    pub fn is_npl(self) -> bool {
        matches!(
            self,
            Classification::Substandard | Classification::Doubtful | Classification::Loss
        )
    }
}

/// Money in fen from a decimal string of CNY: at most two decimals, not negative, within i64.
pub fn to_fen(amount: Decimal) -> Result<i64, String> {
    if amount.is_sign_negative() {
        return Err("must not be negative".into());
    }
    if amount.normalize().scale() > 2 {
        return Err("at most two decimals (fen)".into());
    }
    (amount * Decimal::from(100))
        .round()
        .try_into()
        .map_err(|_| "too large".to_string())
}

pub fn from_fen(fen: i64) -> Decimal {
    Decimal::new(fen, 2)
}

/// R-2 `overdue_interest`: interest of the period is unpaid.
pub fn has_overdue_interest(interest_due_fen: i64, interest_paid_fen: i64) -> bool {
    interest_paid_fen < interest_due_fen
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap_or_default()
    }

    #[test]
    fn r1_money_is_exact_fen() {
        assert_eq!(to_fen(d("500000.00")), Ok(50_000_000));
        assert_eq!(to_fen(d("2100.5")), Ok(210_050));
        assert!(to_fen(d("1.005")).is_err());
        assert!(to_fen(d("-1")).is_err());
        assert_eq!(from_fen(210_050), d("2100.50"));
    }

    #[test]
    fn r2_npl_is_substandard_or_worse() {
        assert!(!Classification::SpecialMention.is_npl());
        assert!(Classification::Substandard.is_npl());
        assert!(Classification::Loss.is_npl());
        assert!(has_overdue_interest(2100, 0));
        assert!(!has_overdue_interest(2100, 2100));
    }
}
