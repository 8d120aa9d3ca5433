//! How the Producer Pal 2.4 release candidate answers where 2.3 does not
//! (`--producer-pal 2.4`): a write names each target in request order, a
//! target that cannot be done keeps its place as `{path or id, ok: false,
//! detail}`, a value Live kept is not echoed, `ppal-delete` entries lose
//! `deleted` and `type`, and deprecations warn in the candidate's words.
//! The catalog stays 2.3's.

use serde_json::{Map, Value, json};

use crate::path;

use super::super::args::{list, s};
use super::super::live_set::{LiveSet, ToolResult};
use super::Notation;

impl LiveSet {
    /// Runs one tool as the 2.4 candidate does; `None` for a tool that
    /// answers as in 2.3.
    pub(super) fn call_candidate(
        &mut self,
        tool: &str,
        args: &Map<String, Value>,
        notation: Notation,
    ) -> Option<ToolResult> {
        Some(match tool {
            "ppal-update-live-set" => self.update_song(args, true).map(|w| (json!({}), w)),
            "ppal-update-track" => self.per_target(args, |set, a| set.update_tracks_v2(a)),
            "ppal-update-scene" => self.per_target(args, |set, a| set.update_scenes_v2(a)),
            "ppal-update-device" => self.per_target(args, |set, a| set.update_devices_v2(a)),
            "ppal-update-clip" => {
                self.per_target(args, |set, a| set.update_clips_v2(a, notation, true))
            }
            "ppal-delete" => self
                .per_target(args, |set, a| set.delete_v2(a))
                .map(|(r, w)| (without_delete_flags(r), w)),
            "ppal-create-clip" => self.create_clips_v2(args, notation, true),
            "ppal-create-track" => self.one_per_path(args, |set, a| set.create_tracks(a))?,
            "ppal-create-scene" => self.one_per_path(args, |set, a| set.create_scenes(a))?,
            "ppal-duplicate" => self.duplicate_v2(args, true),
            _ => return None,
        })
    }

    /// A write on several targets: the 2.3 handler runs on the targets
    /// that are there, and each one that is not keeps its place in the
    /// result as a skip entry. A call none of whose targets is there (one
    /// target that is not, say) is an error result.
    fn per_target(
        &mut self,
        args: &Map<String, Value>,
        run: impl FnOnce(&mut LiveSet, &Map<String, Value>) -> ToolResult,
    ) -> ToolResult {
        let key = if s(args, "id").is_some() {
            "id"
        } else {
            "path"
        };
        let Some(text) = s(args, key) else {
            return run(self, args);
        };
        let items: Vec<String> = if key == "id" {
            list(Some(text))
        } else {
            path::split_list(text)
                .into_iter()
                .map(|p| p.trim().to_owned())
                .collect()
        };
        let mut found = Vec::new();
        let mut skips = Vec::new();
        for (k, item) in items.iter().enumerate() {
            match self.resolve_one(key, item) {
                Ok(()) => found.push(k),
                Err(why) => skips.push((k, skip_entry(key, item, &why))),
            }
        }
        if skips.is_empty() {
            return run(self, args);
        }
        if found.is_empty() {
            let why = skips[0].1["detail"].as_str().unwrap_or_default().to_owned();
            return Err(why);
        }
        let mut narrowed = args.clone();
        let kept = |all: &[String]| -> String {
            found
                .iter()
                .map(|k| all[*k].as_str())
                .collect::<Vec<_>>()
                .join(",")
        };
        narrowed.insert(key.into(), json!(kept(&items)));
        // Names and colours given one per target stay with their target.
        for per_item in ["name", "color"] {
            let values = list(s(args, per_item));
            if values.len() == items.len() {
                narrowed.insert(per_item.into(), json!(kept(&values)));
            }
        }
        let (result, warnings) = run(self, &narrowed)?;
        let landed = match result {
            Value::Array(a) => a,
            one => vec![one],
        };
        Ok((
            Value::Array(in_request_order(items.len(), skips, landed)),
            warnings,
        ))
    }

    /// 2.4's way to make several objects: one path each (`t+,t+,t+`);
    /// `count` with a path list is refused. `None` for a single path.
    fn one_per_path(
        &mut self,
        args: &Map<String, Value>,
        create: impl Fn(&mut LiveSet, &Map<String, Value>) -> ToolResult,
    ) -> Option<ToolResult> {
        let items = path::split_list(s(args, "path")?);
        if items.len() < 2 {
            return None;
        }
        if args
            .get("count")
            .and_then(Value::as_f64)
            .is_some_and(|c| c != 1.0)
        {
            return Some(Err(
                "count with a path list is refused: name one path per object".into(),
            ));
        }
        let names = list(s(args, "name"));
        let mut out = Vec::new();
        for (k, item) in items.iter().enumerate() {
            let mut one = args.clone();
            one.insert("path".into(), json!(item.trim()));
            one.remove("count");
            if let Some(n) = super::super::args::pick(&names, k) {
                one.insert("name".into(), json!(n));
            }
            match create(self, &one) {
                Ok((r, _)) => out.push(r),
                Err(e) => return Some(Err(e)),
            }
        }
        Some(Ok((Value::Array(out), vec![])))
    }

    /// Whether one `id` or one `path` names an object of the set.
    fn resolve_one(&self, key: &str, item: &str) -> Result<(), String> {
        if key == "id" {
            return self
                .find_id(item)
                .map(|_| ())
                .ok_or(format!("no object with id {item}"));
        }
        let p = path::parse(item).map_err(|e| e.to_string())?;
        self.resolve(&p).map(|_| ())
    }

    /// Makes scene `scene` exist, creating the scenes up to it, as 2.x
    /// does for a clip destination past the last scene; answers which
    /// scenes it created (`s8-s9`), if any.
    pub(super) fn grow_scenes(&mut self, scene: usize) -> Result<Option<String>, String> {
        let first = self.scenes.len();
        if scene < first {
            return Ok(None);
        }
        if scene - first >= super::super::args::MAX_COUNT {
            return Err(format!(
                "s{scene} is more scenes than the simulator creates at once ({})",
                super::super::args::MAX_COUNT
            ));
        }
        for index in first..=scene {
            let id = self.new_id();
            let scene = super::super::live_set::Scene {
                id,
                name: String::new(),
                color: None,
                tempo: None,
            };
            self.insert_scene(index, scene);
        }
        Ok(Some(if scene == first {
            format!("s{first}")
        } else {
            format!("s{first}-s{scene}")
        }))
    }
}

/// A target the candidate could not do, kept in its place.
pub(super) fn skip_entry(key: &str, target: &str, why: &str) -> Value {
    json!({key: target, "ok": false, "detail": why})
}

/// The skip entries at their places, the landed entries in the others.
fn in_request_order(len: usize, skips: Vec<(usize, Value)>, landed: Vec<Value>) -> Vec<Value> {
    let mut out = Vec::with_capacity(len);
    let mut skips = skips.into_iter().peekable();
    let mut landed = landed.into_iter();
    for k in 0..len {
        if skips.peek().is_some_and(|(at, _)| *at == k) {
            out.extend(skips.next().map(|(_, e)| e));
        } else {
            out.extend(landed.next());
        }
    }
    out.extend(landed);
    out
}

/// 2.4's `ppal-delete` entries: no `deleted`, no `type`.
fn without_delete_flags(result: Value) -> Value {
    match result {
        Value::Array(a) => Value::Array(a.into_iter().map(without_delete_flags).collect()),
        Value::Object(mut m) if m.get("ok").is_none() => {
            m.remove("deleted");
            m.remove("type");
            Value::Object(m)
        }
        other => other,
    }
}
