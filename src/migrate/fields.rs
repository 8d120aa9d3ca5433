//! Result fields Producer Pal 2.3 removed or renamed (`MIGRATION-2.md`), and
//! which tool's result a chain such as `steps.kick.result.trackIndex` reads.

use foldhash::HashMap;
use std::ops::Range;

use super::expr::{Chain, Seg};

/// The letter(s) a 2.x path puts before an index: `t2`, `rt0`, `s1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Prefix {
    Track,
    Return,
    Scene,
}

impl Prefix {
    pub fn as_str(self) -> &'static str {
        match self {
            Prefix::Track => "t",
            Prefix::Return => "rt",
            Prefix::Scene => "s",
        }
    }

    /// The 1.4 result field that held this kind of index.
    pub fn field(self) -> &'static str {
        match self {
            Prefix::Track => "trackIndex",
            Prefix::Return => "returnTrackIndex",
            Prefix::Scene => "sceneIndex",
        }
    }
}

/// What the step being migrated knows about its surroundings.
#[derive(Debug, Clone, Default)]
pub struct StepCtx {
    pub tool: Option<String>,
    /// `id` when the step loops over `steps.<id>` (so `item.result` is that
    /// step's result).
    pub loop_source: Option<String>,
}

/// Step ids and their tools, across every file of the run. An id that names
/// steps of two different tools maps to `None` (unknown).
#[derive(Debug, Default)]
pub struct Tools(HashMap<String, Option<String>>);

impl Tools {
    pub fn add(&mut self, id: &str, tool: Option<&str>) {
        let tool = tool.map(str::to_owned);
        self.0
            .entry(id.to_owned())
            .and_modify(|t| {
                if *t != tool {
                    *t = None;
                }
            })
            .or_insert(tool);
    }

    /// The tool whose result `chain` reads, when it reads one. `in_result`:
    /// the chain sits in the step's own `capture` or `expect`, where `result`
    /// is in scope.
    pub fn source<'a>(
        &'a self,
        chain: &Chain,
        step: &'a StepCtx,
        in_result: bool,
    ) -> Option<&'a str> {
        let first = match chain.segs.first() {
            Some(Seg::Attr { name, .. }) => Some(name.as_str()),
            _ => None,
        };
        match chain.root.as_str() {
            "result" if in_result => step.tool.as_deref(),
            "steps" => self.0.get(first?)?.as_deref(),
            "item" if first == Some("result") => {
                self.0.get(step.loop_source.as_deref()?)?.as_deref()
            }
            _ => None,
        }
    }
}

/// The segments after `result`, as names and indexes.
fn tail(chain: &Chain) -> Option<&[Seg]> {
    chain.after_result()
}

fn attr(seg: &Seg) -> Option<(&str, &Range<usize>)> {
    match seg {
        Seg::Attr { name, range } => Some((name, range)),
        Seg::Index => None,
    }
}

/// When `chain` reads an index a 2.x `path` replaces one for one (a track's
/// `trackIndex`, a scene's `sceneIndex`), its kind and the field's range.
pub fn index_field(chain: &Chain, tool: &str) -> Option<(Prefix, Range<usize>)> {
    let segs = tail(chain)?;
    let (last, before) = segs.split_last()?;
    let (name, range) = attr(last)?;
    let indexes_only = |s: &[Seg]| s.iter().all(|s| matches!(s, Seg::Index));
    let prefix = match (tool, before) {
        ("ppal-create-track" | "ppal-read-track", b) if indexes_only(b) => match name {
            "trackIndex" => Prefix::Track,
            "returnTrackIndex" => Prefix::Return,
            _ => return None,
        },
        ("ppal-create-scene" | "ppal-read-scene", b) if indexes_only(b) && name == "sceneIndex" => {
            Prefix::Scene
        }
        ("ppal-read-live-set", [first, rest @ ..]) if indexes_only(rest) => {
            match (attr(first)?.0, name) {
                ("tracks", "trackIndex") => Prefix::Track,
                ("returnTracks", "returnTrackIndex" | "trackIndex") => Prefix::Return,
                ("scenes", "sceneIndex") => Prefix::Scene,
                _ => return None,
            }
        }
        _ => return None,
    };
    Some((prefix, range.clone()))
}

/// When `chain` reads the 2.x `path` of a track or a scene (a
/// half-migrated playbook), its kind.
pub fn path_field(chain: &Chain, tool: &str) -> Option<Prefix> {
    let segs = tail(chain)?;
    let (last, before) = segs.split_last()?;
    if attr(last)?.0 != "path" || !before.iter().all(|s| matches!(s, Seg::Index)) {
        return None;
    }
    match tool {
        "ppal-create-track" | "ppal-read-track" => Some(Prefix::Track),
        "ppal-create-scene" | "ppal-read-scene" => Some(Prefix::Scene),
        _ => None,
    }
}

/// What to do about a removed field a chain reads.
#[derive(Debug, Clone, PartialEq)]
pub enum Fix {
    /// Replace `range` with `text`: the 2.3 field means the same.
    Rename { range: Range<usize>, text: String },
    /// No same-meaning field: a person decides. `field` is how the old read
    /// is written, `instead` what 2.3 offers.
    Report { field: String, instead: String },
}

/// The first field `chain` reads that 2.3 no longer returns from `tool`.
pub fn removed_field(chain: &Chain, tool: &str) -> Option<Fix> {
    let segs = tail(chain)?;
    let first = segs.first().and_then(attr);
    // Renames with the same meaning, at the top of the result.
    match (tool, first) {
        ("ppal-read-live-set", Some(("masterTrack", r))) => {
            return Some(Fix::Rename {
                range: r.clone(),
                text: "mainTrack".into(),
            });
        }
        ("ppal-playback", Some(("sceneName", r))) => {
            return Some(Fix::Rename {
                range: r.clone(),
                text: "scene.name".into(),
            });
        }
        ("ppal-playback", Some(("arrangementLoop", r0))) => {
            return Some(match segs.get(1).and_then(attr) {
                Some((end @ ("start" | "end"), r1)) => Fix::Rename {
                    range: r0.start..r1.end,
                    text: if end == "start" {
                        "loopStart"
                    } else {
                        "loopEnd"
                    }
                    .into(),
                },
                _ => report("arrangementLoop", "`loop`, `loopStart` and `loopEnd`"),
            });
        }
        ("ppal-playback", Some(("currentTime", _))) => {
            return Some(report(
                "currentTime",
                "`startTime` (where playback starts, not the playhead)",
            ));
        }
        ("ppal-playback", Some(("sceneIndex", _))) => {
            return Some(report("sceneIndex", "`scene.path`, which is \"s2\", not 2"));
        }
        ("ppal-delete", Some(("path", r))) => {
            return Some(Fix::Rename {
                range: r.clone(),
                text: "deletedPath".into(),
            });
        }
        ("ppal-duplicate", _) if segs.iter().filter_map(attr).any(|(n, _)| n == "name") => {
            return Some(report(
                "name",
                "the copies' `id` and `path` (2.3 returns no name)",
            ));
        }
        _ => {}
    }
    for (name, _) in segs.iter().filter_map(attr) {
        let instead = match name {
            "trackIndex" => "`path`, which is \"t3\", not 3",
            "returnTrackIndex" => "`path`, which is \"rt0\", not 0",
            "sceneIndex" => "`path`, which is \"s2\", not 2",
            "deviceIndex" => "`path`, which is \"t1/d2\", not 2",
            "arrangementStart" => "the clip's `path`, which holds the start: \"t0[5|1]\"",
            "masterTrack" => "`mainTrack`",
            _ => continue,
        };
        return Some(report(name, instead));
    }
    None
}

fn report(field: &str, instead: &str) -> Fix {
    Fix::Report {
        field: field.into(),
        instead: instead.into(),
    }
}

/// Tools whose results said `type: return` / `type: master` for a track.
pub fn reports_track_type(tool: &str) -> bool {
    matches!(
        tool,
        "ppal-read-live-set" | "ppal-read-track" | "ppal-select"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::migrate::expr::chains;

    fn chain(e: &str) -> Chain {
        chains(e, 0).into_iter().find(|c| c.root != "loop").unwrap()
    }

    #[test]
    fn index_fields_by_tool() {
        let c = chain("steps.k.result.trackIndex");
        let (p, r) = index_field(&c, "ppal-create-track").unwrap();
        assert_eq!(
            (p, &"steps.k.result.trackIndex"[r]),
            (Prefix::Track, "trackIndex")
        );
        let c = chain("steps.set.result.tracks[loop.index0].trackIndex");
        assert_eq!(
            index_field(&c, "ppal-read-live-set").unwrap().0,
            Prefix::Track
        );
        assert!(index_field(&chain("result.trackIndex"), "ppal-create-clip").is_none());
        assert_eq!(
            index_field(&chain("result.sceneIndex"), "ppal-create-scene")
                .unwrap()
                .0,
            Prefix::Scene
        );
    }

    #[test]
    fn renames_and_reports() {
        let e = "result.arrangementLoop.end";
        let Some(Fix::Rename { range, text }) = removed_field(&chain(e), "ppal-playback") else {
            panic!()
        };
        assert_eq!(
            (&e[range], text.as_str()),
            ("arrangementLoop.end", "loopEnd")
        );
        assert!(matches!(
            removed_field(&chain("result.masterTrack.name"), "ppal-read-live-set"),
            Some(Fix::Rename { .. })
        ));
        assert!(matches!(
            removed_field(&chain("result.tracks[0].trackIndex"), "ppal-read-live-set"),
            Some(Fix::Report { .. })
        ));
        assert!(removed_field(&chain("result.id"), "ppal-create-track").is_none());
        assert!(removed_field(&chain("result.path"), "ppal-read-device").is_none());
    }
}
