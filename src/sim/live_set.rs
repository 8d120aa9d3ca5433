//! The simulated Live Set: the state both generations of tools work on.
//!
//! It keeps what recipes touch most (tempo and meter, tracks, scenes, session
//! and arrangement clips, take lanes, devices, locators, transport,
//! selection) so that ids, indexes and paths captured from one call behave in
//! the next as they would in Live. How a call names these objects and how
//! results are shaped differ per generation: [`super::v1`] (Producer Pal 1.4)
//! and [`super::v2`] (2.3) each read requests and shape results their own way
//! over this one model.

use serde_json::{Map, Value, json};

use crate::notation::{self, Meter, Note};
use crate::protocol::Generation;

/// What a simulated tool call produced: a result and its warnings, or the
/// error text Producer Pal would answer with `isError: true`.
pub type ToolResult = Result<(Value, Vec<String>), String>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrackKind {
    Midi,
    Audio,
    Return,
    /// The main (master) track; there is one.
    Main,
}

impl TrackKind {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            TrackKind::Midi => "midi",
            TrackKind::Audio => "audio",
            TrackKind::Return => "return",
            TrackKind::Main => "main",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Clip {
    pub id: String,
    pub name: String,
    pub color: Option<String>,
    pub length: String,
    pub looping: bool,
    /// The notes as Producer Pal would have sent them to Live.
    pub notes: Vec<Note>,
    /// The meter the notes were read in (read-clip writes them back in it).
    pub meter: Meter,
    pub note_count: usize,
    pub audio: bool,
    /// Arrangement position (bar|beat); `None` for a session clip.
    pub arrangement_start: Option<String>,
    /// The take lane (from 0) of an arrangement clip; `None` for the main lane.
    pub lane: Option<usize>,
}

#[derive(Debug, Clone)]
pub struct Device {
    pub id: String,
    pub device_name: String,
    pub name: String,
}

#[derive(Debug, Clone)]
pub struct Track {
    pub id: String,
    pub kind: TrackKind,
    pub name: String,
    pub color: Option<String>,
    pub mute: bool,
    pub solo: bool,
    pub arm: bool,
    pub gain_db: f64,
    pub pan: f64,
    /// One slot per scene.
    pub slots: Vec<Option<Clip>>,
    pub arrangement: Vec<Clip>,
    pub devices: Vec<Device>,
    /// Take lane names, in order.
    pub take_lanes: Vec<String>,
    /// Send levels in dB, by the id of the return track they feed; a
    /// return track not here is sent nothing (see [`super::mixer`]).
    pub sends: std::collections::BTreeMap<String, f64>,
}

#[derive(Debug, Clone)]
pub struct Scene {
    pub id: String,
    pub name: String,
    pub color: Option<String>,
    pub tempo: Option<f64>,
}

#[derive(Debug, Clone)]
pub struct Locator {
    pub id: String,
    pub name: String,
    pub time: String,
}

/// Where the arrangement plays from and what it loops.
#[derive(Debug, Clone, PartialEq)]
pub struct Transport {
    pub start_time: String,
    pub looping: bool,
    pub loop_start: String,
    pub loop_end: String,
}

/// How a track is copied.
#[derive(Debug, Clone, Default)]
pub struct TrackCopy {
    pub name: Option<String>,
    pub without_clips: bool,
    pub without_devices: bool,
}

/// The id of the main track, fixed so that it takes no number from the
/// objects a run creates.
pub const MAIN_TRACK_ID: &str = "0";

/// The simulated set.
#[derive(Debug, Clone)]
pub struct LiveSet {
    pub tempo: f64,
    pub time_signature: String,
    pub scale: String,
    pub tracks: Vec<Track>,
    pub returns: Vec<Track>,
    pub main: Track,
    pub scenes: Vec<Scene>,
    pub locators: Vec<Locator>,
    pub playing: bool,
    pub transport: Transport,
    pub selected: Value,
    pub memory: String,
    /// Tool calls that reached the set, so a test can show nothing was sent.
    pub calls: u64,
    pub(super) next_id: u64,
    pub(super) next_locator: u64,
}

impl Track {
    /// A track with nothing on it and `scenes` empty slots.
    pub fn blank(id: String, kind: TrackKind, name: String, scenes: usize) -> Track {
        Track {
            id,
            kind,
            name,
            color: None,
            mute: false,
            solo: false,
            arm: false,
            gain_db: 0.0,
            pan: 0.0,
            slots: vec![None; scenes],
            arrangement: Vec::new(),
            devices: Vec::new(),
            take_lanes: Vec::new(),
            sends: Default::default(),
        }
    }
}

/// Devices the simulated `ppal-create-device` knows.
pub const DEVICES: &[&str] = &[
    "Drift",
    "Operator",
    "Wavetable",
    "Simpler",
    "Sampler",
    "Drum Rack",
    "Analog",
    "Meld",
    "Arpeggiator",
    "Chord",
    "Scale",
    "Velocity",
    "EQ Eight",
    "Compressor",
    "Glue Compressor",
    "Reverb",
    "Delay",
    "Echo",
    "Auto Filter",
    "Saturator",
    "Utility",
    "Limiter",
    "Chorus-Ensemble",
];

impl Default for LiveSet {
    /// A fresh set: no tracks, eight empty scenes, two return tracks, the
    /// main track.
    fn default() -> Self {
        let mut s = LiveSet {
            main: Track::blank(MAIN_TRACK_ID.into(), TrackKind::Main, "Main".into(), 0),
            tempo: 120.0,
            time_signature: "4/4".into(),
            scale: String::new(),
            tracks: Vec::new(),
            returns: Vec::new(),
            scenes: Vec::new(),
            locators: Vec::new(),
            playing: false,
            transport: Transport {
                start_time: "1|1".into(),
                looping: false,
                loop_start: "1|1".into(),
                loop_end: "9|1".into(),
            },
            selected: json!({"view": "session"}),
            memory: String::new(),
            next_id: 1,
            next_locator: 0,
            calls: 0,
        };
        for _ in 0..8 {
            let id = s.new_id();
            s.scenes.push(Scene {
                id,
                name: String::new(),
                color: None,
                tempo: None,
            });
        }
        for name in ["A-Reverb", "B-Delay"] {
            let id = s.new_id();
            s.returns
                .push(s.blank_track(id, TrackKind::Return, name.into()));
        }
        s
    }
}

/// A call's notes string read as the simulated generation's Producer Pal
/// reads it, in the call's `timeSignature` or else the song's: the notes,
/// the meter, and Producer Pal's warnings; a refusal is its bare message.
pub fn read_notes(
    text: &str,
    args: &Map<String, Value>,
    song_meter: &str,
    generation: Generation,
) -> Result<(Vec<Note>, Meter, Vec<String>), String> {
    let meter = match args.get("timeSignature").and_then(Value::as_str) {
        Some(ts) => Meter::parse(ts)?,
        None => Meter::parse(song_meter).unwrap_or_default(),
    };
    let read = notation::interpret(text, generation, meter).map_err(|e| e.message)?;
    let warnings = read.warnings.into_iter().map(|w| w.message).collect();
    Ok((read.notes, meter, warnings))
}

pub(super) fn is_pitch(tok: &str) -> bool {
    let mut chars = tok.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    if !matches!(first.to_ascii_uppercase(), 'A'..='G') {
        return false;
    }
    let rest: String = chars.collect();
    let rest = rest.trim_start_matches(['#', 'b']);
    !rest.is_empty()
        && rest
            .trim_start_matches('-')
            .chars()
            .all(|c| c.is_ascii_digit())
}

impl LiveSet {
    /// The song-level fields every read of the set starts with, the same in
    /// both generations.
    pub fn song_overview(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("tempo".into(), json!(self.tempo));
        m.insert("timeSignature".into(), json!(self.time_signature));
        if !self.scale.is_empty() {
            m.insert("scale".into(), json!(self.scale));
        }
        m.insert("isPlaying".into(), json!(self.playing));
        m.insert("trackCount".into(), json!(self.tracks.len()));
        m.insert("returnTrackCount".into(), json!(self.returns.len()));
        m.insert("sceneCount".into(), json!(self.scenes.len()));
        m
    }

    pub(super) fn new_id(&mut self) -> String {
        let id = self.next_id;
        self.next_id += 1;
        id.to_string()
    }

    pub(super) fn blank_track(&self, id: String, kind: TrackKind, name: String) -> Track {
        Track::blank(id, kind, name, self.scenes.len())
    }

    pub fn clip_count(&self) -> usize {
        self.tracks
            .iter()
            .map(|t| t.slots.iter().flatten().count() + t.arrangement.len())
            .sum()
    }

    pub(super) fn tracks_of(&self, kind: TrackKind) -> &Vec<Track> {
        if kind == TrackKind::Return {
            &self.returns
        } else {
            &self.tracks
        }
    }

    /// The track of `kind` (regular tracks are listed as `Midi`) at `i`.
    pub(super) fn track(&self, kind: TrackKind, i: usize) -> Option<&Track> {
        match kind {
            TrackKind::Return => self.returns.get(i),
            TrackKind::Main => (i == 0).then_some(&self.main),
            TrackKind::Midi | TrackKind::Audio => self.tracks.get(i),
        }
    }

    pub(super) fn track_mut(&mut self, kind: TrackKind, i: usize) -> &mut Track {
        match kind {
            TrackKind::Return => &mut self.returns[i],
            TrackKind::Main => &mut self.main,
            TrackKind::Midi | TrackKind::Audio => &mut self.tracks[i],
        }
    }

    /// A regular or return track by id (the main track is not looked up:
    /// 1.4 does not name it).
    pub(super) fn find_track_id(&self, id: &str) -> Option<(TrackKind, usize)> {
        if let Some(i) = self.tracks.iter().position(|t| t.id == id) {
            return Some((TrackKind::Midi, i));
        }
        self.returns
            .iter()
            .position(|t| t.id == id)
            .map(|i| (TrackKind::Return, i))
    }

    /// Inserts a scene at `index` with an empty slot on every track.
    pub(super) fn insert_scene(&mut self, index: usize, scene: Scene) {
        self.scenes.insert(index, scene);
        for t in self.tracks.iter_mut().chain(self.returns.iter_mut()) {
            t.slots.insert(index, None);
        }
    }

    /// Removes scene `i` and its slots.
    pub(super) fn remove_scene(&mut self, i: usize) {
        self.scenes.remove(i);
        for t in self.tracks.iter_mut().chain(self.returns.iter_mut()) {
            t.slots.remove(i);
        }
    }

    /// Copies scene `i` (and the clips in its slots, with new ids) to
    /// `index`; answers the copy's id.
    pub(super) fn duplicate_scene(&mut self, i: usize, index: usize) -> String {
        let sid = self.new_id();
        let mut sc = self.scenes[i].clone();
        sc.id = sid.clone();
        self.scenes.insert(index, sc);
        for t in 0..self.tracks.len() {
            let mut c = self.tracks[t].slots[i].clone();
            if let Some(c) = c.as_mut() {
                c.id = self.new_id();
            }
            self.tracks[t].slots.insert(index, c);
        }
        for r in self.returns.iter_mut() {
            r.slots.insert(index, None);
        }
        sid
    }

    /// Copies regular track `i` to `index`, with new ids for it and its
    /// clips; answers the copy's id.
    pub(super) fn duplicate_track(&mut self, i: usize, index: usize, copy: TrackCopy) -> String {
        let mut t = self.tracks[i].clone();
        t.id = self.new_id();
        if let Some(nm) = copy.name {
            t.name = nm;
        }
        if copy.without_clips {
            t.slots.iter_mut().for_each(|c| *c = None);
            t.arrangement.clear();
        }
        if copy.without_devices {
            t.devices.clear();
        }
        for c in t.slots.iter_mut().flatten().chain(t.arrangement.iter_mut()) {
            c.id = self.new_id();
        }
        let id = t.id.clone();
        self.tracks.insert(index, t);
        id
    }

    /// Adds a locator; answers its id.
    pub(super) fn add_locator(&mut self, name: &str, time: &str) -> String {
        let id = format!("locator-{}", self.next_locator);
        self.next_locator += 1;
        self.locators.push(Locator {
            id: id.clone(),
            name: name.into(),
            time: time.into(),
        });
        id
    }

    /// A locator by id or by time.
    pub(super) fn find_locator(&self, id: Option<&str>, time: Option<&str>) -> Option<usize> {
        self.locators
            .iter()
            .position(|l| Some(l.id.as_str()) == id || Some(l.time.as_str()) == time)
    }

    /// Sets the song's meter if `ts` is N/D; otherwise a warning.
    pub(super) fn set_meter(&mut self, ts: &str) -> Option<String> {
        if valid_meter(ts) {
            self.time_signature = ts.to_owned();
            None
        } else {
            Some(format!(
                "time signature '{ts}' is not N/D; left at {}",
                self.time_signature
            ))
        }
    }

    pub(super) fn clip_at(&self, track: usize, loc: &ClipLoc) -> Option<&Clip> {
        let t = self.tracks.get(track)?;
        match loc {
            ClipLoc::Slot(sc) => t.slots.get(*sc)?.as_ref(),
            ClipLoc::Arrangement(k) => t.arrangement.get(*k),
        }
    }

    pub(super) fn clip_mut(&mut self, track: usize, loc: &ClipLoc) -> Option<&mut Clip> {
        let t = self.tracks.get_mut(track)?;
        match loc {
            ClipLoc::Slot(sc) => t.slots.get_mut(*sc)?.as_mut(),
            ClipLoc::Arrangement(k) => t.arrangement.get_mut(*k),
        }
    }

    pub(super) fn find_clip_id(&self, id: &str) -> Option<(usize, ClipLoc)> {
        for (t, tr) in self.tracks.iter().enumerate() {
            if let Some(sc) = tr
                .slots
                .iter()
                .position(|c| c.as_ref().is_some_and(|c| c.id == id))
            {
                return Some((t, ClipLoc::Slot(sc)));
            }
            if let Some(k) = tr.arrangement.iter().position(|c| c.id == id) {
                return Some((t, ClipLoc::Arrangement(k)));
            }
        }
        None
    }

    /// A few lines describing the set, for the end of `pplay run --sim`.
    pub fn summary(&self) -> String {
        let mut out = format!(
            "Simulated Live Set: {} track{}, {} scene{}, {} clip{}, tempo {} ({})",
            self.tracks.len(),
            if self.tracks.len() == 1 { "" } else { "s" },
            self.scenes.len(),
            if self.scenes.len() == 1 { "" } else { "s" },
            self.clip_count(),
            if self.clip_count() == 1 { "" } else { "s" },
            self.tempo,
            self.time_signature,
        );
        // Columns as wide as the widest name, so a long one moves no other.
        let width = self
            .tracks
            .iter()
            .chain(&self.returns)
            .map(|t| t.name.chars().count())
            .max()
            .unwrap_or(0)
            .max(12);
        let tag = |i: usize, kind: TrackKind| match kind {
            TrackKind::Return => format!("R{i}"),
            _ => i.to_string(),
        };
        let labels: Vec<String> = (self.tracks.iter().enumerate())
            .map(|(i, t)| tag(i, t.kind))
            .chain((0..self.returns.len()).map(|i| tag(i, TrackKind::Return)))
            .collect();
        let tag_width = labels.iter().map(String::len).max().unwrap_or(1);
        for (t, label) in self.tracks.iter().chain(&self.returns).zip(&labels) {
            out.push('\n');
            out.push_str(&track_line(t, label, tag_width, width));
        }
        out
    }
}

/// One track of the summary: its place, name and kind in columns, then
/// what it holds.
fn track_line(t: &Track, label: &str, tag_width: usize, width: usize) -> String {
    let session = t.slots.iter().flatten().count();
    let mut line = format!(
        "  {label:<tag_width$} {:<width$} {:<6} {session} session clip{}",
        t.name,
        t.kind.as_str(),
        if session == 1 { "" } else { "s" },
    );
    if !t.arrangement.is_empty() {
        line.push_str(&format!(", {} arrangement", t.arrangement.len()));
    }
    // Notes too, so two runs that build the same clips with different
    // contents do not read alike.
    let notes: usize = (t.slots.iter().flatten())
        .chain(&t.arrangement)
        .map(|c| c.note_count)
        .sum();
    if notes > 0 {
        line.push_str(&format!(
            ", {notes} note{}",
            if notes == 1 { "" } else { "s" }
        ));
    }
    if !t.devices.is_empty() {
        let names: Vec<&str> = t.devices.iter().map(|d| d.name.as_str()).collect();
        line.push_str(&format!(", devices: {}", names.join(", ")));
    }
    line
}

/// Where a clip is on its track.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClipLoc {
    Slot(usize),
    Arrangement(usize),
}

pub(super) fn valid_meter(ts: &str) -> bool {
    ts.split_once('/').is_some_and(|(a, b)| {
        a.parse::<u32>().is_ok_and(|a| a > 0) && b.parse::<u32>().is_ok_and(|b| b.is_power_of_two())
    })
}
