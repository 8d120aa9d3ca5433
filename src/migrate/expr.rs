//! Just enough lexing of templates and expressions to find where they read a
//! name or a result field, with byte ranges, so a rule can rewrite one
//! attribute without touching the rest of the text.
//!
//! MiniJinja does not expose its syntax tree, and migration needs no more than
//! the dotted chains (`steps.kick.result.trackIndex`) an expression reads.

use std::ops::Range;

/// One part of a template string.
#[derive(Debug, Clone, PartialEq)]
pub enum Piece {
    /// Literal text.
    Text(Range<usize>),
    /// `{{ ... }}`: `inner` is the text between the braces.
    Expr {
        whole: Range<usize>,
        inner: Range<usize>,
    },
    /// `{% ... %}`: a statement, read for names but never reshaped.
    Stmt {
        whole: Range<usize>,
        inner: Range<usize>,
    },
    /// `{# ... #}`.
    Comment(Range<usize>),
}

impl Piece {
    pub fn whole(&self) -> Range<usize> {
        match self {
            Piece::Text(r) | Piece::Comment(r) => r.clone(),
            Piece::Expr { whole, .. } | Piece::Stmt { whole, .. } => whole.clone(),
        }
    }
}

/// Splits a template string into text and tags. An unclosed tag is text (the
/// loader's check reports it; migration leaves it alone).
pub fn pieces(s: &str) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut text_start = 0;
    let mut i = 0;
    while let Some(rel) = s[i..].find('{') {
        let at = i + rel;
        let close = match s[at + 1..].chars().next() {
            Some('{') => "}}",
            Some('%') => "%}",
            Some('#') => "#}",
            _ => {
                i = at + 1;
                continue;
            }
        };
        let Some(end_rel) = s[at + 2..].find(close) else {
            break;
        };
        let end = at + 2 + end_rel + 2;
        if text_start < at {
            out.push(Piece::Text(text_start..at));
        }
        let inner = at + 2..end - 2;
        out.push(match close {
            "}}" => Piece::Expr {
                whole: at..end,
                inner,
            },
            "%}" => Piece::Stmt {
                whole: at..end,
                inner,
            },
            _ => Piece::Comment(at..end),
        });
        text_start = end;
        i = end;
    }
    if text_start < s.len() {
        out.push(Piece::Text(text_start..s.len()));
    }
    out
}

/// One step of a chain after its root.
#[derive(Debug, Clone, PartialEq)]
pub enum Seg {
    /// `.name` or `["name"]`; `range` covers the name itself.
    Attr { name: String, range: Range<usize> },
    /// `[ expression ]` with anything but a string literal inside.
    Index,
}

/// A dotted read such as `steps.kick.result.trackIndex`, with offsets into
/// the string that was lexed.
#[derive(Debug, Clone, PartialEq)]
pub struct Chain {
    pub root: String,
    pub segs: Vec<Seg>,
    pub range: Range<usize>,
}

impl Chain {
    /// The attribute names, in order (indexes skipped).
    pub fn attrs(&self) -> impl Iterator<Item = (&str, &Range<usize>)> {
        self.segs.iter().filter_map(|s| match s {
            Seg::Attr { name, range } => Some((name.as_str(), range)),
            Seg::Index => None,
        })
    }

    /// The segments after the first `result` attribute (or after the root
    /// when the root is `result`), for reading result fields.
    pub fn after_result(&self) -> Option<&[Seg]> {
        if self.root == "result" {
            return Some(&self.segs);
        }
        let i = self
            .segs
            .iter()
            .position(|s| matches!(s, Seg::Attr { name, .. } if name == "result"))?;
        Some(&self.segs[i + 1..])
    }
}

fn is_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_'
}

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// Every chain in an expression, including those inside brackets and call
/// arguments; string literals are skipped. Offsets are relative to `base`
/// added to positions in `expr`.
pub fn chains(expr: &str, base: usize) -> Vec<Chain> {
    let mut out = Vec::new();
    lex(expr.as_bytes(), 0, expr.len(), base, &mut out);
    out
}

fn lex(b: &[u8], mut i: usize, end: usize, base: usize, out: &mut Vec<Chain>) {
    let mut after_dot = false;
    while i < end {
        let c = b[i];
        if c == b'"' || c == b'\'' {
            i = skip_string(b, i, end);
            after_dot = false;
        } else if is_ident_start(c) {
            let start = i;
            while i < end && is_ident(b[i]) {
                i += 1;
            }
            if after_dot {
                after_dot = false;
                continue;
            }
            let root = String::from_utf8_lossy(&b[start..i]).into_owned();
            let mut chain = Chain {
                root,
                segs: Vec::new(),
                range: base + start..base + i,
            };
            i = segments(b, i, end, base, &mut chain, out);
            out.push(chain);
        } else if c.is_ascii_digit() {
            while i < end && (is_ident(b[i]) || b[i] == b'.') {
                i += 1;
            }
        } else {
            after_dot = c == b'.';
            i += 1;
        }
    }
}

/// Reads `.name`, `["name"]` and `[expr]` after a root; returns where the
/// chain ends.
fn segments(
    b: &[u8],
    mut i: usize,
    end: usize,
    base: usize,
    chain: &mut Chain,
    out: &mut Vec<Chain>,
) -> usize {
    loop {
        let j = skip_ws(b, i, end);
        if j < end && b[j] == b'.' {
            let k = skip_ws(b, j + 1, end);
            let start = k;
            let mut e = k;
            while e < end && is_ident(b[e]) {
                e += 1;
            }
            if e == start || !is_ident_start(b[start]) {
                return i;
            }
            chain.segs.push(Seg::Attr {
                name: String::from_utf8_lossy(&b[start..e]).into_owned(),
                range: base + start..base + e,
            });
            i = e;
        } else if j < end && b[j] == b'[' {
            let Some(close) = matching(b, j, end) else {
                return i;
            };
            let k = skip_ws(b, j + 1, close);
            let lit_end = if k < close && (b[k] == b'"' || b[k] == b'\'') {
                Some(skip_string(b, k, close))
            } else {
                None
            };
            match lit_end {
                Some(le) if skip_ws(b, le, close) == close && le >= k + 2 => {
                    chain.segs.push(Seg::Attr {
                        name: String::from_utf8_lossy(&b[k + 1..le - 1]).into_owned(),
                        range: base + k + 1..base + le - 1,
                    });
                }
                _ => {
                    lex(b, j + 1, close, base, out);
                    chain.segs.push(Seg::Index);
                }
            }
            i = close + 1;
        } else {
            chain.range.end = base + i;
            return i;
        }
        chain.range.end = base + i;
    }
}

fn skip_ws(b: &[u8], mut i: usize, end: usize) -> usize {
    while i < end && b[i].is_ascii_whitespace() {
        i += 1;
    }
    i
}

/// The end of a string literal starting at `i` (one past its closing quote).
fn skip_string(b: &[u8], i: usize, end: usize) -> usize {
    let q = b[i];
    let mut j = i + 1;
    while j < end {
        if b[j] == b'\\' {
            j += 2;
            continue;
        }
        if b[j] == q {
            return j + 1;
        }
        j += 1;
    }
    end
}

/// The `]` matching the `[` at `open`.
fn matching(b: &[u8], open: usize, end: usize) -> Option<usize> {
    let mut depth = 0;
    let mut i = open;
    while i < end {
        match b[i] {
            b'"' | b'\'' => {
                i = skip_string(b, i, end);
                continue;
            }
            b'[' => depth += 1,
            b']' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// When `inner` (the text of a `{{ }}` or a bare expression) is one chain and
/// nothing else, that chain.
pub fn sole_chain(s: &str, inner: Range<usize>) -> Option<Chain> {
    let text = &s[inner.clone()];
    let lead = text.len() - text.trim_start().len();
    let body = text.trim();
    let mut found = chains(body, inner.start + lead);
    if found.len() != 1 {
        return None;
    }
    let c = found.pop()?;
    (c.range.start == inner.start + lead && c.range.end == inner.start + lead + body.len())
        .then_some(c)
}

/// The expression part of an expression-valued string (`when`, `expect`,
/// `capture`, a string `loop`): the whole string, or the inside of the one
/// `{{ }}` around it.
pub fn expression_range(s: &str) -> Range<usize> {
    let inner = crate::template::expression_source(s);
    let start = inner.as_ptr() as usize - s.as_ptr() as usize;
    start..start + inner.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(c: &Chain) -> Vec<&str> {
        c.attrs().map(|(n, _)| n).collect()
    }

    #[test]
    fn pieces_split_text_and_tags() {
        let s = "t{{ a }}/s{% if x %}1{% endif %}{# c #}";
        let p = pieces(s);
        assert_eq!(p[0], Piece::Text(0..1));
        assert_eq!(
            p[1],
            Piece::Expr {
                whole: 1..8,
                inner: 3..6
            }
        );
        assert_eq!(p[2], Piece::Text(8..10));
        assert!(matches!(p[3], Piece::Stmt { .. }));
        assert!(matches!(p.last(), Some(Piece::Comment(_))));
        // An unclosed tag stays text.
        assert_eq!(pieces("a {{ b"), vec![Piece::Text(0..6)]);
    }

    #[test]
    fn chains_with_ranges_brackets_and_strings() {
        let e = "steps.tracks[loop.index0].result['trackIndex'] + x.y == 'result.z'";
        let cs = chains(e, 0);
        let roots: Vec<&str> = cs.iter().map(|c| c.root.as_str()).collect();
        assert_eq!(roots, ["loop", "steps", "x"]);
        let steps = &cs[1];
        assert_eq!(names(steps), ["tracks", "result", "trackIndex"]);
        let (_, r) = steps.attrs().last().unwrap();
        assert_eq!(&e[r.clone()], "trackIndex");
        assert_eq!(
            &e[steps.range.clone()],
            "steps.tracks[loop.index0].result['trackIndex']"
        );
        assert!(steps.after_result().is_some());
    }

    #[test]
    fn sole_chain_only_for_a_bare_read() {
        let s = "{{ steps.k.result.trackIndex }}";
        let c = sole_chain(s, 2..s.len() - 2).unwrap();
        assert_eq!(c.root, "steps");
        assert!(sole_chain("{{ a + 1 }}", 2..9).is_none());
        assert!(sole_chain("{{ a | int }}", 2..11).is_none());
        let r = expression_range("{{ result.trackIndex }}");
        assert_eq!(&"{{ result.trackIndex }}"[r], "result.trackIndex");
    }
}
