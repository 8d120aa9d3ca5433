//! Pitch names: letters, accidentals and octaves per generation, and the
//! MIDI number they stand for (C3 = 60).

use winnow::combinator::{alt, opt};
use winnow::prelude::*;
use winnow::token::one_of;

use super::grammar::{Fail, R};

/// Semitones above C of each letter.
fn letter_value(letter: char) -> i64 {
    match letter.to_ascii_uppercase() {
        'C' => 0,
        'D' => 2,
        'E' => 4,
        'F' => 5,
        'G' => 7,
        'A' => 9,
        _ => 11,
    }
}

/// The MIDI number of a pitch class and octave: `(octave + 2) × 12 + class`.
pub fn midi(class: i64, octave: f64) -> i64 {
    (octave as i64 + 2) * 12 + class
}

/// 1.4.6: uppercase letters; only the ten usual sharps and flats.
pub(super) fn class1(i: &mut &str) -> R<(String, i64)> {
    const TWO: [&str; 10] = ["C#", "Db", "D#", "Eb", "F#", "Gb", "G#", "Ab", "A#", "Bb"];
    let two = |i: &mut &str| -> R<String> {
        let found = TWO
            .iter()
            .find(|t| i.starts_with(**t))
            .ok_or(Fail::Backtrack)?;
        *i = &i[found.len()..];
        Ok((*found).to_owned())
    };
    alt((
        two.map(|t: String| {
            let shift = if t.ends_with('#') { 1 } else { -1 };
            let value = letter_value(t.chars().next().unwrap_or('C')) + shift;
            (t, value)
        }),
        one_of('A'..='G').map(|c: char| (c.to_string(), letter_value(c))),
    ))
    .parse_next(i)
}

/// 2.3: either case; `#`, `♯` sharpen, `b`, `B`, `♭` flatten, on any letter.
pub(super) fn class2(i: &mut &str) -> R<i64> {
    let letter = one_of(('A'..='G', 'a'..='g'));
    let accidental = one_of(['#', '♯', 'b', 'B', '♭']);
    (letter, opt(accidental))
        .map(|(l, a)| {
            letter_value(l)
                + match a {
                    Some('#' | '♯') => 1,
                    Some(_) => -1,
                    None => 0,
                }
        })
        .parse_next(i)
}

/// Sharp spellings both generations read, by pitch class.
const NAMES: [&str; 12] = [
    "C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B",
];

/// The name of a MIDI pitch, e.g. 60 → `C3`.
pub fn name(midi: u8) -> String {
    let octave = i64::from(midi) / 12 - 2;
    format!("{}{octave}", NAMES[usize::from(midi % 12)])
}
