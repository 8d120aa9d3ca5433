//! A literal `notes` argument of a clip tool read at check time with the
//! catalog's generation of Producer Pal's notation, so a string Producer Pal
//! would refuse is refused before anything is sent, at its token.

use std::sync::Arc;

use crate::diagnostic::Diagnostic;
use crate::notation::{self, Meter};
use crate::protocol::Generation;
use crate::source::SourceFile;
use crate::yaml::{Key, Node, Span};

/// The tools whose `notes` is a bar|beat string.
const CLIP_TOOLS: [&str; 2] = ["ppal-create-clip", "ppal-update-clip"];

/// Errors and warnings for the `notes` entry of a clip tool's literal args.
/// The meter is a literal `timeSignature` beside it, else 4/4 (the song's
/// meter is known only at run time; only repeat steps written in bars
/// depend on it).
pub fn check(
    file: &Arc<SourceFile>,
    tool: &str,
    entries: &[(Key, Node)],
    generation: Generation,
) -> Vec<Diagnostic> {
    if !CLIP_TOOLS.contains(&tool) {
        return Vec::new();
    }
    let literal = |name: &str| {
        (entries.iter())
            .find(|(k, _)| k.name == name)
            .and_then(|(_, n)| n.as_str().map(|s| (n, s)))
            .filter(|(_, s)| !crate::template::is_template(s))
    };
    let Some((node, text)) = literal("notes") else {
        return Vec::new();
    };
    let meter = literal("timeSignature")
        .and_then(|(_, ts)| Meter::parse(ts).ok())
        .unwrap_or_default();
    let label = generation.label();
    let at = |r: std::ops::Range<usize>| place(file, node, text, r);
    match notation::interpret(text, generation, meter) {
        Err(e) => vec![
            Diagnostic::error(
                "pplay::notes",
                format!(
                    "`notes` is not a notes string {label} accepts: {}",
                    e.message
                ),
            )
            .in_file(file)
            .label(
                at(token(text, e.span.clone())),
                format!("{} error here", e.kind.as_str()),
            )
            .help(e.help(text)),
        ],
        Ok(read) => (read.warnings.into_iter())
            .map(|w| {
                let span = w.span.map_or(node.span, at);
                Diagnostic::warning(
                    "pplay::notes-warning",
                    format!("{label} warns: {}", w.message),
                )
                .in_file(file)
                .label(span, "here")
                .help("Producer Pal sends the call anyway; the result carries this warning")
            })
            .collect(),
    }
}

/// A syntax error's one character widened to the rest of its token, so the
/// label underlines `H2` rather than `H`.
fn token(text: &str, r: std::ops::Range<usize>) -> std::ops::Range<usize> {
    let rest = &text[r.start..];
    let len = rest.find(char::is_whitespace).unwrap_or(rest.len());
    r.start..(r.start + len).max(r.end)
}

/// The playbook span of `text[r]`: exact where the scalar spells its text
/// out as written; else, through escapes, indentation and folding, the same
/// token of the source (notes tokens are whitespace-separated, and YAML
/// changes only the whitespace between them); else the whole scalar.
fn place(file: &SourceFile, node: &Node, text: &str, r: std::ops::Range<usize>) -> Span {
    let src = file.text();
    let r = r.start.min(text.len())..r.end.min(text.len()).max(r.start.min(text.len()));
    if let Some(s) = crate::migrate::scalar::source_range(src, node, text, r.clone()) {
        return Span::new(s.start, s.end - s.start);
    }
    same_token(src, node, text, r).map_or(node.span, |s| Span::new(s.start, s.end - s.start))
}

/// The source range of `text[r]` found as the same token of the raw scalar.
fn same_token(
    src: &str,
    node: &Node,
    text: &str,
    r: std::ops::Range<usize>,
) -> Option<std::ops::Range<usize>> {
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
