//! A YAML document as a tree of spanned nodes.
//!
//! serde-saphyr parses the text (with its budget against alias bombs and its
//! panic-free parser); this module keeps *where* every key and value came from,
//! so that any later stage can point a diagnostic at the exact node.

use std::fmt;

use compact_str::CompactString;
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

/// A byte range in one source file.
///
/// Stored as two `u32`s: every node of a playbook carries one, and a file
/// is at most a few MiB, so the narrower span keeps a long playbook's model
/// a good deal smaller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    offset: u32,
    len: u32,
}

impl Span {
    /// A span; a range past 4 GiB, which no source pplay reads can hold,
    /// is clamped.
    pub fn new(offset: usize, len: usize) -> Self {
        let narrow = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        Span {
            offset: narrow(offset),
            len: narrow(len),
        }
    }

    pub fn offset(self) -> usize {
        self.offset as usize
    }

    pub fn len(self) -> usize {
        self.len as usize
    }

    pub fn is_empty(self) -> bool {
        self.len == 0
    }

    /// The offset just past the span.
    pub fn end(self) -> usize {
        self.offset() + self.len()
    }

    /// The span as a range of bytes, to index its source with.
    pub fn range(self) -> std::ops::Range<usize> {
        self.offset()..self.end()
    }

    /// The first character of the span, for labels on a whole mapping.
    pub fn min_start(self) -> Span {
        Span::new(self.offset(), 0)
    }
}

impl From<Span> for miette::SourceSpan {
    fn from(s: Span) -> Self {
        (s.offset(), s.len()).into()
    }
}

/// A mapping key: always a string in a playbook, with its own span.
///
/// Keys and string values are compact strings: most are short (`notes`,
/// `"{{ track }}"`) and are then held inline, without an allocation of
/// their own, which matters when a batch job holds thousands of steps.
#[derive(Debug, Clone, PartialEq)]
pub struct Key {
    pub name: CompactString,
    pub span: Span,
}

/// One YAML node and its place in the file.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub value: Value,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(CompactString),
    Seq(Vec<Node>),
    Map(Vec<(Key, Node)>),
}

fn span_of(loc: &serde_saphyr::Location) -> Span {
    let s = loc.span();
    Span::new(
        s.byte_offset().unwrap_or(0) as usize,
        s.byte_len().unwrap_or(0) as usize,
    )
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let spanned = Spanned::<Value>::deserialize(d)?;
        Ok(Node {
            span: span_of(&spanned.referenced),
            value: spanned.value,
        })
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a YAML value")
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        Value::deserialize(d)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Int(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        i64::try_from(v)
            .map(Value::Int)
            .or(Ok(Value::Float(v as f64)))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::Str(CompactString::new(v)))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::Str(CompactString::new(v)))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(n) = seq.next_element::<Node>()? {
            items.push(n);
        }
        // The tree is built once and kept as the model: no spare capacity.
        items.shrink_to_fit();
        Ok(Value::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut entries: Vec<(Key, Node)> = Vec::new();
        while let Some(k) = map.next_key::<Node>()? {
            let name = match k.value {
                Value::Str(s) => s,
                Value::Seq(_) | Value::Map(_) => {
                    return Err(de::Error::custom("a mapping key must be a plain value"));
                }
                // A plain key such as `n` or `1` stays the text the author wrote;
                // the text is filled in from the span once parsing is done.
                _ => CompactString::default(),
            };
            let v = map.next_value::<Node>()?;
            entries.push((Key { name, span: k.span }, v));
        }
        entries.shrink_to_fit();
        Ok(Value::Map(entries))
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ValueVisitor)
    }
}

/// Parses one YAML document.
///
/// Duplicate keys are passed through so that the loader can point at both
/// occurrences; aliases are capped so an alias bomb fails fast instead of
/// eating memory; only YAML 1.2 booleans are booleans (`no` stays a string).
pub fn parse(src: &str) -> Result<Node, serde_saphyr::Error> {
    let opts = serde_saphyr::options! {
        duplicate_keys: serde_saphyr::options::DuplicateKeyPolicy::PassThrough,
        strict_booleans: true,
        budget: serde_saphyr::budget! {
            max_events: 1_000_000,
            max_aliases: 10_000,
            max_nodes: 500_000,
        },
        alias_limits: serde_saphyr::alias_limits! {
            max_total_replayed_events: 200_000,
        },
    };
    let mut root: Node = serde_saphyr::from_str_with_options(src, opts)?;
    root.fix_spans(src);
    Ok(root)
}

impl Node {
    /// Block collections arrive with an empty span; give them the range of
    /// their children so a label on a whole step covers the step.
    fn fix_spans(&mut self, src: &str) {
        let mut lo = usize::MAX;
        let mut hi = 0;
        match &mut self.value {
            Value::Seq(items) => {
                for n in items {
                    n.fix_spans(src);
                    lo = lo.min(n.span.offset());
                    hi = hi.max(n.span.end());
                }
            }
            Value::Map(entries) => {
                for (k, n) in entries {
                    if k.name.is_empty() && !k.span.is_empty() {
                        k.name = CompactString::new(&src[k.span.range()]);
                    }
                    n.fix_spans(src);
                    lo = lo.min(k.span.offset());
                    hi = hi.max(n.span.end());
                }
            }
            _ => return,
        }
        if lo == usize::MAX {
            return;
        }
        if !self.span.is_empty() {
            lo = lo.min(self.span.offset());
        }
        // Flow collections: extend to the closing bracket.
        let mut end = hi;
        if !self.span.is_empty() {
            let close = if matches!(self.value, Value::Seq(_)) {
                ']'
            } else {
                '}'
            };
            if let Some(i) = src[hi..].find(close)
                && src[hi..hi + i]
                    .trim()
                    .trim_end_matches(',')
                    .trim()
                    .is_empty()
            {
                end = hi + i + 1;
            }
        }
        self.span = Span::new(lo, end - lo);
    }

    /// The node as plain JSON, dropping spans.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.value {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Int(i) => J::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f)
                .map(J::Number)
                .unwrap_or(J::Null),
            Value::Str(s) => J::String(s.to_string()),
            Value::Seq(items) => J::Array(items.iter().map(Node::to_json).collect()),
            Value::Map(entries) => J::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.name.to_string(), v.to_json()))
                    .collect(),
            ),
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&[(Key, Node)]> {
        match &self.value {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    /// A short name of the node's kind, for messages.
    pub fn kind(&self) -> &'static str {
        match &self.value {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a number",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a sequence",
            Value::Map(_) => "a mapping",
        }
    }
}

/// Every key written again in the same mapping anywhere under `node`, with
/// the first one, in document order.
pub fn duplicate_keys(node: &Node) -> Vec<(&Key, &Key)> {
    fn walk<'n>(node: &'n Node, out: &mut Vec<(&'n Key, &'n Key)>) {
        match &node.value {
            Value::Map(entries) => {
                for (i, (k, v)) in entries.iter().enumerate() {
                    if let Some((first, _)) = entries[..i].iter().find(|(f, _)| f.name == k.name) {
                        out.push((first, k));
                    }
                    walk(v, out);
                }
            }
            Value::Seq(items) => items.iter().for_each(|n| walk(n, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(node, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(src: &str, span: Span) -> &str {
        &src[span.range()]
    }

    #[test]
    fn every_key_and_value_has_its_span() {
        let src =
            "name: x\nsteps:\n  - tool: a\n    args: {n: \"12\", m: 3, l: [1, 2]}\nk: |\n  block\n";
        let root = parse(src).unwrap();
        let top = root.as_map().unwrap();
        assert_eq!(text(src, top[0].0.span), "name");
        assert_eq!(text(src, top[0].1.span), "x");
        let Value::Seq(steps) = &top[1].1.value else {
            panic!()
        };
        let step = steps[0].as_map().unwrap();
        assert_eq!(
            text(src, steps[0].span),
            "tool: a\n    args: {n: \"12\", m: 3, l: [1, 2]}"
        );
        let args = &step[1].1;
        assert_eq!(text(src, args.span), "{n: \"12\", m: 3, l: [1, 2]}");
        let a = args.as_map().unwrap();
        // `n` is a key, not the YAML 1.1 boolean; the quoted 12 is a string.
        assert_eq!(a[0].0.name, "n");
        assert_eq!(a[0].1.value, Value::Str("12".into()));
        assert_eq!(text(src, a[0].1.span), "\"12\"");
        assert_eq!(a[1].1.value, Value::Int(3));
        assert_eq!(text(src, a[2].1.span), "[1, 2]");
        assert_eq!(top[2].1.value, Value::Str("block\n".into()));
    }

    #[test]
    fn yes_and_no_stay_strings() {
        let root = parse("a: yes\nb: no\nc: true\n").unwrap();
        let m = root.as_map().unwrap();
        assert_eq!(m[0].1.value, Value::Str("yes".into()));
        assert_eq!(m[1].1.value, Value::Str("no".into()));
        assert_eq!(m[2].1.value, Value::Bool(true));
    }

    #[test]
    fn duplicate_keys_are_kept_for_the_loader_to_report() {
        let root = parse("a: 1\na: 2\n").unwrap();
        assert_eq!(root.as_map().unwrap().len(), 2);
    }
}
