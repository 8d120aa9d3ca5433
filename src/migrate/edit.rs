//! Edits on a file's source text by byte range, so that every byte no rule
//! touches (comments, blank lines, quoting, key order, flow or block style)
//! stays as it was.

use std::ops::Range;

use crate::yaml::{Key, Node};

/// One replacement of a source range.
#[derive(Debug, Clone, PartialEq)]
pub struct Edit {
    pub range: Range<usize>,
    pub text: String,
}

/// Non-overlapping edits on one source text.
#[derive(Debug, Default, Clone)]
pub struct Edits {
    list: Vec<Edit>,
}

/// Two rules wanted the same bytes: the caller leaves the unit untouched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Overlap;

impl Edits {
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// Adds an edit unless it overlaps one already there. Two insertions at
    /// the same point overlap too (their order would be a guess).
    pub fn push(&mut self, range: Range<usize>, text: impl Into<String>) -> Result<(), Overlap> {
        let clash = self.list.iter().any(|e| {
            let touches = range.start < e.range.end && e.range.start < range.end;
            let same_point =
                range.start == e.range.start && (range.is_empty() || e.range.is_empty());
            touches || same_point
        });
        if clash {
            return Err(Overlap);
        }
        self.list.push(Edit {
            range,
            text: text.into(),
        });
        Ok(())
    }

    /// Adds all of `other`, or none of it.
    pub fn push_all(&mut self, other: Edits) -> Result<(), Overlap> {
        let saved = self.list.len();
        for e in other.list {
            if self.push(e.range, e.text).is_err() {
                self.list.truncate(saved);
                return Err(Overlap);
            }
        }
        Ok(())
    }

    /// The text with every edit applied.
    pub fn apply(&self, src: &str) -> String {
        let mut sorted: Vec<&Edit> = self.list.iter().collect();
        sorted.sort_by_key(|e| (e.range.start, e.range.end));
        let mut out = String::with_capacity(src.len() + 64);
        let mut at = 0;
        for e in sorted {
            out.push_str(&src[at..e.range.start]);
            out.push_str(&e.text);
            at = e.range.end;
        }
        out.push_str(&src[at..]);
        out
    }

    /// Where an untouched byte offset of the old text lands in the new one.
    pub fn map_offset(&self, offset: usize) -> usize {
        let mut shift: isize = 0;
        for e in &self.list {
            if e.range.end <= offset {
                shift += e.text.len() as isize - e.range.len() as isize;
            }
        }
        (offset as isize + shift) as usize
    }

    /// Does any edit touch `r`?
    pub fn touches(&self, r: &Range<usize>) -> bool {
        self.list
            .iter()
            .any(|e| e.range.start < r.end && r.start < e.range.end)
    }
}

/// Is the mapping written in flow style (`{ a: 1 }`)?
pub fn is_flow(src: &str, map: &Node) -> bool {
    src[map.span.offset()..].starts_with('{')
}

/// The end of an entry's text: its value, or its key when the value is empty.
pub fn entry_end(src: &str, k: &Key, v: &Node) -> usize {
    k.span.end().max(node_end(src, v))
}

/// The source range of a node's own text. The parser's span of a block
/// scalar (`|`, `>`) starts at its first content line and runs on over the
/// line breaks after it; here it starts at its header and ends with its
/// last character, so that an edit replaces the whole scalar, a label stops
/// there, and the blank lines and comments after it stay.
pub fn node_range(src: &str, n: &Node) -> Range<usize> {
    let (start, end) = (n.span.offset(), n.span.end());
    match block_header(src, start) {
        Some(h) => h..start + src[start..end].trim_end().len(),
        None => start..end,
    }
}

/// Where a node's own text ends (see [`node_range`]).
pub fn node_end(src: &str, n: &Node) -> usize {
    node_range(src, n).end
}

/// The offset of the `|` or `>` header of the block scalar whose content
/// starts at `start`: content begins a line, and the last non-blank line
/// before it ends with the header (indicators and a comment allowed).
fn block_header(src: &str, start: usize) -> Option<usize> {
    let line_start = src[..start].rfind('\n')?;
    if !src[line_start + 1..start].trim().is_empty() {
        return None;
    }
    let mut end = line_start;
    loop {
        let from = src[..end].rfind('\n').map_or(0, |p| p + 1);
        let line = &src[from..end];
        if line.trim().is_empty() && from > 0 {
            end = from - 1;
            continue;
        }
        let code = line.find(" #").map_or(line, |i| &line[..i]).trim_end();
        let at = code.rfind(['|', '>'])?;
        let indicators = code[at + 1..]
            .chars()
            .all(|c| matches!(c, '+' | '-' | '1'..='9'));
        return (indicators && code[..at].ends_with(' ')).then_some(from + at);
    }
}

/// The edit that removes entry `i` of `map`, keeping any comment that shared
/// its line (as a comment line at the same indentation).
pub fn remove_entry(src: &str, map: &Node, i: usize) -> Option<Edit> {
    let entries = map.as_map()?;
    let (k, v) = entries.get(i)?;
    let start = k.span.offset();
    let end = entry_end(src, k, v);
    if is_flow(src, map) {
        let range = if let Some((next, _)) = entries.get(i + 1) {
            start..next.span.offset()
        } else if i > 0 {
            let (pk, pv) = &entries[i - 1];
            entry_end(src, pk, pv)..end
        } else {
            start..end
        };
        return Some(Edit {
            range,
            text: String::new(),
        });
    }
    let line_start = src[..start].rfind('\n').map_or(0, |p| p + 1);
    if !src[line_start..start].trim().is_empty() {
        return None;
    }
    let line_end = src[end..].find('\n').map_or(src.len(), |p| end + p + 1);
    let rest = src[end..line_end].trim();
    if rest.starts_with('#') {
        let comment_at = end + src[end..].find('#')?;
        return Some(Edit {
            range: start..comment_at,
            text: String::new(),
        });
    }
    if !rest.is_empty() {
        return None;
    }
    Some(Edit {
        range: line_start..line_end,
        text: String::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::parse;

    fn args(src: &str) -> Node {
        parse(src).unwrap().as_map().unwrap()[0].1.clone()
    }

    fn without(src: &str, i: usize) -> String {
        let a = args(src);
        let e = remove_entry(src, &a, i).unwrap();
        let mut ed = Edits::default();
        ed.push(e.range, e.text).unwrap();
        ed.apply(src)
    }

    #[test]
    fn removing_flow_entries_keeps_the_rest() {
        let src = "args: { a: 1, b: \"2\", c: 3 }\n";
        assert_eq!(without(src, 1), "args: { a: 1, c: 3 }\n");
        assert_eq!(without(src, 2), "args: { a: 1, b: \"2\" }\n");
        assert_eq!(without(src, 0), "args: { b: \"2\", c: 3 }\n");
    }

    #[test]
    fn removing_block_entries_keeps_comments() {
        let src = "args:\n  a: 1\n  b: 2   # why b\n  c: 3\n";
        assert_eq!(without(src, 0), "args:\n  b: 2   # why b\n  c: 3\n");
        assert_eq!(without(src, 1), "args:\n  a: 1\n  # why b\n  c: 3\n");
        assert_eq!(without(src, 2), "args:\n  a: 1\n  b: 2   # why b\n");
    }

    #[test]
    fn overlapping_edits_are_refused_and_offsets_map() {
        let mut e = Edits::default();
        e.push(2..4, "xyz").unwrap();
        assert_eq!(e.push(3..5, ""), Err(Overlap));
        e.push(6..6, "!").unwrap();
        assert_eq!(e.push(6..6, "?"), Err(Overlap));
        assert_eq!(e.apply("0123456789"), "01xyz45!6789");
        assert_eq!(e.map_offset(5), 6);
        assert_eq!(e.map_offset(6), 8);
        assert_eq!(e.map_offset(0), 0);
    }
}

#[cfg(test)]
mod block_tests {
    use super::*;
    use crate::yaml::parse;

    fn ranges(src: &str) -> Vec<&str> {
        let doc = parse(src).unwrap();
        let args = &doc.as_map().unwrap()[0].1;
        (args.as_map().unwrap().iter())
            .map(|(_, v)| &src[node_range(src, v)])
            .collect()
    }

    #[test]
    fn a_block_scalar_runs_from_its_header_to_its_last_character() {
        let src = "args:\n  p: |  # lines\n    a=1\n\n    b=2\n\n  # after\n  x: >-\n\n    folded\n  y: \"|\"\n";
        assert_eq!(
            ranges(src),
            [
                "|  # lines\n    a=1\n\n    b=2",
                ">-\n\n    folded",
                "\"|\""
            ]
        );
    }
}
