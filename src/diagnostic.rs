//! Problems found in a playbook, each pointing at its place in a source file.
//!
//! Every stage (load, check, run) reports through [`Diagnostic`], so the
//! terminal, JSON and JUnit reporters can all say `file:line:col` and the
//! terminal can draw the YAML node itself with miette.

use std::fmt;
use std::sync::Arc;

use miette::{LabeledSpan, Severity, SourceCode};

use crate::source::SourceFile;
use crate::yaml::Span;

/// A labelled place in a file.
#[derive(Debug, Clone)]
pub struct Label {
    pub span: Span,
    pub text: Option<String>,
}

/// A located problem: an error that stops the playbook, or a warning.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    pub severity: Severity,
    pub code: &'static str,
    pub message: String,
    pub file: Option<Arc<SourceFile>>,
    pub labels: Vec<Label>,
    pub help: Option<String>,
    /// A note drawn after this one, at its place in its own file (the
    /// other half of a problem that spans two files).
    pub related: Option<Box<Diagnostic>>,
}

impl Diagnostic {
    pub fn error(code: &'static str, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            code,
            message: message.into(),
            file: None,
            labels: Vec::new(),
            help: None,
            related: None,
        }
    }

    pub fn warning(code: &'static str, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(code, message)
        }
    }

    /// A note that goes with another diagnostic (see [`Diagnostic::related`]).
    pub fn note(code: &'static str, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Advice,
            ..Diagnostic::error(code, message)
        }
    }

    pub fn in_file(mut self, file: &Arc<SourceFile>) -> Self {
        self.file = Some(file.clone());
        self
    }

    pub fn label(mut self, span: Span, text: impl Into<String>) -> Self {
        self.labels.push(Label {
            span,
            text: Some(text.into()),
        });
        self
    }

    pub fn at(mut self, span: Span) -> Self {
        self.labels.push(Label { span, text: None });
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// A note in another file, drawn after this diagnostic.
    pub fn related(mut self, note: Diagnostic) -> Self {
        self.related = Some(Box::new(note));
        self
    }

    pub fn maybe_help(mut self, help: Option<String>) -> Self {
        if help.is_some() {
            self.help = help;
        }
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// `file:line:col` of the first label, or the file name alone.
    pub fn location(&self) -> Option<Location> {
        let file = self.file.as_ref()?;
        let (line, column) = self
            .labels
            .first()
            .map_or((0, 0), |l| file.line_col(l.span.offset()));
        Some(Location {
            file: Arc::from(file.name()),
            line,
            column,
        })
    }

    /// Renders the report the way the terminal shows it.
    pub fn render(&self, color: bool, width: usize) -> String {
        let cut = self.with_long_lines_cut();
        cut.as_ref().unwrap_or(self).draw(color, width)
    }

    fn draw(&self, color: bool, width: usize) -> String {
        let theme = if color {
            miette::GraphicalTheme::unicode()
        } else {
            miette::GraphicalTheme::unicode_nocolor()
        };
        let handler = miette::GraphicalReportHandler::new_themed(theme).with_width(width);
        let mut out = String::new();
        if handler.render_report(&mut out, self).is_err() {
            out = self.to_string();
        }
        out
    }
}

/// Lines longer than this (in characters) are cut around their labels when
/// a report is drawn: the drawing pads to a label's column, and a column past
/// 65,535 cannot be padded to. `location()` keeps the real place.
const MAX_DRAWN_LINE: usize = 400;
/// How much of a cut line is kept before its first label.
const CUT_LEAD: usize = 60;

impl Diagnostic {
    /// Whether a line the drawing may show (the lines a label covers and
    /// two on each side) is longer than [`MAX_DRAWN_LINE`]. Only those lines
    /// are looked at, so a report costs the same anywhere in a long file.
    fn draws_a_long_line(&self, file: &SourceFile) -> bool {
        self.labels.iter().any(|l| {
            let first = file.line_index(l.span.offset()).saturating_sub(2);
            let last = file.line_index(l.span.offset() + l.span.len()) + 2;
            (first..=last)
                .map_while(|i| file.line_range(i))
                .any(|r| r.len() > MAX_DRAWN_LINE)
        })
    }

    /// A copy whose file has every overlong line cut to a window around the
    /// labels on it (or its start), the labels moved with it; `None` when no
    /// line is too long. Line numbers stay as they are.
    fn with_long_lines_cut(&self) -> Option<Diagnostic> {
        let file = self.file.as_ref()?;
        if !self.draws_a_long_line(file) {
            return None;
        }
        let text = file.text();
        let mut out = String::with_capacity(text.len().min(1 << 20));
        let mut labels = self.labels.clone();
        let mut shifts = Vec::new();
        let mut start = 0;
        for (index, line) in text.split_inclusive('\n').enumerate() {
            let end = start + line.len();
            let body = line.strip_suffix('\n').unwrap_or(line);
            let new_start = out.len();
            if body.chars().count() <= MAX_DRAWN_LINE {
                out.push_str(line);
                for (o, m) in self.labels.iter().zip(labels.iter_mut()) {
                    if (start..end).contains(&o.span.offset()) {
                        m.span = Span::new(new_start + o.span.offset() - start, o.span.len());
                    }
                }
            } else {
                let shift = cut_line(body, start, new_start, &self.labels, &mut labels, &mut out);
                shifts.push((index, shift));
                if line.ends_with('\n') {
                    out.push('\n');
                }
            }
            start = end;
        }
        // Past the end, or running into a cut line: keep inside the text.
        for (o, m) in self.labels.iter().zip(labels.iter_mut()) {
            if o.span.offset() >= text.len() {
                m.span = Span::new(out.len(), 0);
            }
            let len = m.span.len().min(out.len() - m.span.offset().min(out.len()));
            m.span = Span::new(m.span.offset(), len);
        }
        let mut cut = self.clone();
        cut.file = Some(SourceFile::cut(file.path.clone(), out, shifts));
        cut.labels = labels;
        Some(cut)
    }
}

/// Appends a window of an overlong line to `out` and moves the labels that
/// start on it (`orig` holds their real spans; `line_start` is where the line
/// starts in the file, `new_start` where its window starts in `out`).
/// Returns how many characters the window's first one stands after in the
/// real line, which the drawn column adds back.
fn cut_line(
    body: &str,
    line_start: usize,
    new_start: usize,
    orig: &[Label],
    moved: &mut [Label],
    out: &mut String,
) -> usize {
    let on_line = |l: &Label| (line_start..=line_start + body.len()).contains(&l.span.offset());
    let first = orig
        .iter()
        .filter(|l| on_line(l))
        .map(|l| l.span.offset() - line_start)
        .min();
    // Char-aligned byte range of the window.
    let first_char = first.map_or(0, |b| body[..b.min(body.len())].chars().count());
    let from_char = first_char.saturating_sub(CUT_LEAD);
    let byte_at = |c: usize| body.char_indices().nth(c).map_or(body.len(), |(b, _)| b);
    let from = byte_at(from_char);
    let to = byte_at(from_char + MAX_DRAWN_LINE);
    let lead = if from > 0 { "…" } else { "" };
    out.push_str(lead);
    out.push_str(&body[from..to]);
    if to < body.len() {
        out.push('…');
    }
    let window_start = new_start + lead.len();
    for (o, m) in orig.iter().zip(moved.iter_mut()) {
        if !on_line(o) {
            continue;
        }
        let at = (o.span.offset() - line_start).clamp(from, to);
        let len = o.span.len().min(to - at);
        m.span = Span::new(window_start + at - from, len);
    }
    // The lead `…` stands in for the characters before `from_char`.
    from_char.saturating_sub(lead.chars().count())
}

/// Where a diagnostic points, as people and CI tools read it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Location {
    pub file: Arc<str>,
    pub line: usize,
    pub column: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Diagnostic {}

impl miette::Diagnostic for Diagnostic {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.code))
    }

    fn severity(&self) -> Option<Severity> {
        Some(self.severity)
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.file.as_ref().map(|f| &**f as &dyn SourceCode)
    }

    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn miette::Diagnostic> + 'a>> {
        let note = self.related.as_deref()?;
        Some(Box::new(std::iter::once(note as &dyn miette::Diagnostic)))
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        self.file.as_ref()?;
        Some(Box::new(
            self.labels
                .iter()
                .map(|l| LabeledSpan::new_with_span(l.text.clone(), l.span)),
        ))
    }
}

/// `s` cut to its first `max` characters, with `…` where it was cut: a
/// label or a report line that stays readable.
pub fn clipped(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}

/// The closest of `candidates` to `name`, when it is close enough to be a
/// plausible typo.
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(name, c), c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

/// `did you mean `x`?` as a help line, when there is a close candidate.
pub fn suggestion<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    did_you_mean(name, candidates).map(|c| format!("did you mean `{c}`?"))
}

/// Sorts diagnostics by file, then by place in the file, so a report reads
/// top to bottom.
pub fn in_file_order(mut diags: Vec<Diagnostic>) -> Vec<Diagnostic> {
    fn key(d: &Diagnostic) -> (&str, usize) {
        let file = d.file.as_ref().map_or("", |f| f.name());
        let at = d.labels.iter().map(|l| l.span.offset()).min().unwrap_or(0);
        (file, at)
    }
    diags.sort_by(|a, b| key(a).cmp(&key(b)));
    diags
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_label_past_column_65535_is_drawn_and_keeps_its_place() {
        let text = format!("a: 1\nb: \"{}\" # x\nc: 2\n", "é".repeat(70_000));
        let at = text.find("# x").unwrap();
        let file = SourceFile::new("long.yaml", text);
        let d = Diagnostic::error("pplay::test", "far right")
            .in_file(&file)
            .label(Span::new(at, 3), "here")
            .label(Span::new(0, 1), "and here");
        let drawn = d.render(false, 100);
        assert!(drawn.contains("# x"), "{drawn}");
        assert!(drawn.contains("here"), "{drawn}");
        assert!(
            drawn.len() < 4000,
            "the long line is cut: {} bytes",
            drawn.len()
        );
        let loc = d.location().unwrap();
        assert_eq!((loc.line, loc.column), (2, 70_007));
    }

    /// The header of a report on a cut line names the place in the real
    /// line, the one `location()` (and so `--json`) gives.
    #[test]
    fn the_header_of_a_cut_line_names_the_real_column() {
        for lead in ["", "é", "a: 1\n"] {
            let text = format!("{lead}b: \"{}\", nmae: x\nc: 2\n", "é".repeat(70_000));
            let at = text.find("nmae").unwrap();
            let file = SourceFile::new("long.yaml", text);
            let d = Diagnostic::error("pplay::test", "unknown")
                .in_file(&file)
                .label(Span::new(at, 4), "here");
            let loc = d.location().unwrap();
            let header = format!("[long.yaml:{}:{}]", loc.line, loc.column);
            let drawn = d.render(false, 100);
            assert!(drawn.contains(&header), "{header} in {drawn}");
        }
    }

    #[test]
    fn only_a_long_line_the_report_draws_is_cut() {
        let text = format!("a: 1\nb: 2\nc: 3\nd: 4\nlong: {}\ne: 5\n", "x".repeat(1000));
        let file = SourceFile::new("t.yaml", text.clone());
        let at = |s: &str| Span::new(text.find(s).unwrap(), 1);
        let far = Diagnostic::error("pplay::test", "far")
            .in_file(&file)
            .label(at("a:"), "here");
        assert!(far.with_long_lines_cut().is_none());
        assert!(!far.render(false, 80).contains("xxx"));
        let near = Diagnostic::error("pplay::test", "near")
            .in_file(&file)
            .label(at("e:"), "here");
        assert!(near.with_long_lines_cut().is_some());
        assert!(near.render(false, 80).contains("xxx…"));
    }

    #[test]
    fn a_label_at_the_end_of_a_long_file_is_drawn() {
        let text = "x".repeat(100_000);
        let file = SourceFile::new("end.yaml", text.clone());
        let d = Diagnostic::error("pplay::test", "at the end")
            .in_file(&file)
            .label(Span::new(text.len(), 0), "end");
        assert!(d.render(false, 80).contains("end"));
    }
}
