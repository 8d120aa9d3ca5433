//! `pplay migrate`: carries a Producer Pal 1.4 playbook to 2.x in place.
//!
//! Producer Pal's own adapter rewrites one call's JSON at a time; pplay knows
//! every node of a playbook and its exact bytes, so it rewrites whole files,
//! includes too, following captured indexes from the capture to every read.
//!
//! - [`edit`]: edits by byte range, so untouched text stays byte for byte.
//! - [`args`]: the argument rules; [`path`] writes 2.x paths from 1.4 values.
//! - [`results`] with [`fields`]: result fields 2.3 removed or renamed.
//! - [`flow`]: following a captured index into the arguments that use it.
//! - [`expr`], [`scalar`], [`walk`]: lexing templates, writing scalars in the
//!   author's style, visiting every template of a file.
//! - [`notes`]: what is left for a person, as located warnings.
//!
//! Two passes: the first runs the argument rules only to see where each
//! captured name is read; then the flow decides which captures to retype;
//! the second pass makes the edits.

pub mod args;
pub mod barbeat;
pub mod edit;
pub mod expr;
pub mod fields;
pub mod flow;
pub mod notes;
pub mod path;
pub mod results;
pub mod scalar;
pub mod walk;

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::diagnostic::Diagnostic;
use crate::playbook::{self, Playbook};
use crate::source::SourceFile;
use crate::yaml::{Node, Span};

use args::{Args, Fuse, Left, New};
use edit::Edits;
use flow::Flow;
use notes::Kind;
use scalar::Style;

/// A replacement inside a string value: decoded range, new text.
type SubEdit = (Range<usize>, String);

/// One file after migration.
#[derive(Debug)]
pub struct Migrated {
    /// The file as the loader names it (relative to the working directory
    /// when it is below it).
    pub path: PathBuf,
    pub original: String,
    pub text: String,
    /// What is left for a person, in file order.
    pub notes: Vec<Diagnostic>,
    /// Information, nothing to do: what the Producer Pal 2.4 candidate
    /// deprecates, kept as written since 2.3 needs it.
    pub info: Vec<Diagnostic>,
    /// The byte edits that turn `original` into `text`.
    pub edits: Edits,
}

impl Migrated {
    pub fn changed(&self) -> bool {
        self.original != self.text
    }
}

/// Loads each file (and its includes) and migrates every file of the run
/// once. Load problems come back as they are: nothing is migrated.
pub fn migrate_paths(paths: &[PathBuf]) -> Result<Vec<Migrated>, Vec<Diagnostic>> {
    let mut roots = Vec::new();
    let mut problems = Vec::new();
    for p in paths {
        match playbook::load(p) {
            Ok(pb) => roots.push(pb),
            Err(d) => problems.extend(d),
        }
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(migrate(&roots))
}

/// Migrates loaded playbooks: every file of the run once, in the order first
/// met.
pub fn migrate(roots: &[Playbook]) -> Vec<Migrated> {
    let files = walk::files(roots);
    let mut flow = Flow::learn(&files);
    let meter = barbeat::Meters::of(&files);
    for pb in &files {
        let mut scratch = Unit::new(pb.file.clone(), meter.clone());
        for step in &pb.steps {
            args::step(&mut scratch, &mut flow, step, &walk::step_ctx(step));
            args::ensure(&mut scratch, &mut flow, step, &walk::step_ctx(step));
        }
    }
    flow.decide();
    let (mut out, kept): (Vec<Migrated>, Vec<Vec<Span>>) = (files.iter())
        .map(|pb| file(&mut flow, pb, meter.clone()))
        .unzip();
    let more = kept.iter().map(Vec::len).sum::<usize>().saturating_sub(1);
    if let Some(i) = kept.iter().position(|k| !k.is_empty()) {
        let d = args::kept_in_4_4(&files[i].file, kept[i][0], more);
        out[i].info.push(d);
    }
    out
}

/// One file migrated, and the notes strings it kept while assuming 4/4.
fn file(flow: &mut Flow, pb: &Playbook, meter: barbeat::Meters) -> (Migrated, Vec<Span>) {
    let mut u = Unit::new(pb.file.clone(), meter);
    results::scan(&mut u, flow, pb);
    let mut info = Vec::new();
    for step in &pb.steps {
        args::step(&mut u, flow, step, &walk::step_ctx(step));
        args::ensure(&mut u, flow, step, &walk::step_ctx(step));
        // What 2.4 deprecates stays, since 2.3 needs it: named, not rewritten.
        if let playbook::Action::Call { tool, args } = &step.action
            && let Some(entries) = args.as_map()
        {
            info.extend(crate::candidate::deprecation_notes(
                &pb.file,
                &tool.value,
                entries,
            ));
        }
    }
    editor_schema_comment(&mut u);
    u.flush();
    let original = pb.file.text().to_owned();
    let mut text = u.edits.apply(&original);
    if text != original
        && let Err(d) = playbook::parse_str(pb.file.path(), &text)
    {
        let why = d.first().map_or_else(String::new, |d| d.message.clone());
        u.notes.push(
            Diagnostic::warning(
                Kind::Unsupported.code(),
                format!("this file was left as it was: the migrated text would not load ({why})"),
            )
            .in_file(&pb.file),
        );
        text = original.clone();
        u.edits = Edits::default();
    }
    let m = Migrated {
        path: pb.file.path().to_path_buf(),
        original,
        text,
        notes: crate::diagnostic::in_file_order(u.notes),
        info,
        edits: u.edits,
    };
    (m, u.kept_in_4_4)
}

/// Points the editor at the 2.x schema: a leading
/// `# yaml-language-server: $schema=...` comment naming pplay's 1.4 editor
/// schema names the 2.x one in the same folder instead.
fn editor_schema_comment(u: &mut Unit<'_>) {
    use crate::editor_schema::{FILE_NAME, FILE_NAME_1_4};
    let mut offset = 0;
    for line in u.src().split_inclusive('\n') {
        let body = line.trim_end();
        if !body.trim_start().starts_with('#') {
            if body.trim().is_empty() {
                offset += line.len();
                continue;
            }
            return;
        }
        if body.contains("yaml-language-server:")
            && body.contains("$schema=")
            && body.ends_with(FILE_NAME_1_4)
        {
            let at = offset + body.len() - FILE_NAME_1_4.len();
            let _ = u.edits.push(at..at + FILE_NAME_1_4.len(), FILE_NAME);
            return;
        }
        offset += line.len();
    }
}

/// Writes a migrated file back where it came from.
pub fn write(m: &Migrated) -> std::io::Result<()> {
    std::fs::write(Path::new(&m.path), &m.text)
}

/// A unified diff of one file, `a/` and `b/` named as git does.
pub fn unified_diff(m: &Migrated) -> String {
    let name = m.path.display().to_string();
    similar::TextDiff::from_lines(&m.original, &m.text)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{name}"), &format!("b/{name}"))
        .to_string()
}

/// The edits and notes of one file in progress.
pub struct Unit<'p> {
    pub file: Arc<SourceFile>,
    pub edits: Edits,
    pub notes: Vec<Diagnostic>,
    /// Edits inside string values, by node offset: applied in place when the
    /// source spells the string out, else by rewriting the scalar.
    sub: BTreeMap<usize, (&'p Node, Vec<SubEdit>)>,
    /// The meters the playbook sets (the song's, its clips'), for bar|beat
    /// conversions.
    pub meters: barbeat::Meters,
    /// Notes strings kept as written that mean the same on 2.x only in a
    /// quarter-beat meter, while 4/4 was assumed: noted once for the run.
    pub kept_in_4_4: Vec<Span>,
}

impl<'p> Unit<'p> {
    fn new(file: Arc<SourceFile>, meters: barbeat::Meters) -> Self {
        Unit {
            file,
            edits: Edits::default(),
            notes: Vec::new(),
            sub: BTreeMap::new(),
            meters,
            kept_in_4_4: Vec::new(),
        }
    }

    pub fn src(&self) -> &str {
        self.file.text()
    }

    /// A string value with the in-string edits made so far.
    pub fn text(&self, n: &Node) -> Option<String> {
        let s = n.as_str()?;
        match self.sub.get(&n.span.offset()) {
            Some((_, list)) => Some(apply_sub(s, list)),
            None => Some(s.to_owned()),
        }
    }

    /// Replaces `r` of the string value of `n` with `text`.
    pub fn sub_edit(&mut self, n: &'p Node, r: Range<usize>, text: &str) {
        let (_, list) = self.sub.entry(n.span.offset()).or_insert((n, Vec::new()));
        if !list.iter().any(|(x, _)| x.start < r.end && r.start < x.end) {
            list.push((r, text.to_owned()));
        }
    }

    pub fn warn(
        &mut self,
        kind: Kind,
        message: impl Into<String>,
        span: Span,
        label: impl Into<String>,
        help: impl Into<String>,
    ) {
        let d = notes::note(&self.file, kind, message, span, label, help);
        self.notes.push(d);
    }

    /// Notes a unit left as it was, at its entry.
    pub fn left(&mut self, a: &Args, l: Left) {
        let (k, v) = &a.entries[l.entry];
        let end = edit::entry_end(self.src(), k, v);
        let span = Span::new(k.span.offset(), end - k.span.offset());
        self.warn(l.kind, l.message, span, "left as it was", l.help);
    }

    /// Notes what a written unit rests on, at its entry.
    pub fn noted(&mut self, a: &Args, entry: usize, n: args::Noted) {
        let (k, v) = &a.entries[entry];
        let end = edit::entry_end(self.src(), k, v);
        let span = Span::new(k.span.offset(), end - k.span.offset());
        self.warn(n.kind, n.message, span, n.label, n.help);
    }

    /// Makes one unit's edits, all or none; false when it stayed.
    pub fn fuse(&mut self, a: &Args, f: &Fuse) -> bool {
        let Some(&primary) = f.entries.iter().min() else {
            return false;
        };
        let taken = a
            .entries
            .iter()
            .position(|(k, _)| k.name == f.key)
            .filter(|j| !f.entries.contains(j) && !matches!(f.value, New::Remove));
        if let Some(j) = taken {
            let l = args_left(
                Kind::Conflict,
                primary,
                format!(
                    "`{}` cannot become `{}`: that argument is already set",
                    a.entries[primary].0.name, f.key
                ),
                format!(
                    "keep one of the two (`{}` is on line {})",
                    f.key,
                    self.file.line_col(a.entries[j].0.span.offset()).0
                ),
            );
            self.left(a, l);
            return false;
        }
        match self.unit_edits(a, f, primary) {
            Some(local) => {
                let made = self.edits.push_all(local.clone()).is_ok();
                if made {
                    // The string edits inside what was just rewritten.
                    for r in local.ranges() {
                        let inside: Vec<usize> =
                            self.sub.range(r.clone()).map(|(k, _)| *k).collect();
                        for off in inside {
                            self.sub.remove(&off);
                        }
                    }
                }
                made
            }
            None => {
                let l = args_left(
                    Kind::Unsupported,
                    primary,
                    "this argument could not be rewritten in place",
                    "write the 2.x argument by hand",
                );
                self.left(a, l);
                false
            }
        }
    }

    fn unit_edits(&self, a: &Args, f: &Fuse, primary: usize) -> Option<Edits> {
        let src = self.src();
        let mut local = Edits::default();
        for &i in &f.entries {
            if i != primary || matches!(f.value, New::Remove) {
                let e = edit::remove_entry(src, a.node, i)?;
                local.push(e.range, e.text).ok()?;
            }
        }
        let (k, v) = &a.entries[primary];
        let end = edit::entry_end(src, k, v);
        let style = f
            .entries
            .iter()
            .map(|&i| scalar::style(src, &a.entries[i].1))
            .find(|s| matches!(s, Style::Double | Style::Single))
            .unwrap_or(Style::Plain);
        match &f.value {
            New::Remove => {}
            New::Rename if k.name != f.key => {
                local.push(k.span.range(), f.key.clone()).ok()?;
            }
            New::Rename => {}
            New::Str(s) => {
                let text = format!("{}: {}", f.key, scalar::emit(s, style, a.flow_style));
                local.push(k.span.offset()..end, text).ok()?;
            }
            New::Yaml(y) => {
                local
                    .push(k.span.offset()..end, format!("{}: {y}", f.key))
                    .ok()?;
            }
        }
        for (j, value) in &f.also {
            let n = &a.entries[*j].1;
            let st = scalar::style(src, n);
            local
                .push(
                    edit::node_range(src, n),
                    scalar::emit(value, st, a.flow_style),
                )
                .ok()?;
        }
        Some(local)
    }

    /// Turns the in-string edits into source edits.
    fn flush(&mut self) {
        let sub = std::mem::take(&mut self.sub);
        for (_, (node, list)) in sub {
            let Some(s) = node.as_str() else { continue };
            let src = self.file.text();
            let in_place: Option<Vec<_>> = list
                .iter()
                .map(|(r, t)| scalar::edit_range(src, node, s, r.clone()).map(|sr| (sr, t)))
                .collect();
            let mut local = Edits::default();
            let ok = match in_place {
                Some(v) => v.into_iter().all(|(r, t)| local.push(r, t.clone()).is_ok()),
                None => {
                    let new = apply_sub(s, &list);
                    let st = scalar::style(src, node);
                    // Plain only when it would be plain in a flow too.
                    let flow = true;
                    let r = edit::node_range(src, node);
                    local.push(r, scalar::emit(&new, st, flow)).is_ok()
                }
            };
            if !ok || self.edits.push_all(local).is_err() {
                let r = edit::node_range(self.src(), node);
                self.warn(
                    Kind::Unsupported,
                    "this value could not be rewritten in place",
                    Span::new(r.start, r.len()),
                    "left as it was",
                    "apply the 2.3 field names by hand",
                );
            }
        }
    }
}

fn args_left(
    kind: Kind,
    entry: usize,
    message: impl Into<String>,
    help: impl Into<String>,
) -> Left {
    Left {
        kind,
        entry,
        message: message.into(),
        help: help.into(),
    }
}

fn apply_sub(s: &str, list: &[SubEdit]) -> String {
    let mut sorted: Vec<_> = list.iter().collect();
    sorted.sort_by_key(|(r, _)| r.start);
    edit::splice(s, sorted.into_iter().map(|(r, t)| (r, t.as_str())))
}
