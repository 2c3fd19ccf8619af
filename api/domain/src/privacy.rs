//! M-3: personal data (national ID, phone, address) is masked wherever someone without the
//! `ReadPersonalData` permission reads it: API views, exports and audit-event snapshots. This is the
//! one place that knows how.

use std::sync::LazyLock;

use memchr::memmem::Finder;
use serde_json::Value;

/// The fields that hold personal data, wherever they appear.
pub const PERSONAL_FIELDS: [&str; 3] = ["national_id", "phone", "address"];

/// Masks one personal field by name: a national ID shows its region code (6) and last 4
/// (`110101********1234`), a phone its first 3 and last 4 (`138****5678`), an address its first 6
/// characters (city, district); other fields pass unchanged.
pub fn mask_field(field: &str, value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    push_masked(&mut out, field, value);
    out
}

/// [`mask_field`] appended to `out`.
fn push_masked(out: &mut String, field: &str, value: &str) {
    match field {
        "national_id" => push_kept(out, value, 6, 4),
        "phone" => push_kept(out, value, 3, 4),
        "address" => {
            let count = value.chars().count();
            out.push_str(&value[..byte_at(value, 6)]);
            out.extend(std::iter::repeat_n('*', count.saturating_sub(6).min(12)));
        }
        _ => out.push_str(value),
    }
}

/// Keeps the first `head` and last `tail` characters, stars between.
fn push_kept(out: &mut String, value: &str, head: usize, tail: usize) {
    let count = value.chars().count();
    if count <= head + tail {
        out.extend(std::iter::repeat_n('*', count));
        return;
    }
    out.push_str(&value[..byte_at(value, head)]);
    out.extend(std::iter::repeat_n('*', count - head - tail));
    out.push_str(&value[byte_at(value, count - tail)..]);
}

/// The byte offset of the `n`th character (the end when there are fewer).
fn byte_at(value: &str, n: usize) -> usize {
    value.char_indices().nth(n).map_or(value.len(), |(i, _)| i)
}

/// Masks every personal field at any depth of a JSON value.
pub fn mask_json(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                match v {
                    Value::String(s) if PERSONAL_FIELDS.contains(&key.as_str()) => {
                        *s = mask_field(key, s);
                    }
                    _ => mask_json(v),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(mask_json),
        _ => {}
    }
}

/// [`mask_json`] on compact JSON text without parsing it: every `"field":"value"` of a personal
/// field gets its value masked. `None` when a value holds an escape (then parse and use
/// [`mask_json`]).
pub fn mask_json_text(text: &str) -> Option<String> {
    // Each field's values are found in the text as it stands, then copied over with the values
    // masked: one output buffer, no copy per value.
    let mut values: Vec<(usize, usize, &str)> = Vec::new();
    for (field, key) in PERSONAL_FIELDS.iter().zip(STRING_KEYS.iter()) {
        for at in key.find_iter(text.as_bytes()) {
            let start = at + key.needle().len();
            let len = text[start..].find('"')?;
            let value = &text[start..start + len];
            if value.contains('\\') {
                return None;
            }
            values.push((start, start + len, field));
        }
    }
    values.sort_unstable_by_key(|v| v.0);
    let mut out = String::with_capacity(text.len() + 8);
    let mut copied = 0;
    for (start, end, field) in values {
        out.push_str(&text[copied..start]);
        push_masked(&mut out, field, &text[start..end]);
        copied = end;
    }
    out.push_str(&text[copied..]);
    Some(out)
}

/// Whether a JSON text may hold personal data (a cheap test before parsing it to mask).
pub fn may_hold_personal_data(json: &str) -> bool {
    KEYS.iter().any(|key| key.find(json.as_bytes()).is_some())
}

/// `"field"` and `"field":"` of each personal field, searched for in exports of many snapshots.
static KEYS: LazyLock<Vec<Finder<'static>>> = LazyLock::new(|| finders("\""));
static STRING_KEYS: LazyLock<Vec<Finder<'static>>> = LazyLock::new(|| finders("\":\""));

fn finders(after: &str) -> Vec<Finder<'static>> {
    PERSONAL_FIELDS
        .iter()
        .map(|f| Finder::new(format!("\"{f}{after}").as_bytes()).into_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn m3_personal_fields_are_masked_at_any_depth() {
        assert_eq!(
            mask_field("national_id", "110101199001011234"),
            "110101********1234"
        );
        assert_eq!(mask_field("phone", "13812345678"), "138****5678");
        assert_eq!(
            mask_field("address", "上海市浦东新区陆家嘴环路1000号"),
            "上海市浦东新***********"
        );
        assert_eq!(mask_field("national_id", "1234"), "****");
        let mut v = serde_json::json!({"name": "Li", "national_id": "110101199001011234",
            "contacts": [{"phone": "13812345678"}], "n": 1});
        mask_json(&mut v);
        assert_eq!(v["national_id"], "110101********1234");
        assert_eq!(v["contacts"][0]["phone"], "138****5678");
        assert_eq!(v["name"], "Li");
        // Masking is idempotent.
        let again = v.clone();
        mask_json(&mut v);
        assert_eq!(v, again);
        assert!(may_hold_personal_data(r#"{"phone":"1"}"#));
        let text = r#"{"a":{"national_id":"110101199001011234","address":"上海市浦东新区陆家嘴环路1000号"},"phone":"13812345678","phone2":"x","address":"北京"}"#;
        let mut parsed: Value = serde_json::from_str(text).unwrap_or_default();
        mask_json(&mut parsed);
        let fast: Value =
            serde_json::from_str(&mask_json_text(text).unwrap_or_default()).unwrap_or_default();
        assert_eq!(fast, parsed);
        assert_eq!(mask_json_text(r#"{"phone":"1\"2345678"}"#), None);
        assert!(!may_hold_personal_data(r#"{"name":"Li","mobile":"x"}"#));
    }
}
