//! The `midi-json` form of a clip's `notes` (2.x, request header
//! `x-producer-pal-notation: midi-json`): a JSON array of the notes
//! Producer Pal sends to Live, one object per note with the fields its
//! bar|beat interpreter emits. Only the shape is checked here; the music
//! is the caller's.

use std::ops::Range;

use serde_json::Value as Json;

/// A note's fields: name, whether it must be there, and its range.
const FIELDS: [(&str, bool, Bound); 6] = [
    ("pitch", true, Bound::Int(0, 127)),
    ("start_time", true, Bound::AtLeast(0.0)),
    ("duration", true, Bound::Above(0.0)),
    ("velocity", false, Bound::Int(0, 127)),
    ("velocity_deviation", false, Bound::Int(0, 127)),
    ("probability", false, Bound::Within(0.0, 1.0)),
];

#[derive(Clone, Copy)]
enum Bound {
    /// A whole number in the range.
    Int(i64, i64),
    /// A number at least this (in beats).
    AtLeast(f64),
    /// A number above this (in beats).
    Above(f64),
    /// A number in the closed range.
    Within(f64, f64),
}

impl Bound {
    fn holds(self, v: &Json) -> bool {
        match self {
            Bound::Int(lo, hi) => v.as_i64().is_some_and(|n| (lo..=hi).contains(&n)),
            Bound::AtLeast(lo) => v.as_f64().is_some_and(|n| n >= lo),
            Bound::Above(lo) => v.as_f64().is_some_and(|n| n > lo),
            Bound::Within(lo, hi) => v.as_f64().is_some_and(|n| (lo..=hi).contains(&n)),
        }
    }

    fn describe(self) -> String {
        match self {
            Bound::Int(lo, hi) => format!("a whole number from {lo} to {hi}"),
            Bound::AtLeast(lo) => format!("a number of beats, {lo} or more"),
            Bound::Above(lo) => format!("a number of beats above {lo}"),
            Bound::Within(lo, hi) => format!("a number from {lo} to {hi}"),
        }
    }
}

/// Why a midi-json string is refused, at its place in the string.
#[derive(Debug, Clone, PartialEq)]
pub struct ShapeError {
    pub message: String,
    /// Byte range in the string: the note, or its field.
    pub span: Range<usize>,
    pub help: String,
}

/// Checks that `text` is a JSON array of note objects with the fields and
/// ranges Producer Pal's notes have (`pitch`, `start_time`, `duration`
/// required; `velocity`, `velocity_deviation`, `probability` optional).
pub fn check(text: &str) -> Result<(), ShapeError> {
    let value: Json = serde_json::from_str(text).map_err(|e| ShapeError {
        message: format!("not JSON: {e}"),
        span: at_line_column(text, e.line(), e.column()),
        help: "midi-json notes are a JSON array: [{\"pitch\": 60, \"start_time\": 0, \"duration\": 1}]".to_owned(),
    })?;
    let Json::Array(notes) = value else {
        return Err(ShapeError {
            message: "not a JSON array of notes".to_owned(),
            span: 0..text.len(),
            help: "write the notes as [{\"pitch\": 60, \"start_time\": 0, \"duration\": 1}, ...]"
                .to_owned(),
        });
    };
    let places = element_ranges(text);
    for (i, note) in notes.iter().enumerate() {
        let whole = places.get(i).cloned().unwrap_or(0..text.len());
        note_shape(note, i, &text[whole.clone()]).map_err(|mut e| {
            e.span = whole.start + e.span.start..whole.start + e.span.end;
            e
        })?;
    }
    Ok(())
}

/// One note's fields, spans relative to `src`, its own text.
fn note_shape(note: &Json, i: usize, src: &str) -> Result<(), ShapeError> {
    let n = i + 1;
    let Json::Object(fields) = note else {
        return Err(ShapeError {
            message: format!("note {n} is not an object"),
            span: 0..src.len(),
            help: "each note is {\"pitch\": 60, \"start_time\": 0, \"duration\": 1}".to_owned(),
        });
    };
    for key in fields.keys() {
        if !FIELDS.iter().any(|(f, _, _)| f == key) {
            let names = FIELDS.iter().map(|(f, _, _)| *f);
            let hint = crate::diagnostic::did_you_mean(key, names)
                .map(|s| format!("did you mean `{s}`? "))
                .unwrap_or_default();
            return Err(ShapeError {
                message: format!("note {n} has an unknown field `{key}`"),
                span: key_range(src, key),
                help: format!(
                    "{hint}a note has pitch, start_time, duration, velocity, velocity_deviation and probability"
                ),
            });
        }
    }
    for (name, required, bound) in FIELDS {
        match fields.get(name) {
            None if required => {
                return Err(ShapeError {
                    message: format!("note {n} has no `{name}`"),
                    span: 0..src.len(),
                    help: format!(
                        "every note needs pitch, start_time and duration; `{name}` is {}",
                        bound.describe()
                    ),
                });
            }
            Some(v) if !bound.holds(v) => {
                return Err(ShapeError {
                    message: format!("note {n}'s `{name}` is {v}, not {}", bound.describe()),
                    span: key_range(src, name),
                    help: format!("`{name}` is {}", bound.describe()),
                });
            }
            _ => {}
        }
    }
    Ok(())
}

/// The byte range of the first `"key"` in `src`, else all of it.
fn key_range(src: &str, key: &str) -> Range<usize> {
    let quoted = format!("\"{key}\"");
    src.find(&quoted)
        .map_or(0..src.len(), |s| s..s + quoted.len())
}

/// The byte offset of serde_json's 1-based line and column.
fn at_line_column(text: &str, line: usize, column: usize) -> Range<usize> {
    let start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    let at = (start + column.saturating_sub(1)).min(text.len());
    let at = (0..=at)
        .rev()
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(0);
    let end = text[at..].chars().next().map_or(at, |c| at + c.len_utf8());
    at..end
}

/// The byte ranges of the top-level array's elements in valid JSON text:
/// a scan of depth and strings, so an error names the note where it is.
fn element_ranges(text: &str) -> Vec<Range<usize>> {
    let (mut out, mut depth, mut start) = (Vec::new(), 0usize, None);
    let (mut in_string, mut escaped) = (false, false);
    for (i, c) in text.char_indices() {
        if in_string {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '[' | '{' => {
                if depth == 1 && start.is_none() {
                    start = Some(i);
                }
                depth += 1;
            }
            ']' | '}' => {
                depth = depth.saturating_sub(1);
                let end = match (depth, c) {
                    (0, _) => Some(i),
                    (1, '}') => Some(i + 1),
                    _ => None,
                };
                if let (Some(end), Some(s)) = (end, start) {
                    out.push(s..end);
                    start = None;
                }
            }
            ',' if depth == 1 => {
                if let Some(s) = start.take() {
                    out.push(s..i);
                }
            }
            c if depth == 1 && !c.is_whitespace() && start.is_none() => start = Some(i),
            _ => {}
        }
        if c == '"' {
            in_string = true;
        }
    }
    for r in &mut out {
        let t = text[r.clone()].trim_end();
        r.end = r.start + t.len();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_note_list_with_the_fields_passes() {
        let ok = r#"[{"pitch": 60, "start_time": 0, "duration": 1, "velocity": 100},
                     {"pitch": 64, "start_time": 1.5, "duration": 0.25, "probability": 0.5}]"#;
        assert_eq!(check(ok), Ok(()));
        assert_eq!(check("[]"), Ok(()));
    }

    #[test]
    fn each_refusal_points_at_its_note_or_field() {
        let src = r#"[{"pitch": 60, "start_time": 0, "duration": 1}, {"pitch": 128, "start_time": 0, "duration": 1}]"#;
        let e = check(src).unwrap_err();
        assert_eq!(&src[e.span.clone()], "\"pitch\"");
        assert!(e.span.start > 40, "{e:?}");
        assert!(
            e.message.contains("note 2's `pitch` is 128"),
            "{}",
            e.message
        );

        let src = r#"[{"pitch": 60, "startTime": 0, "duration": 1}]"#;
        let e = check(src).unwrap_err();
        assert_eq!(&src[e.span.clone()], "\"startTime\"");
        assert!(e.help.contains("start_time"), "{}", e.help);

        let src = r#"[{"pitch": 60, "duration": 1}, 3]"#;
        let e = check(src).unwrap_err();
        assert_eq!(&src[e.span.clone()], r#"{"pitch": 60, "duration": 1}"#);

        let src = r#"[{"pitch": 60, "start_time": 0, "duration": 1}, 3]"#;
        assert_eq!(&src[check(src).unwrap_err().span], "3");

        let src = "C3 1|1";
        let e = check(src).unwrap_err();
        assert!(e.message.starts_with("not JSON"), "{}", e.message);
        assert_eq!(e.span, 0..1);
        assert!(check(r#"{"pitch": 60}"#).is_err());
        assert!(check(r#"[{"pitch": 60, "start_time": 0, "duration": 0}]"#).is_err());
        assert!(
            check(r#"[{"pitch": 60, "start_time": 0, "duration": 1, "probability": 2}]"#).is_err()
        );
    }
}
