//! 2.3's `ppal-playback` and `ppal-select`. Playback answers where the
//! arrangement plays from and what it loops (`startTime`, `loop`,
//! `loopStart`, `loopEnd`) and, for a scene, `scene: {id, path, name}`.

use serde_json::{Map, Value, json};

use super::super::args::{b, s};
use super::super::live_set::{LiveSet, ToolResult};
use super::find::Obj;

impl LiveSet {
    pub(super) fn playback_v2(&mut self, args: &Map<String, Value>) -> ToolResult {
        let action = s(args, "action").unwrap_or_default();
        self.set_arrangement_times(args)?;
        let mut scene = None;
        match action {
            "play-arrangement" => self.playing = true,
            "play-scene" => {
                let targets = self
                    .targets(args)
                    .map_err(|e| format!("play-scene needs a scene: {e}"))?;
                let Some(Obj::Scene(i)) = targets.first() else {
                    return Err("play-scene needs a scene path (s0) or id".into());
                };
                let sc = &self.scenes[*i];
                scene = Some(json!({"id": sc.id, "path": format!("s{i}"), "name": sc.name}));
                self.playing = true;
            }
            "play-session-clips" => {
                let targets = self.targets(args)?;
                if let Some(o) = targets.iter().find(|o| !matches!(o, Obj::Clip(..))) {
                    return Err(format!("{} is not a clip", self.path_of(o)));
                }
                self.playing = true;
            }
            "stop" | "stop-all-session-clips" => self.playing = false,
            _ => {}
        }
        let tr = &self.transport;
        let mut r = json!({"isPlaying": self.playing, "startTime": tr.start_time,
                           "loop": tr.looping, "loopStart": tr.loop_start, "loopEnd": tr.loop_end});
        if let Some(sc) = scene {
            r["scene"] = sc;
        }
        Ok((r, vec![]))
    }

    /// `startTime`, `loop`, `loopStart`, `loopEnd`: bar|beat or
    /// `loc:Name`, checked all before any is set.
    fn set_arrangement_times(&mut self, args: &Map<String, Value>) -> Result<(), String> {
        let time = |k: &str| s(args, k).map(|t| self.time_arg(t)).transpose();
        let (start, loop_start, loop_end) =
            (time("startTime")?, time("loopStart")?, time("loopEnd")?);
        let tr = &mut self.transport;
        if let Some(t) = start {
            tr.start_time = t;
        }
        if let Some(t) = loop_start {
            tr.loop_start = t;
        }
        if let Some(t) = loop_end {
            tr.loop_end = t;
        }
        if let Some(l) = b(args, "loop") {
            tr.looping = l;
        }
        Ok(())
    }

    pub(super) fn select_v2(&mut self, args: &Map<String, Value>) -> ToolResult {
        let mut sel = Map::new();
        let view = s(args, "view")
            .or_else(|| self.selected.get("view").and_then(Value::as_str))
            .unwrap_or("session")
            .to_owned();
        sel.insert("view".into(), json!(view));
        if s(args, "id").is_some() || s(args, "path").is_some() {
            let targets = self.targets(args)?;
            let o = targets.first().ok_or("nothing to select")?;
            sel.insert("id".into(), json!(self.id_of(o)));
            sel.insert("path".into(), json!(self.path_of(o)));
        }
        self.selected = Value::Object(sel);
        Ok((self.selected.clone(), vec![]))
    }
}
