//! Producer Pal 2.3's tools on the simulated set: objects named by one
//! `path` (see [`crate::path`]) or an `id`, several targets comma-separated,
//! results that say where their object is in a `path`, errors as
//! `Error: <reason>`. [`candidate`] answers as the 2.4 release candidate
//! where it differs.

mod candidate;
mod clips;
mod devices;
mod edit;
mod find;
mod legacy;
mod scenes;
mod shape;
mod tracks;
mod transport;

pub use legacy::translate;

use serde_json::{Map, Value, json};

use super::args::{includes, s};
use super::live_set::{LiveSet, ToolResult, read_notes};
use crate::notation::{Meter, Note};
use crate::protocol::Generation;

/// How the request profile asks for notes to be written
/// (`x-producer-pal-notation`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Notation {
    #[default]
    BarBeat,
    MidiJson,
    Stark,
}

impl Notation {
    pub fn parse(text: &str) -> Option<Notation> {
        match text.trim() {
            "barbeat" => Some(Notation::BarBeat),
            "midi-json" => Some(Notation::MidiJson),
            "stark" => Some(Notation::Stark),
            _ => None,
        }
    }

    /// What a `notes` text holds, read in this notation (bar|beat as
    /// Producer Pal 2.3 reads it, in the call's or the song's meter), with
    /// Producer Pal's warnings; a refusal is its bare message.
    pub fn read(
        self,
        notes: &str,
        args: &Map<String, Value>,
        song_meter: &str,
    ) -> Result<(ReadNotes, Meter, Vec<String>), String> {
        match self {
            Notation::BarBeat => {
                let (notes, meter, warnings) = read_notes(notes, args, song_meter, Generation::V2)?;
                Ok((
                    ReadNotes {
                        count: notes.len(),
                        notes,
                    },
                    meter,
                    warnings,
                ))
            }
            Notation::MidiJson => match serde_json::from_str::<Value>(notes) {
                Ok(Value::Array(a)) => {
                    let notes = a.iter().filter_map(midi_json_note).collect();
                    Ok((
                        ReadNotes {
                            count: a.len(),
                            notes,
                        },
                        Meter::default(),
                        vec![],
                    ))
                }
                _ => Err("notes are not a JSON array of notes (notation midi-json)".into()),
            },
            // Stark is not read: its notes are counted by pitch names only.
            Notation::Stark => {
                let count = (notes.split_whitespace())
                    .filter(|t| super::live_set::is_pitch(t))
                    .count();
                Ok((
                    ReadNotes {
                        notes: vec![],
                        count,
                    },
                    Meter::default(),
                    vec![],
                ))
            }
        }
    }
}

/// The notes of one create/update call and how many Producer Pal reports.
pub struct ReadNotes {
    pub notes: Vec<Note>,
    pub count: usize,
}

/// One midi-json note (`pitch`, `start_time`, `duration`, ...).
fn midi_json_note(v: &Value) -> Option<Note> {
    let f = |k: &str, d: f64| v.get(k).and_then(Value::as_f64).unwrap_or(d);
    Some(Note {
        pitch: u8::try_from(v.get("pitch")?.as_u64()?).ok()?,
        start: f("start_time", 0.0),
        duration: f("duration", 1.0),
        velocity: f("velocity", 100.0).clamp(0.0, 127.0) as u8,
        velocity_deviation: f("velocity_deviation", 0.0).clamp(0.0, 127.0) as u8,
        probability: f("probability", 1.0),
    })
}

/// What 2.3's `ppal-connect` adds after its result, as an extra text block.
pub const CONNECT_APPENDED: &str =
    "Simulated Producer Pal 2.3: no Ableton Live behind this server; the set lives in memory.";

impl LiveSet {
    /// Runs one 2.x tool against the set, as 2.3.0 answers or, with
    /// `candidate`, as the 2.4 release candidate does.
    pub(super) fn call_v2(
        &mut self,
        tool: &str,
        args: &Map<String, Value>,
        notation: Notation,
        candidate: bool,
    ) -> ToolResult {
        if candidate && let Some(out) = self.call_candidate(tool, args, notation) {
            return out.map_err(|e| format!("Error: {e}"));
        }
        let out = match tool {
            "ppal-connect" => Ok((
                json!({"connected": true, "producerPalVersion": "2.3.0", "simulated": true,
                       "liveSet": self.overview_v2(&[])}),
                vec![],
            )),
            "ppal-context" => self.context_v2(args),
            "ppal-read-live-set" => Ok((self.overview_v2(&includes(args)), vec![])),
            "ppal-update-live-set" => self.update_live_set_v2(args),
            "ppal-read-track" => self.read_tracks(args),
            "ppal-create-track" => self.create_tracks(args),
            "ppal-update-track" => self.update_tracks_v2(args),
            "ppal-read-scene" => self.read_scenes(args),
            "ppal-create-scene" => self.create_scenes(args),
            "ppal-update-scene" => self.update_scenes_v2(args),
            "ppal-read-clip" => self.read_clips(args),
            "ppal-create-clip" => self.create_clips_v2(args, notation, false),
            "ppal-update-clip" => self.update_clips_v2(args, notation, false),
            "ppal-read-device" => self.read_devices(args),
            "ppal-create-device" => self.create_devices(args),
            "ppal-update-device" => self.update_devices_v2(args),
            "ppal-delete" => self.delete_v2(args),
            "ppal-duplicate" => self.duplicate_v2(args, false),
            "ppal-select" => self.select_v2(args),
            "ppal-playback" => self.playback_v2(args),
            "ppal-library" => Ok((library(args), vec![])),
            "ppal-live-api" => self.live_api(args),
            // A tool outside the model answers a plausible success.
            _ => Ok((json!({"ok": true}), vec![])),
        };
        out.map_err(|e| format!("Error: {e}"))
    }

    fn context_v2(&mut self, args: &Map<String, Value>) -> ToolResult {
        let scope = s(args, "scope").unwrap_or("project");
        match s(args, "action").unwrap_or("read") {
            "write" => self.memory = s(args, "content").unwrap_or_default().to_owned(),
            "delete" => self.memory.clear(),
            _ => {}
        }
        Ok((json!({"scope": scope, "content": self.memory}), vec![]))
    }

    fn update_live_set_v2(&mut self, args: &Map<String, Value>) -> ToolResult {
        let warnings = self.update_song(args, true)?;
        let mut result = json!({"tempo": self.tempo, "timeSignature": self.time_signature});
        if !self.scale.is_empty() {
            result["scale"] = json!(self.scale);
        }
        Ok((result, warnings))
    }
}

/// The library is not modelled: every search finds nothing.
fn library(args: &Map<String, Value>) -> Value {
    json!({
        "action": s(args, "action").unwrap_or("search"),
        "kind": s(args, "kind").unwrap_or("audio"),
        "results": [],
    })
}
