//! 2.3's clip tools: read, create in session slots (`t0/s1`) or on the
//! arrangement (`t0[5|1]`, on a take lane `t0/l0[5|1]` or a new one
//! `t0/l+[5|1]`), update and move (`toPath`).

use serde_json::{Map, Value, json};

use crate::path::{self, Index, Path};

use super::super::args::{b, includes, list, one_or_many, pick, s};
use super::super::live_set::{Clip, ClipLoc, LiveSet, ToolResult, TrackKind};
use super::Notation;
use super::find::Obj;

/// Where a new clip goes, checked before anything is created.
pub(super) enum Spot {
    Slot(usize, usize),
    /// Track, take lane (`None`: main lane; `Some(None)`: a new lane), start.
    Arrangement(usize, Option<Option<usize>>, String),
}

impl LiveSet {
    pub(super) fn read_clips(&mut self, args: &Map<String, Value>) -> ToolResult {
        let inc = includes(args);
        let out = self
            .targets(args)?
            .iter()
            .map(|o| match o {
                Obj::Clip(t, loc) => Ok(self.clip_v2(*t, loc, &inc)),
                other => Err(format!("{} is not a clip", self.path_of(other))),
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok((one_or_many(out), vec![]))
    }

    /// Where a clip at `p` goes; `replace` lets it take an occupied slot
    /// (2.4's create-clip).
    pub(super) fn clip_spot(&self, p: &Path, replace: bool) -> Result<Spot, String> {
        match p {
            Path::Slot { track, scene } => {
                let t = self.regular_track(crate::path::TrackRef::Track(Index::At(*track)))?;
                self.scene_at(*scene)?;
                if !replace && self.tracks[t].slots[*scene].is_some() {
                    return Err(format!("{p} already has a clip"));
                }
                Ok(Spot::Slot(t, *scene))
            }
            Path::Arrangement { track, lane, at } => {
                let t = self.regular_track(*track)?;
                let lane = match lane {
                    None => None,
                    Some(Index::New) => Some(None),
                    Some(Index::At(l)) if *l < self.tracks[t].take_lanes.len() => Some(Some(*l)),
                    Some(Index::At(l)) => return Err(format!("track t{t} has no take lane l{l}")),
                };
                Ok(Spot::Arrangement(t, lane, self.time_text(at)?))
            }
            _ => Err(format!(
                "'{p}' is not a place for a clip: use a slot (t0/s0) or an arrangement position (t0[1|1])"
            )),
        }
    }

    /// Creates a clip at each path. A slot past the last scene creates the
    /// scenes up to it. As the 2.4 candidate (`candidate`), an occupied
    /// slot is overwritten and says so, and a target that cannot be done
    /// keeps its place as a skip entry.
    pub(super) fn create_clips_v2(
        &mut self,
        args: &Map<String, Value>,
        notation: Notation,
        candidate: bool,
    ) -> ToolResult {
        let text =
            s(args, "path").ok_or("path is required: a slot (t0/s0) or a position (t0[1|1])")?;
        let paths = path::parse_list(text).map_err(|e| e.to_string())?;
        // Scenes grow only for slots on tracks that are there.
        let last_scene = paths.iter().filter_map(|p| match p {
            Path::Slot { track, scene } if *track < self.tracks.len() => Some(*scene),
            _ => None,
        });
        let scenes_before = self.scenes.len();
        let created = match last_scene.max() {
            Some(sc) => self.grow_scenes(sc)?,
            None => None,
        };
        let mut spots = Vec::with_capacity(paths.len());
        for p in &paths {
            match self.clip_spot(p, candidate) {
                Ok(spot) => spots.push(Ok(spot)),
                Err(e) if candidate && paths.len() > 1 => spots.push(Err(e)),
                Err(e) => return Err(e),
            }
        }
        if spots.iter().all(Result::is_err) {
            return Err(spots.into_iter().find_map(Result::err).unwrap_or_default());
        }
        let names = list(s(args, "name"));
        let notes = s(args, "notes").unwrap_or_default();
        let (read, meter, mut warnings) = notation.read(notes, args, &self.time_signature)?;
        let mut out = Vec::new();
        for (k, spot) in spots.into_iter().enumerate() {
            let spot = match spot {
                Ok(spot) => spot,
                Err(why) => {
                    out.push(super::candidate::skip_entry(
                        "path",
                        &paths[k].to_string(),
                        &why,
                    ));
                    continue;
                }
            };
            let overwrote = match &spot {
                Spot::Slot(t, sc) if self.tracks[*t].slots[*sc].is_some() => {
                    Some((format!("t{t}/s{sc}"), *sc >= scenes_before))
                }
                Spot::Slot(_, sc) => Some((String::new(), *sc >= scenes_before)),
                Spot::Arrangement(..) => None,
            };
            let t = match &spot {
                Spot::Slot(t, _) | Spot::Arrangement(t, _, _) => *t,
            };
            let audio = self.tracks[t].kind == TrackKind::Audio;
            if audio && !notes.is_empty() {
                warnings.push(format!("t{t} is an audio track; notes ignored"));
            }
            let clip_notes = if audio {
                Vec::new()
            } else {
                read.notes.clone()
            };
            let note_count = if audio { 0 } else { read.count };
            let clip = Clip {
                id: self.new_id(),
                name: pick(&names, k).unwrap_or_default(),
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
            let id = clip.id.clone();
            let (_, loc) = self.place_clip(spot, clip, s(args, "takeLaneName"));
            let mut r = json!({"id": id, "path": self.clip_path(t, &loc)});
            if !audio {
                r["noteCount"] = json!(note_count);
            }
            if candidate && let Some((old, new_scene)) = overwrote {
                if !old.is_empty() {
                    r["detail"] = json!(format!("overwrote the existing clip at {old}"));
                }
                if new_scene && let Some(c) = &created {
                    r["created"] = json!(c);
                }
            }
            out.push(r);
        }
        if s(args, "auto").is_some() {
            self.playing = true;
        }
        Ok((one_or_many(out), warnings))
    }

    /// Puts a new clip at a checked spot; answers where it is.
    pub(super) fn place_clip(
        &mut self,
        spot: Spot,
        clip: Clip,
        lane_name: Option<&str>,
    ) -> (usize, ClipLoc) {
        match spot {
            Spot::Slot(t, sc) => {
                self.tracks[t].slots[sc] = Some(clip);
                (t, ClipLoc::Slot(sc))
            }
            Spot::Arrangement(t, lane, start) => {
                let track = &mut self.tracks[t];
                let lane = lane.map(|l| {
                    l.unwrap_or_else(|| {
                        let n = track.take_lanes.len();
                        track.take_lanes.push(
                            lane_name.map_or_else(|| format!("Take {}", n + 1), str::to_owned),
                        );
                        n
                    })
                });
                track.arrangement.push(Clip {
                    arrangement_start: Some(start),
                    lane,
                    ..clip
                });
                (t, ClipLoc::Arrangement(track.arrangement.len() - 1))
            }
        }
    }

    /// Updates and moves clips; as the 2.4 candidate (`candidate`), a
    /// slot past the last scene in `toPath` creates the scenes up to it.
    pub(super) fn update_clips_v2(
        &mut self,
        args: &Map<String, Value>,
        notation: Notation,
        candidate: bool,
    ) -> ToolResult {
        let song_meter = self.time_signature.clone();
        let names = list(s(args, "name"));
        let mut warnings = Vec::new();
        let mut out = Vec::new();
        let targets: Vec<(Obj, String)> = self
            .targets(args)?
            .into_iter()
            .map(|o| {
                let id = self.id_of(&o);
                (o, id)
            })
            .collect();
        if s(args, "arrangementSplit").is_some() {
            warnings.push("the simulator does not split clips; arrangementSplit ignored".into());
        }
        for (k, (o, id)) in targets.into_iter().enumerate() {
            if !matches!(o, Obj::Clip(..)) {
                warnings.push(format!("{} is not a clip, skipped", self.path_of(&o)));
                continue;
            }
            let mut created = None;
            if let Some(to) = s(args, "toPath") {
                if candidate && let Ok(Path::Slot { scene, .. }) = path::parse(to) {
                    created = self.grow_scenes(scene)?;
                }
                warnings.extend(self.move_clip(&id, to)?);
            }
            let Some((t, loc)) = self.find_clip_id(&id) else {
                continue;
            };
            let clip = self.clip_mut(t, &loc).expect("located");
            if let Some(nm) = pick(&names, k) {
                clip.name = nm;
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
            if let Some(notes) = s(args, "notes").filter(|_| !clip.audio) {
                let (read, meter, more) = notation.read(notes, args, &song_meter)?;
                warnings.extend(more);
                clip.notes.extend(read.notes);
                clip.meter = meter;
                clip.note_count += read.count;
            }
            let count = clip.note_count;
            let mut r = json!({"id": id, "path": self.clip_path(t, &loc), "noteCount": count});
            if let Some(c) = created {
                r["created"] = json!(c);
            }
            out.push(r);
        }
        if out.is_empty() {
            return Err("no clip matched id or path".into());
        }
        Ok((one_or_many(out), warnings))
    }

    /// Moves a clip: a session clip to another empty slot, an arrangement
    /// clip along its track (`[49|1]`) or to another track's arrangement.
    fn move_clip(&mut self, id: &str, to: &str) -> Result<Vec<String>, String> {
        let (t, loc) = self
            .find_clip_id(id)
            .ok_or(format!("no clip with id {id}"))?;
        let dest = path::parse(to).map_err(|e| e.to_string())?;
        match (&loc, &dest) {
            (ClipLoc::Slot(sc), Path::Slot { .. }) => {
                let Spot::Slot(nt, nsc) = self.clip_spot(&dest, false)? else {
                    unreachable!("a slot path gives a slot")
                };
                let c = self.tracks[t].slots[*sc].take();
                self.tracks[nt].slots[nsc] = c;
            }
            (ClipLoc::Arrangement(k), Path::At(at)) => {
                let start = self.time_text(at)?;
                self.tracks[t].arrangement[*k].arrangement_start = Some(start);
            }
            (ClipLoc::Arrangement(k), Path::Arrangement { .. }) => {
                let spot = self.clip_spot(&dest, false)?;
                let c = self.tracks[t].arrangement.remove(*k);
                self.place_clip(spot, c, None);
            }
            _ => {
                return Ok(vec![format!(
                    "clip {id} cannot move to '{to}': a session clip moves to a slot, an arrangement clip to a position"
                )]);
            }
        }
        Ok(vec![])
    }
}
