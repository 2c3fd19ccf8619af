//! The columns of each kind of import: the API's own field names, and the Chinese headers a bank's
//! exports use (the documented default mapping, README "Imports"). A mapping file (JSON object,
//! header → field) adds or overrides headers for one import.

use std::collections::HashMap;

use super::Kind;
use crate::error::{AppError, AppResult};

/// A column: its field name and the Chinese headers that mean it.
pub struct Field {
    pub name: &'static str,
    pub zh: &'static [&'static str],
    pub required: bool,
}

const fn req(name: &'static str, zh: &'static [&'static str]) -> Field {
    Field {
        name,
        zh,
        required: true,
    }
}

const fn opt(name: &'static str, zh: &'static [&'static str]) -> Field {
    Field {
        name,
        zh,
        required: false,
    }
}

const ORG_UNITS: &[Field] = &[
    req("code", &["机构号", "机构代码", "机构编号"]),
    req("name", &["机构名称"]),
    req("kind", &["机构类型", "机构层级"]),
    req("parent_code", &["上级机构号", "上级机构代码"]),
];

const RMS: &[Field] = &[
    req("employee_no", &["工号", "员工号", "客户经理工号"]),
    req("national_id", &["身份证号", "身份证号码", "证件号码"]),
    req("name", &["姓名", "客户经理姓名"]),
    req("line", &["条线", "业务条线"]),
    req("grade", &["等级", "客户经理等级", "级别"]),
    req("org_unit_code", &["机构号", "所属机构号", "所属机构"]),
    req(
        "qualified_on",
        &["资格日期", "资格认定日期", "考试通过日期"],
    ),
    opt("counter_experience_years", &["柜面经验年限", "临柜年限"]),
    opt("bad_business_record", &["不良记录"]),
    opt("term_starts_on", &["任期起始日", "聘任日期"]),
];

const USERS: &[Field] = &[
    req("username", &["用户名", "登录名"]),
    req("display_name", &["姓名", "显示名"]),
    req("roles", &["角色"]),
    req("org_unit_code", &["机构号", "所属机构号"]),
    opt("employee_no", &["工号", "客户经理工号"]),
    opt("password", &["初始密码"]),
];

const CUSTOMERS: &[Field] = &[
    req("customer_no", &["客户号", "客户编号"]),
    req("name", &["客户名称", "客户名", "姓名"]),
    req("kind", &["客户类型", "客户类别代码"]),
    req("org_unit_code", &["机构号", "所属机构号", "归属机构"]),
    opt("size", &["企业规模", "规模"]),
    opt("tier", &["客户层级", "客户等级"]),
    opt("categories", &["客户标识", "客户分类"]),
    opt("is_key_account", &["重点客户", "是否重点客户"]),
    opt("is_vip", &["VIP客户", "是否VIP"]),
    opt("national_id", &["证件号码", "身份证号"]),
    opt("phone", &["手机号", "联系电话"]),
];

const RELATIONS: &[Field] = &[
    req("customer_no", &["客户号"]),
    req("related_customer_no", &["关联客户号"]),
    req("kind", &["关联类型", "关系类型"]),
];

const ASSIGNMENTS: &[Field] = &[
    req("customer_no", &["客户号", "客户编号"]),
    req("employee_no", &["客户经理工号", "工号"]),
    req("role", &["角色", "管户角色"]),
    opt("share", &["分成比例", "业绩分成"]),
    req("valid_from", &["起始日期", "开始日期", "管户起始日"]),
    opt("valid_to", &["截止日期", "结束日期", "管户截止日"]),
    opt("reason", &["原因", "变更原因"]),
];

const LOANS: &[Field] = &[
    req("loan_no", &["借据号", "贷款编号"]),
    req("customer_no", &["客户号"]),
    req("employee_no", &["客户经理工号", "工号"]),
    req("balance", &["贷款余额", "余额"]),
    req("originated_on", &["发放日期", "放款日期"]),
    req("classification", &["五级分类"]),
    req("interest_due", &["应收利息"]),
    req("interest_paid", &["实收利息"]),
    req("as_of", &["数据日期", "统计日期"]),
    opt("days_past_due", &["逾期天数"]),
    opt("matures_on", &["到期日期", "到期日"]),
];

const COMPLAINTS: &[Field] = &[
    req("customer_no", &["客户号"]),
    req("employee_no", &["客户经理工号", "工号"]),
    req("received_on", &["投诉日期", "受理日期"]),
    req("verified", &["是否查实", "查实"]),
    req("summary", &["投诉内容", "摘要"]),
];

const METRICS: &[Field] = &[
    req("employee_no", &["客户经理工号", "工号"]),
    req("month", &["月份", "考核月份"]),
    opt("new_loan_accounts", &["新增贷款户数"]),
    opt("new_loan_amount", &["新增贷款金额"]),
    opt("managed_accounts_increase", &["管户增加数"]),
    opt("savings_daily_avg_net_increase", &["储蓄日均净增"]),
    opt("corporate_daily_avg_net_increase", &["对公存款日均净增"]),
    opt("new_bank_cards", &["新增银行卡"]),
    opt("payroll_customers_under_50", &["代发工资户50人以下"]),
    opt("payroll_customers_50_or_more", &["代发工资户50人以上"]),
    opt("personal_ebank", &["个人网银"]),
    opt("corporate_ebank", &["企业网银"]),
    opt("pos_merchants", &["POS商户"]),
    opt("npl_ratio", &["不良率"]),
];

pub fn of(kind: Kind) -> &'static [Field] {
    match kind {
        Kind::OrgUnits => ORG_UNITS,
        Kind::Rms => RMS,
        Kind::Users => USERS,
        Kind::Customers => CUSTOMERS,
        Kind::Relations => RELATIONS,
        Kind::Assignments => ASSIGNMENTS,
        Kind::Loans => LOANS,
        Kind::Complaints => COMPLAINTS,
        Kind::Metrics => METRICS,
    }
}

/// Header → field for one import: the field names, the default Chinese headers, and the
/// overrides of a mapping file.
#[derive(Debug, Clone)]
pub struct Mapping {
    kind: Kind,
    headers: HashMap<String, &'static str>,
}

impl Mapping {
    pub fn new(kind: Kind, overrides: Option<&str>) -> AppResult<Self> {
        let fields = of(kind);
        let mut headers = HashMap::new();
        for f in fields {
            headers.insert(f.name.to_string(), f.name);
            for zh in f.zh {
                headers.insert((*zh).to_string(), f.name);
            }
        }
        if let Some(json) = overrides {
            let map: HashMap<String, String> = serde_json::from_str(json).map_err(|e| {
                AppError::field(
                    "mapping",
                    format!("a mapping is a JSON object of header → field name: {e}"),
                )
            })?;
            for (header, field) in map {
                let known = fields.iter().find(|f| f.name == field).ok_or_else(|| {
                    AppError::field(
                        "mapping",
                        format!("`{field}` is not a field of a {} import", kind.as_str()),
                    )
                })?;
                headers.insert(header.trim().to_string(), known.name);
            }
        }
        Ok(Mapping { kind, headers })
    }

    pub fn field_of(&self, header: &str) -> Option<&'static str> {
        self.headers.get(header.trim()).copied()
    }

    /// The field names, for a report.
    pub fn expected(&self) -> String {
        of(self.kind)
            .iter()
            .map(|f| f.name)
            .collect::<Vec<_>>()
            .join(", ")
    }
}
