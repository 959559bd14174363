//! Ids as types: a workspace id cannot be passed where a stack id is expected, and a function
//! taking several reads by what each is. Each is its text as stored (serde and sqlx see a plain
//! string), and reads as `&str` where one is wanted.

use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize)]
        #[serde(transparent)]
        #[cfg_attr(feature = "runtime", derive(sqlx::Type), sqlx(transparent))]
        pub struct $name(String);

        impl $name {
            /// The id as stored.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// The id's text, owned.
            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl std::ops::Deref for $name {
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

        impl std::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<String> for $name {
            fn from(id: String) -> Self {
                Self(id)
            }
        }

        impl From<&str> for $name {
            fn from(id: &str) -> Self {
                Self(id.to_owned())
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> Self {
                id.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl PartialEq<String> for $name {
            fn eq(&self, other: &String) -> bool {
                &self.0 == other
            }
        }

        impl PartialEq<$name> for String {
            fn eq(&self, other: &$name) -> bool {
                *self == other.0
            }
        }

        impl PartialEq<$name> for &str {
            fn eq(&self, other: &$name) -> bool {
                *self == other.0
            }
        }
    };
}

id_type!(
    /// A user account's id.
    UserId
);
id_type!(
    /// A workspace's id.
    WorkspaceId
);
id_type!(
    /// A stack's id.
    StackId
);
id_type!(
    /// An installed app's id.
    AppId
);
id_type!(
    /// An API token's public id.
    TokenId
);

#[cfg(all(test, feature = "runtime"))]
mod tests {
    use super::*;

    #[test]
    fn an_id_reads_and_serializes_as_its_text() {
        let id = WorkspaceId::from("0193-ab");
        assert_eq!(id, "0193-ab");
        assert_eq!(id.as_str(), "0193-ab");
        assert_eq!(id.to_string(), "0193-ab");
        assert_eq!(
            serde_json::to_string(&id).expect("serializes"),
            "\"0193-ab\""
        );
        let back: WorkspaceId = serde_json::from_str("\"0193-ab\"").expect("reads");
        assert_eq!(back, id);
        let takes_str = |s: &str| s.len();
        assert_eq!(takes_str(&id), 7);
    }
}
