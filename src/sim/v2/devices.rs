//! 2.3's device tools: read, create on a track (`t0`, `rt0`, `mt`, or at
//! `t0/d1`), update (rename, move with `toPath`).

use serde_json::{Map, Value, json};

use crate::path::{self, Path};

use super::super::args::{includes, list, one_or_many, pick, s};
use super::super::live_set::{DEVICES, Device, LiveSet, ToolResult, TrackKind};
use super::find::Obj;

impl LiveSet {
    pub(super) fn read_devices(&mut self, args: &Map<String, Value>) -> ToolResult {
        let inc = includes(args);
        let out = self
            .targets(args)?
            .iter()
            .map(|o| match o {
                Obj::Device(kind, t, d) => Ok(self.device_v2(*kind, *t, *d, &inc)),
                other => Err(format!("{} is not a device", self.path_of(other))),
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok((one_or_many(out), vec![]))
    }

    /// Where a device goes: a track (appended) or a device position.
    fn device_spot(&self, text: &str) -> Result<(TrackKind, usize, Option<usize>), String> {
        match path::parse(text).map_err(|e| e.to_string())? {
            Path::Track(r) => {
                let (kind, t) = self.track_at(r)?;
                Ok((kind, t, None))
            }
            Path::Device {
                track,
                device,
                inner,
            } if inner.is_empty() => {
                let (kind, t) = self.track_at(track)?;
                Ok((kind, t, Some(device)))
            }
            other => Err(format!(
                "'{other}' is not a place for a device: use a track (t0) or t0/d<n>"
            )),
        }
    }

    pub(super) fn create_devices(&mut self, args: &Map<String, Value>) -> ToolResult {
        let Some(name) = s(args, "deviceName") else {
            return Ok((json!({"devices": DEVICES}), vec![]));
        };
        if !DEVICES.contains(&name) {
            return Err(format!(
                "unknown device '{name}'; call without deviceName to list the devices"
            ));
        }
        let spots = path::split_list(s(args, "path").ok_or("path is required with deviceName")?)
            .into_iter()
            .map(|p| self.device_spot(p))
            .collect::<Result<Vec<_>, _>>()?;
        let names = list(s(args, "name"));
        let mut out = Vec::new();
        for (k, (kind, t, at)) in spots.into_iter().enumerate() {
            let dev = Device {
                id: self.new_id(),
                device_name: name.to_owned(),
                name: pick(&names, k).unwrap_or_else(|| name.to_owned()),
            };
            let id = dev.id.clone();
            let d = self.insert_device(kind, t, at, dev);
            out.push(json!({"id": id, "path": self.path_of(&Obj::Device(kind, t, d))}));
        }
        Ok((one_or_many(out), vec![]))
    }

    fn insert_device(
        &mut self,
        kind: TrackKind,
        t: usize,
        at: Option<usize>,
        dev: Device,
    ) -> usize {
        let devices = &mut self.track_mut(kind, t).devices;
        let d = at.unwrap_or(devices.len()).min(devices.len());
        devices.insert(d, dev);
        d
    }

    pub(super) fn update_devices_v2(&mut self, args: &Map<String, Value>) -> ToolResult {
        let names = list(s(args, "name"));
        let mut warnings = Vec::new();
        let mut out = Vec::new();
        for (k, o) in self.targets(args)?.into_iter().enumerate() {
            let Obj::Device(kind, t, d) = o else {
                warnings.push(format!("{} is not a device, skipped", self.path_of(&o)));
                continue;
            };
            let mut here = (kind, t, d);
            if let Some(nm) = pick(&names, k) {
                self.track_mut(kind, t).devices[d].name = nm;
            }
            if let Some(to) = s(args, "toPath") {
                let (nk, nt, at) = self.device_spot(to)?;
                let dev = self.track_mut(kind, t).devices.remove(d);
                here = (nk, nt, self.insert_device(nk, nt, at, dev));
            }
            let o = Obj::Device(here.0, here.1, here.2);
            out.push(json!({"id": self.id_of(&o), "path": self.path_of(&o)}));
        }
        if out.is_empty() {
            return Err("no device matched id or path".into());
        }
        Ok((one_or_many(out), warnings))
    }
}
