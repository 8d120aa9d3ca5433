//! The top level of a notes string: elements separated by whitespace or
//! comments, and the one place the furthest failure is tracked (Producer
//! Pal's grammar reports the furthest position any non-silent rule failed at,
//! which is always at this level: an element start, a separator, the end).

use super::element::Element;
use super::error::{ErrorKind, NotationError};
use super::grammar::{self, Fail};
use crate::protocol::Generation;

/// The labels Producer Pal lists when no element could start (at most five;
/// `note pitch` is always the one cut off).
fn labels(generation: Generation) -> &'static str {
    match generation {
        Generation::V1 => {
            "bar copy operation, time position, probability value, velocity value, duration value"
        }
        Generation::V2 => {
            "bar copy operation, time position, pattern bracket, probability value, velocity value"
        }
    }
}

/// The furthest failure so far and whether an element was expected there.
#[derive(Default)]
struct Furthest {
    pos: usize,
    element: bool,
}

impl Furthest {
    fn literal(&mut self, pos: usize) {
        if pos > self.pos {
            *self = Furthest {
                pos,
                element: false,
            };
        }
    }
    fn element(&mut self, pos: usize) {
        if pos > self.pos {
            self.pos = pos;
        }
        if pos == self.pos {
            self.element = true;
        }
    }
}

/// Reads `src` into its elements, or Producer Pal's first refusal.
pub fn parse(src: &str, generation: Generation) -> Result<Vec<Element>, NotationError> {
    let mut furthest = Furthest::default();
    let mut elements = Vec::new();
    let mut pos = separator(src, 0, &mut furthest);
    let mut first = true;
    loop {
        let start = pos;
        if !first {
            let after = separator(src, pos, &mut furthest);
            let abuts = generation == Generation::V2 && src[pos..].starts_with('[');
            if after == pos && !abuts {
                break;
            }
            pos = after;
        }
        match element_at(src, pos, generation, &mut furthest)? {
            Some(element) => {
                pos = element.span.end;
                elements.push(element);
            }
            None => {
                pos = start;
                break;
            }
        }
        first = false;
    }
    pos = separator(src, pos, &mut furthest);
    if pos == src.len() {
        return Ok(elements);
    }
    furthest.literal(pos);
    Err(syntax_error(src, &furthest, generation))
}

/// Reads one element at `pos`; None (recorded as the furthest failure) when
/// none starts there.
fn element_at(
    src: &str,
    pos: usize,
    generation: Generation,
    furthest: &mut Furthest,
) -> Result<Option<Element>, NotationError> {
    let mut input = &src[pos..];
    match grammar::element(generation, &mut input) {
        Ok(kind) => Ok(Some(Element {
            kind,
            span: pos..src.len() - input.len(),
        })),
        Err(Fail::Thrown { message, rest }) => {
            Err(value_error(message, pos..src.len() - rest, generation))
        }
        Err(Fail::Backtrack) => {
            furthest.element(pos);
            if generation == Generation::V2 {
                number_misuse(src, pos, furthest)?;
            }
            Ok(None)
        }
    }
}

/// 2.3 answers a number where an element should be (`60`, `1.1`) with a
/// hint; that rule is not silent, so the end of the digits counts as a
/// failure position even when no hint is thrown (`0|1` fails at the `|`).
fn number_misuse(src: &str, pos: usize, furthest: &mut Furthest) -> Result<(), NotationError> {
    let rest = &src[pos..];
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return Ok(());
    }
    let end = pos + digits;
    furthest.literal(end);
    let after = &src[end..];
    if let Some(tail) = after.strip_prefix(['.', ':']) {
        let more = tail.bytes().take_while(u8::is_ascii_digit).count();
        if more > 0 {
            let text = &src[pos..end + 1 + more];
            let message = format!(
                "positions use a pipe: bar|beat (e.g. 1|1), not \".\" or \":\". Got {text}."
            );
            return Err(value_error(message, pos..end + 1 + more, Generation::V2));
        }
        furthest.literal(end + 1);
        return Ok(());
    }
    if after.is_empty() || after.starts_with([' ', '\t', '\r', '\n']) {
        let message = format!(
            "use note names like C3 (middle C) for pitches, not MIDI numbers. Got {}.",
            &src[pos..end]
        );
        return Err(value_error(message, pos..end, Generation::V2));
    }
    Ok(())
}

/// Skips whitespace and comments from `pos`, recording where they stop.
fn separator(src: &str, mut pos: usize, furthest: &mut Furthest) -> usize {
    loop {
        let rest = &src[pos..];
        if rest.starts_with([' ', '\t', '\r', '\n']) {
            pos += 1;
        } else if rest.starts_with("//") || rest.starts_with('#') {
            pos += rest.find(['\r', '\n']).unwrap_or(rest.len());
            furthest.literal(pos);
        } else if let Some(body) = rest.strip_prefix("/*") {
            match body.find("*/") {
                Some(end) => pos += 2 + end + 2,
                None => {
                    furthest.literal(src.len());
                    return pos;
                }
            }
        } else {
            furthest.literal(pos);
            return pos;
        }
    }
}

fn value_error(
    message: String,
    span: std::ops::Range<usize>,
    generation: Generation,
) -> NotationError {
    NotationError {
        kind: ErrorKind::Value,
        span,
        message,
        offset_utf16: None,
        generation,
    }
}

/// Producer Pal's syntax error text at the furthest failure.
fn syntax_error(src: &str, furthest: &Furthest, generation: Generation) -> NotationError {
    let pos = furthest.pos;
    let before = &src[..pos];
    let offset: usize = before.encode_utf16().count();
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |p| p + 1);
    let column = src[line_start..pos].encode_utf16().count() + 1;
    let expected = if furthest.element {
        labels(generation)
    } else {
        "valid syntax"
    };
    let next = src[pos..].chars().next();
    let found = match next {
        None => "reached end of input".to_owned(),
        Some(c) => format!("\"{}\" found", escape(c)),
    };
    let message = format!(
        "bar|beat syntax error at position {offset} (line {line}, column {column}): Expected \
         {expected} but {found}"
    );
    let end = pos + next.map_or(0, char::len_utf8);
    NotationError {
        kind: ErrorKind::Syntax,
        span: pos..end,
        message,
        offset_utf16: Some(offset),
        generation,
    }
}

fn escape(c: char) -> String {
    match c {
        '\\' => "\\\\".into(),
        '\n' => "\\n".into(),
        '\r' => "\\r".into(),
        '\t' => "\\t".into(),
        c => c.to_string(),
    }
}
