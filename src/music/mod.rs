//! Template functions for batch clip jobs: step patterns, Euclidean
//! rhythms, chords, scales, transposition and CSV pattern tables. Notes are
//! built as data and written through [`crate::notation::format()`] in the
//! generation of the catalog the run checks against, so one playbook is
//! right on 1.4 and on 2.x.

mod harmony;
mod rhythm;
mod table;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};

use minijinja::value::{Kwargs, Object, Rest, Value as MjValue, ValueKind};
use minijinja::{Environment, Error, ErrorKind, State};

use crate::notation::{self, ElementKind, Meter};
use crate::protocol::Generation;

pub use harmony::{chord, scale};
pub use rhythm::{Step, Voicing, euclid, note_value, notes as step_notes, pattern};

/// The global that carries the run's facts to the functions; not an
/// identifier, so no template can read it.
const RUN_GLOBAL: &str = "pplay music";

/// What the functions need from the run: the generation (known once the
/// catalog is), and where `csv()` may read.
#[derive(Debug, Default)]
struct Run {
    /// 0 until the catalog is known, then 1 (1.x) or 2 (2.x).
    generation: AtomicU8,
    /// Notes were written before the generation was known (top-level vars
    /// evaluated to find the URL), in 2.x's notation.
    guessed: AtomicBool,
    files: Mutex<Option<table::Files>>,
}

impl Object for Run {}

fn run_of(env: &Environment<'_>) -> Option<Arc<Run>> {
    env.globals()
        .find(|(n, _)| *n == RUN_GLOBAL)
        .and_then(|(_, v)| v.downcast_object::<Run>())
}

fn generation(state: &State) -> Generation {
    let Some(run) = run_of(state.env()) else {
        return Generation::V2;
    };
    match run.generation.load(Ordering::SeqCst) {
        1 => Generation::V1,
        2 => Generation::V2,
        _ => {
            run.guessed.store(true, Ordering::SeqCst);
            Generation::V2
        }
    }
}

/// Sets the generation the functions write for. True when notes were
/// written earlier for another one, so what was evaluated before must be
/// evaluated again.
pub fn set_generation(env: &Environment<'_>, g: Generation) -> bool {
    let Some(run) = run_of(env) else { return false };
    run.generation.store(
        match g {
            Generation::V1 => 1,
            Generation::V2 => 2,
        },
        Ordering::SeqCst,
    );
    run.guessed.swap(false, Ordering::SeqCst) && g != Generation::V2
}

/// Where `csv()` reads from: paths relative to `base`, inside `roots` (the
/// playbook's folder and the include roots).
pub fn set_files(env: &Environment<'_>, base: PathBuf, roots: Vec<PathBuf>) {
    if let Some(run) = run_of(env)
        && let Ok(mut files) = run.files.lock()
    {
        *files = Some(table::Files { base, roots });
    }
}

/// Adds the functions to `env`.
pub fn register(env: &mut Environment<'_>) {
    env.add_global(RUN_GLOBAL, MjValue::from_object(Run::default()));
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

/// Adds `f` as `name`; a refusal is a template error naming the call.
fn add(env: &mut Environment<'_>, name: &'static str, params: &'static [&'static str], f: Fn) {
    env.add_function(name, move |state: &State, args: Rest<MjValue>| {
        let fail = |m: String| Error::new(ErrorKind::InvalidOperation, format!("{name}(): {m}"));
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
    let files = run_of(state.env())
        .and_then(|r| r.files.lock().ok().and_then(|f| f.clone()))
        .ok_or("no playbook folder to read from")?;
    table::read(&files, &path)
}
