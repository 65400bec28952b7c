//! Parsing only the fields a consumer reads: the rest of each event is
//! skipped by the JSON parser without being built, which is most of the
//! cost of reading CloudTrail (a 1.5 KB event, a few dozen fields read).

use fnguard_core::fast_hash::BuildFnv1a;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;

/// The fields to keep of an event object, as a tree of keys.
///
/// Paths are written as Sigma rules write them: `a.b` is the literal key
/// `a.b` when the event has it, else `b` inside `a` (arrays on the way are
/// searched element by element), so `a.b` keeps both the key `a.b` and the
/// key `b` under `a`. A kept field keeps its whole value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Projection {
    // FNV-1a: several times cheaper than SipHash for the short keys of every
    // event; the table holds a fixed handful of our own keys, so flooding
    // is no concern.
    keys: HashMap<Box<str>, Kept, BuildFnv1a>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kept {
    Whole,
    Fields(Projection),
}

impl Projection {
    /// The fields at `paths` (and nothing else).
    pub fn of_paths<'a>(paths: impl IntoIterator<Item = &'a str>) -> Projection {
        let mut projection = Projection::default();
        for path in paths {
            projection.add(path);
        }
        projection
    }

    /// Keeps the field at `path` too.
    pub fn add(&mut self, path: &str) {
        self.keys.insert(path.into(), Kept::Whole);
        for (dot, _) in path.match_indices('.') {
            let entry = self
                .keys
                .entry(path[..dot].into())
                .or_insert_with(|| Kept::Fields(Projection::default()));
            if let Kept::Fields(inner) = entry {
                inner.add(&path[dot + 1..]);
            }
        }
    }

    /// Whether any of the field at `key` is kept.
    pub fn keeps(&self, key: &str) -> bool {
        self.keys.contains_key(key)
    }

    /// Reads one JSON value keeping only the projected fields of the
    /// objects in it (an array's elements each projected alike).
    pub fn seed(&self) -> ProjectedValue<'_> {
        ProjectedValue(self)
    }
}

/// A value read through a projection.
#[derive(Clone, Copy)]
pub struct ProjectedValue<'a>(&'a Projection);

impl<'de> DeserializeSeed<'de> for ProjectedValue<'_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ProjectedValue<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = Map::with_capacity(self.0.keys.len().min(16));
        while let Some(key) = map.next_key_seed(Key)? {
            if let Some(value) = next_field(Some(self.0), &key, &mut map)? {
                object.insert(key.into_owned(), value);
            }
        }
        Ok(Value::Object(object))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(self)? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        // As serde_json itself: a finite number, never NaN or infinity.
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

/// The value of the field `key` as `projection` keeps it (whole without
/// one), or `None` when it is skipped.
pub(crate) fn next_field<'de, A: MapAccess<'de>>(
    projection: Option<&Projection>,
    key: &str,
    map: &mut A,
) -> Result<Option<Value>, A::Error> {
    let Some(projection) = projection else {
        return map.next_value().map(Some);
    };
    match projection.keys.get(key) {
        Some(Kept::Whole) => map.next_value().map(Some),
        Some(Kept::Fields(inner)) => map.next_value_seed(inner.seed()).map(Some),
        None => map.next_value::<IgnoredAny>().map(|_| None),
    }
}

/// An object key, borrowed from the input when it has no escape: skipped
/// fields cost no allocation.
pub(crate) struct Key;

impl<'de> DeserializeSeed<'de> for Key {
    type Value = Cow<'de, str>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Key {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_string()))
    }

    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v))
    }
}

/// Reads `text` through `projection` (the whole value without one).
pub fn parse_projected(
    text: &[u8],
    projection: Option<&Projection>,
) -> Result<Value, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_slice(text);
    let value = match projection {
        Some(projection) => projection.seed().deserialize(&mut de)?,
        None => Value::deserialize(&mut de)?,
    };
    de.end()?;
    Ok(value)
}
