//! What a notes string is made of once read: elements, each with its byte
//! span, in the order they appear.

use std::ops::Range;

/// One element of a notes string and where it is.
#[derive(Debug, Clone, PartialEq)]
pub struct Element {
    pub kind: ElementKind,
    /// Byte range in the string.
    pub span: Range<usize>,
}

/// A length in the units a generation writes it in; musical beats are the
/// meter's beats (`bars × numerator + beats + whole × denominator`).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Length {
    pub bars: f64,
    pub beats: f64,
    /// A fraction of a whole note (2.x `n…`).
    pub whole: f64,
}

impl Length {
    pub fn beats(beats: f64) -> Length {
        Length {
            beats,
            ..Length::default()
        }
    }
    pub fn whole(whole: f64) -> Length {
        Length {
            whole,
            ..Length::default()
        }
    }
}

/// A pitch as written: its MIDI number (2.x may be out of 0–127) and name.
#[derive(Debug, Clone, PartialEq)]
pub struct Pitch {
    pub midi: i64,
    pub name: String,
}

/// One `bar|beat` of a time element, with its repeat if any.
#[derive(Debug, Clone, PartialEq)]
pub struct Position {
    /// 1-based; a float because Producer Pal reads any length of digits.
    pub bar: f64,
    /// 1-based beat in musical beats (a 2.x note-value offset included).
    pub beat: Length,
    pub repeat: Option<Repeat>,
}

/// `x count [@ step]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Repeat {
    pub times: u64,
    /// None: the current duration.
    pub step: Option<Length>,
}

/// A bar copy: `@N=`, `@N=M`, `@N-M=P-Q` …, or `@clear`.
#[derive(Debug, Clone, PartialEq)]
pub enum BarCopy {
    Clear,
    Copy {
        destination: (u64, u64),
        /// None: the bar before the destination.
        source: Option<(u64, u64)>,
        /// Whether the destination was written as a range.
        destination_range: bool,
        source_range: bool,
    },
}

/// A 2.x pattern bracket: values that cycle, one per emitted position.
#[derive(Debug, Clone, PartialEq)]
pub enum Bracket {
    /// Each step is a chord (a single pitch is a chord of one).
    Pitches(Vec<Vec<Pitch>>),
    Velocities(Vec<Velocity>),
    Durations(Vec<Length>),
    Probabilities(Vec<f64>),
}

/// `vN` or `vA-B` as written (2.x clamps later, with a warning).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Velocity {
    Single(f64),
    Range(f64, f64),
}

#[derive(Debug, Clone, PartialEq)]
pub enum ElementKind {
    Pitch(Pitch),
    Time(Vec<Position>),
    Velocity(Velocity),
    Duration(Length),
    Probability(f64),
    BarCopy(BarCopy),
    Bracket(Bracket),
}
