//! Notes drawn as a piano roll for the terminal: a row per pitch (highest
//! first, named), a column per sixteenth, bars and beats marked, each onset
//! shaded by its velocity; then the note list. What `pplay notes` prints,
//! and what a dry run shows under a clip's planned call.

use anstyle::{AnsiColor, Style};

use crate::notation::{self, Meter, Note};
use crate::protocol::Generation;

/// One column: a sixteenth note, in Ableton beats.
const COLUMN: f64 = 0.25;

/// Past this many bars the roll is cut (the list still has every note).
const MAX_BARS: usize = 16;

/// Onsets by velocity, softest first: 1-31, 32-63, 64-95, 96-127.
const SHADES: [char; 4] = ['░', '▒', '▓', '█'];

/// The roll and then the note list, as lines; `color` paints the onsets.
pub fn render(notes: &[Note], generation: Generation, meter: Meter, color: bool) -> Vec<String> {
    if notes.is_empty() {
        return vec!["(no notes)".to_owned()];
    }
    let mut out = roll(notes, meter, color);
    out.push(String::new());
    out.extend(list(notes, generation, meter));
    out
}

/// The shade of a velocity.
fn shade(velocity: u8) -> char {
    SHADES[usize::from(velocity.clamp(1, 127) / 32)]
}

/// Columns in a bar and in a beat of `meter`.
fn columns(meter: Meter) -> (usize, usize) {
    let bar = meter.ableton(meter.beats_per_bar()) / COLUMN;
    let beat = meter.ableton(1.0) / COLUMN;
    (
        (bar.round() as usize).max(1),
        (beat.round() as usize).max(1),
    )
}

fn roll(notes: &[Note], meter: Meter, color: bool) -> Vec<String> {
    let (per_bar, per_beat) = columns(meter);
    let end = notes
        .iter()
        .map(|n| n.start + n.duration)
        .fold(0.0, f64::max);
    let bars = ((end / COLUMN).ceil() as usize).div_ceil(per_bar).max(1);
    let shown = bars.min(MAX_BARS);
    let width = shown * per_bar;
    let mut pitches: Vec<u8> = notes.iter().map(|n| n.pitch).collect();
    pitches.sort_unstable_by(|a, b| b.cmp(a));
    pitches.dedup();
    let mut header = " ".repeat(5);
    for bar in 1..=shown {
        header.push_str(&format!("|{bar:<per_bar$}"));
    }
    let mut out = vec![header];
    for pitch in pitches {
        let mut cells: Vec<char> = (0..width)
            .map(|c| if c % per_beat == 0 { '·' } else { ' ' })
            .collect();
        for n in notes.iter().filter(|n| n.pitch == pitch) {
            let from = (n.start / COLUMN + 1e-9).floor() as usize;
            let to = ((n.start + n.duration) / COLUMN - 1e-9).ceil() as usize;
            // A hold never covers another note's onset.
            for cell in cells.iter_mut().take(to).skip(from + 1) {
                if !SHADES.contains(cell) {
                    *cell = '─';
                }
            }
            if from < width {
                cells[from] = shade(n.velocity);
            }
        }
        let mut row = format!("{:>4} ", notation::pitch_name(pitch));
        for (i, c) in cells.iter().enumerate() {
            if i % per_bar == 0 {
                row.push('|');
            }
            row.push_str(&paint(*c, color));
        }
        out.push(row);
    }
    if bars > shown {
        out.push(format!("     ({} more bars not drawn)", bars - shown));
    }
    out
}

/// A cell, coloured when asked: onsets bright, holds plain, marks dim.
fn paint(c: char, color: bool) -> String {
    if !color {
        return c.to_string();
    }
    let style = match c {
        '─' => Style::new().fg_color(Some(AnsiColor::Cyan.into())),
        '·' | ' ' => Style::new().dimmed(),
        _ => Style::new()
            .fg_color(Some(AnsiColor::BrightCyan.into()))
            .bold(),
    };
    format!("{}{c}{}", style.render(), style.render_reset())
}

/// One line per note, in time order: where, what, how long and how hard.
fn list(notes: &[Note], generation: Generation, meter: Meter) -> Vec<String> {
    let mut sorted: Vec<&Note> = notes.iter().collect();
    sorted.sort_by(|a, b| a.start.total_cmp(&b.start).then(b.pitch.cmp(&a.pitch)));
    let mut out = vec![format!(
        "{} note{}:",
        notes.len(),
        if notes.len() == 1 { "" } else { "s" }
    )];
    for n in sorted {
        let beats = if n.duration == 1.0 { "beat " } else { "beats" };
        let mut line = format!(
            "  {:<10} {:<4} {:>6} {beats}  v{}",
            notation::position(n.start, generation, meter),
            notation::pitch_name(n.pitch),
            trim(n.duration),
            n.velocity
        );
        if n.velocity_deviation > 0 {
            line.push_str(&format!(
                "-{}",
                u16::from(n.velocity) + u16::from(n.velocity_deviation)
            ));
        }
        if n.probability < 1.0 {
            line.push_str(&format!("  p{}", trim(n.probability)));
        }
        out.push(line);
    }
    out
}

/// A number with no trailing zeros, at most three decimals.
fn trim(x: f64) -> String {
    let s = format!("{x:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// The roll of a planned clip call (a dry run's `--piano-roll`): its
/// `notes` as `generation` reads them in its `timeSignature` (4/4 when it
/// has none); `None` for a call without a notes string.
pub fn for_call(
    tool: &str,
    args: &serde_json::Value,
    generation: Generation,
    color: bool,
) -> Option<Vec<String>> {
    if !crate::notes_arg::is_clip_tool(tool) {
        return None;
    }
    let text = args.get("notes")?.as_str()?;
    let meter = (args.get("timeSignature").and_then(|t| t.as_str()))
        .and_then(|t| Meter::parse(t).ok())
        .unwrap_or_default();
    Some(match notation::interpret(text, generation, meter) {
        Ok(read) => render(&read.notes, generation, meter, color),
        Err(e) => vec![format!("(not drawn: {})", e.message)],
    })
}

/// The notes as data (`pplay notes --json`).
pub fn json(notes: &[Note], generation: Generation, meter: Meter) -> serde_json::Value {
    let notes: Vec<serde_json::Value> = (notes.iter())
        .map(|n| {
            serde_json::json!({
                "pitch": n.pitch,
                "name": notation::pitch_name(n.pitch),
                "start": n.start,
                "position": notation::position(n.start, generation, meter),
                "duration": n.duration,
                "velocity": n.velocity,
                "velocityDeviation": n.velocity_deviation,
                "probability": n.probability,
            })
        })
        .collect();
    serde_json::json!({ "notes": notes })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn note(pitch: u8, start: f64, duration: f64, velocity: u8) -> Note {
        Note {
            pitch,
            start,
            duration,
            velocity,
            velocity_deviation: 0,
            probability: 1.0,
        }
    }

    #[test]
    fn rows_are_pitches_high_first_and_onsets_are_shaded() {
        let notes = [note(36, 0.0, 0.25, 127), note(42, 0.5, 1.0, 40)];
        let lines = roll(&notes, Meter::default(), false);
        assert_eq!(lines[0].trim_end(), "     |1");
        assert_eq!(lines[1], " F#1 |· ▒───  ·   ·   ");
        assert_eq!(lines[2], "  C1 |█   ·   ·   ·   ");
    }

    #[test]
    fn a_long_clip_is_cut_with_a_note() {
        let lines = roll(&[note(60, 0.0, 80.0, 100)], Meter::default(), false);
        assert_eq!(lines.last().unwrap(), "     (4 more bars not drawn)");
    }
}
