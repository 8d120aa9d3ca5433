//! From elements to the notes Producer Pal sends to Live: the stateful walk
//! (velocity, duration and probability apply to later pitches; a chord
//! sounds at each position until a new pitch), bar copies, and `v0`
//! deletions, with Producer Pal's warnings.

use std::ops::Range;

use super::element::{BarCopy, Bracket, Element, ElementKind, Length, Position, Velocity};
use super::error::{ErrorKind, NotationError, Warning};
use super::meter::Meter;
use super::number::js;
use crate::protocol::Generation;

/// One note as Producer Pal emits it; times in Ableton beats.
#[derive(Debug, Clone, PartialEq)]
pub struct Note {
    pub pitch: u8,
    pub start: f64,
    pub duration: f64,
    pub velocity: u8,
    pub velocity_deviation: u8,
    pub probability: f64,
}

/// The notes of a string and what Producer Pal warned about.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Interpretation {
    pub notes: Vec<Note>,
    pub warnings: Vec<Warning>,
}

/// A pitch waiting for its positions, with the state it captured.
#[derive(Debug, Clone)]
struct Held {
    pitch: i64,
    state: State,
}

#[derive(Debug, Clone, Copy)]
struct State {
    velocity: f64,
    deviation: f64,
    duration: Length,
    probability: f64,
}

/// A note in musical beats, before conversion.
#[derive(Debug, Clone)]
struct Raw {
    pitch: i64,
    start: f64,
    state: State,
}

/// A pattern bracket in force and how far it has cycled.
struct Stream {
    bracket: Bracket,
    next: usize,
}

struct Walk<'a> {
    generation: Generation,
    meter: Meter,
    state: State,
    held: Vec<Held>,
    /// Pitches were read since the last position.
    open: bool,
    changed_after_pitch: bool,
    pitch_streams: Vec<Stream>,
    value_streams: Vec<Stream>,
    notes: Vec<Raw>,
    /// Index in `notes` from which bar copies may read (`@clear` moves it).
    copy_from: usize,
    warnings: &'a mut Vec<Warning>,
}

/// Interprets parsed elements in `meter`.
pub fn interpret_elements(
    elements: &[Element],
    generation: Generation,
    meter: Meter,
) -> Result<Interpretation, NotationError> {
    let mut warnings = Vec::new();
    let duration = match generation {
        Generation::V1 => Length::beats(1.0),
        Generation::V2 => Length::whole(0.25),
    };
    let state = State {
        velocity: 100.0,
        deviation: 0.0,
        duration,
        probability: 1.0,
    };
    let mut walk = Walk {
        generation,
        meter,
        state,
        held: Vec::new(),
        open: false,
        changed_after_pitch: false,
        pitch_streams: Vec::new(),
        value_streams: Vec::new(),
        notes: Vec::new(),
        copy_from: 0,
        warnings: &mut warnings,
    };
    for element in elements {
        walk.element(element)?;
    }
    if walk.open && !(walk.held.is_empty() && walk.pitch_streams.is_empty()) {
        let n = walk.held.len() + walk.pitch_streams.len();
        walk.warn(
            format!("{n} pitch(es) buffered but no time position to emit them"),
            None,
        );
    }
    let notes = finish(std::mem::take(&mut walk.notes), meter);
    Ok(Interpretation { notes, warnings })
}

impl Walk<'_> {
    fn warn(&mut self, message: String, span: Option<Range<usize>>) {
        self.warnings.push(Warning { message, span });
    }

    fn element(&mut self, element: &Element) -> Result<(), NotationError> {
        let span = element.span.clone();
        match &element.kind {
            ElementKind::Pitch(p) => {
                self.start_group();
                if self.generation == Generation::V2 && !(0..=127).contains(&p.midi) {
                    let m = format!(
                        "MIDI pitch {} outside valid range 0-127; note skipped",
                        p.midi
                    );
                    self.warn(m, Some(span));
                } else {
                    self.held.push(Held {
                        pitch: p.midi,
                        state: self.state,
                    });
                }
                self.changed_after_pitch = false;
            }
            ElementKind::Velocity(v) => {
                let (lo, hi) = match *v {
                    Velocity::Single(x) => {
                        let x = self.clamp_velocity(x, &span);
                        (x, x)
                    }
                    Velocity::Range(a, b) => {
                        (self.clamp_velocity(a, &span), self.clamp_velocity(b, &span))
                    }
                };
                self.set(|s| {
                    s.velocity = lo;
                    s.deviation = hi - lo;
                });
                self.value_streams
                    .retain(|s| !matches!(s.bracket, Bracket::Velocities(_)));
            }
            ElementKind::Duration(d) => {
                let d = *d;
                self.set(|s| s.duration = d);
                self.value_streams
                    .retain(|s| !matches!(s.bracket, Bracket::Durations(_)));
            }
            ElementKind::Probability(p) => {
                let mut p = *p;
                if !(0.0..=1.0).contains(&p) {
                    let to = p.clamp(0.0, 1.0);
                    let m = format!(
                        "probability {} outside valid range 0.0-1.0; clamped to {}",
                        js(p),
                        js(to)
                    );
                    self.warn(m, Some(span.clone()));
                    p = to;
                }
                self.set(|s| s.probability = p);
                self.value_streams
                    .retain(|s| !matches!(s.bracket, Bracket::Probabilities(_)));
            }
            ElementKind::Bracket(b) => self.bracket(b),
            ElementKind::Time(positions) => self.positions(positions, &span)?,
            ElementKind::BarCopy(copy) => self.bar_copy(copy, &span),
        }
        Ok(())
    }

    fn clamp_velocity(&mut self, v: f64, span: &Range<usize>) -> f64 {
        if (0.0..=127.0).contains(&v) {
            return v;
        }
        let to = v.clamp(0.0, 127.0);
        let m = format!(
            "velocity {} outside valid range 0-127; clamped to {}",
            js(v),
            js(to)
        );
        self.warn(m, Some(span.clone()));
        to
    }

    /// A new pitch after a position starts a new chord.
    fn start_group(&mut self) {
        if !self.open {
            self.held.clear();
            self.pitch_streams.clear();
            self.open = true;
        }
    }

    /// A state change: later pitches take it, and a chord already sounded
    /// takes it for its later positions.
    fn set(&mut self, change: impl Fn(&mut State)) {
        change(&mut self.state);
        if self.open {
            if !self.held.is_empty() || !self.pitch_streams.is_empty() {
                self.changed_after_pitch = true;
            }
        } else {
            self.held.iter_mut().for_each(|h| change(&mut h.state));
        }
    }

    fn bracket(&mut self, bracket: &Bracket) {
        let stream = Stream {
            bracket: bracket.clone(),
            next: 0,
        };
        if matches!(bracket, Bracket::Pitches(_)) {
            self.start_group();
            self.pitch_streams.push(stream);
            self.changed_after_pitch = false;
        } else {
            let same = std::mem::discriminant(bracket);
            self.value_streams
                .retain(|s| std::mem::discriminant(&s.bracket) != same);
            self.value_streams.push(stream);
        }
    }

    fn positions(
        &mut self,
        positions: &[Position],
        span: &Range<usize>,
    ) -> Result<(), NotationError> {
        if self.held.is_empty() && self.pitch_streams.is_empty() {
            let first = &positions[0];
            let at = format!("{}|{}", js(first.bar), js(self.meter.musical(first.beat)));
            self.warn(
                format!("Time position {at} has no pitches"),
                Some(span.clone()),
            );
            self.open = false;
            return Ok(());
        }
        if self.open && self.changed_after_pitch {
            let m = match self.generation {
                Generation::V1 => {
                    "state change after pitch(es) but before time position won't affect this group"
                }
                Generation::V2 => {
                    "velocity/duration/probability set after the note(s) but before the time \
                     position has no effect: these apply to the notes that follow, so put the \
                     setting before them (v1 C4, not C4 v1)"
                }
            };
            self.warn(m.to_owned(), Some(span.clone()));
        }
        self.open = false;
        self.changed_after_pitch = false;
        let bar_beats = self.meter.beats_per_bar();
        for p in positions {
            let mut at = (p.bar - 1.0) * bar_beats + self.meter.musical(p.beat) - 1.0;
            let Some(repeat) = &p.repeat else {
                self.emit(at);
                continue;
            };
            if repeat.times > 100 {
                let m = format!(
                    "Repeat pattern generates {} notes, which may be excessive",
                    repeat.times
                );
                self.warn(m, Some(span.clone()));
            }
            let fixed = repeat.step.map(|s| self.meter.musical(s));
            if fixed.is_some_and(|s| s <= 0.0) {
                return Err(NotationError {
                    kind: ErrorKind::Value,
                    span: span.clone(),
                    message: "Repeat step size must be greater than 0".into(),
                    offset_utf16: None,
                    generation: self.generation,
                });
            }
            for _ in 0..repeat.times {
                let duration = self.emit(at);
                at += fixed.unwrap_or(duration);
            }
        }
        Ok(())
    }

    /// Sounds the chord at `at` (musical beats); answers the duration used,
    /// which a repeat without a step advances by.
    fn emit(&mut self, at: f64) -> f64 {
        let mut pitches: Vec<Held> = self.held.clone();
        for stream in &mut self.pitch_streams {
            if let Bracket::Pitches(steps) = &stream.bracket {
                let chord = &steps[stream.next % steps.len()];
                for p in chord {
                    if (0..=127).contains(&p.midi) {
                        pitches.push(Held {
                            pitch: p.midi,
                            state: self.state,
                        });
                    }
                }
                stream.next += 1;
            }
        }
        let mut duration = None;
        for stream in &mut self.value_streams {
            let i = stream.next;
            stream.next += 1;
            for h in &mut pitches {
                match &stream.bracket {
                    Bracket::Velocities(v) => {
                        let (lo, hi) = match v[i % v.len()] {
                            Velocity::Single(x) => (x, x),
                            Velocity::Range(a, b) => (a, b),
                        };
                        h.state.velocity = lo.clamp(0.0, 127.0);
                        h.state.deviation = hi.clamp(0.0, 127.0) - h.state.velocity;
                    }
                    Bracket::Durations(d) => h.state.duration = d[i % d.len()],
                    Bracket::Probabilities(p) => {
                        h.state.probability = p[i % p.len()].clamp(0.0, 1.0)
                    }
                    Bracket::Pitches(_) => {}
                }
            }
            if let Bracket::Durations(d) = &stream.bracket {
                duration = Some(self.meter.musical(d[i % d.len()]));
            }
        }
        let duration = duration.unwrap_or_else(|| self.meter.musical(self.state.duration));
        for h in pitches {
            self.notes.push(Raw {
                pitch: h.pitch,
                start: at,
                state: h.state,
            });
        }
        duration
    }

    fn bar_copy(&mut self, copy: &BarCopy, span: &Range<usize>) {
        let BarCopy::Copy {
            destination: (a, b),
            source,
            ..
        } = copy
        else {
            self.copy_from = self.notes.len();
            return;
        };
        let (a, b) = (*a, *b);
        if a > b {
            self.warn(
                format!("Invalid destination range @{a}-{b}= (start > end)"),
                Some(span.clone()),
            );
            return;
        }
        for (i, dest) in (a..=b).enumerate() {
            let i = i as u64;
            let src = match source {
                None => a - 1,
                Some((p, q)) if p == q => *p,
                Some((p, q)) if a == b => {
                    // One destination, a source range: the range lands from there on.
                    for (k, s) in (*p..=*q).enumerate() {
                        self.copy_bar(s, a + k as u64, span);
                    }
                    return;
                }
                Some((p, q)) => p + i % (q - p + 1),
            };
            self.copy_bar(src, dest, span);
        }
    }

    fn copy_bar(&mut self, src: u64, dest: u64, span: &Range<usize>) {
        let bar = self.meter.beats_per_bar();
        let (lo, hi) = ((src as f64 - 1.0) * bar, src as f64 * bar);
        let shift = (dest as f64 - src as f64) * bar;
        let copies: Vec<Raw> = (self.notes[self.copy_from..].iter())
            .filter(|n| n.start >= lo - 1e-9 && n.start < hi - 1e-9)
            .map(|n| Raw {
                start: n.start + shift,
                ..n.clone()
            })
            .collect();
        if copies.is_empty() {
            self.warn(
                format!("Bar {src} is empty, nothing to copy"),
                Some(span.clone()),
            );
        }
        self.notes.extend(copies);
    }
}

/// `v0` notes delete earlier notes of their pitch at their time, then
/// themselves; the rest become Ableton-beat notes.
fn finish(raw: Vec<Raw>, meter: Meter) -> Vec<Note> {
    let mut kept: Vec<Raw> = Vec::with_capacity(raw.len());
    for n in raw {
        if n.state.velocity == 0.0 {
            kept.retain(|k| !(k.pitch == n.pitch && (k.start - n.start).abs() < 0.001));
        } else {
            kept.push(n);
        }
    }
    (kept.into_iter())
        .map(|n| Note {
            pitch: n.pitch as u8,
            start: meter.ableton(n.start),
            duration: meter.ableton(meter.musical(n.state.duration)),
            velocity: n.state.velocity as u8,
            velocity_deviation: n.state.deviation as u8,
            probability: n.state.probability,
        })
        .collect()
}
