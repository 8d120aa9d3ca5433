//! Chord symbols and scales as pitch names both generations read: each
//! tone spelled from its degree (`Cm7` has `Eb`, not `D#`) where that
//! gives one of the usual names, else from the root's side of the circle.

/// Semitones above C of each letter, C to B.
const LETTERS: [(char, i32); 7] = [
    ('C', 0),
    ('D', 2),
    ('E', 4),
    ('F', 5),
    ('G', 7),
    ('A', 9),
    ('B', 11),
];

/// A root: its letter's place in [`LETTERS`] and its pitch class.
#[derive(Debug, Clone, Copy)]
struct Root {
    letter: usize,
    class: i32,
    flats: bool,
}

/// Reads a root letter with an optional `#` or `b`; the rest of `text`.
fn root(text: &str) -> Option<(Root, &str)> {
    let mut chars = text.chars();
    let letter = chars.next()?.to_ascii_uppercase();
    let place = LETTERS.iter().position(|(l, _)| *l == letter)?;
    let rest = chars.as_str();
    let (shift, rest) = match rest.chars().next() {
        Some('#') => (1, &rest[1..]),
        Some('b') => (-1, &rest[1..]),
        _ => (0, rest),
    };
    // F and the flat roots write their black keys as flats.
    let flats = shift < 0 || (shift == 0 && letter == 'F');
    let class = (LETTERS[place].1 + shift).rem_euclid(12);
    Some((
        Root {
            letter: place,
            class,
            flats,
        },
        rest,
    ))
}

/// Chord qualities: the suffix of a symbol, and its tones as (degree,
/// semitones above the root); degree 1 is the root, 3 the third...
const QUALITIES: &[(&str, &[(usize, i32)])] = &[
    ("", &[(1, 0), (3, 4), (5, 7)]),
    ("maj", &[(1, 0), (3, 4), (5, 7)]),
    ("m", &[(1, 0), (3, 3), (5, 7)]),
    ("min", &[(1, 0), (3, 3), (5, 7)]),
    ("7", &[(1, 0), (3, 4), (5, 7), (7, 10)]),
    ("maj7", &[(1, 0), (3, 4), (5, 7), (7, 11)]),
    ("M7", &[(1, 0), (3, 4), (5, 7), (7, 11)]),
    ("m7", &[(1, 0), (3, 3), (5, 7), (7, 10)]),
    ("min7", &[(1, 0), (3, 3), (5, 7), (7, 10)]),
    ("mmaj7", &[(1, 0), (3, 3), (5, 7), (7, 11)]),
    ("dim", &[(1, 0), (3, 3), (5, 6)]),
    ("dim7", &[(1, 0), (3, 3), (5, 6), (7, 9)]),
    ("m7b5", &[(1, 0), (3, 3), (5, 6), (7, 10)]),
    ("aug", &[(1, 0), (3, 4), (5, 8)]),
    ("+", &[(1, 0), (3, 4), (5, 8)]),
    ("sus2", &[(1, 0), (2, 2), (5, 7)]),
    ("sus4", &[(1, 0), (4, 5), (5, 7)]),
    ("7sus4", &[(1, 0), (4, 5), (5, 7), (7, 10)]),
    ("add9", &[(1, 0), (3, 4), (5, 7), (9, 14)]),
    ("madd9", &[(1, 0), (3, 3), (5, 7), (9, 14)]),
    ("6", &[(1, 0), (3, 4), (5, 7), (6, 9)]),
    ("m6", &[(1, 0), (3, 3), (5, 7), (6, 9)]),
    ("9", &[(1, 0), (3, 4), (5, 7), (7, 10), (9, 14)]),
    ("maj9", &[(1, 0), (3, 4), (5, 7), (7, 11), (9, 14)]),
    ("m9", &[(1, 0), (3, 3), (5, 7), (7, 10), (9, 14)]),
    ("5", &[(1, 0), (5, 7)]),
];

/// Scale modes: names and semitones above the root of each degree.
const MODES: &[(&str, &[i32])] = &[
    ("major", &[0, 2, 4, 5, 7, 9, 11]),
    ("ionian", &[0, 2, 4, 5, 7, 9, 11]),
    ("minor", &[0, 2, 3, 5, 7, 8, 10]),
    ("aeolian", &[0, 2, 3, 5, 7, 8, 10]),
    ("dorian", &[0, 2, 3, 5, 7, 9, 10]),
    ("phrygian", &[0, 1, 3, 5, 7, 8, 10]),
    ("lydian", &[0, 2, 4, 6, 7, 9, 11]),
    ("mixolydian", &[0, 2, 4, 5, 7, 9, 10]),
    ("locrian", &[0, 1, 3, 5, 6, 8, 10]),
    ("harmonic_minor", &[0, 2, 3, 5, 7, 8, 11]),
    ("melodic_minor", &[0, 2, 3, 5, 7, 9, 11]),
    ("major_pentatonic", &[0, 2, 4, 7, 9]),
    ("minor_pentatonic", &[0, 3, 5, 7, 10]),
    ("blues", &[0, 3, 5, 6, 7, 10]),
    ("chromatic", &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]),
];

/// Black keys as sharps and as flats, by pitch class.
const SHARPS: [&str; 12] = [
    "C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B",
];
const FLATS: [&str; 12] = [
    "C", "Db", "D", "Eb", "E", "F", "Gb", "G", "Ab", "A", "Bb", "B",
];

/// The name of `midi` as the tone `degree` (1-based, letters counted from
/// the root) of `root`: the degree's letter with one accidental when that
/// is a usual name, else the root's side (sharps or flats).
fn spell(root: Root, degree: Option<usize>, midi: i32) -> String {
    let class = midi.rem_euclid(12);
    let octave = midi.div_euclid(12) - 2;
    if let Some(d) = degree {
        let (letter, natural) = LETTERS[(root.letter + d - 1) % 7];
        let name = match (class - natural + 6).rem_euclid(12) - 6 {
            0 => Some(letter.to_string()),
            1 => Some(format!("{letter}#")),
            -1 => Some(format!("{letter}b")),
            _ => None,
        };
        if let Some(n) =
            name.filter(|n| SHARPS.contains(&n.as_str()) || FLATS.contains(&n.as_str()))
        {
            return format!("{n}{octave}");
        }
    }
    let table = if root.flats { &FLATS } else { &SHARPS };
    format!("{}{octave}", table[class as usize])
}

/// The lowest MIDI note Live takes and the highest.
const MIDI: std::ops::RangeInclusive<i32> = 0..=127;

fn in_range(midi: i32, what: &str) -> Result<i32, String> {
    if MIDI.contains(&midi) {
        Ok(midi)
    } else {
        Err(format!("{what} goes past the MIDI range (C-2 to G8)"))
    }
}

/// The tones of a chord symbol with its root in `octave`, lowest first
/// (`Cm7`, 3 is `C3 Eb3 G3 Bb3`).
pub fn chord(symbol: &str, octave: i32) -> Result<Vec<String>, String> {
    let unknown = || {
        let known: Vec<&str> = QUALITIES
            .iter()
            .map(|(q, _)| *q)
            .filter(|q| !q.is_empty())
            .collect();
        format!(
            "`{symbol}` is not a chord this knows: write a root (C, F#, Bb...) and one of: major (no suffix), {}",
            known.join(", ")
        )
    };
    let (root, suffix) = root(symbol.trim()).ok_or_else(unknown)?;
    let (_, tones) = QUALITIES
        .iter()
        .find(|(q, _)| *q == suffix)
        .ok_or_else(unknown)?;
    let base = (octave + 2) * 12 + root.class;
    tones
        .iter()
        .map(|&(degree, semis)| {
            let midi = in_range(base + semis, &format!("`{symbol}` in octave {octave}"))?;
            Ok(spell(root, Some(degree), midi))
        })
        .collect()
}

/// The degrees of a scale over one octave from `root` (`C3`, or `C` for
/// octave 3).
pub fn scale(root_name: &str, mode: &str) -> Result<Vec<String>, String> {
    let bad_root = || format!("`{root_name}` is not a root: write a pitch such as C, F#2 or Bb3");
    let (root, rest) = root(root_name.trim()).ok_or_else(bad_root)?;
    let octave: i32 = match rest {
        "" => 3,
        r => r.parse().map_err(|_| bad_root())?,
    };
    let key = mode.trim().to_ascii_lowercase().replace([' ', '-'], "_");
    let Some((_, steps)) = MODES.iter().find(|(m, _)| *m == key) else {
        let known: Vec<&str> = MODES.iter().map(|(m, _)| *m).collect();
        return Err(format!(
            "`{mode}` is not a scale this knows: one of {}",
            known.join(", ")
        ));
    };
    let base = (octave + 2) * 12 + root.class;
    // Seven-note scales use each letter once; the others spell by the root.
    let lettered = steps.len() == 7;
    steps
        .iter()
        .enumerate()
        .map(|(i, &semis)| {
            let midi = in_range(base + semis, &format!("`{root_name}` {mode}"))?;
            Ok(spell(root, lettered.then_some(i + 1), midi))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chord_tones_are_spelled_from_their_degree() {
        assert_eq!(chord("Cm7", 3).unwrap(), ["C3", "Eb3", "G3", "Bb3"]);
        assert_eq!(chord("D", 3).unwrap(), ["D3", "F#3", "A3"]);
        assert_eq!(chord("Am", 2).unwrap(), ["A2", "C3", "E3"]);
        assert_eq!(chord("Bbmaj7", 2).unwrap(), ["Bb2", "D3", "F3", "A3"]);
        assert_eq!(chord("Cdim", 3).unwrap(), ["C3", "Eb3", "Gb3"]);
        assert_eq!(chord("Caug", 3).unwrap(), ["C3", "E3", "G#3"]);
        assert_eq!(chord("Csus2", 3).unwrap(), ["C3", "D3", "G3"]);
        assert_eq!(chord("Fsus4", 3).unwrap(), ["F3", "Bb3", "C4"]);
        assert_eq!(chord("Cadd9", 3).unwrap(), ["C3", "E3", "G3", "D4"]);
        // Cb is no name 1.4 reads: the root's flats give B.
        assert_eq!(chord("Abm", 3).unwrap(), ["Ab3", "B3", "Eb4"]);
        assert!(
            chord("Cx7", 3)
                .unwrap_err()
                .contains("`Cx7` is not a chord")
        );
        assert!(chord("H", 3).is_err());
        assert!(chord("C", 9).unwrap_err().contains("MIDI range"));
    }

    #[test]
    fn scales_use_each_letter_once() {
        assert_eq!(
            scale("C3", "minor").unwrap(),
            ["C3", "D3", "Eb3", "F3", "G3", "Ab3", "Bb3"]
        );
        assert_eq!(
            scale("E", "dorian").unwrap(),
            ["E3", "F#3", "G3", "A3", "B3", "C#4", "D4"]
        );
        assert_eq!(
            scale("A2", "minor pentatonic").unwrap(),
            ["A2", "C3", "D3", "E3", "G3"]
        );
        assert!(scale("C", "bebop").unwrap_err().contains("`bebop`"));
        assert!(scale("Q", "major").is_err());
    }
}
