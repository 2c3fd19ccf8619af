//! M-3: personal data (national ID, phone, address) is masked wherever someone without the
//! `ReadPersonalData` permission reads it: API views, exports and audit-event snapshots. This is the
//! one place that knows how.

use std::sync::LazyLock;

use memchr::memmem::Finder;
use serde_json::Value;

/// The fields that hold personal data, wherever they appear.
pub const PERSONAL_FIELDS: [&str; 3] = ["national_id", "phone", "address"];

/// Keeps the first `head` and last `tail` characters: `110101********1234`.
fn keep(value: &str, head: usize, tail: usize) -> String {
    let chars: Vec<char> = value.chars().collect();
    if chars.len() <= head + tail {
        return "*".repeat(chars.len());
    }
    let start: String = chars[..head].iter().collect();
    let end: String = chars[chars.len() - tail..].iter().collect();
    format!("{start}{}{end}", "*".repeat(chars.len() - head - tail))
}

/// A national ID shows its region code (6) and last 4: `110101********1234`.
pub fn mask_national_id(value: &str) -> String {
    keep(value, 6, 4)
}

/// A phone number shows its first 3 and last 4: `138****5678`.
pub fn mask_phone(value: &str) -> String {
    keep(value, 3, 4)
}

/// An address shows its first 6 characters (city, district).
pub fn mask_address(value: &str) -> String {
    let chars: Vec<char> = value.chars().collect();
    let shown: String = chars.iter().take(6).collect();
    format!(
        "{shown}{}",
        "*".repeat(chars.len().saturating_sub(6).min(12))
    )
}

/// Masks one personal field by name; other fields pass unchanged.
pub fn mask_field(field: &str, value: &str) -> String {
    match field {
        "national_id" => mask_national_id(value),
        "phone" => mask_phone(value),
        "address" => mask_address(value),
        _ => value.to_string(),
    }
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
    let mut out = text.to_string();
    for (field, key) in PERSONAL_FIELDS.iter().zip(STRING_KEYS.iter()) {
        let mut from = 0;
        while let Some(at) = key.find(&out.as_bytes()[from..]) {
            let start = from + at + key.needle().len();
            let len = out[start..].find('"')?;
            let value = &out[start..start + len];
            if value.contains('\\') {
                return None;
            }
            let masked = mask_field(field, value);
            out.replace_range(start..start + len, &masked);
            from = start + masked.len() + 1;
        }
    }
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
        assert_eq!(mask_national_id("110101199001011234"), "110101********1234");
        assert_eq!(mask_phone("13812345678"), "138****5678");
        assert_eq!(
            mask_address("上海市浦东新区陆家嘴环路1000号"),
            "上海市浦东新***********"
        );
        assert_eq!(mask_national_id("1234"), "****");
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
        let text =
            r#"{"a":{"national_id":"110101199001011234"},"phone":"13812345678","phone2":"x"}"#;
        let mut parsed: Value = serde_json::from_str(text).unwrap_or_default();
        mask_json(&mut parsed);
        let fast: Value =
            serde_json::from_str(&mask_json_text(text).unwrap_or_default()).unwrap_or_default();
        assert_eq!(fast, parsed);
        assert_eq!(mask_json_text(r#"{"phone":"1\"2345678"}"#), None);
        assert!(!may_hold_personal_data(r#"{"name":"Li","mobile":"x"}"#));
    }
}
