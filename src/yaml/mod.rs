//! A YAML document as a tree of spanned nodes.
//!
//! serde-saphyr's parser reads the text; [`tree`] stacks its events into
//! nodes that keep *where* every key and value came from, so that any later
//! stage can point a diagnostic at the exact node, and [`scalar`] says what
//! each scalar means.

use std::fmt;

use compact_str::CompactString;

mod scalar;
mod tree;

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

/// Why a text is not one YAML document, and where.
#[derive(Debug, Clone, PartialEq)]
pub struct Error {
    pub message: String,
    /// The byte the problem is at, when the parser knows it.
    pub offset: Option<usize>,
}

impl Error {
    fn at(span: Span, message: impl Into<String>) -> Self {
        Error {
            message: message.into(),
            offset: Some(span.offset()),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

/// Parses one YAML document.
///
/// Duplicate keys are kept so that the loader can point at both
/// occurrences; aliases are capped so an alias bomb fails fast instead of
/// eating memory; only YAML 1.2 booleans are booleans (`no` stays a string).
pub fn parse(src: &str) -> Result<Node, Error> {
    tree::build(src)
}

impl Node {
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

    /// serde-saphyr, reading the same text into plain JSON, is the oracle
    /// for what every value means, anchors and merge keys included.
    #[test]
    fn values_are_what_serde_saphyr_makes_of_them() {
        let src = "a: 1\nb: -7\nc: 0x1F\nd: 1e3\ne: 017\nf: ~\ng:\nh: True\ni: no\nj: '12'\n\
                   k: !!str 12\nl: !!int '3'\nm: C3 1|1\nn: 1_000\no: 99999999999999999999\n\
                   base: &b {x: 1, y: [2, 3]}\np: {<<: *b, y: 4}\nq: {<<: [{z: 1}, {z: 2, w: 5}]}\n\
                   r: *b\ns: >\n  folded\n  text\nt: [0.5, -0.0, .5, +3]\n";
        let ours = parse(src).unwrap().to_json();
        let theirs: serde_json::Value = serde_saphyr::from_str_with_options(
            src,
            serde_saphyr::options! { strict_booleans: true },
        )
        .unwrap();
        assert_eq!(ours, theirs);
    }

    #[test]
    fn merge_keys_yield_to_written_keys_and_keep_their_place() {
        let root = parse("base: &b {x: 1, y: 2}\nm: {a: 0, <<: *b, y: 3}\n").unwrap();
        let m = root.as_map().unwrap()[1].1.as_map().unwrap();
        let names: Vec<&str> = m.iter().map(|(k, _)| k.name.as_str()).collect();
        assert_eq!(names, ["a", "x", "y"]);
        assert_eq!(m[2].1.value, Value::Int(3));
        let bad = parse("m: {<<: 3}\n").unwrap_err();
        assert!(bad.message.contains("`<<` merges a mapping"), "{bad}");
        assert_eq!(bad.offset, Some(8));
    }

    #[test]
    fn an_alias_is_a_copy_spanning_the_alias() {
        let src = "a: &x [1, 2]\nb: *x\n";
        let root = parse(src).unwrap();
        let b = &root.as_map().unwrap()[1].1;
        assert_eq!(text(src, b.span), "*x");
        assert_eq!(b.to_json(), serde_json::json!([1, 2]));
    }

    #[test]
    fn problems_are_placed() {
        fn at(src: &str) -> (Option<&str>, String) {
            let e = parse(src).unwrap_err();
            (e.offset.map(|o| &src[o..]), e.message)
        }
        let (place, why) = at("a: 1\n---\nb: 2\n");
        assert_eq!(place, Some("---\nb: 2\n"));
        assert!(why.contains("one YAML document"), "{why}");
        let (place, why) = at("a: .inf\n");
        assert_eq!(place, Some(".inf\n"));
        assert!(why.contains("non-finite"), "{why}");
        let (place, why) = at("? [k]\n: v\n");
        assert_eq!(place, Some("[k]\n: v\n"));
        assert!(why.contains("plain value"), "{why}");
        // Nesting deeper than the parser allows is an error, not a crash.
        let deep = format!("a: {}{}\n", "[".repeat(100_000), "]".repeat(100_000));
        assert!(
            parse(&deep)
                .unwrap_err()
                .message
                .contains("recursion limit")
        );
    }

    #[test]
    fn an_empty_text_is_null_and_a_key_is_its_text() {
        assert_eq!(parse("").unwrap().value, Value::Null);
        let root = parse("1: a\n~: b\n\"q\": c\n").unwrap();
        let names: Vec<&str> = root
            .as_map()
            .unwrap()
            .iter()
            .map(|(k, _)| k.name.as_str())
            .collect();
        assert_eq!(names, ["1", "~", "q"]);
    }
}
