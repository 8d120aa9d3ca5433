//! Notes written back as a notes string in a generation's notation, so that
//! reading the string again gives the same notes (read-clip, migrate).

use super::interpret::Note;
use super::meter::Meter;
use super::number::js;
use super::pitch;
use crate::protocol::Generation;

/// The state a notes string carries from element to element.
#[derive(PartialEq, Clone, Copy)]
struct Written {
    velocity: u8,
    deviation: u8,
    duration: f64,
    probability: f64,
}

/// Writes `notes` (in their order) as `generation` reads them in `meter`:
/// consecutive notes at one time with one state become a chord; velocity,
/// duration and probability are written only when they change.
pub fn format(notes: &[Note], generation: Generation, meter: Meter) -> String {
    let default_duration = match generation {
        Generation::V1 => meter.ableton(1.0),
        Generation::V2 => 1.0,
    };
    let mut state = Written {
        velocity: 100,
        deviation: 0,
        duration: default_duration,
        probability: 1.0,
    };
    let mut out: Vec<String> = Vec::new();
    let mut held: Option<(Vec<u8>, Written)> = None;
    let mut i = 0;
    while i < notes.len() {
        let first = &notes[i];
        let wanted = Written {
            velocity: first.velocity,
            deviation: first.velocity_deviation,
            duration: first.duration,
            probability: first.probability,
        };
        if (wanted.velocity, wanted.deviation) != (state.velocity, state.deviation) {
            out.push(match wanted.deviation {
                0 => format!("v{}", wanted.velocity),
                d => format!(
                    "v{}-{}",
                    wanted.velocity,
                    u16::from(wanted.velocity) + u16::from(d)
                ),
            });
        }
        if wanted.duration != state.duration {
            out.push(duration(wanted.duration, generation, meter));
        }
        if wanted.probability != state.probability {
            out.push(format!("p{}", js(wanted.probability)));
        }
        state = wanted;
        let mut j = i;
        while j < notes.len() && notes[j].start == first.start && same_state(&notes[j], &wanted) {
            j += 1;
        }
        // The same chord again needs only its position: a chord sounds at
        // every later position until a new pitch.
        let chord: Vec<u8> = notes[i..j].iter().map(|n| n.pitch).collect();
        if held.as_ref() != Some(&(chord.clone(), wanted)) {
            out.extend(chord.iter().map(|&p| pitch::name(p)));
            held = Some((chord, wanted));
        }
        out.push(position(first.start, generation, meter));
        i = j;
    }
    out.join(" ")
}

fn same_state(note: &Note, state: &Written) -> bool {
    note.velocity == state.velocity
        && note.velocity_deviation == state.deviation
        && note.duration == state.duration
        && note.probability == state.probability
}

/// `bar|beat` of a start in Ableton beats, as `generation` writes it.
pub fn position(start: f64, generation: Generation, meter: Meter) -> String {
    let musical = meter.to_musical(start);
    let per_bar = meter.beats_per_bar();
    let mut bar = (musical / per_bar + 1e-9).floor();
    let mut beat = musical - bar * per_bar + 1.0;
    if beat < 1.0 {
        beat = 1.0;
    }
    if bar < 0.0 {
        bar = 0.0;
    }
    let bar = bar as u64 + 1;
    match generation {
        Generation::V1 => format!("{bar}|{}", js(beat)),
        Generation::V2 => format!("{bar}|{}", beat_2x(beat, meter)),
    }
}

/// A 1-based beat in musical beats of `meter` as 2.x writes it: a decimal
/// where one is exact (`1`, `2.5`), else a grid beat with a note-value
/// offset (`1+n/12`), as 2.x has no bare fractions.
pub fn beat_2x(beat: f64, meter: Meter) -> String {
    let grid = beat.floor();
    let offset_whole = (beat - grid) / f64::from(meter.denominator);
    match small_fraction(offset_whole).filter(|_| !dyadic(beat - grid)) {
        Some(fraction) => format!("{}+n{fraction}", js(grid)),
        None => js(beat),
    }
}

/// A length in musical beats of `meter` as 2.x writes a clip length: whole
/// bars (`4bar`), bars and a note value (`1bar+n/4`), or a note value alone
/// when under a bar.
pub fn length_2x(musical: f64, meter: Meter) -> String {
    let per_bar = meter.beats_per_bar();
    let bars = (musical / per_bar + 1e-9).floor().max(0.0);
    let rest = musical - bars * per_bar;
    if rest.abs() < 1e-9 {
        return format!("{}bar", js(bars));
    }
    let value = plain_note_value_2x(meter.ableton(rest));
    if bars == 0.0 {
        value
    } else {
        format!("{}bar+{value}", js(bars))
    }
}

/// Whether a beat fraction is written exactly as a short decimal.
fn dyadic(x: f64) -> bool {
    (x * 64.0 - (x * 64.0).round()).abs() < 1e-9
}

/// `a/b` (or `/b` for one) for a fraction with a small denominator.
fn small_fraction(x: f64) -> Option<String> {
    (1..=96u32).find_map(|den| {
        let num = x * f64::from(den);
        ((num - num.round()).abs() < 1e-9 && num.round() >= 1.0).then(|| match num.round() as u64 {
            1 => format!("/{den}"),
            n => format!("{n}/{den}"),
        })
    })
}

/// A duration in Ableton beats: 1.4 in musical beats (`t…`), 2.x as a note
/// value (`n/4`, a dotted `n/4d`, a triplet `n/8t`).
fn duration(ableton: f64, generation: Generation, meter: Meter) -> String {
    match generation {
        Generation::V1 => {
            let beats = meter.to_musical(ableton);
            match small_fraction(beats).filter(|_| !dyadic(beats)) {
                Some(f) => format!("t{f}"),
                None => format!("t{}", js(beats)),
            }
        }
        Generation::V2 => note_value_2x(ableton),
    }
}

/// A duration in Ableton beats as a 2.x note value: plain (`n/4`), dotted
/// (`n/4d`), triplet (`n/8t`), else any `n<a>/<b>`.
pub fn note_value_2x(ableton: f64) -> String {
    let whole = ableton / 4.0;
    // Plain, dotted and triplet values of one first (n/4d rather than
    // n3/8), then any numerator.
    for one in [true, false] {
        for (factor, suffix) in [(1.0, ""), (1.5, "d"), (2.0 / 3.0, "t")] {
            if let Some(f) = power_of_two(whole / factor, one) {
                return format!("n{f}{suffix}");
            }
        }
    }
    plain_note_value_2x(ableton)
}

/// A duration in Ableton beats as a 2.x note value without a dotted or
/// triplet suffix (`n3/8`), which repeat steps and `Nbar+n…` require.
pub fn plain_note_value_2x(ableton: f64) -> String {
    let whole = ableton / 4.0;
    let fraction = power_of_two(whole, false)
        .or_else(|| small_fraction(whole))
        .unwrap_or_else(|| format!("{}/1", js(whole)));
    format!("n{fraction}")
}

/// `num/den` (`/den` for one) with a power-of-two denominator, when exact;
/// `one`: only a numerator of one.
fn power_of_two(whole: f64, one: bool) -> Option<String> {
    (0..=8).map(|k| 2f64.powi(k)).find_map(|den| {
        let num = (whole * den).round();
        let exact = (whole * den - num).abs() < 1e-12 && num >= 1.0;
        (exact && (!one || num == 1.0)).then(|| match num as u64 {
            1 => format!("/{den}"),
            n => format!("{n}/{den}"),
        })
    })
}
