//! Customers (客户): kinds, sizes and the category markers.

use super::rm::Line;
use super::text_enum;

text_enum! {
    CustomerKind {
        /// 公司
        Corporate => "corporate",
        /// 小微
        Sme => "sme",
        /// 机构
        Institution => "institution",
        /// 个人
        Retail => "retail",
    }
}

impl CustomerKind {
    /// the RM line that may serve this kind of customer.
    pub fn fits_line(self, line: Line) -> bool {
        match self {
            CustomerKind::Retail => line == Line::Retail,
            _ => line != Line::Retail,
        }
    }
}

text_enum! {
    CustomerSize {
        Large => "large",
        Medium => "medium",
        Small => "small",
    }
}

text_enum! {
    /// Category markers: A-5 markers need a senior-or-higher primary; A-6 markers need two RMs.
    Category {
        Core => "core",
        ComplexAdvisory => "complex_advisory",
        CapitalOperations => "capital_operations",
        LargeFirstDevelopment => "large_first_development",
        LargeRiskBusiness => "large_risk_business",
        Crisis => "crisis",
        Basic => "basic",
        HighValue => "high_value",
        RiskBusiness => "risk_business",
        MidsizeFirstDevelopment => "midsize_first_development",
        NewProduct => "new_product",
        Anomaly => "anomaly",
        PotentialRisk => "potential_risk",
    }
}

impl Category {
    /// needs a senior-or-higher primary RM.
    pub fn needs_senior_primary(self) -> bool {
        matches!(
            self,
            Category::Core
                | Category::ComplexAdvisory
                | Category::CapitalOperations
                | Category::LargeFirstDevelopment
                | Category::LargeRiskBusiness
                | Category::Crisis
        )
    }

    /// needs two or more RMs with a named lead.
    pub fn needs_two_rms(self) -> bool {
        !self.needs_senior_primary()
    }
}

/// Categories as stored: comma-separated, sorted, without duplicates.
pub fn join_categories(categories: &[Category]) -> String {
    let mut names: Vec<&str> = categories.iter().map(|c| c.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    names.join(",")
}

pub fn split_categories(text: &str) -> Vec<Category> {
    text.split(',').filter_map(Category::parse).collect()
}

text_enum! {
    /// R-2 `related_party` links between customers.
    RelationKind {
        /// The customer guarantees the related customer's loans.
        GuarantorOf => "guarantor_of",
        SameGroup => "same_group",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a4_line_fits_customer_kind() {
        assert!(CustomerKind::Retail.fits_line(Line::Retail));
        assert!(!CustomerKind::Retail.fits_line(Line::Corporate));
        assert!(CustomerKind::Institution.fits_line(Line::Corporate));
        assert!(CustomerKind::Sme.fits_line(Line::Sme));
        assert!(!CustomerKind::Corporate.fits_line(Line::Retail));
    }

    #[test]
    fn a5_and_a6_markers_split() {
        assert!(Category::Core.needs_senior_primary());
        assert!(Category::Crisis.needs_senior_primary());
        assert!(Category::HighValue.needs_two_rms());
        assert!(Category::PotentialRisk.needs_two_rms());
        assert!(!Category::Basic.needs_senior_primary());
    }

    #[test]
    fn categories_are_stored_sorted_and_unique() {
        let text = join_categories(&[Category::HighValue, Category::Core, Category::HighValue]);
        assert_eq!(text, "core,high_value");
        assert_eq!(
            split_categories(&text),
            vec![Category::Core, Category::HighValue]
        );
        assert!(split_categories("").is_empty());
    }
}
