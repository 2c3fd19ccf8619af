//! Reasons: why a flag was raised, a check required, a case opened. A person's reason is their
//! text as typed. A reason the product writes itself is a code with parameters, stored beside its
//! English text: the API and the audit log read the text, the dashboard shows the code in its
//! reader's language (frontend/src/reasons.ts holds the same codes).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason {
    /// The English text, as the API has always answered it.
    pub text: String,
    /// `None` for a person's text.
    pub code: Option<&'static str>,
    pub params: BTreeMap<&'static str, serde_json::Value>,
}

impl Reason {
    /// A person's reason, shown as typed.
    pub fn typed(text: impl Into<String>) -> Self {
        Reason {
            text: text.into(),
            code: None,
            params: BTreeMap::new(),
        }
    }

    fn written(
        code: &'static str,
        params: Vec<(&'static str, serde_json::Value)>,
        text: String,
    ) -> Self {
        Reason {
            text,
            code: Some(code),
            params: params.into_iter().collect(),
        }
    }

    /// a loan classified substandard or worse.
    pub fn loan_npl(loan_no: &str, as_of: NaiveDate) -> Self {
        Self::written(
            "loan_npl",
            vec![
                ("loan_no", loan_no.into()),
                ("as_of", as_of.to_string().into()),
            ],
            format!("loan {loan_no} classified substandard or worse as of {as_of}"),
        )
    }

    /// a borrower with a loan classified substandard or worse (the demo's history, where the
    /// loan is not named).
    pub fn npl_borrower(as_of: NaiveDate) -> Self {
        Self::written(
            "npl_borrower",
            vec![("as_of", as_of.to_string().into())],
            format!("loan classified substandard or worse as of {as_of}"),
        )
    }

    /// a loan whose interest of the period is unpaid.
    pub fn loan_interest_unpaid(loan_no: &str, as_of: NaiveDate) -> Self {
        Self::written(
            "loan_interest_unpaid",
            vec![
                ("loan_no", loan_no.into()),
                ("as_of", as_of.to_string().into()),
            ],
            format!("loan {loan_no}: interest of the period unpaid as of {as_of}"),
        )
    }

    /// a customer with unpaid interest found by the evaluation.
    pub fn interest_unpaid(as_of: NaiveDate) -> Self {
        Self::written(
            "interest_unpaid",
            vec![("as_of", as_of.to_string().into())],
            format!("interest unpaid as of {as_of}"),
        )
    }

    /// an RM's overdue-interest ratio on a date.
    pub fn r4_overdue_ratio(
        ratio: Decimal,
        overdue: u32,
        loan_customers: u32,
        as_of: NaiveDate,
    ) -> Self {
        Self::written(
            "r4_overdue_ratio",
            vec![
                ("ratio", ratio.to_string().into()),
                ("overdue", overdue.into()),
                ("loan_customers", loan_customers.into()),
                ("as_of", as_of.to_string().into()),
            ],
            format!("overdue-interest ratio {ratio} ({overdue} of {loan_customers} loan customers) on {as_of}"),
        )
    }

    /// a disqualification trigger found by the monthly run.
    pub fn monthly_run_trigger(trigger: &str, month: &str) -> Self {
        Self::written(
            "monthly_run_trigger",
            vec![("trigger", trigger.into()), ("month", month.into())],
            format!("{trigger} found by the monthly run for {month}"),
        )
    }

    /// a year's average score below the rank's standard.
    pub fn demotion_below_standard(year: i32, standard: Decimal) -> Self {
        Self::written(
            "demotion_below_standard",
            vec![
                ("year", year.into()),
                ("standard", standard.to_string().into()),
            ],
            format!("{year} average score below the rank standard {standard}"),
        )
    }

    /// a customer related (guarantee, group) to one flagged.
    pub fn related_party(customer_name: &str, customer_id: &str, kind: &str) -> Self {
        Self::written(
            "related_party",
            vec![
                ("customer_name", customer_name.into()),
                ("customer_id", customer_id.into()),
                ("kind", kind.into()),
            ],
            format!("related to customer {customer_name} ({customer_id}) flagged {kind}"),
        )
    }

    /// the customer entered a category that needs two RMs' checks.
    pub fn a6_entered() -> Self {
        Self::written(
            "a6_entered",
            vec![],
            "the customer entered an A-6 category".into(),
        )
    }

    /// overdue interest neither acted on nor reported in time (the demo's case).
    pub fn overdue_interest_not_reported() -> Self {
        Self::written(
            "overdue_interest_not_reported",
            vec![],
            "overdue interest not acted on or reported in time".into(),
        )
    }

    /// The code and its parameters as stored: both `None` for a person's text.
    pub fn stored(&self) -> (Option<String>, Option<String>) {
        match self.code {
            None => (None, None),
            Some(code) => (
                Some(code.into()),
                Some(serde_json::to_string(&self.params).unwrap_or_else(|_| "{}".into())),
            ),
        }
    }
}

impl From<&str> for Reason {
    fn from(text: &str) -> Self {
        Reason::typed(text)
    }
}

impl From<String> for Reason {
    fn from(text: String) -> Self {
        Reason::typed(text)
    }
}

/// Parameters as read back: a JSON object, or an error naming the corruption.
pub fn read_params(stored: &str) -> Result<serde_json::Map<String, serde_json::Value>, String> {
    match serde_json::from_str::<serde_json::Value>(stored) {
        Ok(serde_json::Value::Object(map)) => Ok(map),
        Ok(_) => Err(format!("reason_params is not a JSON object: {stored}")),
        Err(e) => Err(format!("reason_params is not JSON ({e}): {stored}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_written_reason_keeps_its_english_text_and_stores_code_and_parameters() {
        let as_of = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        let r = Reason::loan_npl("L-1", as_of);
        assert_eq!(
            r.text,
            "loan L-1 classified substandard or worse as of 2026-11-30"
        );
        let (code, params) = r.stored();
        assert_eq!(code.as_deref(), Some("loan_npl"));
        let params = read_params(&params.unwrap()).unwrap();
        assert_eq!(params["loan_no"], "L-1");
        assert_eq!(params["as_of"], "2026-11-30");
    }

    #[test]
    fn a_typed_reason_stores_no_code_and_corrupt_parameters_fail_loudly() {
        assert_eq!(Reason::typed("fraud").stored(), (None, None));
        assert!(read_params("[1]").is_err());
        assert!(read_params("{oops").is_err());
    }
}
