//! Writing 2.x paths from 1.4 values: an index (`2`, `"{{ kick }}"`), a slot
//! list (`"0/1,{{ t }}/{{ s }}"`), arrangement positions and locators. A
//! value whose template shape does not show where each part is gives
//! [`Unshaped`], and the caller leaves the argument as it was.

use std::ops::Range;

use super::expr::{Piece, pieces};
use super::fields::{Prefix, StepCtx};
use super::flow::{Flow, Site, Write};
use crate::yaml::{Node, Value};

/// The value's template shape does not allow a safe rewrite; the text says
/// why, for the note.
#[derive(Debug, Clone, PartialEq)]
pub struct Unshaped(pub String);

/// Writes pieces of one string into 2.x paths, asking the flow how index
/// pieces read.
pub struct Writer<'a> {
    pub flow: &'a mut Flow,
    pub site: Site,
    pub ctx: &'a StepCtx,
}

impl Writer<'_> {
    /// An index given by a whole node: `2`, `"2"`, `"{{ e }}"`.
    pub fn index_node(
        &mut self,
        node: &Node,
        text: Option<&str>,
        prefix: Prefix,
    ) -> Result<String, Unshaped> {
        match (&node.value, text) {
            (Value::Int(n), _) if *n >= 0 => Ok(format!("{}{n}", prefix.as_str())),
            (Value::Str(_), Some(s)) => self.index(s, 0..s.len(), prefix),
            _ => Err(Unshaped(format!(
                "`{}` is not an index 2.x can put in a path",
                node.to_json()
            ))),
        }
    }

    /// The index written in `s[r]`: digits, or exactly one `{{ }}`.
    pub fn index(&mut self, s: &str, r: Range<usize>, prefix: Prefix) -> Result<String, Unshaped> {
        let part = &s[r.clone()];
        let trimmed = part.trim();
        if !trimmed.is_empty() && trimmed.bytes().all(|b| b.is_ascii_digit()) {
            return Ok(format!("{}{trimmed}", prefix.as_str()));
        }
        let lead = part.len() - part.trim_start().len();
        let body = r.start + lead..r.start + lead + trimmed.len();
        let ps = pieces(&s[body.clone()]);
        match ps.as_slice() {
            [Piece::Expr { whole, inner }] => {
                let shift = |x: &Range<usize>| x.start + body.start..x.end + body.start;
                let (whole, inner) = (shift(whole), shift(inner));
                Ok(
                    match self.flow.index_piece(
                        &self.site,
                        s,
                        whole.clone(),
                        inner,
                        prefix,
                        self.ctx,
                    ) {
                        Write::Prefixed => format!("{}{}", prefix.as_str(), &s[whole]),
                        Write::Bare(t) => t,
                        Write::Unknown(why) => return Err(Unshaped(why)),
                    },
                )
            }
            _ => Err(Unshaped(format!(
                "`{trimmed}` is not one index: it needs to be a number or a single `{{{{ }}}}`"
            ))),
        }
    }

    /// `"1/0"`, `"{{ t }}/{{ s }}"`, comma-separated: `t1/s0,...`.
    pub fn slots(&mut self, s: &str) -> Result<String, Unshaped> {
        let mut out = Vec::new();
        for part in split_top(s, ',')? {
            let halves = split_top_range(s, part.clone(), '/')?;
            let [track, scene] = halves.as_slice() else {
                return Err(Unshaped(format!(
                    "`{}` is not one `track/scene` slot",
                    s[part].trim()
                )));
            };
            let t = self.index(s, track.clone(), Prefix::Track)?;
            let sc = self.index(s, scene.clone(), Prefix::Scene)?;
            out.push(format!("{t}/{sc}"));
        }
        Ok(out.join(","))
    }
}

/// Arrangement positions (`"33|1,37|1"`, `"{{ bar }}|1"`), each trimmed. A
/// position must show its `|` outside any template, or one `{{ }}` could
/// hold several positions.
pub fn positions(s: &str) -> Result<Vec<String>, Unshaped> {
    let mut out = Vec::new();
    for r in split_top(s, ',')? {
        let p = s[r.clone()].trim();
        let shows_bar = pieces(p)
            .iter()
            .any(|x| matches!(x, Piece::Text(t) if p[t.clone()].contains('|')));
        if p.is_empty() || !shows_bar {
            return Err(Unshaped(format!(
                "`{p}` does not show one bar|beat position"
            )));
        }
        out.push(p.to_owned());
    }
    Ok(out)
}

/// Locator names or ids, comma-separated; a template stands for one name.
pub fn locators(s: &str) -> Result<Vec<String>, Unshaped> {
    let parts = split_top(s, ',')?;
    let names: Vec<String> = parts
        .iter()
        .map(|r| s[r.clone()].trim().to_owned())
        .collect();
    if names.iter().any(String::is_empty) {
        return Err(Unshaped(format!("`{s}` has an empty locator name")));
    }
    Ok(names)
}

fn split_top(s: &str, sep: char) -> Result<Vec<Range<usize>>, Unshaped> {
    split_top_range(s, 0..s.len(), sep)
}

/// Splits `s[r]` at `sep` outside template tags. `{% %}` makes the shape
/// unknowable.
fn split_top_range(s: &str, r: Range<usize>, sep: char) -> Result<Vec<Range<usize>>, Unshaped> {
    let mut out = Vec::new();
    let mut start = r.start;
    for p in pieces(&s[r.clone()]) {
        match p {
            Piece::Text(t) => {
                for (i, c) in s[r.start + t.start..r.start + t.end].char_indices() {
                    if c == sep {
                        let at = r.start + t.start + i;
                        out.push(start..at);
                        start = at + 1;
                    }
                }
            }
            Piece::Stmt { .. } => {
                return Err(Unshaped(
                    "a `{% %}` block hides the value's shape".to_owned(),
                ));
            }
            _ => {}
        }
    }
    out.push(start..r.end);
    Ok(out)
}

/// In a 1.4 `path` value, every `t{{ e }}` / `rt{{ e }}` / `s{{ e }}` segment
/// whose piece the flow now writes bare loses its letters. `None`: nothing
/// changes.
pub fn reprefix(w: &mut Writer, s: &str) -> Option<String> {
    let ps = pieces(s);
    let mut out = String::new();
    let mut changed = false;
    for (i, p) in ps.iter().enumerate() {
        let Piece::Expr { whole, inner } = p else {
            out.push_str(&s[p.whole()]);
            continue;
        };
        let before = if i > 0 { &s[ps[i - 1].whole()] } else { "" };
        let prefix = [Prefix::Return, Prefix::Track, Prefix::Scene]
            .into_iter()
            .find(|x| {
                before
                    .strip_suffix(x.as_str())
                    .is_some_and(|rest| rest.is_empty() && i == 1 || rest.ends_with(['/', ',']))
            });
        let Some(prefix) = prefix else {
            out.push_str(&s[whole.clone()]);
            continue;
        };
        match w
            .flow
            .index_piece(&w.site, s, whole.clone(), inner.clone(), prefix, w.ctx)
        {
            Write::Bare(t) => {
                out.truncate(out.len() - prefix.as_str().len());
                out.push_str(&t);
                changed = true;
            }
            Write::Prefixed | Write::Unknown(_) => out.push_str(&s[whole.clone()]),
        }
    }
    changed.then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::SourceFile;

    fn writer(flow: &mut Flow) -> Writer<'_> {
        static CTX: std::sync::OnceLock<StepCtx> = std::sync::OnceLock::new();
        Writer {
            flow,
            site: Site {
                file: SourceFile::new("x.yaml", String::new()),
                node: 0,
            },
            ctx: CTX.get_or_init(StepCtx::default),
        }
    }

    #[test]
    fn slots_literal_and_templated() {
        let mut f = Flow::default();
        let mut w = writer(&mut f);
        assert_eq!(w.slots("1/0").unwrap(), "t1/s0");
        assert_eq!(w.slots("0/0, 2/3").unwrap(), "t0/s0,t2/s3");
        assert_eq!(w.slots("{{ t }}/{{ s }}").unwrap(), "t{{ t }}/s{{ s }}");
        assert_eq!(
            w.slots("{{ i // (n | length) }}/{{ i % 2 }}").unwrap(),
            "t{{ i // (n | length) }}/s{{ i % 2 }}"
        );
        assert!(w.slots("{{ slot }}").is_err());
        assert!(w.slots("{{ a }}{{ b }}/0").is_err());
        assert!(w.slots("{% if a %}1{% endif %}/0").is_err());
    }

    #[test]
    fn positions_must_show_their_bar() {
        assert_eq!(positions("33|1, 37|1").unwrap(), ["33|1", "37|1"]);
        assert_eq!(positions("{{ b }}|1").unwrap(), ["{{ b }}|1"]);
        assert!(positions("{{ where }}").is_err());
        assert_eq!(locators("Verse,{{ l }}").unwrap(), ["Verse", "{{ l }}"]);
    }
}
