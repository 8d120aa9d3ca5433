//! One source file: its text, its name, and where its lines start.
//!
//! Every node and diagnostic that points into a file shares one
//! [`SourceFile`]. Both ways a place is looked up go through its table of
//! line starts, built once: `file:line:col` for reporters, and the window of
//! lines miette draws around a label. miette's own reading of a `String`
//! counts lines from the top of the file for every label, so a playbook
//! with a warning on each of 20,000 steps took minutes to report.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use miette::{MietteError, MietteSpanContents, SourceCode, SourceSpan, SpanContents};

/// One source file, shared by every node and diagnostic that points into it.
#[derive(Debug)]
pub struct SourceFile {
    pub path: PathBuf,
    text: String,
    /// The name as reporters print it, shared by every event that locates a
    /// step in it.
    name: Arc<str>,
    lines: OnceLock<Lines>,
    /// For a text whose long lines were cut for drawing: per line index, the
    /// characters the cut took from the front, so that the place a report
    /// names is the place in the real file. Empty for a file as read.
    column_shifts: Vec<(usize, usize)>,
}

/// What is known of a file's lines once it has been scanned.
#[derive(Debug)]
struct Lines {
    /// Byte offsets at which lines start (after each `\n`).
    starts: Vec<usize>,
    /// Whether a `\r` stands alone somewhere: miette counts it as a line
    /// break, the table does not, so such a file is read miette's way.
    lone_cr: bool,
}

impl SourceFile {
    pub fn new(path: impl Into<PathBuf>, text: String) -> Arc<Self> {
        Self::cut(path.into(), text, Vec::new())
    }

    /// A text made to be drawn in place of a real one, whose line `i` lost
    /// `shift` characters at its front (`(i, shift)` in line order).
    pub fn cut(path: PathBuf, text: String, column_shifts: Vec<(usize, usize)>) -> Arc<Self> {
        let name = Arc::from(path.display().to_string());
        Arc::new(SourceFile {
            path,
            text,
            name,
            lines: OnceLock::new(),
            column_shifts,
        })
    }

    /// miette's column of a window starting at `offset`, `bytes` after its
    /// line's start, in characters: the column people and `location()`
    /// count. A character's continuation bytes are what miette counts over.
    fn in_chars(&self, offset: usize, bytes: usize) -> usize {
        let line = &self.text.as_bytes()[offset.saturating_sub(bytes)..offset];
        bytes - line.iter().filter(|&&b| b & 0xC0 == 0x80).count()
    }

    /// How many characters the cut took from the front of line `index`.
    fn column_shift(&self, index: usize) -> usize {
        self.column_shifts
            .binary_search_by_key(&index, |&(i, _)| i)
            .map_or(0, |k| self.column_shifts[k].1)
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// [`Self::name`], as a shared string.
    pub fn shared_name(&self) -> Arc<str> {
        self.name.clone()
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn lines(&self) -> &Lines {
        self.lines.get_or_init(|| {
            let text = &self.text;
            Lines {
                starts: std::iter::once(0)
                    .chain(text.match_indices('\n').map(|(i, _)| i + 1))
                    .collect(),
                lone_cr: text
                    .match_indices('\r')
                    .any(|(i, _)| text.as_bytes().get(i + 1) != Some(&b'\n')),
            }
        })
    }

    /// 0-based index of the line holding a byte offset (the last line for an
    /// offset past the end).
    pub fn line_index(&self, offset: usize) -> usize {
        // The first line always starts at 0, so the point is at least 1.
        self.lines().starts.partition_point(|&s| s <= offset) - 1
    }

    /// The byte range of a line, without its `\n`; `None` past the last.
    pub fn line_range(&self, index: usize) -> Option<std::ops::Range<usize>> {
        let starts = &self.lines().starts;
        let start = *starts.get(index)?;
        let end = starts.get(index + 1).map_or(self.text.len(), |s| s - 1);
        Some(start..end)
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.line_index(offset);
        let start = self.lines().starts[line];
        (line + 1, self.text[start..offset].chars().count() + 1)
    }
}

impl SourceCode for SourceFile {
    /// miette's own reading, started a line above the first line it would
    /// show instead of at the top of the file, then moved back into place.
    /// From there its scan meets the same lines and characters as a scan of
    /// the whole file does, so it finds the same window. A window that starts
    /// inside a line (the report's header) has its column in characters of
    /// the real line, as [`SourceFile::line_col`] counts it.
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        if span.offset() > self.text.len() {
            return Err(MietteError::OutOfBounds);
        }
        let lines = self.lines();
        let first = if lines.lone_cr {
            0
        } else {
            // One line more than it shows: its scan also looks at the
            // character before the span (an empty span after a newline
            // ends there).
            self.line_index(span.offset())
                .saturating_sub(context_lines_before)
                .saturating_sub(1)
        };
        let from = lines.starts[first];
        let shifted = SourceSpan::new((span.offset() - from).into(), span.len());
        let inner = self.text.as_bytes()[from..].read_span(
            &shifted,
            context_lines_before,
            context_lines_after,
        )?;
        let at = SourceSpan::new((inner.span().offset() + from).into(), inner.span().len());
        let line = inner.line() + first;
        let column = match inner.column() {
            0 => 0,
            bytes => self.in_chars(at.offset(), bytes) + self.column_shift(line),
        };
        Ok(Box::new(MietteSpanContents::new_named(
            self.name.to_string(),
            inner.data(),
            at,
            line,
            column,
            inner.line_count() + first,
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Line and column counted the slow way: newlines and characters before
    /// the offset.
    fn counted(text: &str, offset: usize) -> (usize, usize) {
        let before = &text[..offset];
        let line = before.matches('\n').count() + 1;
        let start = before.rfind('\n').map_or(0, |i| i + 1);
        (line, before[start..].chars().count() + 1)
    }

    #[test]
    fn line_col_agrees_with_counting_at_every_offset() {
        let text = "name: é\nsteps:\n\n  - tool: ä\n    args: {x: \"ü\"}\n";
        let file = SourceFile::new("t.yaml", text.to_owned());
        for (offset, _) in text.char_indices().chain([(text.len(), ' ')]) {
            assert_eq!(file.line_col(offset), counted(text, offset), "at {offset}");
        }
        assert_eq!(file.line_col(0), (1, 1));
        assert_eq!(file.line_col(text.find("tool").unwrap()), (4, 5));
        // Past the end: the end of the file.
        assert_eq!(file.line_col(text.len() + 10), (6, 1));
    }

    #[test]
    fn line_col_of_a_file_without_newlines() {
        let file = SourceFile::new("t.yaml", "name: x".to_owned());
        assert_eq!(file.line_col(6), (1, 7));
        assert_eq!(SourceFile::new("e.yaml", String::new()).line_col(0), (1, 1));
    }

    #[test]
    fn line_ranges_leave_out_the_newline() {
        let file = SourceFile::new("t.yaml", "ab\n\ncde".to_owned());
        assert_eq!(file.line_range(0), Some(0..2));
        assert_eq!(file.line_range(1), Some(3..3));
        assert_eq!(file.line_range(2), Some(4..7));
        assert_eq!(file.line_range(3), None);
    }

    /// Everything miette reads from a window, as a comparable tuple.
    type Read = (Vec<u8>, usize, usize, usize, usize, usize, Option<String>);

    fn read(src: &dyn SourceCode, span: (usize, usize), around: (usize, usize)) -> Option<Read> {
        let c = src.read_span(&span.into(), around.0, around.1).ok()?;
        Some((
            c.data().to_vec(),
            c.span().offset(),
            c.span().len(),
            c.line(),
            c.column(),
            c.line_count(),
            c.name().map(str::to_owned),
        ))
    }

    proptest! {
        /// The window read from the line table is byte for byte, line for
        /// line, what miette reads scanning the whole text, CRLF and lone CR
        /// included; a span past the end is refused.
        #[test]
        fn a_window_is_what_a_whole_scan_reads(
            text in prop_oneof![
                "[ab\\n]{0,40}",
                "([ab]{0,3}\\r\\n){0,10}",
                "[ab\\n\\r]{0,40}",
            ],
            at in 0usize..44,
            len in 0usize..6,
            before in 0usize..3,
            after in 0usize..3,
        ) {
            let file = SourceFile::new("w.yaml", text.clone());
            if at > text.len() {
                // miette's own reading panics here; this one says no.
                prop_assert!(read(&*file, (at, len), (before, after)).is_none());
                return Ok(());
            }
            let whole = miette::NamedSource::new("w.yaml", text);
            prop_assert_eq!(
                read(&*file, (at, len), (before, after)),
                read(&whole, (at, len), (before, after))
            );
        }
    }
}
