//! 1.4 bar|beat in 2.x's notation, with the same music: a notes string's
//! `t` durations, repeat steps and fraction beats, and the beats of a
//! `bar:beat` length. Both depend on the meter (a 1.4 beat is one count of
//! it, a 2.x note value is a fraction of a whole note), so each conversion
//! says which meter it used. Reading and writing go through
//! [`crate::notation`]; a converted string is read back with the 2.x
//! grammar and kept only when it yields the notes the original yields on
//! 1.4.

use std::ops::Range;

use crate::notation::{self, Element, ElementKind, Length, Meter, Note, Position, Velocity};
use crate::playbook::{Action, Playbook};
use crate::protocol::Generation;
use crate::yaml::Node;

/// Where a conversion's meter comes from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Source {
    /// The step's own `timeSignature`.
    Step,
    /// The set's, as the playbook sets it with `ppal-update-live-set`.
    Set,
    /// Nothing says: 4/4, as a new Live Set has it.
    Assumed,
}

/// The meter a conversion uses, or why none can be used.
pub type Known = Result<(Meter, Source), String>;

/// The meters the playbook's files state: the song's (the one literal
/// `timeSignature` every `ppal-update-live-set` gives, or why it is
/// unsure) and the ones clips are created in.
#[derive(Debug, Clone, Default)]
pub struct Meters {
    song: Song,
    /// Some create-clip step gives a meter other than the song's (or a
    /// templated one): an update of a clip that does not name its meter
    /// may be in it.
    clips_differ: bool,
}

#[derive(Debug, Clone, Default)]
enum Song {
    /// No step sets it.
    #[default]
    Unset,
    Set(Meter),
    Unsure(String),
}

impl Meters {
    pub fn of(files: &[&Playbook]) -> Meters {
        let mut song = Song::Unset;
        let mut created = Vec::new();
        for (tool, ts) in time_signatures(files) {
            if tool == "ppal-create-clip" {
                created.push(ts);
                continue;
            }
            let this = ts.filter(|_| !matches!(song, Song::Unsure(_)));
            song = match (this, &song) {
                (None, _) => {
                    Song::Unsure("the song's `timeSignature` is not one literal meter".into())
                }
                (Some(m), Song::Set(was)) if *was != m => Song::Unsure(
                    "the playbook sets the song's `timeSignature` to more than one meter".into(),
                ),
                (Some(m), _) => Song::Set(m),
            };
        }
        let song_meter = match song {
            Song::Set(m) => m,
            _ => Meter::default(),
        };
        let clips_differ = created.iter().any(|m| *m != Some(song_meter));
        Meters { song, clips_differ }
    }

    /// The song's meter (what an arrangement length counts in).
    pub fn song(&self) -> Known {
        match &self.song {
            Song::Unset => Ok((Meter::default(), Source::Assumed)),
            Song::Set(m) => Ok((*m, Source::Set)),
            Song::Unsure(why) => Err(why.clone()),
        }
    }

    /// A clip's meter: the step's `timeSignature`, else the song's. An
    /// update (`creates` false) without one is unsure when the playbook
    /// creates clips in other meters: the clip may be one of them.
    pub fn clip(&self, time_signature: Option<&Node>, creates: bool) -> Known {
        let Some(ts) = time_signature else {
            if !creates && self.clips_differ {
                return Err("this update does not give the clip's `timeSignature`, and the playbook creates clips in other meters than the song's".to_owned());
            }
            return self.song();
        };
        match ts.as_str() {
            Some(s) if crate::template::is_template(s) => {
                Err("the step's `timeSignature` is templated".to_owned())
            }
            Some(s) => Meter::parse(s)
                .map(|m| (m, Source::Step))
                .map_err(|_| format!("the step's `timeSignature` `{s}` is not a meter")),
            None => Err("the step's `timeSignature` is not text".to_owned()),
        }
    }
}

/// The `timeSignature` of each `ppal-update-live-set` and
/// `ppal-create-clip` step that gives one: the meter, or None when it is
/// templated or unreadable.
fn time_signatures<'p>(
    files: &'p [&'p Playbook],
) -> impl Iterator<Item = (&'p str, Option<Meter>)> + 'p {
    let steps = files.iter().flat_map(|pb| &pb.steps);
    steps.filter_map(|step| {
        let Action::Call { tool, args } = &step.action else {
            return None;
        };
        let tool = tool.value.as_str();
        if !["ppal-update-live-set", "ppal-create-clip"].contains(&tool) {
            return None;
        }
        let ts = entry(args, "timeSignature")?.as_str();
        let meter = ts
            .filter(|t| !crate::template::is_template(t))
            .and_then(|t| Meter::parse(t).ok());
        Some((tool, meter))
    })
}

fn entry<'n>(map: &'n Node, name: &str) -> Option<&'n Node> {
    let entries = map.as_map()?;
    entries.iter().find(|(k, _)| k.name == name).map(|(_, v)| v)
}

/// Replacements of byte ranges of a string, in order.
pub type Edits = Vec<(Range<usize>, String)>;

/// What a literal 1.4 notes string becomes on 2.x.
#[derive(Debug, PartialEq)]
pub enum Notes {
    /// 2.x reads it as it is, with the same notes: nothing to do.
    Same,
    /// These edits of the string (byte ranges) give the same notes on 2.x.
    Edits(Edits),
    /// No exact conversion: why, and the byte range it is about.
    Inexact(String, Range<usize>),
}

/// Converts `text` (1.4 bar|beat) for a clip in `meter`. A string 1.4 does
/// not read is left alone: it may already be 2.x's.
pub fn notes(text: &str, meter: Known) -> Notes {
    let Ok(elements) = notation::parse(text, Generation::V1) else {
        return Notes::Same;
    };
    let Ok(original) = notation::interpret(text, Generation::V1, meter_or_default(&meter)) else {
        return Notes::Same;
    };
    let meter = match meter {
        Ok((m, _)) => m,
        // Unknown: only a string that needs no edit in any meter is safe
        // (edits depend on the meter only through its beat's note value).
        Err(why) => {
            if meter_free(text, &elements) {
                return Notes::Same;
            }
            return Notes::Inexact(
                format!("the clip's meter is not known: {why}"),
                0..text.len(),
            );
        }
    };
    let list = match edits(text, &elements, meter) {
        Ok(list) if list.is_empty() => return Notes::Same,
        Ok(list) => list,
        Err((why, at)) => return Notes::Inexact(why, at),
    };
    let converted = apply(text, &list);
    match notation::interpret(&converted, Generation::V2, meter) {
        Ok(read) if same_notes(&read.notes, &original.notes) => Notes::Edits(list),
        _ => Notes::Inexact(
            format!(
                "pplay's 2.x form of this string (`{}`) does not give the same notes",
                crate::diagnostic::clipped(&converted, 60)
            ),
            0..text.len(),
        ),
    }
}

/// Does `text` (1.4 bar|beat) mean the same on 2.x in every meter? Edits
/// depend on the meter only through its beat's note value, so 4/4 and 6/8
/// stand for all meters. A string 1.4 does not read is not 1.4's: free.
pub fn is_meter_free(text: &str) -> bool {
    notation::parse(text, Generation::V1).map_or(true, |elements| meter_free(text, &elements))
}

fn meter_free(text: &str, elements: &[Element]) -> bool {
    let six_eight = Meter {
        numerator: 6,
        denominator: 8,
    };
    let none = |m| matches!(edits(text, elements, m), Ok(e) if e.is_empty());
    none(Meter::default()) && none(six_eight)
}

fn meter_or_default(meter: &Known) -> Meter {
    meter.as_ref().map_or(Meter::default(), |(m, _)| *m)
}

/// The edits that write `elements` (read from `text`) as 2.x does in
/// `meter`, or why one cannot be written.
fn edits(text: &str, elements: &[Element], meter: Meter) -> Result<Edits, (String, Range<usize>)> {
    let mut out = Vec::new();
    // 1.4's default duration is one beat of the meter; 2.x's a quarter.
    let first_pitch = elements
        .iter()
        .position(|e| matches!(e.kind, ElementKind::Pitch(_)));
    let first_duration = elements
        .iter()
        .position(|e| matches!(e.kind, ElementKind::Duration(_)));
    if let Some(p) = first_pitch
        && first_duration.is_none_or(|d| d > p)
        && meter.denominator != 4
    {
        let at = elements[p].span.start;
        out.push((
            at..at,
            format!("{} ", notation::note_value_2x(meter.ableton(1.0))),
        ));
    }
    for e in elements {
        let written = &text[e.span.clone()];
        match &e.kind {
            ElementKind::Duration(l) => {
                let musical = meter.musical(*l);
                if musical <= 0.0 {
                    return Err((
                        format!("`{written}` is a zero duration, which 2.x ignores"),
                        e.span.clone(),
                    ));
                }
                out.push((
                    e.span.clone(),
                    notation::note_value_2x(meter.ableton(musical)),
                ));
            }
            ElementKind::Time(ps) if written.contains(['/', '+', '@']) => {
                let bar = written.split_once('|').map_or("1", |(b, _)| b);
                out.push((e.span.clone(), time(bar, ps, meter)));
            }
            ElementKind::Velocity(Velocity::Range(low, _)) if *low == 0.0 => {
                // A range from 0 deletes as `v0` does; 2.x refuses the range.
                out.push((e.span.clone(), "v0".to_owned()));
            }
            _ => {}
        }
    }
    // The default duration goes in front of the first pitch, after any
    // edit before it.
    out.sort_by_key(|(r, _)| r.start);
    Ok(out)
}

/// A time element as 2.x writes it: `1|1+n/12`, `1|1x4@n/16`.
fn time(bar: &str, ps: &[Position], meter: Meter) -> String {
    let beats: Vec<String> = ps
        .iter()
        .map(|p| {
            let mut s = notation::beat_2x(meter.musical(p.beat), meter);
            if let Some(r) = &p.repeat {
                s.push_str(&format!("x{}", r.times));
                if let Some(step) = r.step {
                    let step = notation::plain_note_value_2x(meter.ableton(meter.musical(step)));
                    s.push_str(&format!("@{step}"));
                }
            }
            s
        })
        .collect();
    format!("{bar}|{}", beats.join(","))
}

fn apply(text: &str, list: &Edits) -> String {
    super::edit::splice(text, list.iter().map(|(r, t)| (r, t.as_str())))
}

/// The same notes, times within a billionth of a beat.
fn same_notes(a: &[Note], b: &[Note]) -> bool {
    let close = |x: f64, y: f64| (x - y).abs() < 1e-9;
    a.len() == b.len()
        && a.iter().zip(b).all(|(x, y)| {
            (x.pitch, x.velocity, x.velocity_deviation)
                == (y.pitch, y.velocity, y.velocity_deviation)
                && close(x.start, y.start)
                && close(x.duration, y.duration)
                && close(x.probability, y.probability)
        })
}

/// The 1.4 forms 2.x writes otherwise, in the literal text of a templated
/// notes string (outside its `{{ }}` and `{% %}`): the first one found.
pub fn template_forms(template: &str) -> Option<Range<usize>> {
    let mut at = 0;
    for token in template.split_whitespace() {
        let start = at + template[at..].find(token).unwrap_or(0);
        at = start + token.len();
        if token.contains(['{', '}']) {
            continue;
        }
        let Ok(elements) = notation::parse(token, Generation::V1) else {
            continue;
        };
        if matches!(edits(token, &elements, Meter::default()), Ok(ref e) if !e.is_empty()) {
            return Some(start..at);
        }
    }
    None
}

/// A 1.4 `bar:beat` length (`1:2`) as 2.x writes it in `meter`: `1bar+n/2`.
pub fn length(bars: f64, beats: f64, meter: Meter) -> String {
    notation::length_2x(
        meter.musical(Length {
            bars,
            beats,
            whole: 0.0,
        }),
        meter,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(n: u32, d: u32) -> Known {
        Ok((
            Meter {
                numerator: n,
                denominator: d,
            },
            Source::Step,
        ))
    }

    fn converted(text: &str, meter: Known) -> String {
        match notes(text, meter) {
            Notes::Same => text.to_owned(),
            Notes::Edits(list) => apply(text, &list),
            Notes::Inexact(why, _) => format!("inexact: {why}"),
        }
    }

    #[test]
    fn durations_steps_and_fraction_beats_become_note_values() {
        let cases = [
            ("t/4 C1 1|1x16@1/4", m(4, 4), "n/16 C1 1|1x16@n/16"),
            ("t2 C3 1|1 t1.5 D3 2|1", m(4, 4), "n/2 C3 1|1 n/4d D3 2|1"),
            ("C3 1|4/3", m(4, 4), "C3 1|1+n/12"),
            ("C3 1|1+1/3,2", m(3, 4), "C3 1|1+n/12,2"),
            ("C1 1|1,3,5 D1 1|3", m(6, 8), "n/8 C1 1|1,3,5 D1 1|3"),
            ("t1:1 C1 1|1", m(6, 8), "n7/8 C1 1|1"),
            ("t1:2 C1 1|1", m(4, 4), "n/1d C1 1|1"),
            ("C1 1|1x8@0.5", m(4, 4), "C1 1|1x8@n/8"),
            ("v0-20 C1 1|1", m(4, 4), "v0 C1 1|1"),
            ("v0-60 C1 1|1", m(6, 8), "v0 n/8 C1 1|1"),
            ("C1 1|1 1|2", m(4, 4), "C1 1|1 1|2"),
        ];
        for (text, meter, want) in cases {
            assert_eq!(converted(text, meter), want, "{text}");
        }
    }

    #[test]
    fn what_has_no_exact_form_is_said() {
        assert!(converted("t0 C1 1|1", m(4, 4)).starts_with("inexact: `t0`"));
        let unknown = Err("the step's `timeSignature` is templated".to_owned());
        assert!(converted("t2 C1 1|1", unknown.clone()).starts_with("inexact: the clip's meter"));
        // Nothing meter-dependent: no meter needed.
        assert_eq!(converted("v90 p0.5", unknown), "v90 p0.5");
    }

    #[test]
    fn a_note_with_no_duration_rests_on_the_meter() {
        // One beat on 1.4, a quarter on 2.x: the same only in quarter beats.
        assert!(!is_meter_free("C1 1|1 1|3"));
        assert!(!is_meter_free("t1 C1 1|1"));
        assert!(is_meter_free("v90 p0.5"));
        // 2.x's own form, which 1.4 does not read.
        assert!(is_meter_free("n/16 C1 1|1"));
    }

    #[test]
    fn lengths_keep_their_beats() {
        let four = Meter::default();
        let six_eight = Meter {
            numerator: 6,
            denominator: 8,
        };
        assert_eq!(length(1.0, 2.0, four), "1bar+n/2");
        assert_eq!(length(0.0, 3.0, four), "n3/4");
        assert_eq!(length(2.0, 3.0, six_eight), "2bar+n3/8");
        assert_eq!(length(1.0, 6.0, six_eight), "2bar");
        assert_eq!(length(1.0, 1.0, six_eight), "1bar+n/8");
        let three_four = Meter {
            numerator: 3,
            denominator: 4,
        };
        assert_eq!(length(1.0, 1.0, three_four), "1bar+n/4");
    }

    #[test]
    fn templates_show_their_literal_1_4_forms() {
        let t = "t/4 {{ pitch }} 1|1x4@1";
        assert_eq!(template_forms(t), Some(0..3));
        assert_eq!(template_forms("{{ p }} 1|1 1|3"), None);
    }
}
