//! Decoding parameters (path, query, headers) into the generated parameter structs straight
//! from their name/value pairs: a serde deserializer whose values are text, parsed into what
//! each field's type asks for (`FromStr` for numbers and booleans, the text itself for strings,
//! UUIDs, dates and enums). Nothing is re-encoded or copied on the way.

use crate::query::Text;
use serde::de::value::BorrowedStrDeserializer;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
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

/// The map name and key of a `name[key]` pair (OpenAPI's `deepObject` style), if it is one.
pub(crate) fn deep(name: &str) -> Option<(&str, &str)> {
    // A byte loop, not `str::find`: the names are short, and `find`'s searcher costs more to
    // set up than a name takes to scan (this runs for every parameter of every request).
    let open = name.bytes().position(|b| b == b'[').filter(|&i| i > 0)?;
    let key = name[open + 1..].strip_suffix(']')?;
    (!key.contains(['[', ']'])).then_some((&name[..open], key))
}

/// Decodes `pairs` (names and decoded values) into `T`. A list field (`Vec<T>`) takes every
/// value of its name, wherever they are; a map field (`BTreeMap<String, T>`) every `name[key]`
/// pair; any other field given twice is an error.
pub(crate) fn from_pairs<'de, T, I>(pairs: I) -> Result<T, Error>
where
    T: de::Deserialize<'de>,
    I: Iterator<Item = (&'de str, &'de str)> + Clone,
{
    T::deserialize(Pairs {
        pairs,
        current: None,
        listed: Vec::new(),
    })
}

/// The pairs as a map.
struct Pairs<'de, I> {
    pairs: I,
    /// The pair whose name was just handed out (`pairs` holds the ones after it).
    current: Option<(&'de str, &'de str)>,
    /// The names decoded as lists: their later pairs are taken already.
    listed: Vec<&'de str>,
}

impl<'de, I: Iterator<Item = (&'de str, &'de str)> + Clone> Deserializer<'de> for Pairs<'de, I> {
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

impl<'de, I: Iterator<Item = (&'de str, &'de str)> + Clone> MapAccess<'de> for Pairs<'de, I> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        loop {
            let Some(pair) = self.pairs.next() else {
                return Ok(None);
            };
            let name = deep(pair.0).map_or(pair.0, |(name, _)| name);
            if self.listed.contains(&name) {
                continue;
            }
            self.current = Some(pair);
            return seed
                .deserialize(BorrowedStrDeserializer::new(name))
                .map(Some);
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let Some((name, value)) = self.current.take() else {
            return Err(de::Error::custom("a value without a name"));
        };
        let (base, key) = match deep(name) {
            Some((base, key)) => (base, Some(key)),
            None => (name, None),
        };
        let values = Values {
            name: base,
            key,
            first: value,
            rest: &self.pairs,
            listed: &mut self.listed,
        };
        seed.deserialize(values).map_err(|mut e| {
            // A field missing from an object parameter is named in the message already.
            if !e.message.starts_with(MISSING) {
                e.name
                    .get_or_insert_with(|| (name.to_owned(), value.to_owned()));
            }
            e
        })
    }
}

/// How serde begins the message of a missing field.
const MISSING: &str = "missing field `";

/// Scalars decode the first value of their name.
macro_rules! first_value {
    ($($method:ident)*) => {
        $(
            fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
                Text::new(self.single()?).$method(visitor)
            }
        )*
    };
}

/// The value of a name: its first one for a scalar, every one for a list, every `name[key]`
/// for a map.
struct Values<'a, 'de, I> {
    name: &'de str,
    /// The key of the first pair, when it was `name[key]`.
    key: Option<&'de str>,
    first: &'de str,
    /// The pairs after the first (copied only for a list).
    rest: &'a I,
    listed: &'a mut Vec<&'de str>,
}

impl<'de, I> Values<'_, 'de, I> {
    /// The value of a single-valued parameter, which a `name[key]` pair is not.
    fn single(&self) -> Result<&'de str, Error> {
        match self.key {
            None => Ok(self.first),
            Some(_) => Err(de::Error::custom(format!(
                "`{}` takes one value, not `{}[…]` entries",
                self.name, self.name
            ))),
        }
    }
}

impl<'de, I: Iterator<Item = (&'de str, &'de str)> + Clone> Deserializer<'de>
    for Values<'_, 'de, I>
{
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        Text::new(self.single()?).deserialize_any(visitor)
    }

    /// Every `name[key]` pair of the name, in order (`?count[tea]=2&count[cake]=1`).
    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        let Some(key) = self.key else {
            return Err(de::Error::custom(format!(
                "`{}` is a map: give its entries as `{}[key]=value`",
                self.name, self.name
            )));
        };
        self.listed.push(self.name);
        let name = self.name;
        let entries = std::iter::once((key, self.first)).chain(self.rest.clone().filter_map(
            move |(n, v)| {
                deep(n)
                    .filter(|(base, _)| *base == name)
                    .map(|(_, k)| (k, v))
            },
        ));
        visitor
            .visit_map(Entries {
                name,
                entries,
                value: None,
                seen: Vec::new(),
            })
            .map_err(|mut e| {
                // A field of an object parameter: named as its pair would be.
                if e.name.is_none()
                    && let Some(field) = e
                        .message
                        .strip_prefix(MISSING)
                        .and_then(|m| m.strip_suffix('`'))
                {
                    e.message = format!("{MISSING}{name}[{field}]`");
                }
                e
            })
    }

    /// Every value of the name, in order (`?sku=a&sku=b`).
    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.single()?;
        self.listed.push(self.name);
        let name = self.name;
        let items = std::iter::once(self.first).chain(
            self.rest
                .clone()
                .filter(move |(n, _)| *n == name)
                .map(|(_, v)| v),
        );
        visitor.visit_seq(Items { name, items })
    }

    /// A parameter that is there is `Some`.
    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        Text::new(self.single()?).deserialize_newtype_struct(name, visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        Text::new(self.single()?).deserialize_enum(name, variants, visitor)
    }

    first_value! {
        deserialize_bool deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64
        deserialize_i128 deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64
        deserialize_u128 deserialize_f32 deserialize_f64 deserialize_char
    }

    /// An object's fields are entries too (`?page[size]=10&page[after]=x`).
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Error> {
        self.deserialize_map(visitor)
    }

    serde::forward_to_deserialize_any! {
        str string bytes byte_buf unit unit_struct tuple tuple_struct
        identifier ignored_any
    }
}

/// The entries of a map (or object) parameter, each value decoded as the map's value type asks; a bad one
/// is named `name[key]` and quoted.
struct Entries<'de, J> {
    name: &'de str,
    entries: J,
    value: Option<(&'de str, &'de str)>,
    /// The keys handed out: a key given twice is an error, as a parameter given twice is.
    seen: Vec<&'de str>,
}

impl<'de, J: Iterator<Item = (&'de str, &'de str)>> MapAccess<'de> for Entries<'de, J> {
    type Error = Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Error> {
        let Some((key, value)) = self.entries.next() else {
            return Ok(None);
        };
        if self.seen.contains(&key) {
            return Err(Error {
                name: Some((format!("{}[{key}]", self.name), value.to_owned())),
                message: "is given more than once".to_owned(),
            });
        }
        self.seen.push(key);
        self.value = Some((key, value));
        seed.deserialize(BorrowedStrDeserializer::new(key))
            .map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Error> {
        let Some((key, value)) = self.value.take() else {
            return Err(de::Error::custom("a value without a key"));
        };
        seed.deserialize(Text::new(value)).map_err(|mut e: Error| {
            e.name
                .get_or_insert_with(|| (format!("{}[{key}]", self.name), value.to_owned()));
            e
        })
    }
}

/// The values of a list, each decoded as the item type asks; a bad one is quoted.
struct Items<'de, J> {
    name: &'de str,
    items: J,
}

impl<'de, J: Iterator<Item = &'de str>> SeqAccess<'de> for Items<'de, J> {
    type Error = Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Error> {
        let Some(item) = self.items.next() else {
            return Ok(None);
        };
        seed.deserialize(Text::new(item))
            .map(Some)
            .map_err(|mut e: Error| {
                e.name
                    .get_or_insert_with(|| (self.name.to_owned(), item.to_owned()));
                e
            })
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

    #[derive(Debug, Deserialize, PartialEq)]
    struct Listed {
        sku: Vec<Name>,
        #[serde(default)]
        qty: Option<Vec<u8>>,
        limit: u8,
    }

    #[test]
    fn a_list_takes_every_value_of_its_name_wherever_they_are() {
        let got: Listed = from_pairs(
            [
                ("sku", "a"),
                ("limit", "2"),
                ("qty", "1"),
                ("sku", "b"),
                ("qty", "3"),
            ]
            .into_iter(),
        )
        .unwrap();
        assert_eq!(
            got,
            Listed {
                sku: vec![Name("a".into()), Name("b".into())],
                qty: Some(vec![1, 3]),
                limit: 2,
            }
        );
        let bad = from_pairs::<Listed, _>(
            [("sku", "a"), ("limit", "2"), ("qty", "1"), ("qty", "x")].into_iter(),
        )
        .unwrap_err();
        assert_eq!(bad.name, Some(("qty".into(), "x".into())), "{bad}");
        let twice =
            from_pairs::<Listed, _>([("sku", "a"), ("limit", "2"), ("limit", "3")].into_iter())
                .unwrap_err();
        assert!(twice.message.contains("duplicate field `limit`"), "{twice}");
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct Page {
        size: u8,
        after: Option<String>,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct Paged {
        page: Page,
    }

    #[test]
    fn an_object_takes_its_fields_as_entries() {
        let got: Paged =
            from_pairs([("page[size]", "10"), ("page[after]", "x")].into_iter()).unwrap();
        assert_eq!(
            got.page,
            Page {
                size: 10,
                after: Some("x".into())
            }
        );
        let e = from_pairs::<Paged, _>([("page[after]", "x")].into_iter()).unwrap_err();
        assert_eq!(
            (e.name, e.message.as_str()),
            (None, "missing field `page[size]`")
        );
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct Mapped {
        #[serde(default)]
        count: std::collections::BTreeMap<String, u32>,
        limit: u8,
    }

    #[test]
    fn a_map_takes_every_entry_of_its_name_wherever_they_are() {
        let got: Mapped =
            from_pairs([("count[tea]", "2"), ("limit", "3"), ("count[cake]", "1")].into_iter())
                .unwrap();
        assert_eq!(
            got.count,
            [("cake".to_owned(), 1), ("tea".to_owned(), 2)].into(),
        );
        let none: Mapped = from_pairs([("limit", "3")].into_iter()).unwrap();
        assert!(none.count.is_empty());
        let bad = |pairs: &[(&'static str, &'static str)]| {
            from_pairs::<Mapped, _>(pairs.iter().copied()).unwrap_err()
        };
        let e = bad(&[("count[tea]", "x"), ("limit", "3")]);
        assert_eq!(e.name, Some(("count[tea]".into(), "x".into())), "{e}");
        let e = bad(&[("count[tea]", "1"), ("count[tea]", "2"), ("limit", "3")]);
        assert_eq!(e.name, Some(("count[tea]".into(), "2".into())), "{e}");
        assert_eq!(e.message, "is given more than once");
        let e = bad(&[("count", "5"), ("limit", "3")]);
        assert!(e.message.contains("`count[key]=value`"), "{e}");
        let e = bad(&[("limit[x]", "3")]);
        assert!(e.message.contains("takes one value"), "{e}");
        assert_eq!(deep("count[tea]"), Some(("count", "tea")));
        assert_eq!(deep("[tea]"), None);
        assert_eq!(deep("count[a[b]]"), None);
    }
}
