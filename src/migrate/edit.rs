//! Edits on a file's source text by byte range, so that every byte no rule
//! touches (comments, blank lines, quoting, key order, flow or block style)
//! stays as it was.

use std::collections::BTreeMap;
use std::ops::Range;

use crate::yaml::{Key, Node};

/// One replacement of a source range.
#[derive(Debug, Clone, PartialEq)]
pub struct Edit {
    pub range: Range<usize>,
    pub text: String,
}

/// Non-overlapping edits on one source text, in order of where they start.
///
/// No two start at the same byte (they would overlap, or be two insertions
/// at one point), so they are keyed by their start, and a new edit can only
/// clash with its two neighbours: migrating 20,000 steps checks each edit
/// against two others, not against all the edits made so far.
#[derive(Debug, Default, Clone)]
pub struct Edits {
    by_start: BTreeMap<usize, Edit>,
}

/// `src` with each range replaced by its text: the one splice of every
/// edit migrate makes, of a file or inside a string. The ranges come in
/// order and do not overlap.
pub fn splice<'a>(
    src: &str,
    edits: impl IntoIterator<Item = (&'a Range<usize>, &'a str)>,
) -> String {
    let mut out = String::with_capacity(src.len() + 64);
    let mut at = 0;
    for (range, text) in edits {
        out.push_str(&src[at..range.start]);
        out.push_str(text);
        at = range.end;
    }
    out.push_str(&src[at..]);
    out
}

/// Two rules wanted the same bytes: the caller leaves the unit untouched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Overlap;

/// Do two edits want the same bytes? Two insertions at the same point do
/// too (their order would be a guess), as does an insertion where a
/// replacement starts.
fn clash(a: &Range<usize>, b: &Range<usize>) -> bool {
    let touches = a.start < b.end && b.start < a.end;
    let same_point = a.start == b.start && (a.is_empty() || b.is_empty());
    touches || same_point
}

impl Edits {
    pub fn is_empty(&self) -> bool {
        self.by_start.is_empty()
    }

    pub fn len(&self) -> usize {
        self.by_start.len()
    }

    /// Would `range` clash with an edit already there? Only the last edit
    /// starting before it and the first starting at or after it can.
    fn clashes(&self, range: &Range<usize>) -> bool {
        let before = self.by_start.range(..range.start).next_back();
        let after = self.by_start.range(range.start..).next();
        before
            .into_iter()
            .chain(after)
            .any(|(_, e)| clash(&e.range, range))
    }

    /// Adds an edit unless it overlaps one already there.
    pub fn push(&mut self, range: Range<usize>, text: impl Into<String>) -> Result<(), Overlap> {
        if self.clashes(&range) {
            return Err(Overlap);
        }
        let text = text.into();
        self.by_start.insert(range.start, Edit { range, text });
        Ok(())
    }

    /// Adds all of `other`, or none of it. `other`'s edits do not overlap
    /// each other, so it is enough that none overlaps one here.
    pub fn push_all(&mut self, other: Edits) -> Result<(), Overlap> {
        if other.by_start.values().any(|e| self.clashes(&e.range)) {
            return Err(Overlap);
        }
        self.by_start.extend(other.by_start);
        Ok(())
    }

    /// The ranges edited, in order.
    pub fn ranges(&self) -> impl Iterator<Item = &Range<usize>> {
        self.by_start.values().map(|e| &e.range)
    }

    /// The text with every edit applied.
    pub fn apply(&self, src: &str) -> String {
        splice(
            src,
            self.by_start.values().map(|e| (&e.range, e.text.as_str())),
        )
    }

    /// Where an untouched byte offset of the old text lands in the new one.
    pub fn map_offset(&self, offset: usize) -> usize {
        let mut shift: isize = 0;
        for e in self.by_start.values() {
            if e.range.end <= offset {
                shift += e.text.len() as isize - e.range.len() as isize;
            }
        }
        (offset as isize + shift) as usize
    }

    /// Does any edit touch `r`?
    pub fn touches(&self, r: &Range<usize>) -> bool {
        self.ranges().any(|e| e.start < r.end && r.start < e.end)
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

    proptest::proptest! {
        /// Checking the two neighbours refuses exactly what checking every
        /// edit made so far refuses, one at a time or a batch at once.
        #[test]
        fn neighbours_refuse_what_all_would(
            ranges in proptest::collection::vec((0usize..30, 0usize..4), 0..40),
            batch in proptest::collection::vec((0usize..30, 0usize..4), 0..4),
        ) {
            let mut kept: Vec<Range<usize>> = Vec::new();
            let mut edits = Edits::default();
            for (start, len) in ranges {
                let r = start..start + len;
                let naive = kept.iter().any(|k| clash(k, &r));
                proptest::prop_assert_eq!(edits.push(r.clone(), "x").is_err(), naive);
                if !naive {
                    kept.push(r);
                }
            }
            let mut other = Edits::default();
            for (start, len) in batch {
                let _ = other.push(start..start + len, "y");
            }
            let naive = other.ranges().any(|r| kept.iter().any(|k| clash(k, r)));
            let before = edits.len();
            proptest::prop_assert_eq!(edits.push_all(other.clone()).is_err(), naive);
            let after = if naive { before } else { before + other.len() };
            proptest::prop_assert_eq!(edits.len(), after);
        }
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
