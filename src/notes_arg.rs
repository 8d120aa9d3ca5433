//! A literal `notes` argument of a clip tool read at check time with the
//! catalog's generation of Producer Pal's notation, so a string Producer Pal
//! would refuse is refused before anything is sent, at its token.

use std::sync::Arc;

use crate::diagnostic::Diagnostic;
use crate::notation::{self, Meter};
use crate::protocol::{Generation, Notation};
use crate::source::SourceFile;
use crate::template::Compiled;
use crate::yaml::{Key, Node, Span};

/// The tools whose `notes` is a bar|beat string.
const CLIP_TOOLS: [&str; 2] = ["ppal-create-clip", "ppal-update-clip"];

/// Errors and warnings for the `notes` entry of a clip tool's literal args,
/// read in the request's `notation`. The meter is a literal
/// `timeSignature` beside it, else 4/4 (the song's meter is known only at
/// run time; only repeat steps written in bars depend on it).
pub fn check(
    file: &Arc<SourceFile>,
    tool: &str,
    entries: &[(Key, Node)],
    generation: Generation,
    notation: Notation,
    clean: &mut Clean,
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
    let meter = literal("timeSignature").map(|(_, ts)| ts);
    let label = generation.label();
    let at = |r: std::ops::Range<usize>| place(file, node, text, r);
    match clean.read(text, meter, generation, notation) {
        Err(p) => {
            let span = at(p.span.clone());
            vec![refused(file, p, span, generation)]
        }
        Ok(warnings) => (warnings.into_iter())
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

/// The error for a notes string Producer Pal would refuse, at `span`.
fn refused(file: &Arc<SourceFile>, p: Problem, span: Span, generation: Generation) -> Diagnostic {
    Diagnostic::error(
        "pplay::notes",
        format!(
            "`notes` is not {} {} accepts: {}",
            p.what,
            generation.label(),
            p.message
        ),
    )
    .in_file(file)
    .label(span, p.label)
    .help(p.help)
}

/// A notes string given on its own (`pplay notes`): the notes Producer Pal
/// of `generation` reads in `meter`, or the error the check gives for it,
/// located in the string.
pub fn standalone(
    text: &str,
    meter: Meter,
    generation: Generation,
) -> Result<notation::Interpretation, Diagnostic> {
    let file = SourceFile::new("notes", text.to_owned());
    let ts = meter.to_string();
    if let Err(p) = read(text, Some(&ts), generation, Notation::Barbeat) {
        let span = Span::new(p.span.start, p.span.len());
        return Err(refused(&file, p, span, generation));
    }
    notation::interpret(text, generation, meter).map_err(|e| {
        Diagnostic::error("pplay::notes", e.message)
            .in_file(&file)
            .label(Span::new(e.span.start, e.span.len()), "here")
    })
}

/// Why a notes string would be refused, in terms of the string itself.
pub struct Problem {
    /// What the string should have been (`a notes string`).
    what: &'static str,
    message: String,
    /// The offending token, in the string.
    span: std::ops::Range<usize>,
    label: String,
    help: String,
}

/// Reads `text` as Producer Pal reads the `notes` of a clip in the meter
/// `time_signature` (4/4 when absent or unreadable) under `notation`: its
/// warnings, or why it is refused. A stark string is not read (one warning
/// for the playbook says so).
pub fn read(
    text: &str,
    time_signature: Option<&str>,
    generation: Generation,
    notation: Notation,
) -> Result<Vec<notation::Warning>, Problem> {
    match notation {
        Notation::Stark => Ok(Vec::new()),
        Notation::MidiJson => {
            (notation::midi_json::check(text).map(|()| Vec::new())).map_err(|e| Problem {
                what: "a midi-json note list",
                message: e.message,
                span: e.span,
                label: "here".to_owned(),
                help: e.help,
            })
        }
        Notation::Barbeat => {
            let meter = time_signature
                .and_then(|ts| Meter::parse(ts).ok())
                .unwrap_or_default();
            match notation::interpret(text, generation, meter) {
                Ok(read) => Ok(read.warnings),
                Err(e) => Err(Problem {
                    what: "a notes string",
                    span: token(text, e.span.clone()),
                    label: format!("{} error here", e.kind.as_str()),
                    help: e.help(text),
                    message: e.message,
                }),
            }
        }
    }
}

/// The notes strings one check has read and found clean (accepted with no
/// warning), by meter text: a batch of steps that write or render one
/// string reads it once. A check reads in one generation and notation.
#[derive(Default)]
pub struct Clean(foldhash::HashMap<String, foldhash::HashSet<String>>);

impl Clean {
    /// [`read`], remembering a clean string. A missing and an empty meter
    /// read alike (both are 4/4), so they share a key.
    pub fn read(
        &mut self,
        text: &str,
        time_signature: Option<&str>,
        generation: Generation,
        notation: Notation,
    ) -> Result<Vec<notation::Warning>, Problem> {
        let meter = time_signature.unwrap_or("");
        if self.0.get(meter).is_some_and(|set| set.contains(text)) {
            return Ok(Vec::new());
        }
        let warnings = read(text, time_signature, generation, notation)?;
        if warnings.is_empty() {
            let set = self.0.entry(meter.to_owned()).or_default();
            set.insert(text.to_owned());
        }
        Ok(warnings)
    }
}

/// The tool's `notes` and `timeSignature` templates, when it is a clip
/// tool whose `notes` is templated: what the check renders per known
/// iteration.
pub fn templated<'c, 'e, 's>(
    tool: &str,
    args: &'c Compiled<'e, 's>,
) -> Option<(&'c Compiled<'e, 's>, Option<&'c Compiled<'e, 's>>)> {
    let Compiled::Map(entries) = args else {
        return None;
    };
    let find = |name: &str| entries.iter().find(|(k, _)| *k == name).map(|(_, v)| v);
    let notes = find("notes").filter(|n| !n.is_literal())?;
    CLIP_TOOLS
        .contains(&tool)
        .then(|| (notes, find("timeSignature")))
}

/// The error for a templated `notes` that rendered to a refused string:
/// at the token when it comes from the template's own text before or
/// after its expressions, else at the whole value, quoting what it
/// rendered. `when` names the iteration (and its item).
pub fn rendered_diagnostic(
    file: &Arc<SourceFile>,
    node: &Node,
    rendered: &str,
    problem: Problem,
    when: &str,
    generation: Generation,
) -> Diagnostic {
    let label = generation.label();
    let template = node.as_str().unwrap_or_default();
    let mapped = template_range(template, rendered, problem.span.clone());
    let at = mapped.map(|r| place(file, node, template, r));
    let message = format!(
        "`notes` {when} is not {} {label} accepts: {}",
        problem.what, problem.message
    );
    let d = Diagnostic::error("pplay::notes", message).in_file(file);
    match at {
        Some(span) => d.label(span, problem.label).help(problem.help),
        None => d
            .label(
                node.span,
                format!("renders \"{}\"", crate::diagnostic::clipped(rendered, 60)),
            )
            .help(format!(
                "at `{}` of the rendered string: {}",
                &rendered[problem.span.clone()],
                problem.help
            )),
    }
}

/// The same range in the template, when `rendered[r]` lies in the literal
/// text before the template's first expression or after its last one.
fn template_range(
    template: &str,
    rendered: &str,
    r: std::ops::Range<usize>,
) -> Option<std::ops::Range<usize>> {
    let open = template.find("{{").into_iter().chain(template.find("{%"));
    let head = &template[..open.min()?];
    let close = [template.rfind("}}"), template.rfind("%}")];
    let tail = &template[close.into_iter().flatten().max()? + 2..];
    if r.end <= head.len() && rendered.starts_with(head) {
        return Some(r);
    }
    let from_end = rendered.len().checked_sub(r.start)?;
    (from_end <= tail.len() && rendered.ends_with(tail) && !r.is_empty()).then(|| {
        let start = template.len() - from_end;
        start..start + r.len()
    })
}

/// What a run checks before sending a clip tool's call: its rendered
/// `notes` read as the server will, an error at the argument if refused.
pub fn check_sent(
    file: &Arc<SourceFile>,
    tool: &str,
    node: &Node,
    args: &serde_json::Value,
    generation: Generation,
    notation: Notation,
) -> Result<(), Diagnostic> {
    if !CLIP_TOOLS.contains(&tool) {
        return Ok(());
    }
    let Some(text) = args.get("notes").and_then(|n| n.as_str()) else {
        return Ok(());
    };
    let written = |name: &str| {
        let entries = node.as_map()?;
        entries.iter().find(|(k, _)| k.name == name).map(|(_, v)| v)
    };
    let notes = written("notes");
    // Literal notes in a literal (or no) meter were read by the check,
    // which refuses the playbook over any it would refuse here.
    let literal = |n: &Node| !crate::template::has_template(n);
    if notes.is_some_and(literal) && written("timeSignature").is_none_or(literal) {
        return Ok(());
    }
    let ts = args.get("timeSignature").and_then(|t| t.as_str());
    let Err(problem) = read(text, ts, generation, notation) else {
        return Ok(());
    };
    Err(rendered_diagnostic(
        file,
        notes.unwrap_or(node),
        text,
        problem,
        "as rendered",
        generation,
    ))
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
    crate::migrate::scalar::spelled_range(src, node, text, r)
        .map_or(node.span, |s| Span::new(s.start, s.end - s.start))
}

/// Whether `tool`'s `notes` is a notes string.
pub fn is_clip_tool(tool: &str) -> bool {
    CLIP_TOOLS.contains(&tool)
}

/// How a message names the iteration whose `notes` was refused: its
/// number, its item (shortened) and how many others were refused too.
pub fn iteration(it: crate::event::Iteration, item: &minijinja::Value, more: usize) -> String {
    let item = serde_json::to_string(item).unwrap_or_else(|_| item.to_string());
    let others = match more {
        0 => String::new(),
        1 => " (and 1 more iteration)".to_owned(),
        n => format!(" (and {n} more iterations)"),
    };
    format!(
        "of iteration {} of {} (item {}){others}",
        it.index0 + 1,
        it.length,
        crate::diagnostic::clipped(&item, 60)
    )
}

/// One warning when the notes are stark: pplay sends them as written.
pub fn stark_warning(pb: &crate::playbook::Playbook, flag: Option<Notation>) -> Option<Diagnostic> {
    let from_playbook = pb
        .producer_pal
        .as_ref()
        .filter(|p| p.value.notation.is_some());
    let notation = flag.or(from_playbook.and_then(|p| p.value.notation))?;
    if notation != Notation::Stark {
        return None;
    }
    let d = Diagnostic::warning(
        "pplay::notation-unread",
        "pplay does not read stark notation: `notes` are sent as written and only Producer Pal checks them",
    )
    .help("use `barbeat` (or `midi-json`) to have notes strings checked before anything is sent");
    Some(match (flag, from_playbook) {
        (None, Some(p)) => d.in_file(&pb.file).label(p.span, "stark notes"),
        _ => d,
    })
}
