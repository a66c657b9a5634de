//! Binary values: the spec's `bytes`, OpenAPI's `string` of format `byte`. JSON has no binary
//! type, so the bytes travel as base64 text (RFC 4648, the standard alphabet, padded); in a
//! store they are a `BLOB` (SQLite) or `bytea` (PostgreSQL).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Deserializer, Serialize, Serializer, de};
use std::fmt;

/// Bytes, written in JSON (and in parameters) as base64 text.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Bytes(pub Vec<u8>);

impl Bytes {
    /// The base64 text of these bytes, as JSON carries them.
    pub fn to_base64(&self) -> String {
        STANDARD.encode(&self.0)
    }

    /// The bytes of base64 text (RFC 4648, standard alphabet, padded); `None` when it is not.
    pub fn from_base64(text: &str) -> Option<Bytes> {
        STANDARD.decode(text).ok().map(Bytes)
    }
}

/// Whether `text` is base64 as [`Bytes`] reads it.
pub(crate) fn is_base64(text: &str) -> bool {
    Bytes::from_base64(text).is_some()
}

impl std::ops::Deref for Bytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.0
    }
}

impl AsRef<[u8]> for Bytes {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl From<Vec<u8>> for Bytes {
    fn from(bytes: Vec<u8>) -> Bytes {
        Bytes(bytes)
    }
}

impl From<&[u8]> for Bytes {
    fn from(bytes: &[u8]) -> Bytes {
        Bytes(bytes.to_vec())
    }
}

impl From<Bytes> for Vec<u8> {
    fn from(bytes: Bytes) -> Vec<u8> {
        bytes.0
    }
}

impl Serialize for Bytes {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_base64())
    }
}

impl<'de> Deserialize<'de> for Bytes {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Bytes, D::Error> {
        struct Base64;
        impl de::Visitor<'_> for Base64 {
            type Value = Bytes;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("base64 text (RFC 4648, padded)")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Bytes, E> {
                Bytes::from_base64(v).ok_or_else(|| E::custom("not base64 (RFC 4648, padded)"))
            }
        }
        deserializer.deserialize_str(Base64)
    }
}

#[cfg(feature = "store")]
mod sql {
    //! Bound and read as the drivers' own byte strings.
    use super::Bytes;
    use sqlx::encode::IsNull;
    use sqlx::error::BoxDynError;
    use sqlx::{Database, Decode, Encode, Type};

    impl<DB: Database> Type<DB> for Bytes
    where
        Vec<u8>: Type<DB>,
    {
        fn type_info() -> DB::TypeInfo {
            <Vec<u8> as Type<DB>>::type_info()
        }

        fn compatible(ty: &DB::TypeInfo) -> bool {
            <Vec<u8> as Type<DB>>::compatible(ty)
        }
    }

    impl<'q, DB: Database> Encode<'q, DB> for Bytes
    where
        Vec<u8>: Encode<'q, DB>,
    {
        fn encode_by_ref(
            &self,
            buf: &mut <DB as Database>::ArgumentBuffer,
        ) -> Result<IsNull, BoxDynError> {
            self.0.encode_by_ref(buf)
        }
    }

    impl<'r, DB: Database> Decode<'r, DB> for Bytes
    where
        Vec<u8>: Decode<'r, DB>,
    {
        fn decode(value: <DB as Database>::ValueRef<'r>) -> Result<Bytes, BoxDynError> {
            <Vec<u8> as Decode<'r, DB>>::decode(value).map(Bytes)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Bytes;

    #[test]
    fn bytes_are_base64_in_json() {
        let bytes = Bytes(vec![0, 0xff, b'a', 0x10]);
        let json = serde_json::to_string(&bytes).expect("json");
        assert_eq!(json, "\"AP9hEA==\"");
        assert_eq!(serde_json::from_str::<Bytes>(&json).expect("read"), bytes);
        assert_eq!(
            serde_json::from_str::<Bytes>("\"\"").expect("empty"),
            Bytes::default()
        );
        for bad in ["\"AP9hEA\"", "\"AP9h EA==\"", "\"AP-_\"", "12"] {
            assert!(serde_json::from_str::<Bytes>(bad).is_err(), "{bad}");
        }
    }
}
