//! The impls every generated open integer enum shares, as one macro (the
//! integer twin of [`open_enum!`](crate::open_enum)).

/// Implements `as_i64`, `From<i64>`, `Display`, `Serialize` and
/// `Deserialize` for an open integer enum.
///
/// Listed values map to their variants; any other integer maps to the
/// catch-all variant, which keeps it, so a value added to the API later
/// survives a round trip. A value that is not an integer (`"16000"`,
/// `16000.5`) is a decoding error.
///
/// ```
/// #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
/// pub enum Rate {
///     V8000,
///     V16000,
///     Unknown(i64),
/// }
///
/// openai_runtime::open_int_enum!(Rate, Unknown, [V8000 = 8000, V16000 = 16000]);
///
/// assert_eq!(Rate::from(16000), Rate::V16000);
/// assert_eq!(serde_json::from_str::<Rate>("12000").unwrap(), Rate::Unknown(12000));
/// assert_eq!(serde_json::to_string(&Rate::Unknown(12000)).unwrap(), "12000");
/// assert!(serde_json::from_str::<Rate>(r#""16000""#).is_err());
/// ```
#[macro_export]
macro_rules! open_int_enum {
    ($name:ident, $other:ident, [$($variant:ident = $value:literal),* $(,)?]) => {
        impl $name {
            /// The value on the wire.
            pub fn as_i64(&self) -> i64 {
                match self {
                    $(Self::$variant => $value,)*
                    Self::$other(value) => *value,
                }
            }
        }

        impl ::std::convert::From<i64> for $name {
            fn from(value: i64) -> Self {
                match value {
                    $($value => Self::$variant,)*
                    _ => Self::$other(value),
                }
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = ::std::num::ParseIntError;

            fn from_str(text: &str) -> ::std::result::Result<Self, Self::Err> {
                text.parse::<i64>().map(Self::from)
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                ::std::fmt::Display::fmt(&self.as_i64(), f)
            }
        }

        impl $crate::__serde::Serialize for $name {
            fn serialize<S: $crate::__serde::Serializer>(
                &self,
                serializer: S,
            ) -> ::std::result::Result<S::Ok, S::Error> {
                serializer.serialize_i64(self.as_i64())
            }
        }

        impl<'de> $crate::__serde::Deserialize<'de> for $name {
            fn deserialize<D: $crate::__serde::Deserializer<'de>>(
                deserializer: D,
            ) -> ::std::result::Result<Self, D::Error> {
                <i64 as $crate::__serde::Deserialize>::deserialize(deserializer).map(Self::from)
            }
        }
    };
}
