//! Step patterns and Euclidean rhythms, turned into notes that the notation
//! module writes in a generation's bar|beat.

use crate::notation::{Meter, Note};

/// A note value such as `1/16`, `1/8t` (triplet) or `1/4d` (dotted), in
/// Ableton beats (quarter notes). Why not: the text of the error.
pub fn note_value(text: &str) -> Result<f64, String> {
    let bad = || {
        format!(
            "`{text}` is not a note value: write n/d with d a power of two up to 128, e.g. 1/16, 1/8t (triplet) or 1/4d (dotted)"
        )
    };
    let (body, factor) = match text.trim() {
        t if t.ends_with('t') => (&t[..t.len() - 1], 2.0 / 3.0),
        t if t.ends_with('d') => (&t[..t.len() - 1], 1.5),
        t => (t, 1.0),
    };
    let (n, d) = body.split_once('/').ok_or_else(bad)?;
    let n: u32 = n.parse().map_err(|_| bad())?;
    let d: u32 = d.parse().map_err(|_| bad())?;
    if n == 0 || d == 0 || !d.is_power_of_two() || d > 128 {
        return Err(bad());
    }
    Ok(4.0 * f64::from(n) / f64::from(d) * factor)
}

/// What a step of a pattern says.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Step {
    Rest,
    Hit,
    Accent,
}

/// Reads a step pattern: `x` a hit, `X` an accent, `.` or `-` a rest;
/// spaces and `|` only group the steps for the eye.
pub fn pattern(text: &str) -> Result<Vec<Step>, String> {
    text.chars()
        .filter(|c| !c.is_whitespace() && *c != '|')
        .map(|c| match c {
            'x' => Ok(Step::Hit),
            'X' => Ok(Step::Accent),
            '.' | '-' => Ok(Step::Rest),
            other => Err(format!(
                "`{other}` is not a step: write x (a hit), X (an accent), . or - (a rest); spaces and | only group"
            )),
        })
        .collect()
}

/// How the hits of a pattern sound.
#[derive(Debug, Clone, PartialEq)]
pub struct Voicing {
    /// MIDI pitches struck together at every hit.
    pub pitches: Vec<u8>,
    /// One step, in Ableton beats.
    pub grid: f64,
    /// Each note's length, in Ableton beats.
    pub length: f64,
    /// The bar the first step falls on, from 1.
    pub bar: u32,
    pub velocity: u8,
    pub accent: u8,
    pub meter: Meter,
}

/// The notes of `steps` voiced as `v`, in time order.
pub fn notes(steps: &[Step], v: &Voicing) -> Vec<Note> {
    let bar_start = f64::from(v.bar - 1) * v.meter.ableton(v.meter.beats_per_bar());
    let mut out = Vec::new();
    for (i, step) in steps.iter().enumerate() {
        let velocity = match step {
            Step::Rest => continue,
            Step::Hit => v.velocity,
            Step::Accent => v.accent,
        };
        for &pitch in &v.pitches {
            out.push(Note {
                pitch,
                start: bar_start + i as f64 * v.grid,
                duration: v.length,
                velocity,
                velocity_deviation: 0,
                probability: 1.0,
            });
        }
    }
    out
}

/// The Euclidean rhythm of `hits` spread as evenly as they go over `steps`,
/// as a step pattern (`x` and `.`), turned `rotate` steps later.
pub fn euclid(hits: u32, steps: u32, rotate: i64) -> Result<String, String> {
    if steps == 0 || steps > 1024 {
        return Err(format!("euclid() takes 1 to 1024 steps, not {steps}"));
    }
    if hits > steps {
        return Err(format!("euclid() cannot fit {hits} hits in {steps} steps"));
    }
    let n = i64::from(steps);
    let shift = rotate.rem_euclid(n);
    Ok((0..n)
        .map(|i| {
            let k = (i - shift).rem_euclid(n);
            if (k * i64::from(hits)) % n < i64::from(hits) {
                'x'
            } else {
                '.'
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn euclidean_rhythms_spread_their_hits() {
        assert_eq!(euclid(3, 8, 0).unwrap(), "x..x..x.");
        assert_eq!(euclid(4, 16, 0).unwrap(), "x...x...x...x...");
        assert_eq!(euclid(3, 8, 1).unwrap(), ".x..x..x");
        assert_eq!(euclid(3, 8, -1).unwrap(), "..x..x.x");
        assert_eq!(euclid(0, 4, 0).unwrap(), "....");
        assert_eq!(euclid(5, 8, 0).unwrap().matches('x').count(), 5);
        assert!(euclid(9, 8, 0).is_err());
        assert!(euclid(1, 0, 0).is_err());
    }

    #[test]
    fn note_values_and_patterns_are_read_or_refused() {
        assert_eq!(note_value("1/16"), Ok(0.25));
        assert_eq!(note_value("1/4d"), Ok(1.5));
        assert!((note_value("1/8t").unwrap() - 1.0 / 3.0).abs() < 1e-12);
        for bad in ["1/3", "0/4", "quarter", "1/256", "1/"] {
            assert!(note_value(bad).is_err(), "{bad}");
        }
        assert_eq!(
            pattern("x. |X-").unwrap(),
            [Step::Hit, Step::Rest, Step::Accent, Step::Rest]
        );
        assert!(pattern("x.o.").unwrap_err().contains("`o`"));
    }
}
