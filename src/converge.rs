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

/// Where the objects an update names are in its container, in the call's
/// order: by `id` (2.x) or `ids` (1.4), else by 2.x `path`, each
/// comma-separated for several; none when one of them is not listed
/// (pplay cannot compare it).
pub fn target_indices(kind: Kind, list: &[Json], args: &Map<String, Json>) -> Option<Vec<usize>> {
    let (key, named) = match args.get("id").or_else(|| args.get("ids")) {
        Some(id) => ("id", id.as_str()?),
        None if kind == Kind::LiveSet => return None,
        None => ("path", args.get("path").and_then(Json::as_str)?),
    };
    named
        .split(',')
        .map(|one| {
            list.iter()
                .position(|o| o.get(key).and_then(Json::as_str) == Some(one.trim()))
        })
        .collect()
}

/// The objects [`target_indices`] finds.
pub fn targets<'a>(
    kind: Kind,
    list: &'a [Json],
    args: &Map<String, Json>,
) -> Option<Vec<&'a Json>> {
    let at = target_indices(kind, list, args)?;
    Some(at.into_iter().map(|i| &list[i]).collect())
}

/// One argument that differs: its name, what the set holds (none when the
/// read does not show it) and what the step asks for.
#[derive(Debug, Clone, PartialEq)]
pub struct Difference {
    pub field: String,
    pub current: Option<Json>,
    pub wanted: Json,
}

/// Arguments that only say which send a `sendGainDb` sets: compared, and
/// sent, with it.
const SEND_TARGET: &str = "sendReturn";

/// What target `k` of `n` is asked to hold for `key`: on several targets a
/// comma-separated `name` or `color` gives one entry each (blank: left as
/// it is, `None`); a list that does not line up with the targets stays
/// whole, and so differs from what any one of them holds.
fn wanted_for(key: &str, want: &Json, k: usize, n: usize) -> Option<Json> {
    let list = match want {
        Json::String(text) if n > 1 && matches!(key, "name" | "color") && text.contains(',') => {
            text.split(',').map(str::trim).collect::<Vec<_>>()
        }
        _ => return Some(want.clone()),
    };
    match list.get(k) {
        Some(entry) if list.len() == n => (!entry.is_empty()).then(|| Json::from(*entry)),
        _ => Some(want.clone()),
    }
}

/// The send of a track's read that `to` names: by the return's id
/// (`returnId`, 2.x), its exact name (`return`), or its letter (`A` is the
/// first return track), as Producer Pal resolves `sendReturn`.
fn send_index(sends: &[Json], to: &str) -> Option<usize> {
    let to = to.trim();
    let field = |i: usize, k: &str| sends[i].get(k).and_then(Json::as_str);
    (0..sends.len())
        .find(|i| field(*i, "returnId") == Some(to))
        .or_else(|| (0..sends.len()).find(|i| field(*i, "return") == Some(to)))
        .or_else(|| {
            let mut letters = to.chars();
            match (letters.next(), letters.next()) {
                (Some(c), None) if c.is_ascii_alphabetic() => {
                    let i = (c.to_ascii_uppercase() as u8 - b'A') as usize;
                    (i < sends.len()).then_some(i)
                }
                _ => None,
            }
        })
}

/// The level `target`'s read shows for the send `to` names.
fn send_level<'a>(target: &'a Json, to: &str) -> Option<&'a Json> {
    let sends = target.get("sends")?.as_array()?;
    sends.get(send_index(sends, to)?)?.get("gainDb")
}

/// Whether `target` holds `want` for the update's `key`, and what it
/// holds: a field of the same name, or for `sendGainDb` (and each entry of
/// 2.x's `sends`) the level of the send it names; `None` where the read
/// does not show it.
fn holds(target: &Json, key: &str, want: &Json, args: &Map<String, Json>) -> (bool, Option<Json>) {
    match key {
        "sendGainDb" => {
            let to = args
                .get(SEND_TARGET)
                .and_then(Json::as_str)
                .unwrap_or_default();
            let have = send_level(target, to);
            (have.is_some_and(|h| same(h, want)), have.cloned())
        }
        "sends" => {
            let asked = want.as_array().map(Vec::as_slice).unwrap_or_default();
            let to = |send: &Json| send.get("return").and_then(Json::as_str).map(str::to_owned);
            let levels: Vec<Option<&Json>> = asked
                .iter()
                .map(|send| send_level(target, &to(send)?))
                .collect();
            let all_same = asked.iter().zip(&levels).all(|(send, level)| {
                matches!((level, send.get("gainDb")), (Some(l), Some(w)) if same(l, w))
            });
            let shown = levels.iter().all(Option::is_some).then(|| {
                let pairs = asked.iter().zip(&levels);
                pairs
                    .map(|(send, level)| serde_json::json!({"return": send["return"], "gainDb": level}))
                    .collect()
            });
            (all_same, shown.map(Json::Array))
        }
        _ => {
            let have = target.get(key);
            (have.is_some_and(|h| same(h, want)), have.cloned())
        }
    }
}

/// The arguments of an update that differ from what its targets hold; a
/// field the read does not show counts as differing, since pplay cannot
/// tell. On several targets a field differs when it does on any of them.
pub fn differences(args: &Map<String, Json>, targets: &[&Json]) -> Vec<Difference> {
    let n = targets.len();
    args.iter()
        .filter(|(k, _)| !TARGET_ARGS.contains(&k.as_str()) && *k != SEND_TARGET)
        .filter_map(|(k, want)| {
            let current = targets.iter().enumerate().find_map(|(i, t)| {
                let wanted = wanted_for(k, want, i, n)?;
                let (same, have) = holds(t, k, &wanted, args);
                (!same).then_some(have)
            })?;
            Some(Difference {
                field: k.clone(),
                current,
                wanted: want.clone(),
            })
        })
        .collect()
}

/// The args to send for `differences`: the target arguments and the
/// differing ones (a send's level with the return it names), in the step's
/// order.
pub fn only_differing(args: &Map<String, Json>, differences: &[Difference]) -> Map<String, Json> {
    let differs = |k: &str| differences.iter().any(|d| d.field == k);
    args.iter()
        .filter(|(k, _)| {
            TARGET_ARGS.contains(&k.as_str())
                || differs(k)
                || (*k == SEND_TARGET && differs("sendGainDb"))
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// Writes what a successful update set into target `k` of `n` as its read
/// shows it; `false` when the read does not show where a value goes (a
/// send pplay cannot find), so the caller drops what it read.
pub fn apply(target: &mut Map<String, Json>, args: &Map<String, Json>, k: usize, n: usize) -> bool {
    let mut known = true;
    for (key, want) in args {
        if TARGET_ARGS.contains(&key.as_str()) || key == SEND_TARGET {
            continue;
        }
        let Some(want) = wanted_for(key, want, k, n) else {
            continue;
        };
        let sends: Vec<(String, Json)> = match key.as_str() {
            "sendGainDb" => match args.get(SEND_TARGET).and_then(Json::as_str) {
                Some(to) => vec![(to.to_owned(), want)],
                None => continue,
            },
            "sends" => want
                .as_array()
                .into_iter()
                .flatten()
                .map(|s| {
                    let to = s.get("return").and_then(Json::as_str).unwrap_or_default();
                    (to.to_owned(), s.get("gainDb").cloned().unwrap_or_default())
                })
                .collect(),
            _ => {
                target.insert(key.clone(), want);
                continue;
            }
        };
        for (to, level) in sends {
            known &= set_send(target, &to, level);
        }
    }
    known
}

/// Sets the level of the send `to` names in a track's read.
fn set_send(target: &mut Map<String, Json>, to: &str, level: Json) -> bool {
    let Some(sends) = target.get_mut("sends").and_then(Json::as_array_mut) else {
        return false;
    };
    match send_index(sends, to) {
        Some(i) => {
            sends[i]["gainDb"] = level;
            true
        }
        None => false,
    }
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
        let d = differences(&args, &[&current]);
        let fields: Vec<&str> = d.iter().map(|d| d.field.as_str()).collect();
        assert_eq!(fields, ["timeSignature", "scale"]);
        assert_eq!(d[1].current, None);
    }

    #[test]
    fn a_send_level_is_compared_with_the_send_its_return_names() {
        let track = |db: f64| {
            json!({"id": "7", "sends": [
                {"gainDb": db, "return": "A-Reverb", "returnId": "3"},
                {"gainDb": -70.0, "return": "B-Delay", "returnId": "4"},
            ]})
        };
        let (at_12, at_20) = (track(-12.0), track(-20.0));
        for to in ["A", "a", "A-Reverb", "3"] {
            let args = map(json!({"id": "7", "sendReturn": to, "sendGainDb": -12}));
            assert!(differences(&args, &[&at_12]).is_empty(), "{to}");
            let d = differences(&args, &[&at_20]);
            assert_eq!(d.len(), 1, "{to}");
            assert_eq!(
                (d[0].field.as_str(), &d[0].current),
                ("sendGainDb", &Some(json!(-20.0)))
            );
            // The level goes with the return it names.
            let sent = only_differing(&args, &d);
            assert_eq!(
                sent.keys().collect::<Vec<_>>(),
                ["id", "sendReturn", "sendGainDb"]
            );
        }
        let several = map(
            json!({"id": "7", "sends": [{"return": "B", "gainDb": -70}, {"return": "A", "gainDb": -12}]}),
        );
        assert!(differences(&several, &[&at_12]).is_empty());
        assert_eq!(differences(&several, &[&at_20]).len(), 1);
        // A return the read does not list cannot be compared: it is sent.
        let unknown = map(json!({"id": "7", "sendReturn": "C", "sendGainDb": -12}));
        assert_eq!(differences(&unknown, &[&at_12])[0].current, None);
    }

    #[test]
    fn an_update_of_several_tracks_differs_where_any_of_them_does() {
        let list = vec![
            json!({"id": "1", "path": "t0", "name": "Kick", "mute": false}),
            json!({"id": "2", "path": "t1", "name": "Bass", "mute": true}),
        ];
        let args = map(json!({"path": "t0,t1", "name": "Kick,Bass", "mute": true}));
        let both = targets(Kind::Track, &list, &args).unwrap();
        let d = differences(&args, &both);
        assert_eq!(d.len(), 1);
        assert_eq!(
            (d[0].field.as_str(), &d[0].current),
            ("mute", &Some(json!(false)))
        );
        // A blank entry leaves its track's name; one name names both; a list
        // that does not line up with the tracks cannot be told.
        let blank = map(json!({"ids": "1,2", "name": ",Bass"}));
        assert!(differences(&blank, &both).is_empty());
        let one = map(json!({"ids": "1,2", "name": "Kick"}));
        assert_eq!(differences(&one, &both)[0].current, Some(json!("Bass")));
        let odd = map(json!({"ids": "1,2", "name": "Kick,Bass,Pad"}));
        assert_eq!(differences(&odd, &both).len(), 1);
        assert!(targets(Kind::Track, &list, &map(json!({"path": "t0,t5"}))).is_none());
    }

    #[test]
    fn an_update_is_written_into_the_read_it_changed() {
        let mut track = map(json!({"id": "7", "name": "Old", "sends": [
            {"gainDb": -70.0, "return": "A-Reverb"},
        ]}));
        let args =
            map(json!({"ids": "7,8", "name": "Pad,Lead", "sendReturn": "A", "sendGainDb": -12}));
        assert!(apply(&mut track, &args, 0, 2));
        assert_eq!(track["name"], "Pad");
        assert_eq!(track["sends"][0]["gainDb"], -12);
        assert!(!track.contains_key("sendReturn"));
        // A send the read does not show: the caller must read again.
        let mut bare = map(json!({"id": "8"}));
        assert!(!apply(&mut bare, &args, 1, 2));
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
