//! Template functions for batch clip jobs: step patterns, Euclidean
//! rhythms, chords, scales, transposition and CSV pattern tables. Notes are
//! built as data and written through [`crate::notation::format()`] in the
//! generation of the catalog the run checks against, so one playbook is
//! right on 1.4 and on 2.x.

mod harmony;
mod rhythm;
mod table;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use minijinja::value::{Kwargs, Object, Rest, Value as MjValue, ValueKind};
use minijinja::{Environment, Error, ErrorKind, State};

use crate::notation::{self, ElementKind, Meter};
use crate::protocol::Generation;

pub use harmony::{chord, scale};
pub use rhythm::{Step, Voicing, euclid, note_value, notes as step_notes, pattern};

/// The context key under which a template that calls a helper finds its
/// [`Place`]. Not an identifier, so no template can read or shadow it.
pub const PLACE_KEY: &str = "pplay place";

/// The helpers that need a [`Place`]: those that write notes (in the
/// generation's notation) and `csv()` (relative to the template's file).
pub const PLACED: &[&str] = &["steps", "transpose", "csv"];

/// Where a template that calls a helper is evaluated. The template compiler
/// puts it in the context of each such template: it knows the template's
/// file, and the check that compiles the steps knows the catalog, so one
/// value answers both and nothing is kept beside the environment.
#[derive(Debug)]
pub struct Place {
    /// `None` only for the vars evaluated for a templated `url`, before
    /// the catalog is known: they get 2.x's notation, and on a 1.4 catalog
    /// the check evaluates them again.
    pub generation: Option<Generation>,
    /// The folder of the template's file: `csv()` paths start there, as an
    /// include's path does.
    pub dir: PathBuf,
    /// The folders a table must be inside (canonical), as includes.
    pub roots: Arc<[PathBuf]>,
}

impl Object for Place {}

impl Place {
    /// The place of a template in the file at `path`.
    pub fn of_file(path: &Path, generation: Option<Generation>, roots: Arc<[PathBuf]>) -> Self {
        Place {
            generation,
            dir: Self::dir_of(path).to_path_buf(),
            roots,
        }
    }

    /// The folder of the file at `path` (`.` for a bare file name).
    pub fn dir_of(path: &Path) -> &Path {
        match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        }
    }
}

fn place(state: &State) -> Option<Arc<Place>> {
    state
        .lookup(PLACE_KEY)
        .and_then(|v| v.downcast_object::<Place>())
}

/// The generation notes are written for. Without a place (a one-off
/// template) or before the catalog is known, 2.x's: no call sends those.
fn generation(state: &State) -> Generation {
    place(state)
        .and_then(|p| p.generation)
        .unwrap_or(Generation::V2)
}

/// Adds the functions to `env`.
pub fn register(env: &mut Environment<'_>) {
    let steps_params = &[
        "pattern",
        "pitch",
        "grid",
        "bar",
        "velocity",
        "accent",
        "length",
        "time_signature",
    ];
    add(env, "steps", steps_params, steps);
    add(env, "euclid", &["hits", "steps", "rotate"], euclid_fn);
    add(env, "chord", &["name", "octave"], chord_fn);
    add(env, "scale", &["root", "mode"], scale_fn);
    add(env, "transpose", &["notes", "semitones"], transpose);
    add(env, "csv", &["path"], csv_fn);
}

type Fn = fn(&State, &Args) -> Result<MjValue, String>;

/// Marks an engine error as a helper's refusal (`steps(): ...`), whose
/// text says all there is to say without the engine's kind before it.
#[derive(Debug)]
pub struct Refusal;

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("refused by a music helper")
    }
}

impl std::error::Error for Refusal {}

/// Whether `e` is a helper's refusal.
pub fn is_refusal(e: &Error) -> bool {
    std::error::Error::source(e).is_some_and(|s| s.is::<Refusal>())
}

/// Adds `f` as `name`; a refusal is a template error naming the call.
fn add(env: &mut Environment<'_>, name: &'static str, params: &'static [&'static str], f: Fn) {
    env.add_function(name, move |state: &State, args: Rest<MjValue>| {
        let fail = |m: String| {
            Error::new(ErrorKind::InvalidOperation, format!("{name}(): {m}")).with_source(Refusal)
        };
        let bound = bind(params, &args).map_err(fail)?;
        f(state, &bound).map_err(fail)
    });
}

/// A function's arguments bound to its parameter names, Python style:
/// positional first, then by keyword.
struct Args {
    values: Vec<Option<MjValue>>,
    names: &'static [&'static str],
}

fn bind(names: &'static [&'static str], args: &[MjValue]) -> Result<Args, String> {
    let (positional, kwargs) = match args.split_last() {
        Some((last, rest)) if last.is_kwargs() => (rest, Kwargs::try_from(last.clone()).ok()),
        _ => (args, None),
    };
    if positional.len() > names.len() {
        return Err(format!(
            "takes at most {} arguments ({}), not {}",
            names.len(),
            names.join(", "),
            positional.len()
        ));
    }
    let mut values: Vec<Option<MjValue>> = positional.iter().cloned().map(Some).collect();
    values.resize(names.len(), None);
    for key in kwargs.iter().flat_map(|k| k.args()) {
        let Some(i) = names.iter().position(|n| *n == key) else {
            return Err(format!(
                "has no argument `{key}` (it takes {})",
                names.join(", ")
            ));
        };
        if values[i].is_some() {
            return Err(format!("`{key}` is given twice"));
        }
        values[i] = kwargs.as_ref().and_then(|k| k.peek::<MjValue>(key).ok());
    }
    Ok(Args { values, names })
}

impl Args {
    /// The value of `name`, `None` when not given (or given as `none`).
    fn get(&self, name: &str) -> Option<&MjValue> {
        let i = self.names.iter().position(|n| *n == name)?;
        self.values[i]
            .as_ref()
            .filter(|v| !v.is_none() && !v.is_undefined())
    }

    fn required(&self, name: &str) -> Result<&MjValue, String> {
        self.get(name).ok_or_else(|| format!("`{name}` is missing"))
    }

    fn text(&self, name: &str) -> Result<Option<String>, String> {
        match self.get(name) {
            None => Ok(None),
            Some(v) if v.kind() == ValueKind::String => Ok(v.as_str().map(str::to_owned)),
            Some(v) => Err(format!("`{name}` must be text, not {}", v.kind())),
        }
    }

    /// A whole number, also from text (a CSV cell).
    fn int(&self, name: &str, range: std::ops::RangeInclusive<i64>) -> Result<Option<i64>, String> {
        let Some(v) = self.get(name) else {
            return Ok(None);
        };
        let n = match v.as_str() {
            Some(s) => s.trim().parse::<i64>().ok(),
            None => i64::try_from(v.clone()).ok(),
        };
        match n.filter(|n| range.contains(n)) {
            Some(n) => Ok(Some(n)),
            None => Err(format!(
                "`{name}` must be a whole number from {} to {}, not {v}",
                range.start(),
                range.end()
            )),
        }
    }
}

/// Pitches as written in a notes string: one name (`C1`), names separated
/// by spaces (`C3 Eb3 G3`), or a list of names.
fn pitches(v: &MjValue, generation: Generation) -> Result<Vec<u8>, String> {
    let text = match v.kind() {
        ValueKind::Seq => v
            .try_iter()
            .map_err(|e| e.to_string())?
            .map(|p| p.to_string())
            .collect::<Vec<_>>()
            .join(" "),
        _ => v.to_string(),
    };
    let elements = notation::parse(&text, generation)
        .map_err(|e| format!("`{text}` is not a pitch: {}", e.message))?;
    let mut out = Vec::new();
    for e in elements {
        match e.kind {
            ElementKind::Pitch(p) => out
                .push(u8::try_from(p.midi).map_err(|_| format!("`{}` is no MIDI pitch", p.name))?),
            _ => return Err(format!("`{}` is not a pitch", &text[e.span])),
        }
    }
    if out.is_empty() {
        return Err("`pitch` names no pitch".into());
    }
    Ok(out)
}

/// `steps(pattern, pitch, grid="1/16", bar=1, velocity=100, accent=127,
/// length=grid, time_signature="4/4")`: a step pattern as a notes string.
fn steps(state: &State, a: &Args) -> Result<MjValue, String> {
    let generation = generation(state);
    let pattern_text = a.text("pattern")?.ok_or("`pattern` is missing")?;
    let steps = pattern(&pattern_text)?;
    let pitches = pitches(a.required("pitch")?, generation)?;
    let grid = note_value(&a.text("grid")?.unwrap_or_else(|| "1/16".into()))?;
    let length = match a.text("length")? {
        Some(l) => note_value(&l)?,
        None => grid,
    };
    let meter = match a.text("time_signature")? {
        Some(t) => Meter::parse(&t).map_err(|e| format!("`time_signature`: {e}"))?,
        None => Meter::default(),
    };
    let voicing = Voicing {
        pitches,
        grid,
        length,
        bar: a.int("bar", 1..=100_000)?.unwrap_or(1) as u32,
        velocity: a.int("velocity", 1..=127)?.unwrap_or(100) as u8,
        accent: a.int("accent", 1..=127)?.unwrap_or(127) as u8,
        meter,
    };
    let notes = step_notes(&steps, &voicing);
    Ok(MjValue::from(notation::format(&notes, generation, meter)))
}

fn euclid_fn(_: &State, a: &Args) -> Result<MjValue, String> {
    let hits = a.int("hits", 0..=1024)?.ok_or("`hits` is missing")?;
    let steps = a.int("steps", 1..=1024)?.ok_or("`steps` is missing")?;
    let rotate = a.int("rotate", -1024..=1024)?.unwrap_or(0);
    euclid(hits as u32, steps as u32, rotate).map(MjValue::from)
}

fn chord_fn(_: &State, a: &Args) -> Result<MjValue, String> {
    let name = a.text("name")?.ok_or("`name` is missing")?;
    let octave = a.int("octave", -2..=8)?.unwrap_or(3) as i32;
    chord(&name, octave).map(|tones| MjValue::from(tones.join(" ")))
}

fn scale_fn(_: &State, a: &Args) -> Result<MjValue, String> {
    let root = a.text("root")?.ok_or("`root` is missing")?;
    let mode = a.text("mode")?.unwrap_or_else(|| "major".into());
    scale(&root, &mode).map(MjValue::from)
}

/// `transpose(notes, semitones)`: every pitch of a notes string (or of a
/// list of them) moved, the rest of the string kept as written.
fn transpose(state: &State, a: &Args) -> Result<MjValue, String> {
    let generation = generation(state);
    let by = a
        .int("semitones", -127..=127)?
        .ok_or("`semitones` is missing")?;
    let notes = a.required("notes")?;
    if notes.kind() == ValueKind::Seq {
        let items = notes.try_iter().map_err(|e| e.to_string())?;
        return items
            .map(|n| transpose_text(&n.to_string(), by, generation).map(MjValue::from))
            .collect::<Result<Vec<_>, _>>()
            .map(MjValue::from);
    }
    transpose_text(&notes.to_string(), by, generation).map(MjValue::from)
}

/// `text` with each pitch element replaced by its pitch `by` semitones up.
pub fn transpose_text(text: &str, by: i64, generation: Generation) -> Result<String, String> {
    let elements = notation::parse(text, generation)
        .map_err(|e| format!("`{text}` is not a notes string: {}", e.message))?;
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for e in elements {
        if let ElementKind::Pitch(p) = &e.kind {
            let moved = u8::try_from(p.midi + by)
                .ok()
                .filter(|m| *m <= 127)
                .ok_or_else(|| format!("`{}` moved {by} goes past the MIDI range", p.name))?;
            out.push_str(&text[at..e.span.start]);
            out.push_str(&notation::pitch_name(moved));
            at = e.span.end;
        }
    }
    out.push_str(&text[at..]);
    Ok(out)
}

fn csv_fn(state: &State, a: &Args) -> Result<MjValue, String> {
    let path = a.text("path")?.ok_or("`path` is missing")?;
    let place = place(state).ok_or("reads tables only in a playbook's templates")?;
    table::read(&place.dir, &place.roots, &path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notation::Note;

    const BOTH: [Generation; 2] = [Generation::V1, Generation::V2];

    /// `src` evaluated as a template in a playbook beside nothing, for
    /// `generation`.
    fn eval(src: &str, generation: Generation) -> Result<MjValue, String> {
        let mut env = Environment::new();
        register(&mut env);
        let place = Place::of_file(Path::new("p.yaml"), Some(generation), Arc::from([]));
        let ctx = MjValue::from_iter([(PLACE_KEY, MjValue::from_object(place))]);
        let expr = env.compile_expression(src).map_err(|e| e.to_string())?;
        expr.eval(ctx).map_err(|e| e.to_string())
    }

    /// The notes Producer Pal of `generation` reads from what `src` writes
    /// for it: (pitch, start, duration, velocity).
    fn heard(src: &str, generation: Generation) -> Vec<(u8, f64, f64, u8)> {
        let text = eval(src, generation).unwrap().to_string();
        let read = notation::interpret(&text, generation, Meter::default())
            .unwrap_or_else(|e| panic!("{text}: {}", e.message));
        read.notes
            .iter()
            .map(|n: &Note| (n.pitch, n.start, n.duration, n.velocity))
            .collect()
    }

    #[test]
    fn a_step_pattern_is_heard_as_written_on_both_generations() {
        let kicks: Vec<_> = (0..4).map(|i| (36, f64::from(i), 0.25, 100)).collect();
        for g in BOTH {
            assert_eq!(heard(r#"steps("x...x...x...x...", "C1")"#, g), kicks);
            // Accents, rests, grouping, a grid, a velocity and a bar.
            assert_eq!(
                heard(
                    r#"steps("X-x. | ..x.", "D1", grid="1/8", bar=2, velocity=90)"#,
                    g
                ),
                [(38, 4.0, 0.5, 127), (38, 5.0, 0.5, 90), (38, 7.0, 0.5, 90)]
            );
            // Longer than a bar: it runs into the next one.
            let long = heard(r#"steps("x" ~ "." * 15 ~ "x", "C1")"#, g);
            assert_eq!(long, [(36, 0.0, 0.25, 100), (36, 4.0, 0.25, 100)]);
            // A chord at every hit, held for its own length.
            assert_eq!(
                heard(r#"steps("x.......", chord("Cm7", 3), length="1/2")"#, g),
                [60, 63, 67, 70].map(|p| (p, 0.0, 2.0, 100))
            );
        }
    }

    #[test]
    fn the_notation_written_is_the_generations_own() {
        let src = r#"steps("x.x.", "C1")"#;
        let v1 = eval(src, Generation::V1).unwrap().to_string();
        let v2 = eval(src, Generation::V2).unwrap().to_string();
        assert_ne!(v1, v2, "a 1/16 length is written differently");
        assert!(
            notation::interpret(&v2, Generation::V1, Meter::default()).map_or(true, |i| {
                i.notes.iter().map(|n| n.duration).ne([0.25, 0.25])
            })
        );
    }

    #[test]
    fn euclid_feeds_steps() {
        for g in BOTH {
            let starts: Vec<f64> = heard(r#"steps(euclid(3, 8), "C1", grid="1/8")"#, g)
                .iter()
                .map(|n| n.1)
                .collect();
            assert_eq!(starts, [0.0, 1.5, 3.0]);
        }
    }

    #[test]
    fn transpose_moves_every_pitch_and_keeps_the_rest() {
        for g in BOTH {
            let up: Vec<_> = heard(r#"transpose(steps("x.x.", "C3 E3"), 7)"#, g)
                .iter()
                .map(|n| (n.0, n.1))
                .collect();
            // C3 is MIDI 60, as in Live.
            assert_eq!(up, [(67, 0.0), (71, 0.0), (67, 0.5), (71, 0.5)]);
            assert_eq!(eval(r#"transpose("C3", -1)"#, g).unwrap().to_string(), "B2");
            assert_eq!(
                eval(r#"transpose(["C3", "G3"], 12)"#, g)
                    .unwrap()
                    .to_string(),
                r#"["C4", "G4"]"#
            );
        }
        assert!(
            eval(r#"transpose("G8", 1)"#, Generation::V2)
                .unwrap_err()
                .contains("MIDI range")
        );
    }

    #[test]
    fn chord_and_scale_give_names_both_generations_read() {
        for g in BOTH {
            let c = eval(r#"chord("Cm7", 3)"#, g).unwrap().to_string();
            assert_eq!(c, "C3 Eb3 G3 Bb3");
            let pitches: Vec<u8> = heard(&format!(r#""{c} 1|1""#), g)
                .iter()
                .map(|n| n.0)
                .collect();
            assert_eq!(pitches, [60, 63, 67, 70]);
            let s = eval(r#"scale("A2", "minor") | join(" ")"#, g).unwrap();
            let pitches: Vec<u8> = heard(&format!(r#""{s} 1|1""#), g)
                .iter()
                .map(|n| n.0)
                .collect();
            assert_eq!(pitches, [57, 59, 60, 62, 64, 65, 67]);
        }
    }

    #[test]
    fn bad_arguments_are_refused_with_the_reason() {
        let refused = |src: &str| eval(src, Generation::V2).unwrap_err();
        assert!(refused(r#"steps("x.o.", "C1")"#).contains("`o` is not a step"));
        assert!(refused(r#"steps("x...", "C1", grid="1/3")"#).contains("not a note value"));
        assert!(refused(r#"steps("x...", "H9")"#).contains("not a pitch"));
        assert!(refused(r#"steps("x...", "C1", swing=2)"#).contains("no argument `swing`"));
        assert!(refused(r#"chord("Cblah")"#).contains("not a chord"));
        assert!(refused(r#"csv("t.csv")"#).contains("no such file"));
    }
}
