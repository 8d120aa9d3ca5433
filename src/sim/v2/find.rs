//! From a 2.3 `id` or `path` to an object of the simulated set, and from an
//! object back to its path.

use serde_json::{Map, Value};

use crate::path::{self, Index, Path, Time, TrackRef};

use super::super::args::{list, s};
use super::super::live_set::{ClipLoc, LiveSet, TrackKind};

/// An object of the set, where it is now. Regular tracks are listed as
/// `TrackKind::Midi` whatever their type; the main track is index 0.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Obj {
    Track(TrackKind, usize),
    Scene(usize),
    /// A clip on a regular track.
    Clip(usize, ClipLoc),
    Device(TrackKind, usize, usize),
}

impl LiveSet {
    /// The objects a call names by `id` or `path`, each comma-separated,
    /// in request order; an error when it names none or one that is not
    /// there.
    pub(super) fn targets(&self, args: &Map<String, Value>) -> Result<Vec<Obj>, String> {
        if let Some(ids) = s(args, "id") {
            return list(Some(ids))
                .iter()
                .map(|id| self.find_id(id).ok_or(format!("no object with id {id}")))
                .collect();
        }
        let Some(text) = s(args, "path") else {
            return Err("id or path is required".into());
        };
        path::parse_list(text)
            .map_err(|e| e.to_string())?
            .iter()
            .map(|p| self.resolve(p))
            .collect()
    }

    /// The object with this id.
    pub(super) fn find_id(&self, id: &str) -> Option<Obj> {
        if let Some((kind, i)) = self.find_track_id(id) {
            return Some(Obj::Track(kind, i));
        }
        if self.main.id == id {
            return Some(Obj::Track(TrackKind::Main, 0));
        }
        if let Some(i) = self.scenes.iter().position(|sc| sc.id == id) {
            return Some(Obj::Scene(i));
        }
        if let Some((t, loc)) = self.find_clip_id(id) {
            return Some(Obj::Clip(t, loc));
        }
        self.all_tracks().find_map(|(kind, i)| {
            let track = self.track(kind, i)?;
            let d = track.devices.iter().position(|d| d.id == id)?;
            Some(Obj::Device(kind, i, d))
        })
    }

    /// Every track: regular, return, then main.
    pub(super) fn all_tracks(&self) -> impl Iterator<Item = (TrackKind, usize)> + use<> {
        let regular = (0..self.tracks.len()).map(|i| (TrackKind::Midi, i));
        let returns = (0..self.returns.len()).map(|i| (TrackKind::Return, i));
        regular
            .chain(returns)
            .chain(std::iter::once((TrackKind::Main, 0)))
    }

    /// The existing object a path names.
    pub(super) fn resolve(&self, p: &Path) -> Result<Obj, String> {
        match p {
            Path::Track(r) => {
                let (kind, i) = self.track_at(*r)?;
                Ok(Obj::Track(kind, i))
            }
            Path::Scene(Index::At(i)) => self.scene_at(*i).map(Obj::Scene),
            Path::Scene(Index::New) => Err("s+ names a scene to create, not one to find".into()),
            Path::Slot { track, scene } => {
                let (_, t) = self.track_at(TrackRef::Track(Index::At(*track)))?;
                self.scene_at(*scene)?;
                if self.tracks[t].slots[*scene].is_none() {
                    return Err(format!("no clip at {p}"));
                }
                Ok(Obj::Clip(t, ClipLoc::Slot(*scene)))
            }
            Path::Arrangement { track, lane, at } => {
                let (kind, t) = self.track_at(*track)?;
                let lane = match lane {
                    None => None,
                    Some(Index::At(l)) => Some(*l),
                    Some(Index::New) => return Err(format!("{p} names no clip yet")),
                };
                let start = self.time_text(at)?;
                self.tracks
                    .get(t)
                    .filter(|_| kind == TrackKind::Midi)
                    .and_then(|tr| {
                        tr.arrangement.iter().position(|c| {
                            c.lane == lane && c.arrangement_start.as_deref() == Some(&start)
                        })
                    })
                    .map(|k| Obj::Clip(t, ClipLoc::Arrangement(k)))
                    .ok_or(format!("no clip at {p}"))
            }
            Path::Device {
                track,
                device,
                inner,
            } => {
                let (kind, t) = self.track_at(*track)?;
                if !inner.is_empty() {
                    return Err(format!(
                        "{p}: the simulator does not model racks' chains or drum pads"
                    ));
                }
                let count = self.track(kind, t).map_or(0, |tr| tr.devices.len());
                if *device >= count {
                    return Err(format!("no device at {p}"));
                }
                Ok(Obj::Device(kind, t, *device))
            }
            Path::Lane { .. } | Path::At(_) => Err(format!("{p} names no object here")),
        }
    }

    /// An existing track.
    pub(super) fn track_at(&self, r: TrackRef) -> Result<(TrackKind, usize), String> {
        let (kind, i, len) = match r {
            TrackRef::Main => return Ok((TrackKind::Main, 0)),
            TrackRef::Track(Index::At(i)) => (TrackKind::Midi, i, self.tracks.len()),
            TrackRef::Return(Index::At(i)) => (TrackKind::Return, i, self.returns.len()),
            TrackRef::Track(Index::New) | TrackRef::Return(Index::New) => {
                return Err(format!("{r} names no track yet"));
            }
        };
        if i >= len {
            return Err(format!(
                "there is no track {r} (the set has {len} {})",
                if kind == TrackKind::Return {
                    "return tracks"
                } else {
                    "tracks"
                }
            ));
        }
        Ok((kind, i))
    }

    /// An existing regular track, where clips can be.
    pub(super) fn regular_track(&self, r: TrackRef) -> Result<usize, String> {
        match self.track_at(r)? {
            (TrackKind::Midi, t) => Ok(t),
            _ => Err(format!("{r} holds no clips: clips live on regular tracks")),
        }
    }

    pub(super) fn scene_at(&self, i: usize) -> Result<usize, String> {
        if i >= self.scenes.len() {
            return Err(format!(
                "there is no scene s{i} (the set has {} scenes)",
                self.scenes.len()
            ));
        }
        Ok(i)
    }

    /// A time as `bar|beat` text, a locator looked up by name.
    pub(super) fn time_text(&self, t: &Time) -> Result<String, String> {
        match t {
            Time::BarBeat { .. } => Ok(t.to_string()),
            Time::Locator(name) => self
                .locators
                .iter()
                .find(|l| &l.name == name)
                .map(|l| l.time.clone())
                .ok_or(format!("no locator named '{name}'")),
        }
    }

    /// A time argument (`startTime`, `loopStart`, ...): `bar|beat` or
    /// `loc:Name`.
    pub(super) fn time_arg(&self, text: &str) -> Result<String, String> {
        let t = path::parse_time(text)?;
        self.time_text(&t)
    }

    /// Where an object is, as a path for the next call.
    pub(super) fn path_of(&self, o: &Obj) -> String {
        match o {
            Obj::Track(kind, i) => track_path(*kind, *i),
            Obj::Scene(i) => format!("s{i}"),
            Obj::Clip(t, loc) => self.clip_path(*t, loc),
            Obj::Device(kind, t, d) => format!("{}/d{d}", track_path(*kind, *t)),
        }
    }

    pub(super) fn clip_path(&self, t: usize, loc: &ClipLoc) -> String {
        match loc {
            ClipLoc::Slot(sc) => format!("t{t}/s{sc}"),
            ClipLoc::Arrangement(k) => {
                let c = &self.tracks[t].arrangement[*k];
                let at = c.arrangement_start.as_deref().unwrap_or("1|1");
                match c.lane {
                    Some(l) => format!("t{t}/l{l}[{at}]"),
                    None => format!("t{t}[{at}]"),
                }
            }
        }
    }

    /// The id of an object.
    pub(super) fn id_of(&self, o: &Obj) -> String {
        match o {
            Obj::Track(kind, i) => self.track(*kind, *i).map(|t| t.id.clone()),
            Obj::Scene(i) => self.scenes.get(*i).map(|sc| sc.id.clone()),
            Obj::Clip(t, loc) => self.clip_at(*t, loc).map(|c| c.id.clone()),
            Obj::Device(kind, t, d) => self
                .track(*kind, *t)
                .and_then(|tr| tr.devices.get(*d))
                .map(|dv| dv.id.clone()),
        }
        .unwrap_or_default()
    }
}

pub(super) fn track_path(kind: TrackKind, i: usize) -> String {
    match kind {
        TrackKind::Return => format!("rt{i}"),
        TrackKind::Main => "mt".into(),
        TrackKind::Midi | TrackKind::Audio => format!("t{i}"),
    }
}
