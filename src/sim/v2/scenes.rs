//! 2.3's scene tools: read, create (at `s2`, or appended), update.

use serde_json::{Map, Value, json};

use crate::path::{self, Index, Path};

use super::super::args::{count, includes, list, n, one_or_many, pick, s};
use super::super::live_set::{LiveSet, Scene, ToolResult};
use super::find::Obj;

impl LiveSet {
    pub(super) fn read_scenes(&mut self, args: &Map<String, Value>) -> ToolResult {
        let inc = includes(args);
        let out = self
            .targets(args)?
            .iter()
            .map(|o| match o {
                Obj::Scene(i) => Ok(self.scene_v2(*i, &inc)),
                other => Err(format!("{} is not a scene", self.path_of(other))),
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok((one_or_many(out), vec![]))
    }

    pub(super) fn create_scenes(&mut self, args: &Map<String, Value>) -> ToolResult {
        let count = count(args)?;
        let at = match s(args, "path") {
            None => self.scenes.len(),
            Some(text) => match path::parse(text).map_err(|e| e.to_string())? {
                Path::Scene(Index::At(i)) => i.min(self.scenes.len()),
                Path::Scene(Index::New) => self.scenes.len(),
                _ => return Err(format!("create a scene at s<n>, not '{text}'")),
            },
        };
        let names = list(s(args, "name"));
        let mut out = Vec::new();
        for k in 0..count {
            let id = self.new_id();
            let index = at + k;
            let scene = Scene {
                id: id.clone(),
                name: pick(&names, k).unwrap_or_default(),
                color: s(args, "color").map(str::to_owned),
                tempo: n(args, "tempo"),
            };
            self.insert_scene(index, scene);
            out.push(json!({"id": id, "path": format!("s{index}")}));
        }
        Ok((one_or_many(out), vec![]))
    }

    pub(super) fn update_scenes_v2(&mut self, args: &Map<String, Value>) -> ToolResult {
        let names = list(s(args, "name"));
        let mut warnings = Vec::new();
        let mut out = Vec::new();
        for (k, o) in self.targets(args)?.into_iter().enumerate() {
            let Obj::Scene(i) = o else {
                warnings.push(format!("{} is not a scene, skipped", self.path_of(&o)));
                continue;
            };
            let sc = &mut self.scenes[i];
            if let Some(nm) = pick(&names, k) {
                sc.name = nm;
            }
            if let Some(c) = s(args, "color") {
                sc.color = Some(c.to_owned());
            }
            if let Some(t) = n(args, "tempo") {
                sc.tempo = (t >= 0.0).then_some(t);
            }
            out.push(json!({"id": sc.id, "path": format!("s{i}")}));
        }
        if out.is_empty() {
            return Err("no scene matched id or path".into());
        }
        Ok((one_or_many(out), warnings))
    }
}
