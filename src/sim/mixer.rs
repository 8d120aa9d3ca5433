//! A track's mixer as both generations read and write it: gain, pan and
//! the send to each return track. Producer Pal's track reads list the sends
//! under the `mixer` include, one per return track in order, with the
//! return's name (`return`) and, from 2.x on, its id (`returnId`); an
//! update sets one send (`sendReturn` + `sendGainDb`) or, on 2.x, several
//! (`sends: [{return, gainDb}]`), naming the return by letter, exact name
//! or (2.x) id.

use serde_json::{Map, Value, json};

use super::args::{n, s};
use super::live_set::{LiveSet, Track, TrackKind};
use crate::protocol::Generation;

/// A send nobody has turned up: Live's lowest send level, which Producer
/// Pal's `sendGainDb` bottoms out at.
pub const SEND_OFF_DB: f64 = -70.0;

/// Gain as Producer Pal reports it: rounded to 0.01 dB.
pub fn rounded_db(db: f64) -> f64 {
    (db * 100.0).round() / 100.0
}

impl LiveSet {
    /// The return track `to` names: its letter (`A` is the first), its
    /// exact name, or on 2.x its id.
    fn return_named(&self, to: &str, generation: Generation) -> Option<usize> {
        let to = to.trim();
        if generation != Generation::V1
            && let Some(i) = self.returns.iter().position(|r| r.id == to)
        {
            return Some(i);
        }
        if let Some(i) = self.returns.iter().position(|r| r.name == to) {
            return Some(i);
        }
        let mut letters = to.chars();
        match (letters.next(), letters.next()) {
            (Some(c), None) if c.is_ascii_alphabetic() => {
                let i = (c.to_ascii_uppercase() as u8 - b'A') as usize;
                (i < self.returns.len()).then_some(i)
            }
            _ => None,
        }
    }

    /// The sends an update asks for, as (return track id, gain): one
    /// `sendReturn` with its `sendGainDb`, and on 2.x each of `sends`; a
    /// return that is not there fails the call.
    pub(super) fn sends_asked(
        &self,
        args: &Map<String, Value>,
        generation: Generation,
    ) -> Result<Vec<(String, f64)>, String> {
        let mut asked: Vec<(&str, f64)> = Vec::new();
        if let (Some(to), Some(db)) = (s(args, "sendReturn"), n(args, "sendGainDb")) {
            asked.push((to, db));
        }
        if generation != Generation::V1 {
            let listed = args.get("sends").and_then(Value::as_array);
            for send in listed.into_iter().flatten() {
                let to = send.get("return").and_then(Value::as_str);
                let db = send.get("gainDb").and_then(Value::as_f64);
                if let (Some(to), Some(db)) = (to, db) {
                    asked.push((to, db));
                }
            }
        }
        asked
            .into_iter()
            .map(|(to, db)| match self.return_named(to, generation) {
                Some(i) => Ok((self.returns[i].id.clone(), db)),
                None => Err(format!("no return track \"{to}\" to send to")),
            })
            .collect()
    }

    /// What the `mixer` include adds to a track's read: gain, pan, and the
    /// sends when the set has return tracks (the main track has none).
    pub(super) fn mixer_json(&self, t: &Track, generation: Generation) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("gainDb".into(), json!(rounded_db(t.gain_db)));
        m.insert("pan".into(), json!(t.pan));
        if t.kind == TrackKind::Main || self.returns.is_empty() {
            return m;
        }
        let sends: Vec<Value> = self
            .returns
            .iter()
            .map(|r| {
                let db = t.sends.get(&r.id).copied().unwrap_or(SEND_OFF_DB);
                let mut send = json!({"gainDb": rounded_db(db), "return": r.name});
                if generation != Generation::V1 {
                    send["returnId"] = json!(r.id);
                }
                send
            })
            .collect();
        m.insert("sends".into(), Value::Array(sends));
        m
    }
}
