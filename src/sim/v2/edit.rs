//! 2.3's `ppal-delete` and `ppal-duplicate`: answers name each object by
//! path (`deletedPath`; copies as `{id, path}`, or `{path, overwritten:
//! true}` where a copy replaced a clip).

use serde_json::{Map, Value, json};

use crate::path::{self, Path};

use super::super::args::{b, count, one_or_many, s};
use super::super::live_set::{ClipLoc, LiveSet, ToolResult, TrackCopy, TrackKind};
use super::find::Obj;

fn type_of(o: &Obj) -> &'static str {
    match o {
        Obj::Track(..) => "track",
        Obj::Scene(_) => "scene",
        Obj::Clip(..) => "clip",
        Obj::Device(..) => "device",
    }
}

impl LiveSet {
    pub(super) fn delete_v2(&mut self, args: &Map<String, Value>) -> ToolResult {
        let ty = s(args, "type").unwrap_or_default();
        if matches!(ty, "drum-pad" | "chain") {
            return Err(format!("the simulator does not model a {ty}"));
        }
        // Every target is found before anything moves, so indexes in
        // several paths mean what they meant when the call was made.
        let found: Vec<(String, String, Obj)> = self
            .targets(args)?
            .into_iter()
            .map(|o| (self.id_of(&o), self.path_of(&o), o))
            .collect();
        let mut warnings = Vec::new();
        let mut out = Vec::new();
        for (id, path, o) in found {
            if type_of(&o) != ty {
                warnings.push(format!("{path} is a {}, not a {ty}; skipped", type_of(&o)));
                continue;
            }
            match self.remove_by_id(&id) {
                Ok(()) => {
                    out.push(json!({"id": id, "type": ty, "deleted": true, "deletedPath": path}))
                }
                Err(e) => warnings.push(format!("{path}: {e}; skipped")),
            }
        }
        if out.is_empty() {
            return Err(format!("nothing of type {ty} was deleted"));
        }
        Ok((one_or_many(out), warnings))
    }

    fn remove_by_id(&mut self, id: &str) -> Result<(), String> {
        match self.find_id(id).ok_or("it is gone")? {
            Obj::Track(TrackKind::Main, _) => return Err("the main track cannot be deleted".into()),
            Obj::Track(TrackKind::Return, i) => drop(self.returns.remove(i)),
            Obj::Track(_, i) => drop(self.tracks.remove(i)),
            Obj::Scene(i) => self.remove_scene(i),
            Obj::Clip(t, ClipLoc::Slot(sc)) => self.tracks[t].slots[sc] = None,
            Obj::Clip(t, ClipLoc::Arrangement(k)) => drop(self.tracks[t].arrangement.remove(k)),
            Obj::Device(kind, t, d) => drop(self.track_mut(kind, t).devices.remove(d)),
        }
        Ok(())
    }

    /// Copies objects; as the 2.4 candidate (`candidate`), a clip copied to
    /// a slot past the last scene creates the scenes up to it.
    pub(super) fn duplicate_v2(
        &mut self,
        args: &Map<String, Value>,
        candidate: bool,
    ) -> ToolResult {
        let ty = s(args, "type").unwrap_or_default();
        let count = count(args)?;
        let mut out = Vec::new();
        for o in self.targets(args)? {
            if type_of(&o) != ty {
                return Err(format!(
                    "{} is a {}, not a {ty}",
                    self.path_of(&o),
                    type_of(&o)
                ));
            }
            match o {
                Obj::Track(TrackKind::Midi, i) => {
                    let copy = TrackCopy {
                        name: s(args, "name").map(str::to_owned),
                        without_clips: b(args, "withoutClips").unwrap_or(false),
                        without_devices: b(args, "withoutDevices").unwrap_or(false),
                    };
                    for k in 0..count {
                        let id = self.duplicate_track(i, i + 1 + k, copy.clone());
                        out.push(json!({"id": id, "path": format!("t{}", i + 1 + k)}));
                    }
                }
                Obj::Scene(i) => {
                    for k in 0..count {
                        let id = self.duplicate_scene(i, i + 1 + k);
                        out.push(json!({"id": id, "path": format!("s{}", i + 1 + k)}));
                    }
                }
                Obj::Clip(t, loc) => out.extend(self.duplicate_clip(t, &loc, args, candidate)?),
                Obj::Device(kind, t, d) => {
                    for k in 0..count {
                        let mut dev = self.track_mut(kind, t).devices[d].clone();
                        dev.id = self.new_id();
                        let id = dev.id.clone();
                        self.track_mut(kind, t).devices.insert(d + 1 + k, dev);
                        let o = Obj::Device(kind, t, d + 1 + k);
                        out.push(json!({"id": id, "path": self.path_of(&o)}));
                    }
                }
                Obj::Track(..) => return Err("the simulator duplicates regular tracks only".into()),
            }
        }
        Ok((one_or_many(out), vec![]))
    }

    /// Copies a clip to each `toPath` target: slots, arrangement positions
    /// on any track, or a bare position on the source's own track.
    fn duplicate_clip(
        &mut self,
        t: usize,
        loc: &ClipLoc,
        args: &Map<String, Value>,
        candidate: bool,
    ) -> Result<Vec<Value>, String> {
        let to = s(args, "toPath").ok_or("toPath is required to duplicate a clip")?;
        let src = self.clip_at(t, loc).cloned().expect("located");
        let mut out = Vec::new();
        for dest in path::parse_list(to).map_err(|e| e.to_string())? {
            let dest = match dest {
                Path::At(at) => Path::Arrangement {
                    track: path::TrackRef::Track(path::Index::At(t)),
                    lane: None,
                    at,
                },
                other => other,
            };
            let mut copy = src.clone();
            copy.id = self.new_id();
            let id = copy.id.clone();
            if let Path::Slot { track, scene } = dest {
                let nt = self.regular_track(path::TrackRef::Track(path::Index::At(track)))?;
                let created = if candidate {
                    self.grow_scenes(scene)?
                } else {
                    None
                };
                self.scene_at(scene)?;
                let overwritten = self.tracks[nt].slots[scene].replace(copy).is_some();
                let mut r = if overwritten {
                    json!({"path": dest.to_string(), "overwritten": true})
                } else {
                    json!({"id": id, "path": dest.to_string()})
                };
                if let Some(c) = created {
                    r["created"] = json!(c);
                }
                out.push(r);
                continue;
            }
            let spot = self.clip_spot(&dest, false)?;
            let (nt, nloc) = self.place_clip(spot, copy, None);
            out.push(json!({"id": id, "path": self.clip_path(nt, &nloc)}));
        }
        Ok(out)
    }
}
