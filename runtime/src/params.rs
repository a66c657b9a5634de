//! Decoding parameters (path, query, headers) into the generated parameter structs straight
//! from their name/value pairs: a serde deserializer whose values are text, parsed into what
//! each field's type asks for (`FromStr` for numbers and booleans, the text itself for strings,
//! UUIDs, dates and enums). Nothing is re-encoded or copied on the way.

use serde::de::value::BorrowedStrDeserializer;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, Visitor};
use std::fmt;

/// Why the pairs do not make a `T`: the message, and the parameter it is about with the value
/// it had when one is (a missing one is named in the message instead, as serde words it).
#[derive(Debug)]
pub(crate) struct Error {
    pub(crate) name: Option<(String, String)>,
    pub(crate) message: String,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

impl de::Error for Error {
    fn custom<M: fmt::Display>(message: M) -> Self {
        Error {
            name: None,
            message: message.to_string(),
        }
    }
}

/// Decodes `pairs` (names and decoded values) into `T`.
pub(crate) fn from_pairs<'de, T, I>(pairs: I) -> Result<T, Error>
where
    T: de::Deserialize<'de>,
    I: Iterator<Item = (&'de str, &'de str)>,
{
    T::deserialize(Pairs {
        pairs,
        current: None,
    })
}

/// The pairs as a map.
struct Pairs<'de, I> {
    pairs: I,
    current: Option<(&'de str, &'de str)>,
}

impl<'de, I: Iterator<Item = (&'de str, &'de str)>> Deserializer<'de> for Pairs<'de, I> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_map(self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map struct enum
        identifier ignored_any
    }
}

impl<'de, I: Iterator<Item = (&'de str, &'de str)>> MapAccess<'de> for Pairs<'de, I> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        match self.pairs.next() {
            Some(pair) => {
                self.current = Some(pair);
                seed.deserialize(BorrowedStrDeserializer::new(pair.0))
                    .map(Some)
            }
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let Some((name, value)) = self.current.take() else {
            return Err(de::Error::custom("a value without a name"));
        };
        seed.deserialize(Text(value)).map_err(|mut e| {
            e.name
                .get_or_insert_with(|| (name.to_owned(), value.to_owned()));
            e
        })
    }
}

/// One value: text, parsed as the field's type asks.
struct Text<'de>(&'de str);

impl Text<'_> {
    fn parse<T: std::str::FromStr>(&self) -> Result<T, Error>
    where
        T::Err: fmt::Display,
    {
        self.0.parse().map_err(de::Error::custom)
    }
}

macro_rules! parsed {
    ($($method:ident => $visit:ident),* $(,)?) => {
        $(
            fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
                visitor.$visit(self.parse()?)
            }
        )*
    };
}

impl<'de> Deserializer<'de> for Text<'de> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_borrowed_str(self.0)
    }

    parsed! {
        deserialize_bool => visit_bool,
        deserialize_i8 => visit_i8,
        deserialize_i16 => visit_i16,
        deserialize_i32 => visit_i32,
        deserialize_i64 => visit_i64,
        deserialize_i128 => visit_i128,
        deserialize_u8 => visit_u8,
        deserialize_u16 => visit_u16,
        deserialize_u32 => visit_u32,
        deserialize_u64 => visit_u64,
        deserialize_u128 => visit_u128,
        deserialize_f32 => visit_f32,
        deserialize_f64 => visit_f64,
        deserialize_char => visit_char,
    }

    /// A parameter that is there is `Some`.
    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    /// Enums of names: the text names the variant.
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_enum(BorrowedStrDeserializer::new(self.0))
    }

    serde::forward_to_deserialize_any! {
        str string bytes byte_buf unit unit_struct seq tuple tuple_struct map struct
        identifier ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(rename_all = "snake_case")]
    enum Sort {
        Name,
        Newest,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct Name(String);

    #[derive(Debug, Deserialize, PartialEq)]
    struct Params {
        id: uuid::Uuid,
        limit: Option<u8>,
        ratio: f64,
        exact: bool,
        sort: Sort,
        name: Name,
        #[serde(default)]
        cursor: Option<String>,
    }

    fn decode(pairs: &[(&str, &str)]) -> Result<Params, Error> {
        from_pairs(pairs.iter().copied())
    }

    #[test]
    fn every_kind_of_value_is_parsed_from_its_text() {
        let id = "8f0c6bd4-1b7c-4c1e-9d55-000000000001";
        let got = decode(&[
            ("id", id),
            ("limit", "7"),
            ("ratio", "0.5"),
            ("exact", "true"),
            ("sort", "newest"),
            ("name", "Ada Lovelace"),
            ("unknown", "is ignored"),
        ])
        .unwrap();
        assert_eq!(
            got,
            Params {
                id: id.parse().unwrap(),
                limit: Some(7),
                ratio: 0.5,
                exact: true,
                sort: Sort::Newest,
                name: Name("Ada Lovelace".into()),
                cursor: None,
            }
        );
    }

    #[test]
    fn a_bad_value_names_its_parameter() {
        let id = "8f0c6bd4-1b7c-4c1e-9d55-000000000001";
        let base = [
            ("id", id),
            ("ratio", "1"),
            ("exact", "false"),
            ("sort", "name"),
            ("name", "x"),
        ];
        for (name, value, says) in [
            ("limit", "300", "number too large"),
            ("limit", "-1", "invalid digit"),
            ("ratio", "half", "invalid float"),
            ("exact", "yes", "`true` or `false`"),
            ("sort", "oldest", "unknown variant `oldest`"),
            ("id", "42", "UUID"),
        ] {
            let mut pairs: Vec<(&str, &str)> =
                base.iter().copied().filter(|(n, _)| *n != name).collect();
            pairs.push((name, value));
            let e = decode(&pairs).unwrap_err();
            let (got_name, got_value) = e.name.as_ref().unwrap();
            assert_eq!((&**got_name, &**got_value), (name, value), "{e}");
            assert!(e.message.contains(says), "{name}={value}: {e}");
        }
    }

    #[test]
    fn a_missing_parameter_is_named_by_the_message() {
        let e = decode(&[("ratio", "1")]).unwrap_err();
        assert_eq!(e.name, None);
        assert_eq!(e.message, "missing field `id`");
    }
}
