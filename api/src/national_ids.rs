//! Search by national ID through a keyed hash (M-3): the database keeps HMAC-SHA-256 of each
//! customer's national ID under a key that lives outside it (`RMDESK_SEARCH_KEY`, or a random key
//! generated on first start and kept in the data directory), and indexes that, never the number.
//! Whoever reads the database cannot look a number up without the key.
//!
//! Writers never compute the hash: a change of a national ID clears it (a trigger, whatever the
//! path), and [`fill`] hashes what is missing: right after a customer is written through the API,
//! at the end of the demo and every few seconds on a running server (imports, other tools).

use std::path::Path;
use std::sync::Arc;

use diesel::prelude::*;
use diesel::sql_types::Text;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::db::{self, Db, DbConn};
use crate::error::AppResult;

/// The key of the national-ID hashes.
#[derive(Clone)]
pub struct SearchKey(Arc<Hmac<Sha256>>);

impl std::fmt::Debug for SearchKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SearchKey(..)")
    }
}

impl SearchKey {
    /// `RMDESK_SEARCH_KEY` (at least 32 characters), else `search-key` in the data directory,
    /// generated (0600) when absent. Every server of one bank must use the same key.
    pub fn load(configured: Option<&str>, data_dir: &Path) -> Result<Self, String> {
        if let Some(key) = configured {
            if key.len() < 32 {
                return Err("RMDESK_SEARCH_KEY must be at least 32 characters".into());
            }
            return Self::from_bytes(key.as_bytes());
        }
        Self::from_bytes(&crate::startup::kept_secret(data_dir, "search-key")?)
    }

    /// The keyed MAC, made once (at start-up): hashing then only clones it.
    fn from_bytes(key: &[u8]) -> Result<Self, String> {
        let mac = Hmac::<Sha256>::new_from_slice(key).map_err(|e| format!("search key: {e}"))?;
        Ok(Self(Arc::new(mac)))
    }

    /// The hash of a national ID as stored (spaces ignored, a final check letter in any case).
    pub fn digest(&self, national_id: &str) -> String {
        let normal: String = national_id
            .chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let mut mac = (*self.0).clone();
        mac.update(normal.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }
}

#[derive(QueryableByName)]
struct Unhashed {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = Text)]
    national_id: String,
}

/// Hashes up to `limit` customers whose national ID has no hash yet (one read, one update);
/// how many it hashed.
pub fn fill(conn: &mut DbConn, key: &SearchKey, limit: i64) -> AppResult<usize> {
    // The condition is the partial index's own, so both databases find the rows through it.
    let rows: Vec<Unhashed> = diesel::sql_query(db::dialect(
        conn,
        "SELECT id, national_id FROM customers \
         WHERE national_id IS NOT NULL AND national_id_hash IS NULL LIMIT $1",
    ))
    .bind::<diesel::sql_types::BigInt, _>(limit)
    .load(conn)?;
    if rows.is_empty() {
        return Ok(0);
    }
    let pairs: Vec<(String, String)> = rows
        .iter()
        .map(|r| (r.id.clone(), key.digest(&r.national_id)))
        .collect();
    store_many(conn, &pairs)?;
    Ok(rows.len())
}

/// Stores the hash of one customer's national ID (after a write through the API).
pub fn store(
    conn: &mut DbConn,
    key: &SearchKey,
    customer_id: &str,
    national_id: &str,
) -> AppResult<()> {
    store_many(conn, &[(customer_id.to_string(), key.digest(national_id))])
}

/// `(customer id, hash)` pairs in one statement.
fn store_many(conn: &mut DbConn, pairs: &[(String, String)]) -> AppResult<()> {
    let sqlite = matches!(conn, DbConn::Sqlite(_));
    let values: Vec<String> = (0..pairs.len())
        .map(|i| {
            if sqlite {
                "(?, ?)".to_string()
            } else {
                format!("(${}, ${})", 2 * i + 1, 2 * i + 2)
            }
        })
        .collect();
    let text = if sqlite {
        format!(
            "UPDATE customers SET national_id_hash = v.column2 FROM (VALUES {}) AS v \
             WHERE customers.id = v.column1",
            values.join(", ")
        )
    } else {
        format!(
            "UPDATE customers SET national_id_hash = v.h FROM (VALUES {}) AS v(id, h) \
             WHERE customers.id = v.id",
            values.join(", ")
        )
    };
    db::on_inner!(conn, c => {
        let mut query = diesel::sql_query(&text).into_boxed();
        for (id, hash) in pairs {
            query = query.bind::<Text, _>(id.clone()).bind::<Text, _>(hash.clone());
        }
        query.execute(c)?;
    });
    Ok(())
}

/// Hashes every customer still missing one, a batch per transaction.
pub fn fill_all(db: &Db, key: &SearchKey) -> AppResult<usize> {
    let mut total = 0;
    loop {
        let mut conn = db.writer()?;
        let n = diesel::Connection::transaction(&mut *conn, |conn| fill(conn, key, 5_000))?;
        total += n;
        if n == 0 {
            return Ok(total);
        }
    }
}

/// On a running server: hashes what other paths left unhashed, every two seconds.
pub fn spawn_filler(db: Db, key: SearchKey) {
    actix_web::rt::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(2));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let (db, key) = (db.clone(), key.clone());
            match actix_web::web::block(move || fill_all(&db, &key)).await {
                Ok(Ok(0)) => {}
                Ok(Ok(n)) => tracing::info!(customers = n, "national IDs hashed for search"),
                Ok(Err(e)) => tracing::error!(error = %e, "hashing national IDs failed"),
                Err(e) => tracing::error!(error = %e, "the national-ID hashing thread failed"),
            }
        }
    });
}

/// The customers whose national ID is this one (at most 100, a bulk read's worth): their ids, found
/// through the hash's index, never the number's.
pub fn find(conn: &mut DbConn, key: &SearchKey, national_id: &str) -> AppResult<Vec<String>> {
    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = Text)]
        id: String,
    }
    let ids: Vec<Id> = diesel::sql_query(db::dialect(
        conn,
        "SELECT id FROM customers WHERE national_id_hash = $1 ORDER BY id LIMIT 100",
    ))
    .bind::<Text, _>(key.digest(national_id))
    .load(conn)?;
    Ok(ids.into_iter().map(|i| i.id).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn m3_the_hash_is_keyed_and_ignores_spacing_and_the_check_letters_case() {
        let a = SearchKey::from_bytes(b"a key of thirty-two characters!!").expect("key");
        let b = SearchKey::from_bytes(b"another key of thirty-two chars!").expect("key");
        let id = "11010519491231002x";
        assert_eq!(a.digest(id), a.digest(" 11010519491231002X "));
        assert_ne!(a.digest(id), b.digest(id), "another key, another hash");
        assert_ne!(a.digest(id), a.digest("110105194912310021"));
        assert!(
            !a.digest(id).contains("1101051949"),
            "the number is not in its hash"
        );
    }
}
