//! What a scalar means: `12` is a number, `true` a boolean, `~` null, and
//! `"12"` or `C3 1|1` text.
//!
//! serde-saphyr decides this: the YAML 1.2 core schema with strict booleans
//! (`no` stays text), plus its rules for spellings such as `0x1F`, `1_000`
//! and `1e999`. A playbook's scalars are typed exactly as they were when
//! serde-saphyr built the whole tree. Only a scalar that could be something
//! other than text is handed to it, which is rare; everything else is
//! settled here at once:
//! - a quoted or block scalar without a tag is text;
//! - so is a plain one that cannot start a number, a null or a boolean.

use std::borrow::Cow;
use std::fmt;

use compact_str::CompactString;
use serde::de::{self, Deserialize, Deserializer, Visitor};
use serde_saphyr::granit_parser::{ScalarStyle, Tag};

use super::Value;

/// The value of one scalar; `Err` says why it has none (`.inf`, say, which
/// JSON cannot carry).
pub(super) fn typed(
    text: Cow<'_, str>,
    style: ScalarStyle,
    tag: Option<&Tag>,
) -> Result<Value, String> {
    if tag.is_none() && (style != ScalarStyle::Plain || surely_text(&text)) {
        return Ok(Value::Str(CompactString::from(text)));
    }
    if tag.is_none()
        && let Some(n) = small_decimal(&text)
    {
        return Ok(Value::Int(n));
    }
    by_serde_saphyr(&text, style, tag)
}

/// A plain scalar whose first character begins no number, null or boolean,
/// and which is no spelling of either.
fn surely_text(text: &str) -> bool {
    match text.as_bytes().first() {
        None => false,
        Some(b'0'..=b'9' | b'+' | b'-' | b'.' | b'~') => false,
        // `null`, `true`, `False` and their capitalised spellings.
        Some(b'n' | b'N' | b't' | b'T' | b'f' | b'F') => text.len() > 5,
        Some(_) => true,
    }
}

/// `0`, `7`, `-12`: a decimal integer without a leading zero that surely
/// fits in an `i64`, which is what serde-saphyr makes of it too. The common
/// number in a playbook (an index, a count) needs no further look.
fn small_decimal(text: &str) -> Option<i64> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let plain_digits = !digits.is_empty()
        && digits.len() <= 18
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'));
    if plain_digits {
        text.parse().ok()
    } else {
        None
    }
}

/// serde-saphyr's reading of the scalar, given as the value of a one-key
/// document with its tag and, unless plain, quoted as JSON (which YAML
/// reads back unchanged).
fn by_serde_saphyr(text: &str, style: ScalarStyle, tag: Option<&Tag>) -> Result<Value, String> {
    let mut doc = String::from("v: ");
    // `!!int`, `!local` as written; a tag from a `%TAG` handle, which this
    // one-line document does not declare, in its verbatim form.
    match tag.map(|t| (t.original_handle(), t)) {
        Some((h @ ("!!" | "!"), t)) => doc.push_str(&format!("{h}{} ", t.suffix())),
        Some((_, t)) => doc.push_str(&format!("!<{}{}> ", t.handle(), t.suffix())),
        None => {}
    }
    if style == ScalarStyle::Plain {
        doc.push_str(text);
    } else {
        doc.push_str(&serde_json::to_string(text).unwrap_or_default());
    }
    let opts = serde_saphyr::options! { strict_booleans: true };
    serde_saphyr::from_str_with_options::<Doc>(&doc, opts)
        .map(|d| d.v)
        .map_err(|e| first_line(&e.to_string()))
}

/// serde-saphyr's message without its place (the caller's label shows it).
fn first_line(full: &str) -> String {
    let first = full.lines().next().unwrap_or_default();
    let first = first.strip_prefix("error: ").unwrap_or(first);
    match first.strip_prefix("line ").and_then(|r| r.split_once(": ")) {
        Some((place, what)) if place.contains("column") => what.to_owned(),
        _ => first.to_owned(),
    }
}

#[derive(serde::Deserialize)]
struct Doc {
    v: Value,
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ScalarVisitor)
    }
}

/// A scalar's value as serde-saphyr hands it over.
struct ScalarVisitor;

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = Value;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a YAML scalar")
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Int(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        Ok(i64::try_from(v).map_or(Value::Float(v as f64), Value::Int))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::Str(CompactString::new(v)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(text: &str) -> Result<Value, String> {
        typed(Cow::Borrowed(text), ScalarStyle::Plain, None)
    }

    #[test]
    fn the_quick_answers_agree_with_serde_saphyr() {
        for text in [
            "0",
            "7",
            "-12",
            "123456789012345678",
            "-0",
            "C3 1|1",
            "name",
            "nulls",
            "falsely",
            "yes",
            "x1",
        ] {
            assert_eq!(
                plain(text),
                by_serde_saphyr(text, ScalarStyle::Plain, None),
                "{text}"
            );
        }
    }

    #[test]
    fn other_spellings_are_left_to_serde_saphyr() {
        assert_eq!(plain("true"), Ok(Value::Bool(true)));
        assert_eq!(plain("no"), Ok(Value::Str("no".into())));
        assert_eq!(plain("~"), Ok(Value::Null));
        assert_eq!(plain(""), Ok(Value::Null));
        assert_eq!(plain("0x1F"), Ok(Value::Int(31)));
        assert_eq!(plain("1e3"), Ok(Value::Float(1000.0)));
        assert_eq!(
            plain("007"),
            by_serde_saphyr("007", ScalarStyle::Plain, None)
        );
        assert_eq!(plain("1|1"), Ok(Value::Str("1|1".into())));
        assert!(plain(".inf").unwrap_err().contains("non-finite"));
    }

    #[test]
    fn quotes_and_tags_decide() {
        let quoted = typed(Cow::Borrowed("12"), ScalarStyle::DoubleQuoted, None);
        assert_eq!(quoted, Ok(Value::Str("12".into())));
        let int = Tag::with_original_handle("tag:yaml.org,2002:", "int", "!!");
        let tagged = typed(Cow::Borrowed("3"), ScalarStyle::SingleQuoted, Some(&int));
        assert_eq!(tagged, Ok(Value::Int(3)));
        let str_tag = Tag::with_original_handle("tag:yaml.org,2002:", "str", "!!");
        let text = typed(Cow::Borrowed("12"), ScalarStyle::Plain, Some(&str_tag));
        assert_eq!(text, Ok(Value::Str("12".into())));
        // A `%TAG` handle the one-line document cannot declare: verbatim.
        let declared = Tag::with_original_handle("tag:yaml.org,2002:", "int", "!e!");
        let int = typed(Cow::Borrowed("3"), ScalarStyle::Plain, Some(&declared));
        assert_eq!(int, Ok(Value::Int(3)));
    }
}
