//! 2.3's read results: every object says where it is in `path`; no
//! `trackIndex`, `sceneIndex` or `arrangementStart`; `type` is `midi` or
//! `audio` on regular tracks only; the song's main track is `mainTrack`.

use serde_json::{Map, Value, json};

use super::super::live_set::{ClipLoc, LiveSet, TrackKind};
use super::find::track_path;
use crate::protocol::Generation;

fn has(inc: &[&str], what: &str) -> bool {
    inc.contains(&what) || inc.contains(&"*")
}

impl LiveSet {
    pub(super) fn overview_v2(&self, inc: &[&str]) -> Value {
        let mut m = self.song_overview();
        let mix: Vec<&str> = inc
            .iter()
            .copied()
            .filter(|x| matches!(*x, "mixer" | "color" | "*"))
            .collect();
        if has(inc, "tracks") {
            let list = |kind: TrackKind, n: usize| -> Value {
                (0..n).map(|i| self.track_v2(kind, i, &mix)).collect()
            };
            m.insert("tracks".into(), list(TrackKind::Midi, self.tracks.len()));
            m.insert(
                "returnTracks".into(),
                list(TrackKind::Return, self.returns.len()),
            );
            m.insert("mainTrack".into(), self.track_v2(TrackKind::Main, 0, &mix));
        }
        if has(inc, "scenes") {
            let scenes: Vec<Value> = (0..self.scenes.len())
                .map(|i| self.scene_v2(i, &[]))
                .collect();
            m.insert("scenes".into(), Value::Array(scenes));
        }
        if has(inc, "locators") {
            let locs: Vec<Value> = self
                .locators
                .iter()
                .map(|l| json!({"id": l.id, "name": l.name, "time": l.time}))
                .collect();
            m.insert("locators".into(), Value::Array(locs));
        }
        Value::Object(m)
    }

    pub(super) fn track_v2(&self, kind: TrackKind, i: usize, inc: &[&str]) -> Value {
        let Some(t) = self.track(kind, i) else {
            return Value::Null;
        };
        let mut m = Map::new();
        m.insert("id".into(), json!(t.id));
        m.insert("path".into(), json!(track_path(kind, i)));
        if matches!(t.kind, TrackKind::Midi | TrackKind::Audio) {
            m.insert("type".into(), json!(t.kind.as_str()));
        }
        m.insert("name".into(), json!(t.name));
        if let Some(c) = &t.color {
            m.insert("color".into(), json!(c));
        }
        m.insert("mute".into(), json!(t.mute));
        m.insert("solo".into(), json!(t.solo));
        if kind == TrackKind::Midi {
            m.insert("arm".into(), json!(t.arm));
        }
        if has(inc, "mixer") {
            m.extend(self.mixer_json(t, Generation::V2));
        }
        if kind == TrackKind::Midi {
            m.insert(
                "sessionClipCount".into(),
                json!(t.slots.iter().flatten().count()),
            );
            m.insert("arrangementClipCount".into(), json!(t.arrangement.len()));
        }
        m.insert("deviceCount".into(), json!(t.devices.len()));
        let detail = clip_detail(inc);
        if kind == TrackKind::Midi && has(inc, "session-clips") {
            let clips: Vec<Value> = (0..t.slots.len())
                .filter(|sc| t.slots[*sc].is_some())
                .map(|sc| self.clip_v2(i, &ClipLoc::Slot(sc), &detail))
                .collect();
            m.insert("sessionClips".into(), Value::Array(clips));
        }
        if kind == TrackKind::Midi && has(inc, "arrangement-clips") {
            let clips: Vec<Value> = (0..t.arrangement.len())
                .map(|k| self.clip_v2(i, &ClipLoc::Arrangement(k), &detail))
                .collect();
            m.insert("arrangementClips".into(), Value::Array(clips));
        }
        if has(inc, "devices") {
            let devs: Vec<Value> = (0..t.devices.len())
                .map(|d| self.device_v2(kind, i, d, &[]))
                .collect();
            m.insert("devices".into(), Value::Array(devs));
        }
        Value::Object(m)
    }

    pub(super) fn scene_v2(&self, i: usize, inc: &[&str]) -> Value {
        let sc = &self.scenes[i];
        let mut m = Map::new();
        m.insert("id".into(), json!(sc.id));
        m.insert("path".into(), json!(format!("s{i}")));
        m.insert("name".into(), json!(sc.name));
        if let Some(c) = &sc.color {
            m.insert("color".into(), json!(c));
        }
        if let Some(t) = sc.tempo {
            m.insert("tempo".into(), json!(t));
        }
        let tracks: Vec<usize> = (0..self.tracks.len())
            .filter(|t| self.tracks[*t].slots.get(i).is_some_and(Option::is_some))
            .collect();
        m.insert("clipCount".into(), json!(tracks.len()));
        if has(inc, "clips") {
            let detail = clip_detail(inc);
            let clips: Vec<Value> = tracks
                .iter()
                .map(|t| self.clip_v2(*t, &ClipLoc::Slot(i), &detail))
                .collect();
            m.insert("clips".into(), Value::Array(clips));
        }
        Value::Object(m)
    }

    pub(super) fn clip_v2(&self, t: usize, loc: &ClipLoc, inc: &[&str]) -> Value {
        let Some(c) = self.clip_at(t, loc) else {
            return Value::Null;
        };
        let mut m = Map::new();
        m.insert("id".into(), json!(c.id));
        m.insert("path".into(), json!(self.clip_path(t, loc)));
        m.insert("type".into(), json!(if c.audio { "audio" } else { "midi" }));
        m.insert("name".into(), json!(c.name));
        if let Some(col) = &c.color {
            m.insert("color".into(), json!(col));
        }
        m.insert("length".into(), json!(c.length));
        m.insert("looping".into(), json!(c.looping));
        if !c.audio {
            m.insert("noteCount".into(), json!(c.note_count));
        }
        if has(inc, "notes") && !c.audio {
            let text = crate::notation::format(&c.notes, Generation::V2, c.meter);
            m.insert("notes".into(), json!(text));
        }
        Value::Object(m)
    }

    pub(super) fn device_v2(&self, kind: TrackKind, t: usize, d: usize, inc: &[&str]) -> Value {
        let Some(dev) = self.track(kind, t).and_then(|tr| tr.devices.get(d)) else {
            return Value::Null;
        };
        let mut r = json!({"id": dev.id, "path": format!("{}/d{d}", track_path(kind, t)),
                           "type": dev.device_name, "name": dev.name});
        if inc
            .iter()
            .any(|i| matches!(*i, "params" | "param-values" | "*"))
        {
            r["params"] = json!([{"name": "Device On", "value": "On"}]);
        }
        r
    }
}

/// The include values that say how much of each clip a track or scene
/// read shows.
fn clip_detail<'a>(inc: &[&'a str]) -> Vec<&'a str> {
    inc.iter()
        .copied()
        .filter(|x| matches!(*x, "notes" | "timing" | "*"))
        .collect()
}
