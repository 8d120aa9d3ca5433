//! What `ensure:` means for each tool, as data and pure functions: which
//! read lists the objects a create makes or an update changes, how an
//! object is identified in that read, and which arguments of an update
//! differ from what the set holds. The runner's side (the reads, their
//! cache, the events) is `runner/ensure.rs`; the checker reads the same
//! table to refuse an `ensure:` a tool cannot take.

use serde_json::{Map, Value as Json, json};

use crate::path::{self, Index, Path, TrackRef};
use crate::protocol::Generation;

/// The kinds of objects `ensure:` knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    LiveSet,
    Track,
    Scene,
    Clip,
    Device,
}

impl Kind {
    /// How people name it in a plan: `create track Kick`.
    pub fn noun(self) -> &'static str {
        match self {
            Kind::LiveSet => "live set",
            Kind::Track => "track",
            Kind::Scene => "scene",
            Kind::Clip => "clip",
            Kind::Device => "device",
        }
    }
}

/// What `ensure:` does on a tool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// `ensure: {fields}`: not sent when an object with those fields exists.
    Create(Kind),
    /// `ensure: true`: only the arguments that differ are sent.
    Update(Kind),
}

/// The one table: which tools take `ensure:`, and how.
pub fn rule(tool: &str) -> Option<Rule> {
    Some(match tool {
        "ppal-create-track" => Rule::Create(Kind::Track),
        "ppal-create-scene" => Rule::Create(Kind::Scene),
        "ppal-create-clip" => Rule::Create(Kind::Clip),
        "ppal-create-device" => Rule::Create(Kind::Device),
        "ppal-update-live-set" => Rule::Update(Kind::LiveSet),
        "ppal-update-track" => Rule::Update(Kind::Track),
        "ppal-update-scene" => Rule::Update(Kind::Scene),
        "ppal-update-clip" => Rule::Update(Kind::Clip),
        "ppal-update-device" => Rule::Update(Kind::Device),
        _ => return None,
    })
}

/// The tools that take `ensure:`, for help texts.
pub const TOOLS: &[&str] = &[
    "ppal-create-track",
    "ppal-create-scene",
    "ppal-create-clip",
    "ppal-create-device",
    "ppal-update-live-set",
    "ppal-update-track",
    "ppal-update-scene",
    "ppal-update-clip",
    "ppal-update-device",
];

/// Tools that change only what Live shows (the view, the selection), not
/// the set's content: Producer Pal 2.x marks `ppal-select` read-only, 1.4.6
/// does not (its `destructiveHint` is false, as for no other tool), yet it
/// is the same call. They are sent in a run, but report `ok`, and a plan
/// sends none of them and lists them as `=`.
const VIEW_TOOLS: &[&str] = &["ppal-select"];

/// Whether `tool` only moves the view (see [`VIEW_TOOLS`]).
pub fn view_only(tool: Option<&crate::catalog::Tool>) -> bool {
    tool.is_some_and(|t| VIEW_TOOLS.contains(&t.name.as_str()))
}

/// Whether a call of `tool` may change the set's content: not when the
/// catalog marks it read-only, nor for a tool that only moves the view.
pub fn changes_set(tool: Option<&crate::catalog::Tool>) -> bool {
    !(tool.is_some_and(|t| t.read_only) || view_only(tool))
}

/// The fields that may identify an object a create makes: fields its read
/// shows as they were given.
pub fn identity_fields(kind: Kind, generation: Generation) -> &'static [&'static str] {
    match (kind, generation) {
        (Kind::Track, _) => &["name", "type", "color"],
        (Kind::Scene, _) => &["name", "color"],
        (Kind::Clip, Generation::V1) => &["slot", "name", "color"],
        // 1.4's `slot` stays readable on 2.x (see [`slot_as_path`]).
        (Kind::Clip, _) => &["path", "name", "color", "slot"],
        (Kind::Device, _) => &["name"],
        (Kind::LiveSet, _) => &[],
    }
}

/// A 1.4 `slot` (`0/1`) in a 2.x identity, as the 2.x `path` (`t0/s1`)
/// the clip read shows: a playbook migrated from 1.4 keeps converging
/// (its track may already be a path, `t0/1`, once migrate retyped the
/// captured index).
pub fn slot_as_path(generation: Generation, identity: &mut Map<String, Json>) {
    if generation == Generation::V1 {
        return;
    }
    let Some(Json::String(slot)) = identity.remove("slot") else {
        return;
    };
    let path = match slot.split_once('/') {
        Some((t, s)) => format!(
            "t{}/s{}",
            t.trim().trim_start_matches('t'),
            s.trim().trim_start_matches('s')
        ),
        None => slot,
    };
    identity.insert("path".into(), Json::String(path));
}

/// Arguments that say which object a call is about: never compared, always
/// sent.
pub const TARGET_ARGS: &[&str] = &[
    "path",
    "id",
    "ids",
    "trackIndex",
    "trackType",
    "sceneIndex",
    "slot",
    "trackId",
    "sceneId",
    "clipId",
];

/// Where a kind's objects are listed: the live set's read (tracks, scenes,
/// the song's own values), or one track's read (its clips and devices),
/// named by its 2.x path (`t0`, `rt1`, `mt`) in both generations.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Source {
    LiveSet,
    Track(String),
}

/// The read call that fills `source`: one read of the live set lists every
/// track and scene, one read of a track its clips and devices.
pub fn read_call(source: &Source, generation: Generation) -> (&'static str, Json) {
    match source {
        Source::LiveSet => (
            "ppal-read-live-set",
            json!({"include": ["tracks", "scenes", "mixer", "color"]}),
        ),
        Source::Track(track) => {
            let include = json!(["session-clips", "devices", "mixer", "color"]);
            match generation {
                Generation::V1 => {
                    let (kind, index) = split_track(track);
                    let mut args = json!({"trackIndex": index, "include": include});
                    if kind == "rt" {
                        args["trackType"] = json!("return");
                    }
                    (("ppal-read-track"), args)
                }
                _ => (
                    "ppal-read-track",
                    json!({"path": track, "include": include}),
                ),
            }
        }
    }
}

/// `rt1` → (`rt`, 1); `t0` → (`t`, 0).
fn split_track(track: &str) -> (&str, u64) {
    let digits = track.trim_start_matches(|c: char| c.is_ascii_alphabetic());
    let kind = &track[..track.len() - digits.len()];
    (kind, digits.parse().unwrap_or(0))
}

/// The 2.x name of a track path's track, `None` for a new one (`t+`).
fn track_name(r: TrackRef) -> Option<String> {
    match r {
        TrackRef::Track(Index::At(i)) => Some(format!("t{i}")),
        TrackRef::Return(Index::At(i)) => Some(format!("rt{i}")),
        TrackRef::Main => Some("mt".into()),
        _ => None,
    }
}

/// The track a clip or device argument names: 2.x `path` (`t0/s1`,
/// `t0`, `t0/d1`), 1.4 `slot` (`0/1`) or `trackIndex`.
fn track_of(args: &Map<String, Json>) -> Option<String> {
    if let Some(slot) = args.get("slot").and_then(Json::as_str) {
        let (t, _) = slot.split_once('/')?;
        return Some(format!("t{}", t.trim().parse::<usize>().ok()?));
    }
    if let Some(path) = args.get("path").and_then(Json::as_str) {
        return match path::parse(path).ok()? {
            Path::Track(r) => track_name(r),
            Path::Slot { track, .. } => Some(format!("t{track}")),
            Path::Device { track, .. } | Path::Lane { track, .. } => track_name(track),
            Path::Arrangement { track, .. } => track_name(track),
            _ => None,
        };
    }
    let index = args.get("trackIndex").and_then(Json::as_u64)?;
    Some(format!("t{index}"))
}

/// Where the objects `kind` lives among are listed, and under which key.
pub fn container(kind: Kind, args: &Map<String, Json>) -> Option<(Source, &'static str)> {
    match kind {
        Kind::LiveSet => Some((Source::LiveSet, "")),
        Kind::Track => {
            let returns = args
                .get("path")
                .and_then(Json::as_str)
                .is_some_and(|p| p.trim_start().starts_with("rt"))
                || args.get("trackType").and_then(Json::as_str) == Some("return");
            let key = if returns { "returnTracks" } else { "tracks" };
            Some((Source::LiveSet, key))
        }
        Kind::Scene => Some((Source::LiveSet, "scenes")),
        Kind::Clip => Some((Source::Track(track_of(args)?), "sessionClips")),
        Kind::Device => Some((Source::Track(track_of(args)?), "devices")),
    }
}

/// The first object of `list` whose fields all equal `identity`'s.
pub fn find<'a>(list: &'a [Json], identity: &Map<String, Json>) -> Option<&'a Json> {
    list.iter().find(|o| {
        identity
            .iter()
            .all(|(k, want)| o.get(k).is_some_and(|have| same(have, want)))
    })
}

/// Whether two values are the same setting: numbers by value (`124` is
/// `124.0` and `"124"`), text without regard to case for colours, else
/// equal JSON.
pub fn same(have: &Json, want: &Json) -> bool {
    let num = |v: &Json| match v {
        Json::Number(n) => n.as_f64(),
        Json::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    };
    match (have, want) {
        (Json::String(a), Json::String(b)) if a.starts_with('#') => a.eq_ignore_ascii_case(b),
        (Json::String(a), Json::String(b)) => a == b,
        _ => match (num(have), num(want)) {
            (Some(a), Some(b)) => (a - b).abs() < 1e-9,
            _ => have == want,
        },
    }
}

/// The object an update names in its container: by `id` (2.x) or the one
/// id of `ids` (1.4), else by 2.x `path`; a call on several objects has no
/// one object to compare with.
pub fn target<'a>(kind: Kind, list: &'a [Json], args: &Map<String, Json>) -> Option<&'a Json> {
    let by = |key: &str, want: &str| {
        list.iter()
            .find(|o| o.get(key).and_then(Json::as_str) == Some(want))
    };
    let id = args
        .get("id")
        .or_else(|| args.get("ids"))
        .and_then(Json::as_str);
    if let Some(id) = id {
        return (!id.contains(',')).then(|| by("id", id.trim())).flatten();
    }
    let path = args.get("path").and_then(Json::as_str)?;
    if path.contains(',') || kind == Kind::LiveSet {
        return None;
    }
    by("path", path.trim())
}

/// One argument that differs: its name, what the set holds (none when the
/// read does not show it) and what the step asks for.
#[derive(Debug, Clone, PartialEq)]
pub struct Difference {
    pub field: String,
    pub current: Option<Json>,
    pub wanted: Json,
}

/// The arguments of an update that differ from `current`; a field the
/// read does not show counts as differing, since pplay cannot tell.
pub fn differences(args: &Map<String, Json>, current: &Json) -> Vec<Difference> {
    args.iter()
        .filter(|(k, _)| !TARGET_ARGS.contains(&k.as_str()))
        .filter_map(|(k, want)| {
            let have = current.get(k);
            match have {
                Some(h) if same(h, want) => None,
                _ => Some(Difference {
                    field: k.clone(),
                    current: have.cloned(),
                    wanted: want.clone(),
                }),
            }
        })
        .collect()
}

/// The args to send for `differences`: the target arguments and the
/// differing ones, in the step's order.
pub fn only_differing(args: &Map<String, Json>, differences: &[Difference]) -> Map<String, Json> {
    args.iter()
        .filter(|(k, _)| {
            TARGET_ARGS.contains(&k.as_str()) || differences.iter().any(|d| d.field == **k)
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// The object a create just made, as its container lists it: the result
/// (its `id`, `path` or indexes) with the identifying fields and the
/// arguments the read would show.
pub fn created(result: &Json, args: &Map<String, Json>, identity: &Map<String, Json>) -> Json {
    let mut o = Map::new();
    for (k, v) in args {
        if !TARGET_ARGS.contains(&k.as_str()) || k == "slot" || k == "path" {
            o.insert(k.clone(), v.clone());
        }
    }
    o.extend(identity.clone());
    if let Json::Object(r) = result {
        o.extend(r.clone());
    }
    Json::Object(o)
}

/// A create whose object goes at the end of its list (`t+`, `s+`, or no
/// position): the cached list stays in order when it is appended to.
pub fn appends(kind: Kind, args: &Map<String, Json>) -> bool {
    let index = match kind {
        Kind::Track => "trackIndex",
        Kind::Scene => "sceneIndex",
        _ => return true,
    };
    !args.contains_key(index)
        && args
            .get("path")
            .and_then(Json::as_str)
            .is_none_or(|p| p.trim().ends_with('+'))
}

/// A value as a plan line shows it: text bare, the rest as JSON.
pub fn shown(v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(v: Json) -> Map<String, Json> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn an_identity_matches_every_field() {
        let list = vec![
            json!({"name": "Kick", "type": "audio"}),
            json!({"name": "Kick", "type": "midi", "path": "t1"}),
        ];
        let found = find(&list, &map(json!({"name": "Kick", "type": "midi"})));
        assert_eq!(found.and_then(|o| o.get("path")), Some(&json!("t1")));
        assert!(find(&list, &map(json!({"name": "Bass"}))).is_none());
    }

    #[test]
    fn numbers_compare_by_value_and_unshown_fields_differ() {
        let args = map(json!({"tempo": "124", "timeSignature": "4/4", "scale": "C Major"}));
        let current = json!({"tempo": 124.0, "timeSignature": "3/4"});
        let d = differences(&args, &current);
        let fields: Vec<&str> = d.iter().map(|d| d.field.as_str()).collect();
        assert_eq!(fields, ["timeSignature", "scale"]);
        assert_eq!(d[1].current, None);
    }

    #[test]
    fn the_track_of_a_clip_or_device_comes_from_either_generation() {
        let c = |v| container(Kind::Clip, &map(v)).map(|(s, _)| s);
        assert_eq!(
            c(json!({"path": "t2/s1"})),
            Some(Source::Track("t2".into()))
        );
        assert_eq!(c(json!({"slot": "3/0"})), Some(Source::Track("t3".into())));
        assert_eq!(c(json!({"path": "t+"})), None);
        let (tool, args) = read_call(&Source::Track("rt1".into()), Generation::V1);
        assert_eq!(tool, "ppal-read-track");
        assert_eq!(args["trackIndex"], 1);
        assert_eq!(args["trackType"], "return");
    }
}
