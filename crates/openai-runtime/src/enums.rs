//! The impls every generated open enum and constant shares, as two macros,
//! so that a generated model is its declaration plus one short invocation.

/// Implements `as_str`, `From<&str>`, `Display`, `Serialize` and
/// `Deserialize` for an open string enum.
///
/// Listed values map to their variants; any other value maps to the
/// catch-all variant, which keeps it as sent, so a value added to the API
/// later survives a round trip.
///
/// ```
/// #[derive(Debug, Clone, PartialEq, Eq, Hash)]
/// pub enum Status {
///     Pending,
///     Completed,
///     Unknown(String),
/// }
///
/// openai_runtime::open_enum!(Status, Unknown, [Pending = "pending", Completed = "completed"]);
///
/// assert_eq!(Status::from("completed"), Status::Completed);
/// assert_eq!(Status::from("expired").as_str(), "expired");
/// let json = serde_json::to_string(&Status::Unknown("expired".into())).unwrap();
/// assert_eq!(json, r#""expired""#);
/// ```
#[macro_export]
macro_rules! open_enum {
    ($name:ident, $other:ident, [$($variant:ident = $value:literal),* $(,)?]) => {
        impl $name {
            /// The value on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $value,)*
                    Self::$other(value) => value,
                }
            }
        }

        impl ::std::convert::From<&str> for $name {
            fn from(value: &str) -> Self {
                match value {
                    $($value => Self::$variant,)*
                    _ => Self::$other(value.to_owned()),
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl $crate::__serde::Serialize for $name {
            fn serialize<S: $crate::__serde::Serializer>(
                &self,
                serializer: S,
            ) -> ::std::result::Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> $crate::__serde::Deserialize<'de> for $name {
            fn deserialize<D: $crate::__serde::Deserializer<'de>>(
                deserializer: D,
            ) -> ::std::result::Result<Self, D::Error> {
                let value = <::std::borrow::Cow<'de, str> as $crate::__serde::Deserialize>::deserialize(
                    deserializer,
                )?;
                Ok(Self::from(&*value))
            }
        }
    };
}

/// Implements `VALUE`, `Serialize` and `Deserialize` for a unit struct that
/// stands for a string with one possible value, like `object: "upload"`.
///
/// Decoding any other string is an error; a model that holds one marks the
/// field `#[serde(default)]`, so a missing value is no error.
///
/// ```
/// #[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
/// pub struct UploadObject;
///
/// openai_runtime::constant!(UploadObject = "upload");
///
/// assert_eq!(UploadObject::VALUE, "upload");
/// assert_eq!(serde_json::to_string(&UploadObject).unwrap(), r#""upload""#);
/// assert!(serde_json::from_str::<UploadObject>(r#""file""#).is_err());
/// ```
#[macro_export]
macro_rules! constant {
    ($name:ident = $value:literal) => {
        impl $name {
            /// The one value on the wire.
            pub const VALUE: &'static str = $value;
        }

        impl $crate::__serde::Serialize for $name {
            fn serialize<S: $crate::__serde::Serializer>(
                &self,
                serializer: S,
            ) -> ::std::result::Result<S::Ok, S::Error> {
                serializer.serialize_str(Self::VALUE)
            }
        }

        impl<'de> $crate::__serde::Deserialize<'de> for $name {
            fn deserialize<D: $crate::__serde::Deserializer<'de>>(
                deserializer: D,
            ) -> ::std::result::Result<Self, D::Error> {
                let value =
                    <::std::borrow::Cow<'de, str> as $crate::__serde::Deserialize>::deserialize(
                        deserializer,
                    )?;
                if value == Self::VALUE {
                    Ok(Self)
                } else {
                    Err(<D::Error as $crate::__serde::de::Error>::invalid_value(
                        $crate::__serde::de::Unexpected::Str(&value),
                        &concat!("\"", $value, "\""),
                    ))
                }
            }
        }
    };
}
