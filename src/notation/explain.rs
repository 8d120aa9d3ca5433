//! Why a notes string was refused and how to fix it, in pplay's words (the
//! diagnostics' help; Producer Pal's own text stays in the message).

use super::error::{ErrorKind, NotationError};
use crate::protocol::Generation;

const ELEMENTS: &str = "a notes string is pitches (C3), positions (1|1), velocity (v100), \
     duration, probability (p0.5) and bar copies (@2=1), separated by spaces";

/// The help for `error` found in `source`.
pub(super) fn help(error: &NotationError, source: &str) -> String {
    let token: String = source[error.span.start.min(source.len())..]
        .chars()
        .take_while(|c| !c.is_whitespace())
        .collect();
    match error.kind {
        ErrorKind::Syntax => syntax(error, &token),
        ErrorKind::Value => value(error),
    }
}

fn syntax(error: &NotationError, token: &str) -> String {
    let v2 = error.generation == Generation::V2;
    let first = token.chars().next();
    if error.message.contains("Expected valid syntax") {
        return match first {
            None => "the string ends inside an element or an unclosed /* comment".into(),
            Some('|') if token.starts_with("|0") => beats_from_one(),
            Some('t') if v2 => t_duration(),
            _ => format!(
                "`{token}` cannot follow here: elements need a space between them, and a \
                 number continues only with what its form allows"
            ),
        };
    }
    let zero = token.starts_with('0') || token.contains("|0") || token.contains(",0");
    match first {
        _ if zero && first.is_some_and(|c| c.is_ascii_digit()) => beats_from_one(),
        Some('t') if v2 => t_duration(),
        Some('n') if !v2 => "`n…` durations are 2.x notation; Producer Pal 1.4 writes a \
                              duration in beats: t1, t/2, t3/4"
            .into(),
        Some(c) if c.is_ascii_lowercase() && !v2 && ('a'..='g').contains(&c) => {
            "Producer Pal 1.4 reads pitch letters in upper case only: C3, not c3".into()
        }
        Some(c @ ('A'..='G')) if !v2 && (token[1..].starts_with(['b', '#'])) => format!(
            "Producer Pal 1.4 spells only C# Db D# Eb F# Gb G# Ab A# Bb; `{c}{}` is not one \
             of them (write the enharmonic: B2 for Cb3, F3 for E#3)",
            &token[1..2]
        ),
        Some(c) if c.is_ascii_alphabetic() && !('a'..='g').contains(&c.to_ascii_lowercase()) => {
            format!("`{token}` is not a pitch: pitch letters are A to G, e.g. C3 (middle C)")
        }
        _ => format!("`{token}` is not an element here: {ELEMENTS}"),
    }
}

fn beats_from_one() -> String {
    "bars and beats count from 1: the first beat of the clip is 1|1".into()
}

fn t_duration() -> String {
    "`t…` is a Producer Pal 1.4 duration; 2.x writes note values: n/4 a quarter, n/16 a \
     sixteenth (1.4's t/4 in 4/4), 1bar a whole bar"
        .into()
}

fn value(error: &NotationError) -> String {
    let m = &error.message;
    let text = if m.starts_with("MIDI pitch") {
        "pitches run from C-2 (MIDI 0) to G8 (MIDI 127)"
    } else if m.contains("velocity") {
        "velocity runs from 0 to 127 (v0 deletes earlier notes of that pitch)"
    } else if m.contains("probability") {
        "probability runs from 0.0 to 1.0 (p0.5 plays half the time)"
    } else if m.contains("1-indexed") || m.starts_with("Beat position") {
        "bars and beats count from 1: the first beat of the clip is 1|1"
    } else if m.starts_with("step intervals") {
        "2.x repeat steps are note values: @n/8 an eighth, @n/16 a sixteenth (1.4's @0.5 in \
         4/4 is @n/8)"
    } else if m.starts_with("beat offsets") || m.starts_with("beat positions") {
        "2.x writes an off-grid beat as a grid beat plus a note value: 1|1+n/12 (1.4's 1|4/3)"
    } else if m.starts_with("durations need") || m.contains("bar durations") {
        "2.x durations are n/<denominator> (n/4, n3/8) or Nbar (1bar, 2bar+n/4)"
    } else if m.starts_with("positions use a pipe") || m.contains("single bar|beat") {
        "a position is one bar|beat such as 2|3"
    } else if m.contains("MIDI numbers") {
        "write the note name: 60 is C3"
    } else if m.contains("pattern bracket") {
        "a pattern bracket holds one kind: [C3 E3], [v80 v100], [n/4 n/8] or [p1 p0.5]"
    } else if m.starts_with("Repeat step") {
        "the repeat step must move forward: give a step greater than 0"
    } else {
        "Producer Pal refuses this value"
    };
    text.into()
}
