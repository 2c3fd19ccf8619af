//! The server's input limits, each declared once (issue 17). A bounded type refuses a value outside
//! its limits while the request is parsed (422 naming the field) and states the same limits in the
//! OpenAPI document (`minLength`, `maxLength`, `pattern`, `minimum`, `maximum`, `minItems`,
//! `maxItems`), so the document and the server cannot drift apart. A value of one of these types is
//! valid by construction, also when it is read back from stored text (a pending approval).

use std::borrow::Cow;
use std::fmt;
use std::ops::Deref;

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::RefOr;
use utoipa::{PartialSchema, ToSchema};

use crate::domain::role::Role;

/// Counts characters as people do (and as `maxLength` does): Unicode scalar values, not bytes.
fn check_length(value: &str, min: usize, max: usize) -> Result<(), String> {
    let n = value.chars().count();
    if (min..=max).contains(&n) {
        Ok(())
    } else if min == 0 {
        Err(format!("must be at most {max} characters"))
    } else {
        Err(format!("must be {min} to {max} characters"))
    }
}

/// A string type with a length range and, optionally, a pattern with the check that implements it.
macro_rules! bounded_text {
    ($(#[doc = $doc:literal])+ $name:ident: $min:literal..=$max:literal
     $(, pattern $pattern:literal if $check:path, $refusal:literal)?) => {
        $(#[doc = $doc])+
        #[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub fn parse(value: String) -> Result<Self, String> {
                check_length(&value, $min, $max)?;
                $(if !$check(&value) {
                    return Err($refusal.to_string());
                })?
                Ok(Self(value))
            }

            /// A value the server composed itself (a reason the monthly run writes): one outside
            /// the limits is a defect, answered as an internal error rather than stored.
            pub fn composed(value: impl Into<String>) -> Result<Self, crate::error::AppError> {
                Self::parse(value.into()).map_err(|e| {
                    crate::error::AppError::Internal(format!(concat!(stringify!($name), " {}"), e))
                })
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.0
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                Self::parse(String::deserialize(deserializer)?).map_err(D::Error::custom)
            }
        }

        impl PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .min_length(Some($min))
                    .max_length(Some($max))
                    $(.pattern(Some($pattern)))?
                    .description(Some(concat!($($doc, "\n"),+).trim()))
                    .into()
            }
        }

        impl ToSchema for $name {
            fn name() -> Cow<'static, str> {
                Cow::Borrowed(stringify!($name))
            }
        }
    };
}

/// An integer type with a range.
macro_rules! bounded_int {
    ($(#[doc = $doc:literal])+ $name:ident($int:ty): $min:literal..=$max:literal) => {
        $(#[doc = $doc])+
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        #[serde(transparent)]
        pub struct $name($int);

        impl $name {
            pub const MIN: $int = $min;
            pub const MAX: $int = $max;

            pub fn parse(value: $int) -> Result<Self, String> {
                if (Self::MIN..=Self::MAX).contains(&value) {
                    Ok(Self(value))
                } else {
                    Err(format!("must be between {} and {}", Self::MIN, Self::MAX))
                }
            }

            pub fn get(self) -> $int {
                self.0
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                Self::parse(<$int>::deserialize(deserializer)?).map_err(D::Error::custom)
            }
        }

        impl PartialSchema for $name {
            fn schema() -> RefOr<Schema> {
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .minimum(Some($min))
                    .maximum(Some($max))
                    .description(Some(concat!($($doc, "\n"),+).trim()))
                    .into()
            }
        }

        impl ToSchema for $name {
            fn name() -> Cow<'static, str> {
                Cow::Borrowed(stringify!($name))
            }
        }
    };
}

/// A list type with a length range; its items keep their own schema.
macro_rules! bounded_list {
    ($(#[doc = $doc:literal])+ $name:ident(Vec<$item:ty>): $min:literal..=$max:literal) => {
        $(#[doc = $doc])+
        #[derive(Debug, Clone, PartialEq, ::serde::Serialize)]
        #[serde(transparent)]
        pub struct $name(Vec<$item>);

        impl $name {
            pub fn into_vec(self) -> Vec<$item> {
                self.0
            }
        }

        impl ::std::ops::Deref for $name {
            type Target = [$item];
            fn deref(&self) -> &[$item] {
                &self.0
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let items = <Vec<$item> as ::serde::Deserialize>::deserialize(deserializer)?;
                if ($min..=$max).contains(&items.len()) {
                    Ok(Self(items))
                } else {
                    Err(<D::Error as ::serde::de::Error>::custom(concat!("give ", $min, " to ", $max, " items")))
                }
            }
        }

        impl ::utoipa::PartialSchema for $name {
            fn schema() -> ::utoipa::openapi::RefOr<::utoipa::openapi::schema::Schema> {
                ::utoipa::openapi::schema::ArrayBuilder::new()
                    .items(::utoipa::openapi::RefOr::Ref(::utoipa::openapi::Ref::from_schema_name(<$item as ::utoipa::ToSchema>::name())))
                    .min_items(Some($min))
                    .max_items(Some($max))
                    .description(Some(concat!($($doc, "\n"),+).trim()))
                    .into()
            }
        }

        impl ::utoipa::ToSchema for $name {
            fn name() -> ::std::borrow::Cow<'static, str> {
                ::std::borrow::Cow::Borrowed(stringify!($name))
            }

            fn schemas(schemas: &mut Vec<(String, ::utoipa::openapi::RefOr<::utoipa::openapi::schema::Schema>)>) {
                schemas.push((<$item as ::utoipa::ToSchema>::name().into(), <$item as ::utoipa::PartialSchema>::schema()));
                <$item as ::utoipa::ToSchema>::schemas(schemas);
            }
        }
    };
}

pub(crate) use bounded_list;

bounded_text! {
    /// The id of a record (unit, customer, RM, loan ...): 1 to 64 characters.
    RecordId: 1..=64
}
bounded_text! {
    /// A short code (tier, phone, employee number, customer's ID number): 1 to 32 characters.
    Text32: 1..=32
}
bounded_text! {
    /// A short text: 1 to 64 characters.
    Text64: 1..=64
}
bounded_text! {
    /// A person's name or a sign-in name: 1 to 100 characters.
    Text100: 1..=100
}
bounded_text! {
    /// A name: 1 to 200 characters.
    Text200: 1..=200
}
bounded_text! {
    /// A reason or a place: 1 to 500 characters.
    Text500: 1..=500
}
bounded_text! {
    /// A note: 1 to 1,000 characters.
    Text1000: 1..=1000
}
bounded_text! {
    /// A reason or a note: 1 to 2,000 characters.
    Text2000: 1..=2000
}
bounded_text! {
    /// A description, summary or evidence: 1 to 5,000 characters.
    Text5000: 1..=5000
}
bounded_text! {
    /// Evidence that may be empty: at most 10,000 characters.
    Text10000: 0..=10000
}
bounded_text! {
    /// A field check's findings: 1 to 20,000 characters.
    Text20000: 1..=20000
}
bounded_text! {
    /// A note that may be empty: at most 2,000 characters.
    Note2000: 0..=2000
}
bounded_text! {
    /// A webhook's signing secret: 16 to 200 characters.
    WebhookSecret: 16..=200
}
bounded_text! {
    /// A new password: 8 to 200 characters.
    Password: 8..=200
}
bounded_text! {
    /// A user name: 3 to 64 letters, digits, '.', '_' or '-'.
    Username: 3..=64, pattern "^[A-Za-z0-9._-]+$" if username_chars,
    "letters, digits, '.', '_' and '-' only"
}
bounded_text! {
    /// A resident ID number (居民身份证号): 17 digits and a digit or X.
    NationalId: 18..=18, pattern "^[0-9]{17}[0-9X]$" if crate::domain::rm::is_valid_national_id,
    "must be 18 characters: 17 digits and a digit or X"
}

bounded_text! {
    /// Record ids, comma-separated: 1 to 100 ids of 1 to 64 characters (a bulk read by id).
    IdList: 1..=6599, pattern "^[^,]{1,64}(,[^,]{1,64}){0,99}$" if id_list_ok,
    "1 to 100 comma-separated ids of at most 64 characters"
}

fn id_list_ok(text: &str) -> bool {
    let ids: Vec<&str> = text.split(',').collect();
    ids.len() <= 100 && ids.iter().all(|id| (1..=64).contains(&id.chars().count()))
}

impl IdList {
    pub fn ids(&self) -> Vec<String> {
        self.0.split(',').map(str::to_string).collect()
    }
}

fn username_chars(name: &str) -> bool {
    name.chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

bounded_int! {
    /// Days past due: 0 to 36,500.
    DaysPastDue(u32): 0..=36500
}
impl Default for Text10000 {
    fn default() -> Self {
        Self(String::new())
    }
}

impl Default for Note2000 {
    fn default() -> Self {
        Self(String::new())
    }
}

impl Default for DaysPastDue {
    fn default() -> Self {
        Self(0)
    }
}

bounded_int! {
    /// Years of experience: 0 to 60.
    Years(u32): 0..=60
}
bounded_int! {
    /// A calendar year: 2000 to 2100.
    Year(i32): 2000..=2100
}
bounded_int! {
    /// Page size: 1 to 500 (default 50).
    PageSize(i64): 1..=500
}

bounded_list! {
    /// The roles of an account: 1 to 6.
    Roles(Vec<Role>): 1..=6
}

bounded_list! {
    /// The event types a webhook hears: none (every type) to all of them.
    EventTypes(Vec<crate::domain::events::EventType>): 0..=32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_counts_characters_not_bytes() {
        assert!(Text32::parse("招商银行南京分行".into()).is_ok());
        assert!(Text32::parse("行".repeat(32)).is_ok());
        assert!(Text32::parse("行".repeat(33)).is_err());
        assert!(Text32::parse(String::new()).is_err());
        assert!(Text10000::parse(String::new()).is_ok());
    }

    #[test]
    fn patterns_are_checked_with_the_lengths() {
        assert!(Username::parse("li.na".into()).is_ok());
        assert!(Username::parse("li na".into()).is_err());
        assert!(Username::parse("ln".into()).is_err());
        assert!(NationalId::parse("11010119900101123X".into()).is_ok());
        assert!(NationalId::parse("11010119900101123x".into()).is_err());
    }

    #[test]
    fn the_document_states_the_limits_the_parser_applies() {
        let schema = serde_json::to_value(Text200::schema()).unwrap_or_default();
        assert_eq!(schema["minLength"], 1);
        assert_eq!(schema["maxLength"], 200);
        let schema = serde_json::to_value(PageSize::schema()).unwrap_or_default();
        assert_eq!(schema["minimum"], 1);
        assert_eq!(schema["maximum"], 500);
        let schema = serde_json::to_value(Roles::schema()).unwrap_or_default();
        assert_eq!(schema["maxItems"], 6);
        assert_eq!(schema["items"]["$ref"], "#/components/schemas/Role");
        assert!(serde_json::from_str::<Roles>("[]").is_err());
        assert!(serde_json::from_str::<PageSize>("501").is_err());
    }
}
