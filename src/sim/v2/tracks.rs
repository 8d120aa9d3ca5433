//! 2.3's track tools: read, create (`t+`, `t2`, `rt+`), update.

use serde_json::{Map, Value, json};

use crate::path::{self, Index, Path, TrackRef};
use crate::protocol::Generation;

use super::super::args::{b, count, includes, list, n, one_or_many, pick, s};
use super::super::live_set::{LiveSet, ToolResult, TrackKind};
use super::find::{Obj, track_path};

impl LiveSet {
    pub(super) fn read_tracks(&mut self, args: &Map<String, Value>) -> ToolResult {
        let inc = includes(args);
        let out = self
            .targets(args)?
            .iter()
            .map(|o| match o {
                Obj::Track(kind, i) => Ok(self.track_v2(*kind, *i, &inc)),
                other => Err(format!("{} is not a track", self.path_of(other))),
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok((one_or_many(out), vec![]))
    }

    pub(super) fn create_tracks(&mut self, args: &Map<String, Value>) -> ToolResult {
        let count = count(args)?;
        let place = match s(args, "path") {
            None => TrackRef::Track(Index::New),
            Some(text) => match path::parse(text).map_err(|e| e.to_string())? {
                Path::Track(r @ (TrackRef::Track(_) | TrackRef::Return(Index::New))) => r,
                _ => return Err(format!("create a track at t+, t<n> or rt+, not '{text}'")),
            },
        };
        let kind = match (place, s(args, "type")) {
            (TrackRef::Return(_), _) => TrackKind::Return,
            (_, Some("audio")) => TrackKind::Audio,
            _ => TrackKind::Midi,
        };
        let names = list(s(args, "name"));
        let colors = list(s(args, "color"));
        let mut out = Vec::new();
        for k in 0..count {
            let id = self.new_id();
            let name = pick(&names, k).unwrap_or_else(|| default_name(self, kind));
            let mut t = self.blank_track(id.clone(), kind, name);
            if !colors.is_empty() {
                t.color = Some(colors[k % colors.len()].clone());
            }
            t.mute = b(args, "mute").unwrap_or(false);
            t.solo = b(args, "solo").unwrap_or(false);
            t.arm = kind != TrackKind::Return && b(args, "arm").unwrap_or(false);
            let (list_kind, index) = match (kind, place) {
                (TrackKind::Return, _) => {
                    self.returns.push(t);
                    (TrackKind::Return, self.returns.len() - 1)
                }
                (_, TrackRef::Track(Index::At(at))) => {
                    let index = (at + k).min(self.tracks.len());
                    self.tracks.insert(index, t);
                    (TrackKind::Midi, index)
                }
                _ => {
                    self.tracks.push(t);
                    (TrackKind::Midi, self.tracks.len() - 1)
                }
            };
            out.push(json!({"id": id, "path": track_path(list_kind, index)}));
        }
        Ok((one_or_many(out), vec![]))
    }

    pub(super) fn update_tracks_v2(&mut self, args: &Map<String, Value>) -> ToolResult {
        let names = list(s(args, "name"));
        let colors = list(s(args, "color"));
        let sends = self.sends_asked(args, Generation::V2)?;
        let mut warnings = Vec::new();
        let mut out = Vec::new();
        for (k, o) in self.targets(args)?.into_iter().enumerate() {
            let Obj::Track(kind, i) = o else {
                warnings.push(format!("{} is not a track, skipped", self.path_of(&o)));
                continue;
            };
            let t = self.track_mut(kind, i);
            if let Some(nm) = pick(&names, k) {
                t.name = nm;
            }
            if !colors.is_empty() {
                t.color = Some(colors[k % colors.len()].clone());
            }
            if let Some(v) = n(args, "gainDb") {
                t.gain_db = v;
            }
            if let Some(v) = n(args, "pan") {
                t.pan = v;
            }
            if kind != TrackKind::Main {
                t.sends.extend(sends.iter().cloned());
            }
            if let Some(v) = b(args, "mute") {
                t.mute = v;
            }
            if let Some(v) = b(args, "solo") {
                t.solo = v;
            }
            if let Some(v) = b(args, "arm") {
                if kind == TrackKind::Midi {
                    t.arm = v;
                } else {
                    warnings.push(format!("{} cannot be armed", track_path(kind, i)));
                }
            }
            out.push(json!({"id": t.id, "path": track_path(kind, i)}));
        }
        if out.is_empty() {
            return Err("no track matched id or path".into());
        }
        Ok((one_or_many(out), warnings))
    }
}

/// Live's name for a new track of `kind`.
fn default_name(set: &LiveSet, kind: TrackKind) -> String {
    match kind {
        TrackKind::Audio => format!("{}-Audio", set.tracks.len() + 1),
        TrackKind::Return => {
            let n = set.returns.len();
            format!("{}-Return", (b'A' + n.min(25) as u8) as char)
        }
        TrackKind::Midi | TrackKind::Main => format!("{}-MIDI", set.tracks.len() + 1),
    }
}
