//! Producer Pal 1.4's tools on the simulated set: objects named by indexes
//! (`trackIndex`, `sceneIndex`, `slot: "0/1"`), ids in comma-separated
//! `ids`, results with `trackIndex`, `sceneIndex` and `arrangementStart`.

use serde_json::{Map, Value, json};

use super::args::{b, count, includes, list, n, one_or_many, s};
use crate::notation;
use crate::protocol::Generation;

use super::live_set::{
    Clip, ClipLoc, DEVICES, Device, LiveSet, Scene, ToolResult, TrackCopy, TrackKind, read_notes,
};

fn slot(text: &str) -> Option<(usize, usize)> {
    let (t, sc) = text.trim().split_once('/')?;
    Some((t.trim().parse().ok()?, sc.trim().parse().ok()?))
}

impl LiveSet {
    /// Runs one 1.4 tool against the set.
    pub(super) fn call_v1(&mut self, tool: &str, args: &Map<String, Value>) -> ToolResult {
        match tool {
            "ppal-connect" => Ok((
                json!({"connected": true, "producerPalVersion": "1.4.6", "simulated": true,
                       "liveSet": self.overview(&[])}),
                vec![],
            )),
            "ppal-context" => self.context(args),
            "ppal-read-live-set" => {
                let inc: Vec<&str> = includes(args);
                Ok((self.overview(&inc), vec![]))
            }
            "ppal-update-live-set" => self.update_live_set(args),
            "ppal-read-track" => {
                let (kind, i) = self.find_track_ref(args)?;
                let inc = includes(args);
                Ok((self.track_json(kind, i, &inc), vec![]))
            }
            "ppal-create-track" => self.create_track(args),
            "ppal-update-track" => self.update_tracks(args),
            "ppal-read-scene" => {
                let i = match (s(args, "sceneId"), n(args, "sceneIndex")) {
                    (Some(id), _) => self
                        .scenes
                        .iter()
                        .position(|sc| sc.id == id)
                        .ok_or(format!("No scene with id {id}"))?,
                    (None, Some(i)) if (i as usize) < self.scenes.len() => i as usize,
                    (None, Some(i)) => {
                        return Err(format!(
                            "Scene index {i} is out of range (the set has {} scenes)",
                            self.scenes.len()
                        ));
                    }
                    _ => return Err("Either sceneId or sceneIndex is required".into()),
                };
                Ok((self.scene_json(i, &includes(args)), vec![]))
            }
            "ppal-create-scene" => self.create_scene(args),
            "ppal-update-scene" => self.update_scenes(args),
            "ppal-read-clip" => {
                let (t, loc) = self.find_clip_ref(args)?;
                let clip = self.clip_at(t, &loc).expect("located");
                Ok((clip_json(clip, t, &loc, &includes(args)), vec![]))
            }
            "ppal-create-clip" => self.create_clips(args),
            "ppal-update-clip" => self.update_clips(args),
            "ppal-read-device" => self.read_device(args),
            "ppal-create-device" => self.create_device(args),
            "ppal-update-device" => self.update_devices(args),
            "ppal-delete" => self.delete(args),
            "ppal-duplicate" => self.duplicate(args),
            "ppal-select" => {
                if args.is_empty() {
                    return Ok((self.selected.clone(), vec![]));
                }
                self.selected = Value::Object(args.clone());
                Ok((self.selected.clone(), vec![]))
            }
            "ppal-playback" => self.playback(args),
            "ppal-raw-live-api" => self.live_api(args),
            // A tool outside the model answers a plausible success.
            _ => Ok((json!({"ok": true}), vec![])),
        }
    }

    fn context(&mut self, args: &Map<String, Value>) -> ToolResult {
        match s(args, "action") {
            Some("write") => {
                self.memory = s(args, "content").unwrap_or_default().to_owned();
                Ok((json!({"memory": self.memory}), vec![]))
            }
            Some("search") => Ok((json!({"samples": []}), vec![])),
            _ => Ok((json!({"memory": self.memory}), vec![])),
        }
    }

    fn overview(&self, inc: &[&str]) -> Value {
        let all = inc.contains(&"*");
        let mut m = self.song_overview();
        if all || inc.contains(&"tracks") {
            // The track detail the live set's read passes on to each track.
            let mix: Vec<&str> = inc.iter().copied().filter(|x| *x == "mixer").collect();
            let tracks: Vec<Value> = (0..self.tracks.len())
                .map(|i| self.track_json(TrackKind::Midi, i, &mix))
                .collect();
            m.insert("tracks".into(), Value::Array(tracks));
            let returns: Vec<Value> = (0..self.returns.len())
                .map(|i| self.track_json(TrackKind::Return, i, &mix))
                .collect();
            m.insert("returnTracks".into(), Value::Array(returns));
        }
        if all || inc.contains(&"scenes") {
            let scenes: Vec<Value> = (0..self.scenes.len())
                .map(|i| self.scene_json(i, &[]))
                .collect();
            m.insert("scenes".into(), Value::Array(scenes));
        }
        if all || inc.contains(&"locators") {
            let locs: Vec<Value> = self
                .locators
                .iter()
                .map(|l| json!({"id": l.id, "name": l.name, "time": l.time}))
                .collect();
            m.insert("locators".into(), Value::Array(locs));
        }
        Value::Object(m)
    }

    fn update_live_set(&mut self, args: &Map<String, Value>) -> ToolResult {
        let warnings = self.update_song(args, false)?;
        let mut result = json!({"tempo": self.tempo, "timeSignature": self.time_signature});
        if !self.scale.is_empty() {
            result["scale"] = json!(self.scale);
        }
        Ok((result, warnings))
    }

    fn find_track_ref(&self, args: &Map<String, Value>) -> Result<(TrackKind, usize), String> {
        if let Some(id) = s(args, "trackId") {
            return self
                .find_track_id(id)
                .ok_or(format!("No track with id {id}"));
        }
        let kind = match s(args, "trackType") {
            Some("return") => TrackKind::Return,
            Some("master") => return Err("The simulator does not model the master track".into()),
            _ => TrackKind::Midi,
        };
        let i = n(args, "trackIndex").ok_or("Either trackId or trackIndex is required")? as usize;
        if i >= self.tracks_of(kind).len() {
            return Err(format!(
                "Track index {i} is out of range (the set has {} tracks)",
                self.tracks_of(kind).len()
            ));
        }
        Ok((kind, i))
    }

    fn track_json(&self, kind: TrackKind, i: usize, inc: &[&str]) -> Value {
        let t = &self.tracks_of(kind)[i];
        let all = inc.contains(&"*");
        let mut m = Map::new();
        m.insert("id".into(), json!(t.id));
        m.insert("type".into(), json!(t.kind.as_str()));
        m.insert("name".into(), json!(t.name));
        if kind == TrackKind::Return {
            m.insert("returnTrackIndex".into(), json!(i));
        } else {
            m.insert("trackIndex".into(), json!(i));
        }
        if let Some(c) = &t.color {
            m.insert("color".into(), json!(c));
        }
        m.insert("mute".into(), json!(t.mute));
        m.insert("solo".into(), json!(t.solo));
        m.insert("arm".into(), json!(t.arm));
        m.insert(
            "sessionClipCount".into(),
            json!(t.slots.iter().flatten().count()),
        );
        m.insert("arrangementClipCount".into(), json!(t.arrangement.len()));
        m.insert("deviceCount".into(), json!(t.devices.len()));
        if all || inc.contains(&"mixer") {
            m.extend(self.mixer_json(t, Generation::V1));
        }
        let detail: Vec<&str> = inc
            .iter()
            .copied()
            .filter(|x| matches!(*x, "notes" | "timing"))
            .collect();
        if all || inc.contains(&"session-clips") {
            let clips: Vec<Value> = t
                .slots
                .iter()
                .enumerate()
                .filter_map(|(sc, c)| {
                    c.as_ref()
                        .map(|c| clip_json(c, i, &ClipLoc::Slot(sc), &detail))
                })
                .collect();
            m.insert("sessionClips".into(), Value::Array(clips));
        }
        if all || inc.contains(&"arrangement-clips") {
            let clips: Vec<Value> = t
                .arrangement
                .iter()
                .enumerate()
                .map(|(k, c)| clip_json(c, i, &ClipLoc::Arrangement(k), &detail))
                .collect();
            m.insert("arrangementClips".into(), Value::Array(clips));
        }
        if all || inc.contains(&"devices") {
            let devs: Vec<Value> = t
                .devices
                .iter()
                .enumerate()
                .map(|(d, dev)| json!({"id": dev.id, "path": format!("t{i}/d{d}"), "type": dev.device_name, "name": dev.name}))
                .collect();
            m.insert("devices".into(), Value::Array(devs));
        }
        Value::Object(m)
    }

    fn create_track(&mut self, args: &Map<String, Value>) -> ToolResult {
        let count = count(args)?;
        let kind = match s(args, "type") {
            Some("audio") => TrackKind::Audio,
            Some("return") => TrackKind::Return,
            _ => TrackKind::Midi,
        };
        let names = list(s(args, "name"));
        let colors = list(s(args, "color"));
        let at = n(args, "trackIndex")
            .filter(|i| *i >= 0.0)
            .map(|i| i as usize);
        let mut out = Vec::new();
        for k in 0..count {
            let id = self.new_id();
            let name = names
                .get(k)
                .or(names.first().filter(|_| names.len() == 1))
                .cloned()
                .unwrap_or_else(|| {
                    let n = self.tracks_of(kind).len() + 1;
                    match kind {
                        TrackKind::Midi | TrackKind::Main => format!("{n}-MIDI"),
                        TrackKind::Audio => format!("{n}-Audio"),
                        TrackKind::Return => {
                            format!("{}-Return", (b'A' + (n - 1).min(25) as u8) as char)
                        }
                    }
                });
            let mut t = self.blank_track(id.clone(), kind, name);
            if !colors.is_empty() {
                t.color = Some(colors[k % colors.len()].clone());
            }
            t.mute = b(args, "mute").unwrap_or(false);
            t.solo = b(args, "solo").unwrap_or(false);
            t.arm = b(args, "arm").unwrap_or(false);
            if kind == TrackKind::Return {
                self.returns.push(t);
                out.push(json!({"id": id, "returnTrackIndex": self.returns.len() - 1}));
            } else {
                let index = at
                    .map(|a| (a + k).min(self.tracks.len()))
                    .unwrap_or(self.tracks.len());
                self.tracks.insert(index, t);
                out.push(json!({"id": id, "trackIndex": index}));
            }
        }
        Ok((one_or_many(out), vec![]))
    }

    fn update_tracks(&mut self, args: &Map<String, Value>) -> ToolResult {
        let ids = list(s(args, "ids"));
        let names = list(s(args, "name"));
        let colors = list(s(args, "color"));
        let sends = self.sends_asked(args, Generation::V1)?;
        let mut warnings = Vec::new();
        let mut out = Vec::new();
        for (k, id) in ids.iter().enumerate() {
            let Some((kind, i)) = self.find_track_id(id) else {
                warnings.push(format!("updateTrack: no track with id \"{id}\", skipped"));
                continue;
            };
            let t = self.track_mut(kind, i);
            if let Some(nm) = names.get(k).or(names.first().filter(|_| names.len() == 1)) {
                t.name = nm.clone();
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
            t.sends.extend(sends.iter().cloned());
            if let Some(v) = b(args, "mute") {
                t.mute = v;
            }
            if let Some(v) = b(args, "solo") {
                t.solo = v;
            }
            if let Some(v) = b(args, "arm") {
                if t.kind == TrackKind::Return {
                    warnings.push(format!(
                        "updateTrack: track {id} is a return track and cannot be armed"
                    ));
                } else {
                    t.arm = v;
                }
            }
            out.push(json!({"id": id}));
        }
        if out.is_empty() {
            return Err(format!(
                "updateTrack failed: no track found for ids \"{}\"",
                ids.join(",")
            ));
        }
        Ok((one_or_many(out), warnings))
    }

    fn scene_json(&self, i: usize, inc: &[&str]) -> Value {
        let sc = &self.scenes[i];
        let mut m = Map::new();
        m.insert("id".into(), json!(sc.id));
        m.insert("name".into(), json!(sc.name));
        m.insert("sceneIndex".into(), json!(i));
        if let Some(c) = &sc.color {
            m.insert("color".into(), json!(c));
        }
        if let Some(t) = sc.tempo {
            m.insert("tempo".into(), json!(t));
        }
        let clips: Vec<(usize, &Clip)> = self
            .tracks
            .iter()
            .enumerate()
            .filter_map(|(t, tr)| tr.slots.get(i).and_then(Option::as_ref).map(|c| (t, c)))
            .collect();
        m.insert("clipCount".into(), json!(clips.len()));
        if inc.contains(&"clips") || inc.contains(&"*") {
            let detail: Vec<&str> = inc
                .iter()
                .copied()
                .filter(|x| matches!(*x, "notes" | "timing"))
                .collect();
            let list: Vec<Value> = clips
                .iter()
                .map(|(t, c)| clip_json(c, *t, &ClipLoc::Slot(i), &detail))
                .collect();
            m.insert("clips".into(), Value::Array(list));
        }
        Value::Object(m)
    }

    fn create_scene(&mut self, args: &Map<String, Value>) -> ToolResult {
        let count = count(args)?;
        let names = list(s(args, "name"));
        let at = n(args, "sceneIndex").map(|i| (i as usize).min(self.scenes.len()));
        if at.is_none() && !b(args, "capture").unwrap_or(false) {
            return Err("sceneIndex is required unless capture is true".into());
        }
        let mut out = Vec::new();
        for k in 0..count {
            let id = self.new_id();
            let index = at.map_or(self.scenes.len(), |a| a + k);
            let name = names
                .get(k)
                .or(names.first().filter(|_| names.len() == 1))
                .cloned()
                .unwrap_or_default();
            self.insert_scene(
                index,
                Scene {
                    id: id.clone(),
                    name,
                    color: s(args, "color").map(str::to_owned),
                    tempo: n(args, "tempo"),
                },
            );
            out.push(json!({"id": id, "sceneIndex": index}));
        }
        Ok((one_or_many(out), vec![]))
    }

    fn update_scenes(&mut self, args: &Map<String, Value>) -> ToolResult {
        let ids = list(s(args, "ids"));
        let names = list(s(args, "name"));
        let mut warnings = Vec::new();
        let mut out = Vec::new();
        for (k, id) in ids.iter().enumerate() {
            let Some(sc) = self.scenes.iter_mut().find(|sc| &sc.id == id) else {
                warnings.push(format!("updateScene: no scene with id \"{id}\", skipped"));
                continue;
            };
            if let Some(nm) = names.get(k).or(names.first().filter(|_| names.len() == 1)) {
                sc.name = nm.clone();
            }
            if let Some(c) = s(args, "color") {
                sc.color = Some(c.to_owned());
            }
            if let Some(t) = n(args, "tempo") {
                sc.tempo = if t < 0.0 { None } else { Some(t) };
            }
            out.push(json!({"id": id}));
        }
        if out.is_empty() {
            return Err(format!(
                "updateScene failed: no scene found for ids \"{}\"",
                ids.join(",")
            ));
        }
        Ok((one_or_many(out), warnings))
    }

    fn find_clip_ref(&self, args: &Map<String, Value>) -> Result<(usize, ClipLoc), String> {
        if let Some(id) = s(args, "clipId") {
            return self.find_clip_id(id).ok_or(format!("No clip with id {id}"));
        }
        let text = s(args, "slot").ok_or("Either clipId or slot is required")?;
        let (t, sc) = slot(text).ok_or(format!(
            "Invalid slot '{text}': expected trackIndex/sceneIndex"
        ))?;
        self.check_slot(t, sc)?;
        if self.tracks[t].slots[sc].is_none() {
            return Err(format!("No clip in slot {t}/{sc}"));
        }
        Ok((t, ClipLoc::Slot(sc)))
    }

    fn check_slot(&self, t: usize, sc: usize) -> Result<(), String> {
        if t >= self.tracks.len() {
            return Err(format!(
                "Track index {t} is out of range (the set has {} tracks)",
                self.tracks.len()
            ));
        }
        if sc >= self.scenes.len() {
            return Err(format!(
                "Scene index {sc} is out of range (the set has {} scenes)",
                self.scenes.len()
            ));
        }
        Ok(())
    }

    fn create_clips(&mut self, args: &Map<String, Value>) -> ToolResult {
        let slots = list(s(args, "slot"));
        let starts = list(s(args, "arrangementStart"));
        if slots.is_empty() && starts.is_empty() {
            return Err("createClip needs slot, or trackIndex with arrangementStart".into());
        }
        let names = list(s(args, "name"));
        let notes = s(args, "notes").unwrap_or_default().to_owned();
        let (read, meter, mut warnings) =
            read_notes(&notes, args, &self.time_signature, Generation::V1)
                .map_err(|e| format!("Error executing tool 'ppal-create-clip': {e}"))?;
        let mut targets: Vec<(usize, ClipLoc)> = Vec::new();
        for text in &slots {
            let (t, sc) = slot(text).ok_or(format!(
                "Invalid slot '{text}': expected trackIndex/sceneIndex"
            ))?;
            self.check_slot(t, sc)?;
            if self.tracks[t].slots[sc].is_some() {
                return Err(format!("Slot {t}/{sc} already has a clip"));
            }
            targets.push((t, ClipLoc::Slot(sc)));
        }
        if !starts.is_empty() {
            let t = n(args, "trackIndex").ok_or("trackIndex is required with arrangementStart")?
                as usize;
            if t >= self.tracks.len() {
                return Err(format!(
                    "Track index {t} is out of range (the set has {} tracks)",
                    self.tracks.len()
                ));
            }
            for _ in &starts {
                targets.push((t, ClipLoc::Arrangement(usize::MAX)));
            }
        }
        let mut out = Vec::new();
        let mut start_iter = starts.iter();
        for (k, (t, loc)) in targets.into_iter().enumerate() {
            let id = self.new_id();
            let audio = self.tracks[t].kind == TrackKind::Audio;
            if audio && !notes.is_empty() {
                warnings.push(format!(
                    "createClip: track {t} is an audio track; notes ignored"
                ));
            }
            let clip_notes = if audio { Vec::new() } else { read.clone() };
            let note_count = clip_notes.len();
            let clip = Clip {
                id: id.clone(),
                name: names
                    .get(k)
                    .or(names.first().filter(|_| names.len() == 1))
                    .cloned()
                    .unwrap_or_default(),
                color: s(args, "color").map(str::to_owned),
                length: s(args, "length").unwrap_or("1:0").to_owned(),
                looping: b(args, "looping").unwrap_or(true),
                notes: clip_notes,
                meter,
                note_count,
                audio,
                arrangement_start: None,
                lane: None,
            };
            match loc {
                ClipLoc::Slot(sc) => self.tracks[t].slots[sc] = Some(clip),
                ClipLoc::Arrangement(_) => {
                    let start = start_iter.next().cloned().unwrap_or_else(|| "1|1".into());
                    self.tracks[t].arrangement.push(Clip {
                        arrangement_start: Some(start),
                        ..clip
                    });
                }
            }
            let mut r = json!({"id": id});
            if !audio {
                r["noteCount"] = json!(note_count);
            }
            out.push(r);
        }
        Ok((one_or_many(out), warnings))
    }

    fn update_clips(&mut self, args: &Map<String, Value>) -> ToolResult {
        let song_meter = self.time_signature.clone();
        let ids = list(s(args, "ids"));
        let names = list(s(args, "name"));
        let mut warnings = Vec::new();
        let mut out = Vec::new();
        for (k, id) in ids.iter().enumerate() {
            let Some((t, loc)) = self.find_clip_id(id) else {
                warnings.push(format!("updateClip: no clip with id \"{id}\", skipped"));
                continue;
            };
            if let (Some(to), ClipLoc::Slot(sc)) = (s(args, "toSlot"), &loc) {
                let (nt, nsc) = slot(to).ok_or(format!("Invalid toSlot '{to}'"))?;
                self.check_slot(nt, nsc)?;
                if self.tracks[nt].slots[nsc].is_some() {
                    warnings.push(format!(
                        "updateClip: slot {to} is taken; clip {id} not moved"
                    ));
                } else {
                    let c = self.tracks[t].slots[*sc].take();
                    self.tracks[nt].slots[nsc] = c;
                }
            }
            let (t, loc) = self.find_clip_id(id).expect("still there");
            if let Some(start) = s(args, "arrangementStart") {
                match &loc {
                    ClipLoc::Arrangement(k) => {
                        self.tracks[t].arrangement[*k].arrangement_start =
                            Some(start.trim().to_owned());
                    }
                    ClipLoc::Slot(_) => warnings.push(format!(
                        "updateClip: clip {id} is a session clip; arrangementStart ignored"
                    )),
                }
            }
            let replace = s(args, "noteUpdateMode") == Some("replace");
            let clip = self.clip_mut(t, &loc).expect("located");
            if let Some(nm) = names.get(k).or(names.first().filter(|_| names.len() == 1)) {
                clip.name = nm.clone();
            }
            if let Some(c) = s(args, "color") {
                clip.color = Some(c.to_owned());
            }
            if let Some(l) = s(args, "length") {
                clip.length = l.to_owned();
            }
            if let Some(l) = b(args, "looping") {
                clip.looping = l;
            }
            if let Some(notes) = s(args, "notes") {
                let (read, meter, more) = read_notes(notes, args, &song_meter, Generation::V1)
                    .map_err(|e| format!("Error executing tool 'ppal-update-clip': {e}"))?;
                warnings.extend(more);
                if replace {
                    clip.notes = read;
                } else {
                    clip.notes.extend(read);
                }
                clip.meter = meter;
                clip.note_count = clip.notes.len();
            }
            out.push(json!({"id": id, "noteCount": clip.note_count}));
        }
        if out.is_empty() {
            return Err(format!(
                "updateClip failed: no clip found for ids \"{}\"",
                ids.join(",")
            ));
        }
        Ok((one_or_many(out), warnings))
    }

    fn device_path(&self, path: &str) -> Result<(usize, Option<usize>), String> {
        let mut parts = path.trim().split('/');
        let t = parts
            .next()
            .and_then(|p| p.strip_prefix('t'))
            .and_then(|p| p.parse::<usize>().ok())
            .ok_or(format!(
                "Invalid path '{path}': expected t<track>[/d<device>]"
            ))?;
        if t >= self.tracks.len() {
            return Err(format!("Invalid path '{path}': track {t} does not exist"));
        }
        let d = match parts.next() {
            None => None,
            Some(p) => Some(
                p.strip_prefix('d')
                    .and_then(|p| p.parse::<usize>().ok())
                    .ok_or(format!(
                        "Invalid path '{path}': the simulator models t<n>/d<n> paths"
                    ))?,
            ),
        };
        Ok((t, d))
    }

    fn find_device(&self, args: &Map<String, Value>) -> Result<(usize, usize), String> {
        if let Some(id) = s(args, "deviceId").or(s(args, "ids")) {
            for (t, tr) in self.tracks.iter().enumerate() {
                if let Some(d) = tr.devices.iter().position(|d| d.id == id) {
                    return Ok((t, d));
                }
            }
            return Err(format!("No device with id {id}"));
        }
        let path = s(args, "path").ok_or("Either deviceId or path is required")?;
        match self.device_path(path)? {
            (t, Some(d)) if d < self.tracks[t].devices.len() => Ok((t, d)),
            _ => Err(format!("No device at path {path}")),
        }
    }

    fn read_device(&mut self, args: &Map<String, Value>) -> ToolResult {
        let (t, d) = self.find_device(args)?;
        let dev = &self.tracks[t].devices[d];
        let mut r = json!({"id": dev.id, "path": format!("t{t}/d{d}"), "type": dev.device_name, "name": dev.name});
        if includes(args)
            .iter()
            .any(|i| matches!(*i, "params" | "param-values" | "*"))
        {
            r["params"] = json!([{"name": "Device On", "value": "On"}]);
        }
        Ok((r, vec![]))
    }

    fn create_device(&mut self, args: &Map<String, Value>) -> ToolResult {
        let Some(name) = s(args, "deviceName") else {
            return Ok((json!({"devices": DEVICES}), vec![]));
        };
        if !DEVICES.contains(&name) {
            return Err(format!(
                "Unknown device '{name}'; call without deviceName to list the devices"
            ));
        }
        let paths = list(s(args, "path"));
        if paths.is_empty() {
            return Err("path is required with deviceName".into());
        }
        let names = list(s(args, "name"));
        let mut out = Vec::new();
        for (k, p) in paths.iter().enumerate() {
            let (t, _) = self.device_path(p)?;
            let id = self.new_id();
            let display = names
                .get(k)
                .or(names.first().filter(|_| names.len() == 1))
                .cloned()
                .unwrap_or_else(|| name.to_owned());
            self.tracks[t].devices.push(Device {
                id: id.clone(),
                device_name: name.to_owned(),
                name: display,
            });
            out.push(
                json!({"id": id, "path": format!("t{t}/d{}", self.tracks[t].devices.len() - 1)}),
            );
        }
        Ok((one_or_many(out), vec![]))
    }

    fn update_devices(&mut self, args: &Map<String, Value>) -> ToolResult {
        let targets: Vec<Map<String, Value>> = if let Some(ids) = s(args, "ids") {
            list(Some(ids))
                .into_iter()
                .map(|i| {
                    json!({"deviceId": i})
                        .as_object()
                        .cloned()
                        .unwrap_or_default()
                })
                .collect()
        } else {
            list(s(args, "path"))
                .into_iter()
                .map(|p| json!({"path": p}).as_object().cloned().unwrap_or_default())
                .collect()
        };
        let mut warnings = Vec::new();
        let mut out = Vec::new();
        for t in &targets {
            match self.find_device(t) {
                Ok((ti, d)) => {
                    let dev = &mut self.tracks[ti].devices[d];
                    if let Some(nm) = s(args, "name") {
                        dev.name = nm.to_owned();
                    }
                    out.push(json!({"id": dev.id}));
                }
                Err(e) => warnings.push(format!("updateDevice: {e}, skipped")),
            }
        }
        if out.is_empty() {
            return Err("updateDevice failed: no device matched ids or path".into());
        }
        Ok((one_or_many(out), warnings))
    }

    fn delete(&mut self, args: &Map<String, Value>) -> ToolResult {
        let ty = s(args, "type").unwrap_or_default();
        let ids = list(s(args, "ids"));
        let mut warnings = Vec::new();
        let mut out = Vec::new();
        match ty {
            "device" if ids.is_empty() => {
                for p in list(s(args, "path")) {
                    match self.device_path(&p) {
                        Ok((t, Some(d))) if d < self.tracks[t].devices.len() => {
                            let dev = self.tracks[t].devices.remove(d);
                            out.push(json!({"id": dev.id, "type": "device", "deleted": true}));
                        }
                        _ => warnings.push(format!("delete: no device at path {p}, skipped")),
                    }
                }
            }
            _ => {
                for id in &ids {
                    let done = match ty {
                        "track" => match self.find_track_id(id) {
                            Some((TrackKind::Return, i)) => {
                                self.returns.remove(i);
                                true
                            }
                            Some((_, i)) => {
                                self.tracks.remove(i);
                                true
                            }
                            None => false,
                        },
                        "scene" => match self.scenes.iter().position(|sc| &sc.id == id) {
                            Some(i) => {
                                self.remove_scene(i);
                                true
                            }
                            None => false,
                        },
                        "clip" => match self.find_clip_id(id) {
                            Some((t, ClipLoc::Slot(sc))) => {
                                self.tracks[t].slots[sc] = None;
                                true
                            }
                            Some((t, ClipLoc::Arrangement(k))) => {
                                self.tracks[t].arrangement.remove(k);
                                true
                            }
                            None => false,
                        },
                        "device" => match self
                            .find_device(json!({"deviceId": id}).as_object().expect("object"))
                        {
                            Ok((t, d)) => {
                                self.tracks[t].devices.remove(d);
                                true
                            }
                            Err(_) => false,
                        },
                        _ => false,
                    };
                    if done {
                        out.push(json!({"id": id, "type": ty, "deleted": true}));
                    } else {
                        warnings.push(format!("delete: no {ty} with id \"{id}\", skipped"));
                    }
                }
            }
        }
        if out.is_empty() {
            return Err(format!("delete failed: nothing of type {ty} matched"));
        }
        Ok((one_or_many(out), warnings))
    }

    fn duplicate(&mut self, args: &Map<String, Value>) -> ToolResult {
        let id = s(args, "id").unwrap_or_default();
        let ty = s(args, "type").unwrap_or_default();
        let count = count(args)?;
        let mut out = Vec::new();
        match ty {
            "track" => {
                let Some((TrackKind::Midi | TrackKind::Audio, i)) = self.find_track_id(id) else {
                    return Err(format!("No track with id {id}"));
                };
                let copy = TrackCopy {
                    name: s(args, "name").map(str::to_owned),
                    without_clips: b(args, "withoutClips").unwrap_or(false),
                    without_devices: b(args, "withoutDevices").unwrap_or(false),
                };
                for k in 0..count {
                    let index = i + 1 + k;
                    let id = self.duplicate_track(i, index, copy.clone());
                    out.push(json!({"id": id, "trackIndex": index}));
                }
            }
            "scene" => {
                let i = self
                    .scenes
                    .iter()
                    .position(|sc| sc.id == id)
                    .ok_or(format!("No scene with id {id}"))?;
                for k in 0..count {
                    let index = i + 1 + k;
                    let sid = self.duplicate_scene(i, index);
                    out.push(json!({"id": sid, "sceneIndex": index}));
                }
            }
            "clip" => {
                let (t, loc) = self
                    .find_clip_id(id)
                    .ok_or(format!("No clip with id {id}"))?;
                let src = self.clip_at(t, &loc).cloned().expect("located");
                let starts = self.arrangement_destinations(args)?;
                if starts.is_empty() {
                    let to = s(args, "toSlot").ok_or(
                        "toSlot, arrangementStart or locator is required to duplicate a clip",
                    )?;
                    for text in list(Some(to)) {
                        let (nt, nsc) = slot(&text).ok_or(format!("Invalid toSlot '{text}'"))?;
                        self.check_slot(nt, nsc)?;
                        let mut c = src.clone();
                        c.id = self.new_id();
                        out.push(json!({"id": c.id, "slot": text}));
                        self.tracks[nt].slots[nsc] = Some(c);
                    }
                }
                // Arrangement copies go on the source clip's own track.
                for start in starts {
                    let mut c = src.clone();
                    c.id = self.new_id();
                    c.lane = None;
                    out.push(json!({"id": c.id, "trackIndex": t, "arrangementStart": start}));
                    c.arrangement_start = Some(start);
                    self.tracks[t].arrangement.push(c);
                }
            }
            _ => return Err(format!("The simulator cannot duplicate a {ty}")),
        }
        Ok((one_or_many(out), vec![]))
    }

    /// A clip duplicate's arrangement positions: `arrangementStart`'s, then
    /// the time of each locator `locator` names (by id or name).
    fn arrangement_destinations(&self, args: &Map<String, Value>) -> Result<Vec<String>, String> {
        let mut out = list(s(args, "arrangementStart"));
        for name in list(s(args, "locator")) {
            let l = (self.locators.iter())
                .find(|l| l.id == name || l.name == name)
                .ok_or(format!("No locator with id or name '{name}'"))?;
            out.push(l.time.clone());
        }
        Ok(out)
    }

    fn playback(&mut self, args: &Map<String, Value>) -> ToolResult {
        match s(args, "action").unwrap_or_default() {
            "play-arrangement" | "play-session-clips" => self.playing = true,
            "play-scene" => {
                let i =
                    n(args, "sceneIndex").ok_or("sceneIndex is required for play-scene")? as usize;
                if i >= self.scenes.len() {
                    return Err(format!(
                        "Scene index {i} is out of range (the set has {} scenes)",
                        self.scenes.len()
                    ));
                }
                self.playing = true;
            }
            "stop" | "stop-all-session-clips" => self.playing = false,
            _ => {}
        }
        Ok((json!({"isPlaying": self.playing}), vec![]))
    }
}

fn clip_json(c: &Clip, track: usize, loc: &ClipLoc, inc: &[&str]) -> Value {
    let mut m = Map::new();
    m.insert("id".into(), json!(c.id));
    m.insert("type".into(), json!(if c.audio { "audio" } else { "midi" }));
    m.insert("name".into(), json!(c.name));
    match loc {
        ClipLoc::Slot(sc) => {
            m.insert("slot".into(), json!(format!("{track}/{sc}")));
        }
        ClipLoc::Arrangement(_) => {
            m.insert("trackIndex".into(), json!(track));
            m.insert("arrangementStart".into(), json!(c.arrangement_start));
        }
    }
    if let Some(col) = &c.color {
        m.insert("color".into(), json!(col));
    }
    m.insert("length".into(), json!(c.length));
    m.insert("looping".into(), json!(c.looping));
    m.insert("noteCount".into(), json!(c.note_count));
    if inc.contains(&"notes") || inc.contains(&"*") {
        m.insert(
            "notes".into(),
            json!(notation::format(&c.notes, Generation::V1, c.meter)),
        );
    }
    Value::Object(m)
}
