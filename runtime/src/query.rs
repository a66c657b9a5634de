//! List-valued query parameters, in the two styles a spec declares (OpenAPI's `form` style):
//! `repeated` (`?sku=a&sku=b`, `explode: true`, the default) and `comma` (`?sku=a,b`,
//! `explode: false`).
//!
//! A repeated list needs nothing of its own: the server's parameter decoder gathers every
//! value of the name, and [`encode`] writes one pair per item. A comma-separated list is one
//! value: the generated query struct marks its field `#[serde(with = "runtime::query::comma")]`
//! (or `comma_optional` for `[T]?`), which joins the items with `,` on the way out and splits
//! them on the way in. An item whose text holds a `,` cannot be sent that way: the client
//! refuses the call before anything is sent.

use serde::de::value::BorrowedStrDeserializer;
use serde::de::{self, Deserialize, DeserializeOwned, Deserializer, Visitor};
use serde::ser::{self, Serialize, Serializer};
use std::marker::PhantomData;

/// The text of one value in a query: strings bare, numbers and booleans as JSON writes them;
/// `None` for anything else (a query holds no objects, nulls or nested lists).
fn scalar_text(value: &serde_json::Value) -> Option<String> {
    use serde_json::Value;
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(_) | Value::Bool(_) => Some(value.to_string()),
        _ => None,
    }
}

/// The text of one item of a comma-separated list.
fn text<T: Serialize, E: ser::Error>(value: &T) -> Result<String, E> {
    let value = serde_json::to_value(value).map_err(E::custom)?;
    scalar_text(&value).ok_or_else(|| {
        E::custom(format!(
            "a query parameter holds text, numbers or booleans, not {value}"
        ))
    })
}

/// The items joined with `,`; an error when an item's text holds a `,`.
fn join<T: Serialize, E: ser::Error>(items: &[T]) -> Result<String, E> {
    let mut joined = String::new();
    for (i, item) in items.iter().enumerate() {
        let text = text::<T, E>(item)?;
        if text.contains(',') {
            return Err(E::custom(format!(
                "item {i} (`{text}`) holds a `,`, which a comma-separated list cannot carry"
            )));
        }
        if i > 0 {
            joined.push(',');
        }
        joined.push_str(&text);
    }
    Ok(joined)
}

/// The items of a comma-separated value (none for the empty text), each decoded as `T` asks.
fn split<T: DeserializeOwned, E: de::Error>(text: &str) -> Result<Vec<T>, E> {
    if text.is_empty() {
        return Ok(Vec::new());
    }
    text.split(',')
        .enumerate()
        .map(|(i, item)| {
            T::deserialize(Text::<E>::new(item))
                .map_err(|e| E::custom(format!("item {i} (`{item}`): {e}")))
        })
        .collect()
}

/// One parameter value: text, parsed as the type decoding it asks (`FromStr` for numbers,
/// booleans and characters; the text itself for strings, UUIDs, dates and enums).
pub(crate) struct Text<'de, E>(&'de str, PhantomData<E>);

impl<'de, E> Text<'de, E> {
    pub(crate) fn new(text: &'de str) -> Self {
        Text(text, PhantomData)
    }
}

impl<E: de::Error> Text<'_, E> {
    fn parse<T: std::str::FromStr>(&self) -> Result<T, E>
    where
        T::Err: std::fmt::Display,
    {
        self.0.parse().map_err(E::custom)
    }
}

macro_rules! parsed {
    ($($method:ident => $visit:ident),* $(,)?) => {
        $(
            fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, E> {
                visitor.$visit(self.parse()?)
            }
        )*
    };
}

impl<'de, E: de::Error> Deserializer<'de> for Text<'de, E> {
    type Error = E;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, E> {
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
    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, E> {
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, E> {
        visitor.visit_newtype_struct(self)
    }

    /// Enums of names: the text names the variant.
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, E> {
        visitor.visit_enum(BorrowedStrDeserializer::new(self.0))
    }

    serde::forward_to_deserialize_any! {
        str string bytes byte_buf unit unit_struct seq tuple tuple_struct map struct
        identifier ignored_any
    }
}

/// `#[serde(with = "runtime::query::comma")]`: a `Vec<T>` sent as one comma-separated value.
pub mod comma {
    use super::*;

    /// The items as one value, joined with `,`.
    pub fn serialize<T: Serialize, S: Serializer>(
        items: &[T],
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&join::<T, S::Error>(items)?)
    }

    /// The items of one comma-separated value.
    pub fn deserialize<'de, T: DeserializeOwned, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Vec<T>, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        split(&text)
    }
}

/// `#[serde(with = "runtime::query::comma_optional")]`: an `Option<Vec<T>>` sent as one
/// comma-separated value when it is `Some`.
pub mod comma_optional {
    use super::*;

    /// The items as one value, joined with `,` (nothing for `None`).
    pub fn serialize<T: Serialize, S: Serializer>(
        items: &Option<Vec<T>>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match items {
            Some(items) => serializer.serialize_some(&join::<T, S::Error>(items)?),
            None => serializer.serialize_none(),
        }
    }

    /// The items of one comma-separated value, if the parameter is there.
    pub fn deserialize<'de, T: DeserializeOwned, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Vec<T>>, D::Error> {
        let text = <Option<std::borrow::Cow<'de, str>>>::deserialize(deserializer)?;
        text.map(|t| split(&t)).transpose()
    }
}

/// A query struct as a query string: one `name=value` pair per scalar, one per item of a list
/// (the repeated style), one `name[key]=value` per entry of a map (OpenAPI's `deepObject`),
/// none for an absent optional; values percent-encoded. A map key holding `[` or `]` cannot be
/// written that way: an error.
#[cfg(feature = "client")]
pub fn encode<Q: Serialize + ?Sized>(query: &Q) -> Result<String, String> {
    use serde_json::Value;
    let fields = match serde_json::to_value(query).map_err(|e| e.to_string())? {
        Value::Object(fields) => fields,
        Value::Null => return Ok(String::new()),
        other => return Err(format!("a query is a struct of parameters, not {other}")),
    };
    let mut out = form_urlencoded::Serializer::new(String::new());
    let scalar = |name: &str, v: &Value| {
        scalar_text(v).ok_or_else(|| format!("the parameter `{name}` cannot hold {v}"))
    };
    for (name, value) in &fields {
        match value {
            Value::Null => {}
            Value::Array(items) => {
                for item in items {
                    out.append_pair(name, &scalar(name, item)?);
                }
            }
            Value::Object(entries) => {
                for (key, entry) in entries {
                    if key.contains(['[', ']']) {
                        return Err(format!(
                            "the key `{key}` of the parameter `{name}` holds `[` or `]`, which \
                             `{name}[key]=value` cannot carry"
                        ));
                    }
                    out.append_pair(&format!("{name}[{key}]"), &scalar(name, entry)?);
                }
            }
            v => {
                out.append_pair(name, &scalar(name, v)?);
            }
        }
    }
    Ok(out.finish())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::{Deserialize, Serialize};

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Q {
        #[serde(with = "comma")]
        ids: Vec<i64>,
        #[serde(
            default,
            with = "comma_optional",
            skip_serializing_if = "Option::is_none"
        )]
        tags: Option<Vec<String>>,
    }

    #[test]
    fn comma_lists_join_and_split() {
        let q = Q {
            ids: vec![1, -2, 30],
            tags: Some(vec!["a b".into(), "c".into()]),
        };
        let json = serde_json::to_value(&q).unwrap();
        assert_eq!(json, serde_json::json!({"ids": "1,-2,30", "tags": "a b,c"}));
        assert_eq!(serde_json::from_value::<Q>(json).unwrap(), q);
        let empty: Q = serde_json::from_value(serde_json::json!({"ids": ""})).unwrap();
        assert_eq!(
            empty,
            Q {
                ids: vec![],
                tags: None
            }
        );
    }

    #[test]
    fn a_bad_item_is_named_and_a_comma_in_an_item_is_refused() {
        let e = serde_json::from_value::<Q>(serde_json::json!({"ids": "1,x"})).unwrap_err();
        assert!(e.to_string().contains("item 1"), "{e}");
        let q = Q {
            ids: vec![],
            tags: Some(vec!["a,b".into()]),
        };
        let e = serde_json::to_value(&q).unwrap_err();
        assert!(e.to_string().contains("holds a `,`"), "{e}");
    }

    #[cfg(feature = "client")]
    #[test]
    fn encoding_repeats_list_items_and_leaves_out_absent_values() {
        #[derive(Serialize)]
        struct R {
            sku: Vec<String>,
            limit: i32,
            tag: Option<String>,
            #[serde(with = "comma")]
            ids: Vec<u8>,
        }
        let r = R {
            sku: vec!["a&b".into(), "c d".into()],
            limit: 5,
            tag: None,
            ids: vec![1, 2],
        };
        let encoded = encode(&r).unwrap();
        let mut pairs: Vec<&str> = encoded.split('&').collect();
        pairs.sort_unstable();
        assert_eq!(pairs, ["ids=1%2C2", "limit=5", "sku=a%26b", "sku=c+d"]);
    }
}
