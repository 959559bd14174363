//! Decoding internally tagged messages (`{"type": "engine", …}`) without buffering them.
//!
//! serde's derived decoder for `#[serde(tag = "…")]` first copies the whole message into a generic
//! tree, then decodes the chosen variant from that tree, which compiles a second decoder for every
//! type inside. In the browser's main module that was 99 KB of its 1.25 MB of code, for the
//! live feed alone. Orbitr writes the tag first (serde's encoder always does), so
//! [`tag_first_decoder!`] reads the tag, then decodes the rest of the same map straight into the
//! variant. A message whose tag is not its first field is refused, naming the tag.

use serde::de::value::MapAccessDeserializer;
use serde::de::{Deserialize, Error, MapAccess};

/// Reads the first key of `map`, which must be `tag`, and the variant name after it.
pub(crate) fn read_tag<'de, A, K>(map: &mut A, tag: &'static str) -> Result<K, A::Error>
where
    A: MapAccess<'de>,
    K: Deserialize<'de>,
{
    match map.next_key::<String>()? {
        Some(key) if key == tag => map.next_value(),
        Some(key) => Err(A::Error::custom(format_args!(
            "`{tag}` must be the first field, found `{key}` before it"
        ))),
        None => Err(A::Error::missing_field(tag)),
    }
}

/// Decodes the fields after the tag into `T`.
pub(crate) fn read_rest<'de, A, T>(map: A) -> Result<T, A::Error>
where
    A: MapAccess<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(MapAccessDeserializer::new(map))
}

/// `impl Deserialize` for an enum whose `Serialize` is derived with
/// `#[serde(tag = $tag, rename_all = "snake_case")]` and whose variants all have named fields:
/// list each variant with its fields, as in the enum. A variant or field left out, or a field of
/// another type, does not compile.
macro_rules! tag_first_decoder {
    ($enum:ident, $tag:literal, { $($variant:ident { $($field:ident : $ty:ty),* $(,)? }),+ $(,)? }) => {
        const _: () = {
            use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};

            #[derive(Deserialize)]
            #[serde(rename_all = "snake_case")]
            enum Kind {
                $($variant),+
            }

            #[allow(non_snake_case)]
            mod fields {
                #[allow(unused_imports)]
                use super::*;
                $(
                    #[derive(serde::Deserialize)]
                    pub(super) struct $variant {
                        $(pub(super) $field: $ty),*
                    }
                )+
            }

            // The list above must name every variant (and `$enum::$variant { … }` below every
            // field): a variant added to the enum alone stops the build here.
            #[allow(dead_code)]
            fn every_variant_is_listed(value: &$enum) {
                match value {
                    $($enum::$variant { .. } => {})+
                }
            }

            struct Decoder;

            impl<'de> Visitor<'de> for Decoder {
                type Value = $enum;

                fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                    write!(f, "a map whose first field is `{}`", $tag)
                }

                fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<$enum, A::Error> {
                    Ok(match $crate::model::tagged::read_tag(&mut map, $tag)? {
                        $(Kind::$variant => {
                            let fields::$variant { $($field),* } =
                                $crate::model::tagged::read_rest(map)?;
                            $enum::$variant { $($field),* }
                        })+
                    })
                }
            }

            impl<'de> Deserialize<'de> for $enum {
                fn deserialize<D: Deserializer<'de>>(decoder: D) -> Result<Self, D::Error> {
                    decoder.deserialize_map(Decoder)
                }
            }
        };
    };
}

pub(crate) use tag_first_decoder;
