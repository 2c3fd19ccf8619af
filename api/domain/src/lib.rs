//! The rules of `RULES.md` as pure types and functions: no database, no HTTP. A crate of its own
//! so that the compiler keeps it that way (it depends on neither diesel nor actix).

pub mod assignment;
pub mod audit_chain;
pub mod calendar;
pub mod commitments;
pub mod customer;
pub mod duties;
pub mod events;
pub mod field_check;
pub mod flag;
pub mod loan;
pub mod org;
pub mod policy;
pub mod portfolio;
pub mod privacy;
pub mod reason;
pub mod rebalancing;
pub mod rm;
pub mod role;
pub mod scoring;
pub mod throttle;

/// A closed set of lower-case snake_case names stored as text, e.g. `Line::Corporate` ⇄ `"corporate"`.
#[macro_export]
macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// Parses the stored text; `None` for anything else.
            pub fn parse(text: &str) -> Option<Self> {
                match text { $($text => Some($name::$variant),)+ _ => None }
            }

            /// Parses text read back from the database: anything else is corrupt data and an
            /// error, never a default (a corrupt line must not pass as a corporate RM).
            pub fn stored(text: &str) -> Result<Self, $crate::CorruptValue> {
                Self::parse(text).ok_or_else(|| $crate::CorruptValue {
                    kind: stringify!($name),
                    text: text.to_string(),
                })
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

/// A refusal by a business rule of RULES.md: its ID, a stable code and a sentence for people.
#[derive(Debug, Clone)]
pub struct RuleViolation {
    pub rule: &'static str,
    pub code: &'static str,
    pub detail: String,
}

impl RuleViolation {
    pub fn new(rule: &'static str, code: &'static str, detail: impl Into<String>) -> Self {
        Self {
            rule,
            code,
            detail: detail.into(),
        }
    }
}

/// Stored text that is none of the values of its kind: corrupt data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorruptValue {
    pub kind: &'static str,
    pub text: String,
}

impl std::fmt::Display for CorruptValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "corrupt stored {}: {:?}", self.kind, self.text)
    }
}
