//! Writing a new scalar the way the author wrote the old one: a plain value
//! stays plain when YAML lets it, a quoted one keeps its quotes.

use std::ops::Range;

use crate::yaml::Node;

/// How a scalar was written in the source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Plain,
    Single,
    Double,
    /// `|` or `>`: rewritten values become double-quoted.
    Block,
}

/// The style of a scalar node.
pub fn style(src: &str, node: &Node) -> Style {
    match src[super::edit::node_range(src, node).start..]
        .chars()
        .next()
    {
        Some('"') => Style::Double,
        Some('\'') => Style::Single,
        Some('|') | Some('>') => Style::Block,
        _ => Style::Plain,
    }
}

/// `value` as YAML text in `style`, or double-quoted when that style cannot
/// hold it. `flow`: the scalar sits inside `{ }` or `[ ]`.
pub fn emit(value: &str, style: Style, flow: bool) -> String {
    match style {
        Style::Plain if plain_ok(value, flow) => value.to_owned(),
        Style::Single if !value.chars().any(char::is_control) => {
            format!("'{}'", value.replace('\'', "''"))
        }
        _ => double(value),
    }
}

/// A double-quoted YAML scalar.
pub fn double(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Can `s` be written unquoted and still read back as this same string?
/// Conservative: anything doubtful is quoted.
pub fn plain_ok(s: &str, flow: bool) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    if "-?:,[]{}#&*!|>'\"%@`".contains(first) || first.is_whitespace() {
        return false;
    }
    if s.ends_with(char::is_whitespace) || s.contains(": ") || s.contains(" #") {
        return false;
    }
    if s.ends_with(':') || s.chars().any(char::is_control) {
        return false;
    }
    if flow && s.contains([',', '[', ']', '{', '}']) {
        return false;
    }
    // Would it read back as something other than this string (a number, a
    // boolean, null)?
    let back = crate::yaml::parse(&format!("k: {s}"));
    matches!(&back, Ok(n) if n.as_map().and_then(|m| m.first()).and_then(|(_, v)| v.as_str()) == Some(s))
}

/// Where the text `decoded[r]` of a string scalar sits in the source, when
/// it can be edited in place (the source spells it out character for
/// character: no escapes, no line folding).
pub fn source_range(
    src: &str,
    node: &Node,
    decoded: &str,
    r: Range<usize>,
) -> Option<Range<usize>> {
    let raw = &src[node.span.range()];
    let (inner_start, inner) = match style(src, node) {
        Style::Single | Style::Double if raw.len() >= 2 => (1, &raw[1..raw.len() - 1]),
        // The parser's span of a block scalar is its content.
        Style::Plain | Style::Block => (0, raw),
        _ => return None,
    };
    (inner == decoded).then(|| {
        let o = node.span.offset() + inner_start;
        o + r.start..o + r.end
    })
}

/// Where `decoded[r]` of a string scalar sits in the source: spelled out
/// whole, else as its own token (through escapes and a block scalar's
/// indentation).
pub fn spelled_range(
    src: &str,
    node: &Node,
    decoded: &str,
    r: Range<usize>,
) -> Option<Range<usize>> {
    source_range(src, node, decoded, r.clone()).or_else(|| same_token(src, node, decoded, r))
}

/// Where `decoded[r]` of a string scalar can be replaced in the source
/// (so a block scalar keeps its layout): only where the source holds
/// exactly those bytes.
pub fn edit_range(src: &str, node: &Node, decoded: &str, r: Range<usize>) -> Option<Range<usize>> {
    let at = spelled_range(src, node, decoded, r.clone())?;
    (src.get(at.clone())? == decoded.get(r)?).then_some(at)
}

/// The source range of `text[r]` of a string scalar found as the same
/// whitespace-separated token of its raw text, where the source does not
/// spell the string out byte for byte (escapes elsewhere in it, a block
/// scalar's indentation, folded lines). Only when that token is spelled
/// exactly as decoded, so the range can be edited in place.
fn same_token(src: &str, node: &Node, text: &str, r: Range<usize>) -> Option<Range<usize>> {
    let tokens = |s: &str| -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        let mut start = None;
        for (i, c) in s.char_indices().chain([(s.len(), ' ')]) {
            match (c.is_whitespace(), start) {
                (false, None) => start = Some(i),
                (true, Some(b)) => {
                    out.push((b, i));
                    start = None;
                }
                _ => {}
            }
        }
        out
    };
    let decoded = tokens(text);
    let k = decoded
        .iter()
        .position(|&(b, e)| b <= r.start && r.start < e.max(b + 1))?;
    let (b, e) = decoded[k];
    let raw_range = node.span.range();
    let mut raw = &src[raw_range.clone()];
    let mut base = raw_range.start;
    let unescaped;
    if raw.starts_with('"') && raw.len() >= 2 {
        // Whitespace escapes become the same number of spaces, so offsets
        // stay those of the source.
        unescaped = (raw[1..raw.len() - 1]
            .replace("\\t", "  ")
            .replace("\\n", "  "))
        .replace("\\r", "  ")
        .replace("\\ ", "  ");
        raw = &unescaped;
        base += 1;
    } else if raw.starts_with('\'') && raw.len() >= 2 {
        raw = &raw[1..raw.len() - 1];
        base += 1;
    } else if raw.starts_with(['|', '>']) {
        let header = raw.find('\n').map_or(raw.len(), |n| n + 1);
        raw = &raw[header..];
        base += header;
    }
    let source = tokens(raw);
    let (sb, se) = *source.get(k)?;
    (source.len() == decoded.len() && raw[sb..se] == text[b..e])
        .then(|| base + sb + (r.start - b)..base + sb + (r.end.min(e) - b).max(r.start - b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_when_yaml_allows_it() {
        for ok in [
            "t1/s0",
            "t+",
            "rt0",
            "mt",
            "t{{ x }}/s0",
            "t1[33|1]",
            "loc:Verse",
        ] {
            assert!(plain_ok(ok, false), "{ok}");
        }
        for quoted in [
            "[loc:Verse]",
            "{{ x }}/s0",
            "true",
            "12",
            "null",
            "a: b",
            "",
            "x #y",
        ] {
            assert!(!plain_ok(quoted, false), "{quoted}");
        }
        assert!(!plain_ok("t1[33|1]", true));
        assert!(!plain_ok("t0/s0,t1/s0", true));
    }

    #[test]
    fn emit_keeps_the_style() {
        assert_eq!(emit("t1/s0", Style::Plain, true), "t1/s0");
        assert_eq!(emit("t1/s0", Style::Double, false), "\"t1/s0\"");
        assert_eq!(emit("it's", Style::Single, false), "'it''s'");
        assert_eq!(emit("{{ k }}/s0", Style::Plain, false), "\"{{ k }}/s0\"");
        assert_eq!(emit("a\"b", Style::Double, false), "\"a\\\"b\"");
    }
}
