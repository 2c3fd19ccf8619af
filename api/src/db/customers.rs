//! Customers and their relations.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{assignments, customer_categories, customer_relations, customers};
use super::{subtree_range, DbConn};
use crate::error::{AppError, AppResult};

#[derive(Debug, Clone, Queryable, Insertable, AsChangeset, serde::Serialize)]
#[diesel(table_name = customers, treat_none_as_null = true, treat_none_as_default_value = false)]
pub struct CustomerRow {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub org_unit_id: String,
    pub org_path: String,
    pub size: Option<String>,
    pub tier: Option<String>,
    pub categories: String,
    pub is_key_account: bool,
    pub is_vip: bool,
    pub national_id: Option<String>,
    pub phone: Option<String>,
    /// since when the customer needs a second RM.
    pub needs_second_rm_since: Option<NaiveDateTime>,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// The bank's customer number (客户号), unique where given.
    pub customer_no: Option<String>,
    /// The keyed hash national-ID search finds the customer by (M-3; see `national_ids`); `None`
    /// until the server hashes it. Never serialised (not in audit events or exports).
    #[serde(skip)]
    pub national_id_hash: Option<String>,
}

pub fn insert(conn: &mut DbConn, row: &CustomerRow) -> AppResult<()> {
    diesel::insert_into(customers::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn find(conn: &mut DbConn, id: &str) -> AppResult<Option<CustomerRow>> {
    Ok(customers::table.find(id).first(conn).optional()?)
}

/// O-1: after a customer moves to another unit, its flags, checks and pending approvals are
/// scoped to the new one (the old unit no longer lists or decides them). Audit events keep the
/// path they were written with: the log is append-only.
pub fn rescope(conn: &mut DbConn, customer_id: &str, org_path: &str) -> AppResult<()> {
    use super::schema::{approvals, field_checks, flags, required_checks};
    // A pending command names its customer by id in its payload (ids are UUIDs, quoted in JSON).
    diesel::update(
        approvals::table
            .filter(approvals::status.eq("pending"))
            .filter(approvals::payload.like(format!("%\"{customer_id}\"%"))),
    )
    .set(approvals::org_path.eq(org_path))
    .execute(conn)?;
    diesel::update(flags::table.filter(flags::customer_id.eq(customer_id)))
        .set(flags::org_path.eq(org_path))
        .execute(conn)?;
    diesel::update(field_checks::table.filter(field_checks::customer_id.eq(customer_id)))
        .set(field_checks::org_path.eq(org_path))
        .execute(conn)?;
    diesel::update(required_checks::table.filter(required_checks::customer_id.eq(customer_id)))
        .set(required_checks::org_path.eq(org_path))
        .execute(conn)?;
    Ok(())
}

pub fn update(conn: &mut DbConn, row: &CustomerRow, expected_version: i64) -> AppResult<()> {
    let n = diesel::update(
        customers::table
            .filter(customers::id.eq(&row.id))
            .filter(customers::version.eq(expected_version)),
    )
    .set(row)
    .execute(conn)?;
    if n == 0 {
        return Err(AppError::VersionConflict(format!(
            "customer {} was changed by someone else; reload it",
            row.id
        )));
    }
    Ok(())
}

#[derive(Debug, Default)]
pub struct Filter {
    pub kind: Option<String>,
    pub is_key_account: Option<bool>,
    pub is_vip: Option<bool>,
    pub category: Option<String>,
    /// Name starts with this text (ASCII letters in any case).
    pub name_prefix: Option<String>,
    /// Name contains this text (at least [`CONTAINS_MIN_CHARS`] characters, any case).
    pub name_contains: Option<String>,
    /// Customers this RM holds now, in any role.
    pub rm_id: Option<String>,
    /// Only these customers (a bulk read by id).
    pub ids: Option<Vec<String>>,
    /// The bank's customer number (客户号).
    pub customer_no: Option<String>,
}

/// A name search by content needs this many characters: the trigram index serves nothing shorter.
pub const CONTAINS_MIN_CHARS: usize = 3;

/// The order of a page, and where the next one starts. Every order is an index's order, so a
/// page costs about its own size whatever the scope: the subtree (`org_path`, `id`) by default,
/// the name for a prefix search, the trigram index's own order for a contains search on SQLite.
#[derive(Debug, Clone, PartialEq)]
enum Cursor {
    Scope {
        org_path: String,
        id: String,
    },
    Name {
        name: String,
        org_path: String,
        id: String,
    },
    Match {
        rowid: i64,
    },
}

const SEP: char = '\u{1f}';

impl Cursor {
    fn encode(&self) -> String {
        match self {
            Cursor::Scope { org_path, id } => format!("s{SEP}{org_path}{SEP}{id}"),
            Cursor::Name { name, org_path, id } => format!("n{SEP}{name}{SEP}{org_path}{SEP}{id}"),
            Cursor::Match { rowid } => format!("m{SEP}{rowid}"),
        }
    }

    fn decode(text: &str) -> AppResult<Self> {
        let parts: Vec<&str> = text.split(SEP).collect();
        let cursor = match parts.as_slice() {
            ["s", org_path, id] => Some(Cursor::Scope {
                org_path: org_path.to_string(),
                id: id.to_string(),
            }),
            ["n", name, org_path, id] => Some(Cursor::Name {
                name: name.to_string(),
                org_path: org_path.to_string(),
                id: id.to_string(),
            }),
            ["m", rowid] => rowid.parse().ok().map(|rowid| Cursor::Match { rowid }),
            _ => None,
        };
        cursor.ok_or_else(|| AppError::field("cursor", "not a cursor returned by this list"))
    }
}

diesel::define_sql_function!(fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text);

/// LIKE's wildcards taken literally (escape character `\`).
fn like_literal(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// The customers query every driver filters (each row with its SQLite rowid).
type Boxed<'a> = customers::BoxedQuery<
    'a,
    <DbConn as diesel::Connection>::Backend,
    (customers::SqlType, diesel::sql_types::BigInt),
>;

/// How a page is found: by walking the subtree's customers in an index's order, or by walking an
/// ordered source of candidates (the kept category rows, SQLite's trigram index) a batch at a time
/// and keeping those the other filters accept. Either way a page costs about its own size.
enum Driver {
    Scope,
    Name(String),
    Category(String),
    Match(String),
}

/// Candidates read per batch from an ordered source.
const BATCH: i64 = 500;

/// A page of a subtree's customers and the cursor of the next page (`None` on the last).
pub fn list(
    conn: &mut DbConn,
    scope: &str,
    filter: &Filter,
    cursor: Option<&str>,
    limit: i64,
) -> AppResult<(Vec<CustomerRow>, Option<String>)> {
    use diesel::dsl::sql;
    use diesel::sql_types::{BigInt, Bool, Text};

    let cursor = cursor.map(Cursor::decode).transpose()?;
    let sqlite = matches!(conn, DbConn::Sqlite(_));
    let (low, high) = subtree_range(scope);
    if let Some(text) = &filter.name_contains {
        if text.chars().count() < CONTAINS_MIN_CHARS {
            return Err(AppError::field(
                "name_contains",
                format!(
                    "at least {CONTAINS_MIN_CHARS} characters; use `name` to search by the start \
                     of a name"
                ),
            ));
        }
    }
    let driver = match (&filter.name_prefix, &filter.name_contains, &filter.category) {
        (Some(prefix), _, _) => Driver::Name(prefix.to_ascii_lowercase()),
        // FTS5's trigram index; the phrase is matched as a substring, any case.
        (None, Some(text), _) if sqlite => {
            Driver::Match(format!("\"{}\"", text.replace('"', "\"\"")))
        }
        (None, _, Some(category)) => Driver::Category(category.clone()),
        _ => Driver::Scope,
    };
    let fits = matches!(
        (&driver, &cursor),
        (_, None)
            | (
                Driver::Scope | Driver::Category(_),
                Some(Cursor::Scope { .. })
            )
            | (Driver::Name(_), Some(Cursor::Name { .. }))
            | (Driver::Match(_), Some(Cursor::Match { .. }))
    );
    if !fits {
        return Err(AppError::field(
            "cursor",
            "not a cursor of this search; start again without it",
        ));
    }

    // SQLite's contains search pages by rowid (the trigram index's key); PostgreSQL has none.
    let rowid = if sqlite {
        "customers.rowid"
    } else {
        "0::bigint"
    };
    let by_category = matches!(driver, Driver::Category(_));
    // The filters every driver applies to the customers themselves.
    let filtered = || -> Boxed<'static> {
        let mut query = customers::table
            .filter(customers::org_path.ge(low.clone()))
            .filter(customers::org_path.lt(high.clone()))
            .select((customers::all_columns, sql::<BigInt>(rowid)))
            .into_boxed();
        if let Some(v) = &filter.kind {
            query = query.filter(customers::kind.eq(v.clone()));
        }
        if let (Some(category), false) = (&filter.category, by_category) {
            // Another driver gives the order: the category is one more condition on each row.
            let members = customer_categories::table
                .filter(customer_categories::category.eq(category.clone()))
                .select(customer_categories::customer_id);
            query = query.filter(customers::id.eq_any(members));
        }
        // `true` as a literal, so that SQLite may use the partial index of the few.
        query = match filter.is_key_account {
            Some(true) if sqlite => query.filter(sql::<Bool>("customers.is_key_account = 1")),
            Some(true) => query.filter(sql::<Bool>("customers.is_key_account")),
            Some(false) => query.filter(customers::is_key_account.eq(false)),
            None => query,
        };
        query = match filter.is_vip {
            Some(true) if sqlite => query.filter(sql::<Bool>("customers.is_vip = 1")),
            Some(true) => query.filter(sql::<Bool>("customers.is_vip")),
            Some(false) => query.filter(customers::is_vip.eq(false)),
            None => query,
        };
        if let Some(ids) = &filter.ids {
            query = query.filter(customers::id.eq_any(ids.clone()));
        }
        if let Some(no) = &filter.customer_no {
            query = query.filter(customers::customer_no.eq(no.clone()));
        }
        if let Some(rm) = &filter.rm_id {
            let held = assignments::table
                .filter(assignments::rm_id.eq(rm.clone()))
                .filter(assignments::valid_to.is_null())
                .select(assignments::customer_id);
            query = query.filter(customers::id.eq_any(held));
        }
        if let (Some(text), false) = (&filter.name_contains, sqlite) {
            // pg_trgm's GIN index serves ILIKE '%…%'.
            query = query.filter(
                sql::<Bool>("customers.name ILIKE ")
                    .bind::<Text, _>(format!("%{}%", like_literal(text)))
                    .sql(" ESCAPE '\\'"),
            );
        }
        query
    };
    let scope_order = |query: Boxed<'static>, after: Option<(&str, &str)>| {
        let query = match after {
            Some((org_path, id)) => query
                .filter(customers::org_path.ge(org_path.to_string()))
                .filter(
                    customers::org_path
                        .gt(org_path.to_string())
                        .or(customers::id.gt(id.to_string())),
                ),
            None => query,
        };
        query.order((customers::org_path.asc(), customers::id.asc()))
    };

    let mut rows: Vec<(CustomerRow, i64)> = match &driver {
        Driver::Scope => {
            let after = match &cursor {
                Some(Cursor::Scope { org_path, id }) => Some((org_path.as_str(), id.as_str())),
                _ => None,
            };
            scope_order(filtered(), after).limit(limit + 1).load(conn)?
        }
        Driver::Name(prefix) => {
            let mut query = filtered()
                .filter(lower(customers::name).ge(prefix.clone()))
                .filter(lower(customers::name).lt(format!("{prefix}\u{10FFFF}")));
            if let Some(Cursor::Name { name, org_path, id }) = &cursor {
                query = query
                    .filter(lower(customers::name).ge(name.clone()))
                    .filter(
                        lower(customers::name)
                            .gt(name.clone())
                            .or(customers::org_path.gt(org_path.clone()))
                            .or(customers::org_path
                                .eq(org_path.clone())
                                .and(customers::id.gt(id.clone()))),
                    );
            }
            query
                .order((
                    lower(customers::name).asc(),
                    customers::org_path.asc(),
                    customers::id.asc(),
                ))
                .limit(limit + 1)
                .load(conn)?
        }
        Driver::Category(category) => {
            let mut after = match &cursor {
                Some(Cursor::Scope { org_path, id }) => Some((org_path.clone(), id.clone())),
                _ => None,
            };
            let mut rows = Vec::new();
            loop {
                let mut members = customer_categories::table
                    .filter(customer_categories::category.eq(category.clone()))
                    .filter(customer_categories::org_path.ge(low.clone()))
                    .filter(customer_categories::org_path.lt(high.clone()))
                    .select((
                        customer_categories::org_path,
                        customer_categories::customer_id,
                    ))
                    .into_boxed();
                if let Some((org_path, id)) = &after {
                    members = members
                        .filter(customer_categories::org_path.ge(org_path.clone()))
                        .filter(
                            customer_categories::org_path
                                .gt(org_path.clone())
                                .or(customer_categories::customer_id.gt(id.clone())),
                        );
                }
                let batch: Vec<(String, String)> = members
                    .order((
                        customer_categories::org_path.asc(),
                        customer_categories::customer_id.asc(),
                    ))
                    .limit(BATCH)
                    .load(conn)?;
                let Some(last) = batch.last().cloned() else {
                    break;
                };
                let ids: Vec<String> = batch.into_iter().map(|(_, id)| id).collect();
                // By primary key, sorted here: an ORDER BY could tempt PostgreSQL into walking the
                // whole subtree's index for 500 rows.
                let mut found: Vec<(CustomerRow, i64)> = filtered()
                    .filter(customers::id.eq_any(ids.clone()))
                    .load(conn)?;
                found.sort_by(|(a, _), (b, _)| (&a.org_path, &a.id).cmp(&(&b.org_path, &b.id)));
                rows.extend(found);
                after = Some(last);
                if rows.len() as i64 > limit || (ids.len() as i64) < BATCH {
                    break;
                }
            }
            rows
        }
        Driver::Match(phrase) => {
            #[derive(QueryableByName)]
            struct Hit {
                #[diesel(sql_type = BigInt)]
                rowid: i64,
            }
            let mut after = match &cursor {
                Some(Cursor::Match { rowid }) => *rowid,
                _ => 0,
            };
            let mut rows = Vec::new();
            loop {
                let batch: Vec<Hit> = diesel::sql_query(
                    "SELECT rowid FROM customer_names WHERE customer_names MATCH ? AND rowid > ? \
                     ORDER BY rowid LIMIT ?",
                )
                .bind::<Text, _>(phrase.clone())
                .bind::<BigInt, _>(after)
                .bind::<BigInt, _>(BATCH)
                .load(conn)?;
                let Some(last) = batch.last().map(|h| h.rowid) else {
                    break;
                };
                let list = batch
                    .iter()
                    .map(|h| h.rowid.to_string())
                    .collect::<Vec<_>>()
                    .join(",");
                let found: Vec<(CustomerRow, i64)> = filtered()
                    .filter(sql::<Bool>(&format!("customers.rowid IN ({list})")))
                    .order(sql::<BigInt>("customers.rowid"))
                    .load(conn)?;
                rows.extend(found);
                after = last;
                if rows.len() as i64 > limit || (batch.len() as i64) < BATCH {
                    break;
                }
            }
            rows
        }
    };
    if rows.len() as i64 <= limit {
        return Ok((rows.into_iter().map(|(r, _)| r).collect(), None));
    }
    rows.truncate(limit as usize);
    let next = rows.last().map(|(r, rowid)| match driver {
        Driver::Name(_) => Cursor::Name {
            name: r.name.to_ascii_lowercase(),
            org_path: r.org_path.clone(),
            id: r.id.clone(),
        },
        Driver::Match(_) => Cursor::Match { rowid: *rowid },
        Driver::Scope | Driver::Category(_) => Cursor::Scope {
            org_path: r.org_path.clone(),
            id: r.id.clone(),
        },
    });
    Ok((
        rows.into_iter().map(|(r, _)| r).collect(),
        next.map(|c| c.encode()),
    ))
}

/// A subtree's customers in id order, a page after `cursor` (the exports' walk).
pub fn page_by_id(
    conn: &mut DbConn,
    scope: &str,
    cursor: Option<&str>,
    limit: i64,
) -> AppResult<Vec<CustomerRow>> {
    let (low, high) = subtree_range(scope);
    let mut query = customers::table
        .filter(customers::org_path.ge(low))
        .filter(customers::org_path.lt(high))
        .into_boxed();
    if let Some(c) = cursor {
        query = query.filter(customers::id.gt(c.to_string()));
    }
    Ok(query
        .order(customers::id.asc())
        .limit(limit + 1)
        .load(conn)?)
}

#[derive(Debug, Clone, Queryable, Insertable)]
#[diesel(table_name = customer_relations)]
pub struct RelationRow {
    pub id: String,
    pub customer_id: String,
    pub related_customer_id: String,
    pub kind: String,
    pub created_at: NaiveDateTime,
}

pub fn insert_relation(conn: &mut DbConn, row: &RelationRow) -> AppResult<()> {
    diesel::insert_into(customer_relations::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// Relations in both directions: where the customer is the guarantor/member and where it is related.
pub fn relations(conn: &mut DbConn, customer_id: &str) -> AppResult<Vec<RelationRow>> {
    Ok(customer_relations::table
        .filter(
            customer_relations::customer_id
                .eq(customer_id)
                .or(customer_relations::related_customer_id.eq(customer_id)),
        )
        .order(customer_relations::created_at.asc())
        .load(conn)?)
}

/// a tier change, which proposes re-matching the customer.
pub fn record_tier_change(
    conn: &mut DbConn,
    customer_id: &str,
    from: Option<&str>,
    to: Option<&str>,
    at: NaiveDateTime,
) -> AppResult<()> {
    use super::schema::customer_tier_changes as t;
    diesel::insert_into(t::table)
        .values((
            t::id.eq(crate::http::new_id()),
            t::customer_id.eq(customer_id),
            t::from_tier.eq(from),
            t::to_tier.eq(to),
            t::changed_at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn has_loans(conn: &mut DbConn, customer_id: &str) -> AppResult<bool> {
    use super::schema::loans;
    let n: i64 = loans::table
        .filter(loans::customer_id.eq(customer_id))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// The customers with these ids (unknown ids are absent).
pub fn find_many(conn: &mut DbConn, ids: &[String]) -> AppResult<Vec<CustomerRow>> {
    super::in_chunks(ids, |chunk| {
        Ok(customers::table
            .filter(customers::id.eq_any(chunk))
            .load::<CustomerRow>(conn)?)
    })
}

/// [`names`] of only those inside the subtree `scope` (O-1: a name outside the reader's part of
/// the bank is not shown).
pub fn names_within(
    conn: &mut DbConn,
    ids: impl IntoIterator<Item = String>,
    scope: &str,
) -> AppResult<std::collections::HashMap<String, String>> {
    let ids: Vec<String> = ids.into_iter().collect();
    let (low, high) = super::subtree_range(scope);
    super::in_chunks(&ids, |chunk| {
        Ok(customers::table
            .filter(customers::id.eq_any(chunk))
            .filter(customers::org_path.ge(low.clone()))
            .filter(customers::org_path.lt(high.clone()))
            .select((customers::id, customers::name))
            .load::<(String, String)>(conn)?)
    })
}

/// The names of the given customers by id (for lists that show whom a row is about).
pub fn names(
    conn: &mut DbConn,
    ids: impl IntoIterator<Item = String>,
) -> AppResult<std::collections::HashMap<String, String>> {
    let ids: Vec<String> = ids.into_iter().collect();
    super::in_chunks(&ids, |chunk| {
        Ok(customers::table
            .filter(customers::id.eq_any(chunk))
            .select((customers::id, customers::name))
            .load::<(String, String)>(conn)?)
    })
}

/// A-6 in bulk: marks those of these customers not yet marked as needing a second RM since `at`;
/// returns the ids it marked.
pub fn mark_needing_second_rm(
    conn: &mut DbConn,
    ids: &[String],
    at: chrono::NaiveDateTime,
) -> AppResult<Vec<String>> {
    let mut marked = Vec::new();
    for chunk in ids.chunks(1000) {
        marked.extend(
            diesel::update(
                customers::table
                    .filter(customers::id.eq_any(chunk))
                    .filter(customers::needs_second_rm_since.is_null()),
            )
            .set((
                customers::needs_second_rm_since.eq(Some(at)),
                customers::version.eq(customers::version + 1),
                customers::updated_at.eq(at),
            ))
            .returning(customers::id)
            .get_results::<String>(conn)?,
        );
    }
    Ok(marked)
}

/// Of these customers, those with at least one loan.
pub fn with_loans(
    conn: &mut DbConn,
    ids: &[String],
) -> AppResult<std::collections::HashSet<String>> {
    use super::schema::loans;
    super::in_chunks(ids, |chunk| {
        Ok(loans::table
            .filter(loans::customer_id.eq_any(chunk))
            .select(loans::customer_id)
            .distinct()
            .load::<String>(conn)?)
    })
}

/// The customer with the bank's customer number (客户号).
pub fn by_customer_no(conn: &mut DbConn, customer_no: &str) -> AppResult<Option<CustomerRow>> {
    Ok(customers::table
        .filter(customers::customer_no.eq(customer_no))
        .first(conn)
        .optional()?)
}

/// Whether this relation is recorded.
pub fn has_relation(
    conn: &mut DbConn,
    customer_id: &str,
    related_customer_id: &str,
    kind: &str,
) -> AppResult<bool> {
    use super::schema::customer_relations as r;
    Ok(diesel::select(diesel::dsl::exists(
        r::table
            .filter(r::customer_id.eq(customer_id))
            .filter(r::related_customer_id.eq(related_customer_id))
            .filter(r::kind.eq(kind)),
    ))
    .get_result(conn)?)
}

/// What an import compares a customer number against: every customer that has one, as
/// (customer_no, name, kind, org_unit_id, org_path).
pub fn keyed(conn: &mut DbConn) -> AppResult<Vec<(String, String, String, String, String)>> {
    Ok(customers::table
        .filter(customers::customer_no.is_not_null())
        .select((
            customers::customer_no.assume_not_null(),
            customers::name,
            customers::kind,
            customers::org_unit_id,
            customers::org_path,
        ))
        .load(conn)?)
}

/// What an assignment import needs to know of a customer.
#[derive(Debug, Clone, Queryable)]
pub struct KeyedCustomer {
    pub customer_no: String,
    pub id: String,
    pub kind: String,
    pub categories: String,
    pub is_key_account: bool,
    pub is_vip: bool,
    pub org_path: String,
}

/// The customers with these customer numbers.
pub fn by_customer_nos(conn: &mut DbConn, nos: &[String]) -> AppResult<Vec<KeyedCustomer>> {
    let mut found = Vec::with_capacity(nos.len());
    for part in nos.chunks(1000) {
        found.extend(
            customers::table
                .filter(customers::customer_no.eq_any(part))
                .select((
                    customers::customer_no.assume_not_null(),
                    customers::id,
                    customers::kind,
                    customers::categories,
                    customers::is_key_account,
                    customers::is_vip,
                    customers::org_path,
                ))
                .load::<KeyedCustomer>(conn)?,
        );
    }
    Ok(found)
}
