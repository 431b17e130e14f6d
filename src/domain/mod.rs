//! The domain vocabulary: the closed sets of words provisiond's rooms share (user states,
//! provenance, identity sources, actors, event types, SSO failure reasons) and the id
//! types that keep ids of different things apart. Pure: no actix, no diesel, no I/O.
//!
//! Each word set is an enum with one stable string per variant (`as_str`, `FromStr`,
//! serde). Strings appear only here and where values cross a boundary: the store's rows
//! (`store/*.rs`) and the JSON the wire carries.

mod actor;
mod event_type;
mod ids;
mod sso_failure;
mod user;

pub use actor::ActorKind;
pub use event_type::EventType;
pub use ids::{ConnectionId, DirectoryId, GroupId, OrgId, UserId};
pub use sso_failure::SsoFailureReason;
pub use user::{IdentitySourceKind, LinkedBy, Provenance, UserState};

/// A string that names no variant of a word set (a row written by a newer version, or a
/// bad query parameter).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {kind} `{value}`")]
pub struct UnknownValue {
    pub kind: &'static str,
    pub value: String,
}

/// Declares a word set: a `Copy` enum whose variants each have one stable string, with
/// `as_str`, `ALL`, `FromStr`, `Display`, `TryFrom<String>`, `From<_> for String` and
/// serde (as that string).
macro_rules! string_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $s:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        $vis enum $name {
            $( $(#[$vmeta])* $variant, )+
        }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &'static [$name] = &[ $( $name::$variant, )+ ];

            /// The stable string (stored, sent, documented).
            pub const fn as_str(self) -> &'static str {
                match self {
                    $( $name::$variant => $s, )+
                }
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::domain::UnknownValue;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $( $s => Ok($name::$variant), )+
                    _ => Err($crate::domain::UnknownValue {
                        kind: stringify!($name),
                        value: s.to_owned(),
                    }),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl TryFrom<String> for $name {
            type Error = $crate::domain::UnknownValue;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                s.parse()
            }
        }

        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.as_str().to_owned()
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}
pub(crate) use string_enum;

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used)]
    use super::*;

    fn round_trips<T>(all: &[T])
    where
        T: Copy + std::fmt::Debug + PartialEq + std::str::FromStr + std::fmt::Display,
        <T as std::str::FromStr>::Err: std::fmt::Debug,
    {
        let mut seen = std::collections::HashSet::new();
        for v in all {
            let s = v.to_string();
            assert!(seen.insert(s.clone()), "{s} twice");
            assert_eq!(s.parse::<T>().unwrap(), *v);
        }
    }

    #[test]
    fn every_word_round_trips_and_is_unique() {
        round_trips(UserState::ALL);
        round_trips(Provenance::ALL);
        round_trips(IdentitySourceKind::ALL);
        round_trips(ActorKind::ALL);
        round_trips(EventType::ALL);
        round_trips(SsoFailureReason::ALL);
        round_trips(LinkedBy::ALL);
    }

    #[test]
    fn serde_uses_the_stable_string() {
        assert_eq!(
            serde_json::to_value(UserState::Deprovisioned).unwrap(),
            "deprovisioned"
        );
        let p: Provenance = serde_json::from_value(serde_json::json!("invite")).unwrap();
        assert_eq!(p, Provenance::Invite);
        assert!("nope".parse::<EventType>().is_err());
    }
}
