//! Tool arguments of the plainest kind read straight from their JSON text.
//!
//! Most tools take a few `int`, `float`, `str` or `bool` parameters. For those
//! the Python layer registers an [`ArgSpec`], and a call whose arguments are
//! exactly of those JSON types is read here in one pass. Anything else (a
//! value of another JSON type, a number that would need converting, a missing
//! required parameter, a repeated key, text that is not JSON) answers `None`,
//! and the arguments go to the full validator, which gives the same values
//! for what is read here and the error messages for everything else.

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use std::borrow::Cow;
use std::fmt;

/// The JSON type a parameter takes without any conversion.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArgType {
    Int,
    Float,
    Str,
    Bool,
}

impl ArgType {
    pub fn parse(name: &str) -> Option<ArgType> {
        Some(match name {
            "int" => ArgType::Int,
            "float" => ArgType::Float,
            "str" => ArgType::Str,
            "bool" => ArgType::Bool,
            _ => return None,
        })
    }
}

/// One parameter: its name, type, whether JSON null is allowed (`X | None`).
#[derive(Clone, Debug)]
pub struct Param {
    pub name: String,
    pub ty: ArgType,
    pub nullable: bool,
}

/// A value read for one parameter.
#[derive(Debug, PartialEq)]
pub enum ArgValue<'a> {
    Int(i64),
    Float(f64),
    Str(Cow<'a, str>),
    Bool(bool),
    Null,
}

/// Reads `raw` (the arguments object) against `params`: one value (or None
/// when the key is absent) per parameter, in order. `None` overall means
/// "not this fast path".
pub fn read<'a>(params: &[Param], raw: &'a str) -> Option<Vec<Option<ArgValue<'a>>>> {
    let mut de = serde_json::Deserializer::from_str(raw);
    let values = de.deserialize_any(Args { params }).ok()??;
    de.end().ok()?;
    Some(values)
}

struct Args<'p> {
    params: &'p [Param],
}

impl<'de> Visitor<'de> for Args<'_> {
    /// None: a value this path does not take (the full validator decides).
    type Value = Option<Vec<Option<ArgValue<'de>>>>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut values: Vec<Option<ArgValue<'de>>> = (0..self.params.len()).map(|_| None).collect();
        let mut plain = true;
        while let Some(key) = map.next_key::<Key<'de>>()? {
            let found = if plain {
                self.params.iter().position(|p| p.name == *key.0)
            } else {
                None
            };
            match found {
                Some(i) if values[i].is_none() => {
                    let value = map.next_value_seed(Value(&self.params[i]))?;
                    match value {
                        Some(v) => values[i] = Some(v),
                        None => plain = false,
                    }
                }
                Some(_) => {
                    // A repeated key: left to the full validator.
                    plain = false;
                    map.next_value::<IgnoredAny>()?;
                }
                // Keys that name no parameter are ignored, as the validator does.
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(if plain { Some(values) } else { None })
    }

    // Any other JSON value: not an arguments object.
    fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(None)
    }
}

/// An object key, borrowed from the text unless it holds escapes.
struct Key<'de>(Cow<'de, str>);

impl<'de> serde::Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: serde::de::Error>(
                self,
                v: &'de str,
            ) -> Result<Self::Value, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
        }
        d.deserialize_str(KeyVisitor)
    }
}

/// Reads one parameter's value; `None` when its JSON type is not the parameter's own.
struct Value<'p>(&'p Param);

impl<'de> DeserializeSeed<'de> for Value<'_> {
    type Value = Option<ArgValue<'de>>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Value<'_> {
    type Value = Option<ArgValue<'de>>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok((self.0.ty == ArgType::Bool).then_some(ArgValue::Bool(v)))
    }

    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(match self.0.ty {
            ArgType::Int => Some(ArgValue::Int(v)),
            // Exactly representable: the same float the validator makes.
            ArgType::Float if v.unsigned_abs() <= 1 << 53 => Some(ArgValue::Float(v as f64)),
            _ => None,
        })
    }

    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Self::Value, E> {
        match i64::try_from(v) {
            Ok(v) => self.visit_i64(v),
            Err(_) => Ok(None),
        }
    }

    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Self::Value, E> {
        // Numbers written with a fraction or exponent (or integers too large
        // for i64): only a float parameter takes them as they are.
        Ok((self.0.ty == ArgType::Float && v.is_finite()).then_some(ArgValue::Float(v)))
    }

    fn visit_borrowed_str<E: serde::de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok((self.0.ty == ArgType::Str).then_some(ArgValue::Str(Cow::Borrowed(v))))
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok((self.0.ty == ArgType::Str).then(|| ArgValue::Str(Cow::Owned(v.to_owned()))))
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(self.0.nullable.then_some(ArgValue::Null))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(None)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params() -> Vec<Param> {
        vec![
            Param {
                name: "a".into(),
                ty: ArgType::Int,
                nullable: false,
            },
            Param {
                name: "x".into(),
                ty: ArgType::Float,
                nullable: false,
            },
            Param {
                name: "s".into(),
                ty: ArgType::Str,
                nullable: true,
            },
            Param {
                name: "b".into(),
                ty: ArgType::Bool,
                nullable: false,
            },
        ]
    }

    #[test]
    fn reads_values_of_the_parameters_own_types() {
        let got = read(
            &params(),
            r#"{"a": -3, "x": 1.5, "s": "h\u00e9", "b": true, "other": [1, {"y": 2}]}"#,
        )
        .unwrap();
        assert_eq!(
            got,
            vec![
                Some(ArgValue::Int(-3)),
                Some(ArgValue::Float(1.5)),
                Some(ArgValue::Str("hé".into())),
                Some(ArgValue::Bool(true))
            ]
        );
        assert!(
            matches!(got[2], Some(ArgValue::Str(Cow::Owned(_)))),
            "an escaped string is unescaped"
        );
    }

    #[test]
    fn absent_keys_and_nulls() {
        let got = read(&params(), r#"{"s": null}"#).unwrap();
        assert_eq!(got, vec![None, None, Some(ArgValue::Null), None]);
        let got = read(&params(), r#"{"x": 2}"#).unwrap();
        assert_eq!(
            got[1],
            Some(ArgValue::Float(2.0)),
            "a JSON integer is a float parameter's float"
        );
        let got = read(&params(), r#"{"s": "plain"}"#).unwrap();
        assert!(matches!(
            got[2],
            Some(ArgValue::Str(Cow::Borrowed("plain")))
        ));
    }

    #[test]
    fn anything_needing_conversion_or_judgement_is_left_to_the_validator() {
        for raw in [
            r#"{"a": 1.0}"#,
            r#"{"a": "1"}"#,
            r#"{"a": true}"#,
            r#"{"a": null}"#,
            r#"{"a": 18446744073709551616}"#,
            r#"{"a": 9223372036854775808}"#,
            r#"{"x": "1.5"}"#,
            r#"{"x": 9007199254740993}"#,
            r#"{"s": 1}"#,
            r#"{"b": 1}"#,
            r#"{"b": "true"}"#,
            r#"{"a": [1]}"#,
            r#"{"a": {"v": 1}}"#,
            r#"{"a": 1, "a": 2}"#,
            r#"[1, 2]"#,
            r#""a""#,
            r#"null"#,
            r#"{"a": 1"#,
            r#"{"a": 1} x"#,
            r#"{"s": "\ud800"}"#,
        ] {
            assert_eq!(read(&params(), raw), None, "{raw}");
        }
    }

    #[test]
    fn floats_are_correctly_rounded() {
        // Needs serde_json's float_roundtrip: the default parser can be one ulp off.
        for text in [
            "0.1",
            "2.2250738585072011e-308",
            "1.7976931348623157e308",
            "9007199254740993.0",
            "0.30000000000000004",
            "-1.5e-7",
        ] {
            let raw = format!(r#"{{"x": {text}}}"#);
            let got = read(&params(), &raw).unwrap();
            assert_eq!(
                got[1],
                Some(ArgValue::Float(text.parse::<f64>().unwrap())),
                "{text}"
            );
        }
    }

    #[test]
    fn an_empty_object_reads_nothing() {
        assert_eq!(read(&params(), "{}").unwrap(), vec![None, None, None, None]);
        assert_eq!(read(&[], r#"{"z": 1}"#).unwrap(), vec![]);
    }
}
