//! The token grammar of each generation, as winnow parsers.
//!
//! Producer Pal's grammar is a PEG whose named rules (pitch, time position,
//! ...) are silent inside: a failure within a token never counts towards the
//! reported position. So the tokens are parsed here with ordinary ordered
//! choice, and only the top level ([`super::parser`]) tracks the furthest
//! failure. A value refused by a grammar action is a non-backtracking
//! [`Fail::Thrown`] that stops the whole parse, as a thrown error does there.

use winnow::combinator::{alt, opt, separated};
use winnow::error::ParserError;
use winnow::prelude::*;
use winnow::token::{one_of, take_while};

use super::element::{BarCopy, Bracket, ElementKind, Length, Pitch, Position, Repeat, Velocity};
use super::number::js;
use super::pitch;
use crate::protocol::Generation;

/// Why a token parser stopped.
#[derive(Debug)]
pub(super) enum Fail {
    /// Not this token; the caller may try another.
    Backtrack,
    /// A value Producer Pal refuses; `rest` is the input left when refused.
    Thrown { message: String, rest: usize },
}

impl<'a> ParserError<&'a str> for Fail {
    type Inner = Self;
    fn from_input(_: &&'a str) -> Self {
        Fail::Backtrack
    }
    fn into_inner(self) -> Result<Self, Self> {
        Ok(self)
    }
    fn is_backtrack(&self) -> bool {
        matches!(self, Fail::Backtrack)
    }
}

pub(super) type R<T> = Result<T, Fail>;

fn throw<T>(i: &&str, message: String) -> R<T> {
    Err(Fail::Thrown {
        message,
        rest: i.len(),
    })
}

fn digits0<'a>(i: &mut &'a str) -> R<&'a str> {
    take_while(0.., |c: char| c.is_ascii_digit()).parse_next(i)
}

fn digits1<'a>(i: &mut &'a str) -> R<&'a str> {
    take_while(1.., |c: char| c.is_ascii_digit()).parse_next(i)
}

fn num(text: &str) -> f64 {
    text.parse().unwrap_or(f64::NAN)
}

/// `[1-9][0-9]*`
fn int1(i: &mut &str) -> R<f64> {
    (one_of('1'..='9'), digits0).take().map(num).parse_next(i)
}

/// `[0-9]+`
fn uint(i: &mut &str) -> R<f64> {
    digits1.map(num).parse_next(i)
}

/// `-?[0-9]+`
fn sint(i: &mut &str) -> R<f64> {
    (opt('-'), digits1)
        .map(|(sign, d)| if sign.is_some() { -num(d) } else { num(d) })
        .parse_next(i)
}

/// `[0-9]+(\.[0-9]*)? | \.[0-9]+`
fn udecimal(i: &mut &str) -> R<f64> {
    alt(((digits1, opt(('.', digits0))).take(), ('.', digits1).take()))
        .map(|t: &str| num(t.strip_suffix('.').unwrap_or(t)))
        .parse_next(i)
}

/// `[1-9][0-9]*(\.[0-9]*)?`
fn decimal1(i: &mut &str) -> R<f64> {
    (int1, opt(('.', digits0)))
        .take()
        .map(|t: &str| num(t.strip_suffix('.').unwrap_or(t)))
        .parse_next(i)
}

/// `[0-9]*/[1-9][0-9]*`, an empty numerator meaning 1.
fn ufraction(i: &mut &str) -> R<f64> {
    (digits0, '/', (one_of('1'..='9'), digits0).take())
        .map(|(n, _, d): (&str, char, &str)| if n.is_empty() { 1.0 } else { num(n) } / num(d))
        .parse_next(i)
}

/// 2.x fractions also take a decimal numerator: `n1.5/4`.
fn fraction2(i: &mut &str) -> R<f64> {
    let numerator = (digits0, opt(('.', digits1))).take();
    (numerator, '/', (one_of('1'..='9'), digits0).take())
        .map(|(n, _, d): (&str, char, &str)| if n.is_empty() { 1.0 } else { num(n) } / num(d))
        .parse_next(i)
}

/// `int+fraction`
fn mixed(i: &mut &str) -> R<f64> {
    (uint, '+', ufraction).map(|(w, _, f)| w + f).parse_next(i)
}

/// One element of the given generation (the named rules, in grammar order).
pub(super) fn element(generation: Generation, i: &mut &str) -> R<ElementKind> {
    match generation {
        Generation::V1 => alt((
            bar_copy.map(ElementKind::BarCopy),
            time1.map(ElementKind::Time),
            probability(true).map(ElementKind::Probability),
            velocity1.map(ElementKind::Velocity),
            duration1.map(ElementKind::Duration),
            pitch1.map(ElementKind::Pitch),
        ))
        .parse_next(i),
        Generation::V2 => alt((
            bar_copy.map(ElementKind::BarCopy),
            time2.map(ElementKind::Time),
            bracket.map(ElementKind::Bracket),
            probability(false).map(ElementKind::Probability),
            velocity2.map(ElementKind::Velocity),
            duration2.map(ElementKind::Duration),
            pitch2.map(ElementKind::Pitch),
        ))
        .parse_next(i),
    }
}

fn bar_or_range(i: &mut &str) -> R<((u64, u64), bool)> {
    alt((
        (int1, '-', int1).map(|(a, _, b)| ((a as u64, b as u64), true)),
        int1.map(|a| ((a as u64, a as u64), false)),
    ))
    .parse_next(i)
}

fn bar_copy(i: &mut &str) -> R<BarCopy> {
    alt((
        ('@', "clear").value(BarCopy::Clear),
        ('@', bar_or_range, '=', opt(bar_or_range)).map(|(_, d, _, s)| BarCopy::Copy {
            destination: d.0,
            destination_range: d.1,
            source: s.map(|s| s.0),
            source_range: s.is_some_and(|s| s.1),
        }),
    ))
    .parse_next(i)
}

fn probability(checked: bool) -> impl FnMut(&mut &str) -> R<f64> {
    move |i: &mut &str| {
        let value = ('p', udecimal).map(|(_, v)| v).parse_next(i)?;
        if checked && !(0.0..=1.0).contains(&value) {
            return throw(
                i,
                format!("Note probability {} outside valid range 0.0-1.0", js(value)),
            );
        }
        Ok(value)
    }
}

// ---- 1.4.6 ----

fn time1(i: &mut &str) -> R<Vec<Position>> {
    let (bar, _) = (int1, '|').parse_next(i)?;
    let specs: Vec<(Length, Option<Repeat>)> = separated(1.., beat_spec1, ',').parse_next(i)?;
    Ok(positions(bar, specs))
}

fn positions(bar: f64, specs: Vec<(Length, Option<Repeat>)>) -> Vec<Position> {
    (specs.into_iter())
        .map(|(beat, repeat)| Position { bar, beat, repeat })
        .collect()
}

fn beat_spec1(i: &mut &str) -> R<(Length, Option<Repeat>)> {
    alt((
        |i: &mut &str| {
            let (start, _, times, step) =
                (beat1, 'x', int1, opt(('@', step1).map(|(_, s)| s))).parse_next(i)?;
            if step == Some(0.0) {
                return throw(i, "Repeat step size must be greater than 0".into());
            }
            let step = step.map(Length::beats);
            Ok((
                start,
                Some(Repeat {
                    times: times as u64,
                    step,
                }),
            ))
        },
        beat1.map(|b| (b, None)),
    ))
    .parse_next(i)
}

fn beat1(i: &mut &str) -> R<Length> {
    alt((
        (int1, '+', ufraction).map(|(w, _, f)| w + f),
        |i: &mut &str| {
            let text = (int1, '/', int1).take().parse_next(i)?;
            let (n, d) = text.split_once('/').unwrap_or_default();
            let value = num(n) / num(d);
            if value < 1.0 {
                return throw(
                    i,
                    format!("Beat position must be 1 or greater (got {text})"),
                );
            }
            Ok(value)
        },
        decimal1,
    ))
    .map(Length::beats)
    .parse_next(i)
}

fn step1(i: &mut &str) -> R<f64> {
    alt((mixed, ufraction, udecimal)).parse_next(i)
}

fn velocity1(i: &mut &str) -> R<Velocity> {
    alt((
        |i: &mut &str| {
            let (_, a, _, b) = ('v', uint, '-', uint).parse_next(i)?;
            if !(0.0..=127.0).contains(&a) || !(0.0..=127.0).contains(&b) {
                return throw(i, format!("Invalid velocity range {}-{}", js(a), js(b)));
            }
            Ok(Velocity::Range(a.min(b), a.max(b)))
        },
        |i: &mut &str| {
            let (_, v) = ('v', uint).parse_next(i)?;
            if !(0.0..=127.0).contains(&v) {
                return throw(
                    i,
                    format!("MIDI velocity {} outside valid range 0-127", js(v)),
                );
            }
            Ok(Velocity::Single(v))
        },
    ))
    .parse_next(i)
}

fn duration1(i: &mut &str) -> R<Length> {
    let bar_beats = (uint, ':', udecimal).map(|(bars, _, beats)| Length {
        bars,
        beats,
        whole: 0.0,
    });
    let beats = alt((mixed, ufraction, udecimal)).map(Length::beats);
    ('t', alt((bar_beats, beats))).map(|(_, l)| l).parse_next(i)
}

fn pitch1(i: &mut &str) -> R<Pitch> {
    let (class, octave) = (pitch::class1, sint).parse_next(i)?;
    let pitch = pitch::midi(class.1, octave);
    let name = format!("{}{}", class.0, js(octave));
    if !(0..=127).contains(&pitch) {
        return throw(
            i,
            format!("MIDI pitch {pitch} ({name}) outside valid range 0-127"),
        );
    }
    Ok(Pitch { midi: pitch, name })
}

// ---- 2.3 ----

fn hspace<'a>(i: &mut &'a str) -> R<&'a str> {
    take_while(0.., [' ', '\t']).parse_next(i)
}

fn time2(i: &mut &str) -> R<Vec<Position>> {
    let (bar, _) = (int1, '|').parse_next(i)?;
    let mut out = positions(bar, vec![beat_spec2.parse_next(i)?]);
    let mut bar = bar;
    loop {
        let start = *i;
        if (hspace, ',', hspace).parse_next(i).is_err() {
            *i = start;
            break;
        }
        let after_comma = *i;
        if let Ok((b, _)) = (int1, '|').parse_next(i) {
            bar = b;
        } else {
            *i = after_comma;
        }
        match beat_spec2.parse_next(i) {
            Ok(spec) => out.extend(positions(bar, vec![spec])),
            Err(Fail::Backtrack) => {
                // One trailing comma is allowed (with the spaces before it).
                *i = after_comma;
                break;
            }
            Err(e) => return Err(e),
        }
    }
    Ok(out)
}

fn beat_spec2(i: &mut &str) -> R<(Length, Option<Repeat>)> {
    alt((
        |i: &mut &str| {
            let (start, _, times, step) = (beat2, 'x', int1, opt(step2)).parse_next(i)?;
            if step.is_some_and(|s: Length| s.bars == 0.0 && s.whole == 0.0) {
                return throw(i, "Repeat step size must be greater than 0".into());
            }
            Ok((
                start,
                Some(Repeat {
                    times: times as u64,
                    step,
                }),
            ))
        },
        beat2.map(|b| (b, None)),
    ))
    .parse_next(i)
}

fn sign(i: &mut &str) -> R<f64> {
    alt(('+'.value(1.0), '-'.value(-1.0))).parse_next(i)
}

fn beat2(i: &mut &str) -> R<Length> {
    alt((
        (decimal1, sign, 'n', fraction2).map(|(b, s, _, f)| Length {
            bars: 0.0,
            beats: b,
            whole: s * f,
        }),
        |i: &mut &str| {
            (int1, '-', int1, '|').parse_next(i)?;
            throw(
                i,
                "a position is a single bar|beat (e.g. 1|1). For a span, use a transform time \
                 filter (1|1-2|1: ...)."
                    .into(),
            )
        },
        |i: &mut &str| {
            let (text, (_, sign, _)) =
                (int1, one_of(['+', '-']), alt((mixed, ufraction, udecimal)))
                    .with_taken()
                    .map(|(a, b)| (b, a))
                    .parse_next(i)?;
            throw(
                i,
                format!(
                    "beat offsets use the note-value form: 1|1+n/12 = beat 1 + an eighth triplet, \
                     1|2-n/24. Got {text} — note-value offsets need the n prefix (write {sign}n/3, \
                     not {sign}{}).",
                    &text[text.find(sign).map_or(0, |p| p + 1)..]
                ),
            )
        },
        |i: &mut &str| {
            let text = (int1, '/', int1).take().parse_next(i)?;
            throw(
                i,
                format!(
                    "beat positions are a grid beat with an optional note-value offset (1|1, \
                     1|1+n/12) or a decimal (1|1.5). Got bare fraction {text} — write the \
                     grid+offset form instead (4/3 → 1+n/12)."
                ),
            )
        },
        decimal1.map(Length::beats),
        |i: &mut &str| {
            let text = ('0', digits0, opt(('.', digits0))).take().parse_next(i)?;
            throw(
                i,
                format!(
                    "beats are 1-indexed: the downbeat is beat 1 (e.g. 1|1); for a pickup before \
                     it, offset from beat 1 (e.g. 1|1-n/4). Got beat {text}."
                ),
            )
        },
    ))
    .parse_next(i)
}

fn step2(i: &mut &str) -> R<Length> {
    alt((
        ('@', int1, "bar", opt((sign, 'n', fraction2))).map(|(_, bars, _, f)| Length {
            bars,
            beats: 0.0,
            whole: f.map_or(0.0, |(s, _, f)| s * f),
        }),
        ('@', 'n', fraction2).map(|(_, _, f)| Length::whole(f)),
        |i: &mut &str| {
            let (_, bad) = ('@', alt((mixed, ufraction, udecimal)).take()).parse_next(i)?;
            throw(
                i,
                format!(
                    "step intervals use the note-value form: @n/4 = quarter, @n/8 = eighth, \
                     @n/12 = eighth triplet, @1bar = one bar. Got @{bad} — note values need the \
                     n prefix (@n/4, not @/4); bars use Nbar (@1bar)."
                ),
            )
        },
    ))
    .parse_next(i)
}

fn velocity2(i: &mut &str) -> R<Velocity> {
    alt((
        |i: &mut &str| {
            let (text, (_, a, _, b)) = ('v', uint, '-', uint)
                .with_taken()
                .map(|(a, b)| (b, a))
                .parse_next(i)?;
            if a.min(b) == 0.0 {
                return throw(
                    i,
                    format!(
                        "\"{text}\" is invalid: velocity ranges must start at 1 or higher — v0 is \
                         the delete sentinel, not a range floor. Use v1-N for a low humanization \
                         floor, or a bare v0 to delete."
                    ),
                );
            }
            Ok(Velocity::Range(a.min(b), a.max(b)))
        },
        ('v', uint).map(|(_, v)| Velocity::Single(v)),
    ))
    .parse_next(i)
}

fn duration2(i: &mut &str) -> R<Length> {
    alt((
        (int1, "bar", opt('s'), opt((sign, 'n', fraction2))).map(|(bars, _, _, f)| Length {
            bars,
            beats: 0.0,
            whole: f.map_or(0.0, |(s, _, f)| s * f),
        }),
        |i: &mut &str| {
            let (text, (_, n, _)) = ('n', alt((fraction2.take(), udecimal.take())), "bar")
                .with_taken()
                .map(|(a, b)| (b, a))
                .parse_next(i)?;
            let digits = n
                .rsplit(|c: char| !c.is_ascii_digit())
                .next()
                .unwrap_or("1");
            throw(
                i,
                format!(
                    "\"{text}\" is invalid: bar durations don't use the \"n\" prefix — write Nbar \
                     (e.g. {digits}bar)."
                ),
            )
        },
        ('n', fraction2, opt(one_of(['d', 't']))).map(|(_, f, s)| {
            Length::whole(match s {
                Some('d') => f * 1.5,
                Some(_) => f * 2.0 / 3.0,
                None => f,
            })
        }),
        |i: &mut &str| {
            let (_, bad) = ('n', alt((mixed, udecimal)).take()).parse_next(i)?;
            throw(
                i,
                format!(
                    "durations need a denominator: n/4 = quarter, n/8 = eighth, n/12 = eighth \
                     triplet, or a bar form like 1bar or 1bar+n/4. Got n{bad}"
                ),
            )
        },
    ))
    .parse_next(i)
}

fn pitch2(i: &mut &str) -> R<Pitch> {
    let (text, (class, octave)) = (pitch::class2, sint)
        .with_taken()
        .map(|(a, b)| (b, a))
        .parse_next(i)?;
    Ok(Pitch {
        midi: pitch::midi(class, octave),
        name: text.to_owned(),
    })
}

fn space1<'a>(i: &mut &'a str) -> R<&'a str> {
    take_while(1.., [' ', '\t', '\r', '\n']).parse_next(i)
}

fn space0<'a>(i: &mut &'a str) -> R<&'a str> {
    take_while(0.., [' ', '\t', '\r', '\n']).parse_next(i)
}

fn chord(i: &mut &str) -> R<Vec<Pitch>> {
    ('(', space0, separated(1.., pitch2, space1), space0, ')')
        .map(|(_, _, p, _, _)| p)
        .parse_next(i)
}

/// One value inside a pattern bracket.
enum Item {
    Pitches(Vec<Pitch>),
    Velocity(Velocity),
    Duration(Length),
    Probability(f64),
}

fn item(i: &mut &str) -> R<Item> {
    alt((
        chord.map(Item::Pitches),
        probability(false).map(Item::Probability),
        velocity2.map(Item::Velocity),
        duration2.map(Item::Duration),
        pitch2.map(|p| Item::Pitches(vec![p])),
    ))
    .parse_next(i)
}

fn bracket(i: &mut &str) -> R<Bracket> {
    ('[', space0).parse_next(i)?;
    let mut items = vec![item.parse_next(i)?];
    loop {
        let start = *i;
        if space1.parse_next(i).is_err() {
            break;
        }
        match item.parse_next(i) {
            Ok(next) => items.push(next),
            Err(Fail::Backtrack) => {
                *i = start;
                break;
            }
            Err(e) => return Err(e),
        }
    }
    (space0, ']').parse_next(i)?;
    // The kinds are checked once the bracket is read, as Producer Pal's
    // action does: a bracket that does not close is a syntax error first.
    let mut items = items.into_iter();
    let mut out = bracket_of(items.next().ok_or(Fail::Backtrack)?);
    for next in items {
        if !push(&mut out, next) {
            return throw(
                i,
                "a pattern bracket holds one parameter kind (pitch, velocity, duration, or \
                 probability), not a mix"
                    .into(),
            );
        }
    }
    Ok(out)
}

fn bracket_of(first: Item) -> Bracket {
    match first {
        Item::Pitches(p) => Bracket::Pitches(vec![p]),
        Item::Velocity(v) => Bracket::Velocities(vec![v]),
        Item::Duration(d) => Bracket::Durations(vec![d]),
        Item::Probability(p) => Bracket::Probabilities(vec![p]),
    }
}

fn push(bracket: &mut Bracket, item: Item) -> bool {
    match (bracket, item) {
        (Bracket::Pitches(v), Item::Pitches(p)) => v.push(p),
        (Bracket::Velocities(v), Item::Velocity(x)) => v.push(x),
        (Bracket::Durations(v), Item::Duration(x)) => v.push(x),
        (Bracket::Probabilities(v), Item::Probability(x)) => v.push(x),
        _ => return false,
    }
    true
}
