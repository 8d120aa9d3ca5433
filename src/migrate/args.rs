//! Argument rules: 1.4 (and deprecated 2.x) arguments to their 2.x form, per
//! `MIGRATION-2.md` and the aliases `hidden-params-2.3.0.json` lists.
//!
//! Arguments that become one (`trackIndex` and `arrangementStart` into one
//! `path`) form a unit: the unit is rewritten whole or left whole and noted.

use std::sync::Arc;

use crate::diagnostic::Diagnostic;
use crate::notation;
use crate::playbook::{Action, EnsureKind, Step};
use crate::source::SourceFile;
use crate::yaml::{Key, Node, Span, Value};

use super::Unit;
use super::barbeat::{self, Known, Notes, Source};
use super::fields::{Prefix, StepCtx};
use super::flow::{Flow, Site};
use super::notes::Kind;
use super::path::{self, Unshaped, Writer};
use super::scalar::{self, Style};

/// Renames with the same value, on every tool (aliases 2.3 folds onto their
/// canonical name, and the routing parameters that lost `Id`).
const RENAMES: &[(&str, &str)] = &[
    ("ids", "id"),
    ("trackId", "id"),
    ("sceneId", "id"),
    ("clipId", "id"),
    ("deviceId", "id"),
    ("paths", "path"),
    ("queries", "searches"),
    ("inputRoutingTypeId", "inputRoutingType"),
    ("inputRoutingChannelId", "inputRoutingChannel"),
    ("outputRoutingTypeId", "outputRoutingType"),
    ("outputRoutingChannelId", "outputRoutingChannel"),
    ("devicePath", "path"),
];

/// Per tool, the arguments a rule here rewrites (besides [`RENAMES`]), so
/// that `schema diff` can say which removed parameters `migrate` handles.
const BY_TOOL: &[(&str, &[&str])] = &[
    ("ppal-create-track", &["trackIndex", "type"]),
    ("ppal-read-track", &["trackIndex", "trackType"]),
    ("ppal-read-scene", &["sceneIndex"]),
    ("ppal-create-scene", &["sceneIndex"]),
    (
        "ppal-create-clip",
        &[
            "slot",
            "trackIndex",
            "sceneIndex",
            "arrangementStart",
            "takeLane",
            "length",
        ],
    ),
    ("ppal-read-clip", &["slot", "trackIndex", "sceneIndex"]),
    (
        "ppal-update-clip",
        &[
            "arrangementStart",
            "toSlot",
            "noteUpdateMode",
            "length",
            "arrangementLength",
        ],
    ),
    (
        "ppal-duplicate",
        &[
            "arrangementStart",
            "locator",
            "toSlot",
            "takeLane",
            "arrangementLength",
        ],
    ),
    (
        "ppal-select",
        &["trackIndex", "trackType", "sceneIndex", "slot"],
    ),
    (
        "ppal-playback",
        &[
            "startLocator",
            "loopStartLocator",
            "loopEndLocator",
            "slots",
            "sceneIndex",
        ],
    ),
    ("ppal-update-device", &["params"]),
];

/// Does `pplay migrate` rewrite this argument of this tool?
pub fn rewrites(tool: &str, param: &str) -> bool {
    RENAMES.iter().any(|(old, _)| *old == param)
        || BY_TOOL
            .iter()
            .any(|(t, ps)| *t == tool && ps.contains(&param))
}

/// The args mapping of the step being migrated.
pub struct Args<'a> {
    pub node: &'a Node,
    pub entries: &'a [(Key, Node)],
    pub flow_style: bool,
}

impl<'a> Args<'a> {
    fn find(&self, name: &str) -> Option<usize> {
        self.entries.iter().position(|(k, _)| k.name == name)
    }

    fn value(&self, i: usize) -> &'a Node {
        &self.entries[i].1
    }

    fn key(&self, i: usize) -> &'a Key {
        &self.entries[i].0
    }
}

/// The new value of a unit.
pub enum New {
    /// Keep the first entry's value, rename its key.
    Rename,
    /// A string, written in the old value's quoting style.
    Str(String),
    /// YAML text as is.
    Yaml(String),
    /// Remove the entries: 2.x has the behaviour by default.
    Remove,
}

/// A unit: these entries become `key: value`, or stay as they are.
pub struct Fuse {
    pub entries: Vec<usize>,
    pub key: String,
    pub value: New,
    /// Other entries whose values change with the unit (key kept).
    pub also: Vec<(usize, String)>,
    /// What the rewrite rests on, noted at the unit once it is written.
    pub note: Option<Noted>,
}

/// A note beside a rewrite: what it assumed.
pub struct Noted {
    pub kind: Kind,
    pub message: String,
    pub label: String,
    pub help: String,
}

/// Why a unit was left as it was.
pub struct Left {
    pub kind: Kind,
    pub entry: usize,
    pub message: String,
    pub help: String,
}

type Rule = Result<Option<Fuse>, Left>;

/// Migrates the args of one step.
pub fn step<'p>(u: &mut Unit<'p>, flow: &mut Flow, step: &'p Step, ctx: &StepCtx) {
    let Action::Call { tool, args } = &step.action else {
        return;
    };
    let Some(entries) = args.as_map() else { return };
    if tool.value == "ppal-raw-live-api" {
        u.warn(
            Kind::Unsupported,
            "`ppal-raw-live-api` is gone in Producer Pal 2.x",
            tool.span,
            "this tool",
            "`ppal-live-api` replaces it; it is off unless the playbook sets `producerPal: { liveApi: true }`, and its operations differ: rewrite this step by hand",
        );
        return;
    }
    if entries.is_empty() {
        return;
    }
    let a = Args {
        node: args,
        entries,
        flow_style: super::edit::is_flow(u.src(), args),
    };
    let mut w = writer(u, flow, ctx);
    let mut rules: Vec<Rule> = renames(&a);
    rules.extend(by_tool(u, &mut w, &a, &tool.value));
    apply(u, &mut w, &a, rules);
    if ["ppal-create-clip", "ppal-update-clip"].contains(&tool.value.as_str()) {
        notes(u, &a, &tool.value);
    }
}

/// A clip tool's literal `notes` in 2.x's notation, edited token by token
/// in place; what has no exact 2.x form is left and noted at its token.
fn notes<'p>(u: &mut Unit<'p>, a: &Args<'p>, tool: &str) {
    let Some(i) = a.find("notes") else { return };
    let node = a.value(i);
    let Some(text) = node.as_str() else { return };
    let creates = tool == "ppal-create-clip";
    let meter = u
        .meters
        .clip(a.find("timeSignature").map(|t| a.value(t)), creates);
    if crate::template::is_template(text) {
        return templated_notes(u, node, text, meter);
    }
    match barbeat::notes(text, meter.clone()) {
        Notes::Same => {
            if matches!(meter, Ok((_, Source::Assumed))) && !barbeat::is_meter_free(text) {
                u.kept_in_4_4.push(node.span);
            }
        }
        Notes::Edits(list) => {
            for (r, t) in &list {
                u.sub_edit(node, r.clone(), t);
            }
            if let Ok((_, Source::Assumed)) = meter {
                let n = assumed("the clip's", "these notes were");
                u.warn(n.kind, n.message, node.span, n.label, n.help);
            }
        }
        Notes::Inexact(why, r) => {
            let span = part_span(u, node, text, r);
            u.warn(
                Kind::Notes,
                format!("this notes string was left as it was: {why}"),
                span,
                "left as it was",
                "2.x writes a note's duration and a repeat step as a note value (`n/4` is a quarter note, `n/16` a sixteenth), where 1.4 counted beats of the clip's meter (`t1` is `n/4` in 4/4, `n/8` in 6/8): write them by hand",
            );
        }
    }
}

/// A templated `notes` is not rewritten: noted where its own text holds a
/// 1.4 form, or where its meter's beat is not a quarter (1.4's default
/// duration is one beat, 2.x's a quarter). In a quarter-beat meter
/// whatever it renders means the same on 2.x or is refused by check.
fn templated_notes(u: &mut Unit<'_>, node: &Node, text: &str, meter: Known) {
    let help = "pplay does not rewrite what a template renders: write its durations and repeat steps as 2.x note values (`n/4` is a quarter note) in the clip's meter, and `pplay check` reads each rendering it can with 2.x's grammar";
    if let Some(r) = barbeat::template_forms(text) {
        let span = part_span(u, node, text, r.clone());
        let message = format!("`{}` is 1.4 notation in a templated notes string", &text[r]);
        return u.warn(Kind::Notes, message, span, "1.4 form", help);
    }
    let why = match meter {
        Ok((m, Source::Step | Source::Set)) if m.denominator != 4 => format!(
            "in {m} a 1.4 note with no duration lasts one beat ({}), a 2.x one a quarter",
            notation::note_value_2x(m.ableton(1.0))
        ),
        Err(why) => format!("the clip's meter is not known: {why}"),
        Ok((_, Source::Assumed)) => return u.kept_in_4_4.push(node.span),
        Ok(_) => return,
    };
    let message = format!("this templated notes string was left as it was: {why}");
    u.warn(Kind::Notes, message, node.span, "left as it was", help);
}

/// The note that a conversion assumed 4/4.
fn assumed(whose: &str, what: &str) -> Noted {
    Noted {
        kind: Kind::Meter,
        message: format!("{what} converted in 4/4: nothing in the playbook sets {whose} meter"),
        label: "converted as in 4/4".to_owned(),
        help: format!(
            "if {whose} meter is not 4/4, convert the 1.4 text by hand (a 1.4 beat is one count of the meter: `n/8` in 6/8), or give the 1.4 step a `timeSignature` (or set the song's with ppal-update-live-set) before migrating it"
        ),
    }
}

/// The one note of a run whose notes strings were kept as written while
/// nothing states their clips' meter: kept, they mean on 2.x what they
/// meant on 1.4 only where the meter's beat is a quarter note. Information,
/// at the first of them, since in 4/4 (a new Live Set's) nothing changes.
pub fn kept_in_4_4(file: &Arc<SourceFile>, first: Span, more: usize) -> Diagnostic {
    let others = match more {
        0 => String::new(),
        1 => " (and 1 more notes string)".to_owned(),
        n => format!(" (and {n} more notes strings)"),
    };
    Diagnostic::note(
        Kind::Meter.code(),
        format!("notes kept as written, as in 4/4: nothing in the playbook sets the clip's meter{others}"),
    )
    .in_file(file)
    .label(first, "the same music on 2.x only if the clip's beat is a quarter note")
    .help("a 1.4 note with no duration lasts one beat of the clip's meter (an eighth in 6/8), a 2.x note a quarter: if a clip is not in 4/4, 3/4 or another quarter-beat meter, give the 1.4 step a `timeSignature` (or set the song's with ppal-update-live-set) and migrate again")
}

/// The playbook span of `text[r]` of a string scalar, where the source
/// spells it out; else the whole value.
fn part_span(u: &Unit<'_>, node: &Node, text: &str, r: std::ops::Range<usize>) -> Span {
    super::scalar::source_range(u.src(), node, text, r)
        .filter(|r| !r.is_empty())
        .map_or(node.span, |r| Span::new(r.start, r.len()))
}

/// `ensure: { slot: … }` on a 1.4 `ppal-create-clip` names its clip as
/// `ppal-read-clip`'s args do, so it becomes a 2.x `path` by the same rule.
pub fn ensure(u: &mut Unit, flow: &mut Flow, step: &Step, ctx: &StepCtx) {
    let Action::Call { tool, .. } = &step.action else {
        return;
    };
    let Some(e) = step.ensure.as_deref() else {
        return;
    };
    let EnsureKind::Identity(entries) = &e.kind else {
        return;
    };
    if tool.value != "ppal-create-clip" {
        return;
    }
    // Only the span is read: the slot entry is rewritten in place.
    let node = Node {
        value: Value::Null,
        span: e.span,
    };
    let a = Args {
        node: &node,
        entries,
        flow_style: super::edit::is_flow(u.src(), &node),
    };
    let mut w = writer(u, flow, ctx);
    let rules = vec![
        Cx {
            u,
            w: &mut w,
            a: &a,
        }
        .read_clip(),
    ];
    apply(u, &mut w, &a, rules);
}

/// A writer for the step's file; each rule points it at its node.
fn writer<'w>(u: &Unit, flow: &'w mut Flow, ctx: &'w StepCtx) -> Writer<'w> {
    Writer {
        flow,
        site: Site {
            file: u.file.clone(),
            node: 0,
        },
        ctx,
    }
}

/// Writes the units the rules made, notes the ones they left, then the
/// paths the fused entries did not cover.
fn apply(u: &mut Unit, w: &mut Writer, a: &Args, rules: Vec<Rule>) {
    let mut done = Vec::new();
    for r in rules {
        match r {
            Ok(Some(f)) => {
                if u.fuse(a, &f) {
                    if let Some(n) = f.note {
                        u.noted(a, f.entries[0], n);
                    }
                    done.extend(f.entries);
                }
            }
            Ok(None) => {}
            Err(left) => u.left(a, left),
        }
    }
    paths(u, w, a, &done);
}

fn renames(a: &Args) -> Vec<Rule> {
    RENAMES
        .iter()
        .filter_map(|(old, new)| {
            let i = a.find(old)?;
            Some(Ok(Some(Fuse {
                entries: vec![i],
                key: (*new).to_owned(),
                value: New::Rename,
                also: Vec::new(),
                note: None,
            })))
        })
        .collect()
}

fn by_tool(u: &Unit, w: &mut Writer, a: &Args, tool: &str) -> Vec<Rule> {
    let mut c = Cx { u, w, a };
    match tool {
        "ppal-create-track" => vec![c.create_track()],
        "ppal-read-track" => vec![c.track_address()],
        "ppal-read-scene" | "ppal-create-scene" => vec![c.scene_index("path")],
        "ppal-create-clip" => with(vec![c.create_clip()], c.durations(true)),
        "ppal-read-clip" => vec![c.read_clip()],
        "ppal-update-clip" => with(c.update_clip(), c.durations(false)),
        "ppal-duplicate" => with(vec![c.duplicate()], c.durations(false)),
        "ppal-select" => vec![c.select()],
        "ppal-playback" => c.playback(),
        "ppal-library" => vec![c.library()],
        "ppal-update-device" => vec![c.device_params()],
        _ => Vec::new(),
    }
}

fn with(mut rules: Vec<Rule>, more: Vec<Rule>) -> Vec<Rule> {
    rules.extend(more);
    rules
}

/// What a rule reads: the file, the flow (through the writer) and the args.
struct Cx<'c, 'w, 'a> {
    u: &'c Unit<'a>,
    w: &'c mut Writer<'w>,
    a: &'c Args<'a>,
}

impl Cx<'_, '_, '_> {
    /// The text of entry `i`'s string value (with pending in-string edits),
    /// and the writer pointed at it.
    fn text(&mut self, i: usize) -> Option<String> {
        let n = self.a.value(i);
        self.w.site.node = n.span.offset();
        self.u.text(n)
    }

    fn index(&mut self, i: usize, prefix: Prefix) -> Result<String, Left> {
        let t = self.text(i);
        let n = self.a.value(i);
        self.w
            .index_node(n, t.as_deref(), prefix)
            .map_err(|e| unshaped(i, e))
    }

    fn slots(&mut self, i: usize) -> Result<String, Left> {
        let t = self.text(i).ok_or_else(|| not_text(self.a, i))?;
        self.w.slots(&t).map_err(|e| unshaped(i, e))
    }

    fn scene_index(&mut self, key: &str) -> Rule {
        let Some(i) = self.a.find("sceneIndex") else {
            return Ok(None);
        };
        let v = self.index(i, Prefix::Scene)?;
        Ok(Some(fuse(vec![i], key, v)))
    }

    /// `trackIndex` (+ `trackType`) → `path`: `t2`, `rt0`, `mt`.
    fn track_address(&mut self) -> Rule {
        let (ti, ty) = (self.a.find("trackIndex"), self.a.find("trackType"));
        let kind = ty.and_then(|i| self.a.value(i).as_str());
        let value = match (kind, ti) {
            (None, None) => return Ok(None),
            (Some("master"), _) => "mt".to_owned(),
            (Some("return"), Some(i)) => self.index(i, Prefix::Return)?,
            (None, Some(i)) => self.index(i, Prefix::Track)?,
            (_, _) => {
                let i = ty.or(ti).unwrap_or_default();
                return Err(left(
                    Kind::Unsupported,
                    i,
                    "this track address has no 2.x path",
                    "write `path` by hand: `t2` for a track, `rt0` for a return track, `mt` for the main track",
                ));
            }
        };
        Ok(Some(fuse(
            ti.into_iter().chain(ty).collect(),
            "path",
            value,
        )))
    }

    /// `trackIndex: -1` → `t+`, `trackIndex: 2` → `t2`, `type: return` → `rt+`.
    fn create_track(&mut self) -> Rule {
        let ti = self.a.find("trackIndex");
        let ret = self
            .a
            .find("type")
            .filter(|&i| self.a.value(i).as_str() == Some("return"));
        let value = match (ti.map(|i| &self.a.value(i).value), ret) {
            (None, None) => return Ok(None),
            (None | Some(Value::Int(-1)), Some(_)) => "rt+".to_owned(),
            (Some(Value::Int(-1)), None) => "t+".to_owned(),
            (Some(Value::Int(n)), None) if *n >= 0 => format!("t{n}"),
            (Some(_), Some(_)) => {
                return Err(left(
                    Kind::Unsupported,
                    ti.unwrap_or_default(),
                    "a return track at a given index has no 2.x path",
                    "2.x appends return tracks (`path: rt+`); drop the index or place the track by hand",
                ));
            }
            (Some(_), None) => {
                return Err(left(
                    Kind::Template,
                    ti.unwrap_or_default(),
                    "a templated `trackIndex` on create-track may be -1 (append)",
                    "write `path: t+` to append, or `path: \"t{{ ... }}\"` to insert at an index",
                ));
            }
        };
        Ok(Some(fuse(
            ti.into_iter().chain(ret).collect(),
            "path",
            value,
        )))
    }

    /// `slot`, and `trackIndex` with `arrangementStart` (and `takeLane`),
    /// into one comma-separated `path`.
    fn create_clip(&mut self) -> Rule {
        let (slot, ti, si) = (
            self.a.find("slot"),
            self.a.find("trackIndex"),
            self.a.find("sceneIndex"),
        );
        let (start, lane) = (self.a.find("arrangementStart"), self.a.find("takeLane"));
        let mut parts = Vec::new();
        if let Some(i) = slot {
            parts.push(self.slots(i)?);
        }
        match (ti, si, start) {
            (Some(t), _, Some(s)) => {
                let track = self.index(t, Prefix::Track)?;
                parts.push(self.arrangement(&track, s, lane)?);
            }
            (Some(t), Some(s), None) => {
                let track = self.index(t, Prefix::Track)?;
                let scene = self.index(s, Prefix::Scene)?;
                parts.push(format!("{track}/{scene}"));
            }
            (None, _, Some(s)) | (Some(s), None, None) => {
                return Err(left(
                    Kind::Unsupported,
                    s,
                    "an arrangement position needs its track",
                    "give `path` as `t<track>[<bar|beat>]`",
                ));
            }
            _ => {}
        }
        let used: Vec<usize> = [slot, ti, si, start, lane].into_iter().flatten().collect();
        if parts.is_empty() {
            return Ok(None);
        }
        Ok(Some(fuse(used, "path", parts.join(","))))
    }

    /// `t1[33|1],t1[37|1]`, with a take lane between track and position.
    fn arrangement(
        &mut self,
        track: &str,
        start: usize,
        lane: Option<usize>,
    ) -> Result<String, Left> {
        let text = self.text(start).ok_or_else(|| not_text(self.a, start))?;
        let positions = path::positions(&text).map_err(|e| unshaped(start, e))?;
        let lane = match lane {
            Some(l) => Some(self.lane(l)?),
            None => None,
        };
        Ok(positions
            .iter()
            .enumerate()
            .map(|(n, p)| {
                let l = match lane.as_deref() {
                    Some("/l+") if n > 0 => "/l=",
                    Some(l) => l,
                    None => "",
                };
                format!("{track}{l}[{p}]")
            })
            .collect::<Vec<_>>()
            .join(","))
    }

    /// `takeLane` counts from 1 (`0` is the main lane); a path from 0.
    fn lane(&mut self, i: usize) -> Result<String, Left> {
        match &self.a.value(i).value {
            Value::Int(0) => Ok(String::new()),
            Value::Int(n) if *n > 0 => Ok(format!("/l{}", n - 1)),
            Value::Str(s) if s == "new" => Ok("/l+".to_owned()),
            Value::Str(s) if s.bytes().all(|b| b.is_ascii_digit()) && !s.is_empty() => {
                let n: i64 = s.parse().unwrap_or(0);
                Ok(if n == 0 {
                    String::new()
                } else {
                    format!("/l{}", n - 1)
                })
            }
            _ => Err(left(
                Kind::Template,
                i,
                "this `takeLane` is not a lane number or \"new\"",
                "lanes count from 1 in `takeLane` and from 0 in a path: `takeLane: 1` is `/l0`, \"new\" is `/l+`",
            )),
        }
    }

    fn read_clip(&mut self) -> Rule {
        if let Some(i) = self.a.find("slot") {
            let v = self.slots(i)?;
            return Ok(Some(fuse(vec![i], "path", v)));
        }
        match (self.a.find("trackIndex"), self.a.find("sceneIndex")) {
            (Some(t), Some(s)) => {
                let v = format!(
                    "{}/{}",
                    self.index(t, Prefix::Track)?,
                    self.index(s, Prefix::Scene)?
                );
                Ok(Some(fuse(vec![t, s], "path", v)))
            }
            _ => Ok(None),
        }
    }

    fn update_clip(&mut self) -> Vec<Rule> {
        let mut out = Vec::new();
        if let Some(i) = self.a.find("split") {
            out.push(Err(left(
                Kind::Split,
                i,
                "`split` cannot be migrated offline",
                "`split` counts from each clip's own start, `arrangementSplit` from the song's: add each clip's start to every position and write `arrangementSplit`",
            )));
        }
        if let Some(i) = self.a.find("noteUpdateMode") {
            out.push(match self.a.value(i).as_str() {
                Some("merge") => Ok(Some(Fuse {
                    entries: vec![i],
                    key: String::new(),
                    value: New::Remove,
                    also: Vec::new(),
                    note: None,
                })),
                _ => Err(left(
                    Kind::Unsupported,
                    i,
                    "2.x has no `noteUpdateMode`: notes always merge",
                    "to replace the notes, clear them first with `preTransforms: delete`",
                )),
            });
        }
        let (start, to_slot) = (self.a.find("arrangementStart"), self.a.find("toSlot"));
        out.push(match (start, to_slot) {
            (Some(s), Some(_)) => Err(left(
                Kind::Conflict,
                s,
                "`arrangementStart` and `toSlot` both move the clip",
                "keep one; 2.x takes one `toPath`",
            )),
            (Some(s), None) => self.bare_positions(s).and_then(|v| {
                if v.contains(',') {
                    Err(left(
                        Kind::Unsupported,
                        s,
                        "update-clip moves a clip to one position",
                        "give one position: `toPath: \"[5|1]\"`",
                    ))
                } else {
                    Ok(Some(fuse(vec![s], "toPath", v)))
                }
            }),
            (None, Some(t)) => self.slots(t).map(|v| Some(fuse(vec![t], "toPath", v))),
            (None, None) => Ok(None),
        });
        out
    }

    /// `length` and `arrangementLength`: 1.4 counts `bar:beat` (`4:0` is
    /// four bars), 2.x writes `4bar`, and a beat part as a note value
    /// (`1:1` in 4/4 is `1bar+n/4`), in the clip's meter for `length` and
    /// the song's for `arrangementLength`. Whole bars are rewritten in any
    /// meter, a templated bar count too (`"{{ n }}:0"`); a templated or
    /// unknown-meter beat part is left and reported. A value without a `:`
    /// (2.x's own, or a template hiding its shape) stays as it is.
    /// `creates`: the step creates the clip (its meter is the step's or
    /// the song's), else it updates one.
    fn durations(&mut self, creates: bool) -> Vec<Rule> {
        ["length", "arrangementLength"]
            .into_iter()
            .filter_map(|k| self.a.find(k))
            .map(|i| self.duration(i, creates))
            .collect()
    }

    fn duration(&mut self, i: usize, creates: bool) -> Rule {
        let Some(text) = self.text(i) else {
            return Ok(None);
        };
        let Some((bars, beats)) = text.split_once(':') else {
            return Ok(None);
        };
        let (bars, beats) = (bars.trim(), beats.trim());
        let digits = !bars.is_empty() && bars.bytes().all(|b| b.is_ascii_digit());
        let one_template = bars.starts_with("{{")
            && bars.ends_with("}}")
            && bars.matches("{{").count() == 1
            && !bars.contains("{%");
        let beat = beats.parse::<f64>().ok().filter(|b| *b >= 0.0);
        let key = self.a.key(i).name.clone();
        if beat == Some(0.0) && (digits || one_template) {
            return Ok(Some(fuse(vec![i], &key, format!("{bars}bar"))));
        }
        let song = key == "arrangementLength";
        let (whose, meter) = if song {
            ("the song's", self.u.meters.song())
        } else {
            let ts = self.a.find("timeSignature").map(|t| self.a.value(t));
            ("the clip's", self.u.meters.clip(ts, creates))
        };
        let why = match (digits, beat, meter) {
            (true, Some(beat), Ok((m, source))) => {
                let value = barbeat::length(bars.parse().unwrap_or(0.0), beat, m);
                let mut f = fuse(vec![i], &key, value);
                f.note = (source == Source::Assumed).then(|| assumed(whose, "this length was"));
                return Ok(Some(f));
            }
            (true, Some(_), Err(why)) => format!("{whose} meter is not known: {why}"),
            _ => "its bars or beats are templated".to_owned(),
        };
        Err(left(
            Kind::Duration,
            i,
            format!("`{text}` is a 1.4 `bar:beat` length whose beats are not a plain 0, and {why}"),
            format!(
                "2.x writes lengths as `Nbar`, `n<fraction>` (a note value: `n/4` is a quarter note) or `Nbar+n<fraction>`, in {whose} meter; a 1.4 beat is one count of that meter (a quarter in 4/4, an eighth in 6/8), so in 4/4 `1:1` is `1bar+n/4`: write the length by hand"
            ),
        ))
    }

    /// `"5|1,9|1"` → `[5|1],[9|1]`: positions on the clip's own track.
    fn bare_positions(&mut self, i: usize) -> Result<String, Left> {
        let text = self.text(i).ok_or_else(|| not_text(self.a, i))?;
        let ps = path::positions(&text).map_err(|e| unshaped(i, e))?;
        Ok(ps
            .iter()
            .map(|p| format!("[{p}]"))
            .collect::<Vec<_>>()
            .join(","))
    }

    /// `arrangementStart`, `locator`, `toSlot` and `takeLane` → `toPath`.
    fn duplicate(&mut self) -> Rule {
        let start = self.a.find("arrangementStart");
        let loc = self.a.find("locator");
        let to_slot = self.a.find("toSlot");
        let lane = self.a.find("takeLane");
        let used: Vec<usize> = [start, loc, to_slot, lane].into_iter().flatten().collect();
        let Some(&first) = used.first() else {
            return Ok(None);
        };
        let mut parts = Vec::new();
        if let Some(l) = lane {
            let track = self.source_track().ok_or_else(|| {
                left(
                    Kind::TakeLaneById,
                    l,
                    "a take lane on a duplicate addressed by `id` needs the source's track",
                    "address the source by `path` (`t0[5|1]`), or write `toPath: \"t<track>/l<lane - 1>\"` with the source's track",
                )
            })?;
            let lane = self.lane(l)?;
            match start {
                Some(s) => parts.push(self.arrangement(&track, s, Some(l))?),
                None => parts.push(format!("{track}{lane}")),
            }
        } else if let Some(s) = start {
            parts.push(self.bare_positions(s)?);
        }
        if let Some(i) = loc {
            let text = self.text(i).ok_or_else(|| not_text(self.a, i))?;
            let names = path::locators(&text).map_err(|e| unshaped(i, e))?;
            parts.extend(names.iter().map(|n| format!("[loc:{n}]")));
        }
        if let Some(i) = to_slot {
            parts.push(self.slots(i)?);
        }
        if self.a.find("toPath").is_some() {
            return Err(left(
                Kind::Conflict,
                first,
                "this duplicate already has a `toPath`",
                "merge the destinations into `toPath` by hand",
            ));
        }
        Ok(Some(fuse(used, "toPath", parts.join(","))))
    }

    /// The literal track (`t0`) of the duplicate's `path`, if it names one.
    fn source_track(&self) -> Option<String> {
        let p = self.a.value(self.a.find("path")?).as_str()?;
        let digits: String = p
            .strip_prefix('t')?
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        (!digits.is_empty() && !p.contains(',')).then(|| format!("t{digits}"))
    }

    /// select takes one `path` for whatever it selects.
    fn select(&mut self) -> Rule {
        let keys = ["trackIndex", "trackType", "sceneIndex", "slot"];
        let present: Vec<usize> = keys.iter().filter_map(|k| self.a.find(k)).collect();
        if present.is_empty() {
            return Ok(None);
        }
        let track = self.a.find("trackIndex").is_some() || self.a.find("trackType").is_some();
        let scene = self.a.find("sceneIndex").is_some();
        let slot = self.a.find("slot").is_some();
        let dev = self.a.find("devicePath").is_some();
        if [track, scene, slot, dev].iter().filter(|b| **b).count() > 1 {
            return Err(left(
                Kind::Unsupported,
                present[0],
                "2.x selects one thing per call",
                "keep one `path` (`t0`, `s3`, `t0/s3`, `t0/d1`), or split the step in two",
            ));
        }
        if scene {
            return self.scene_index("path");
        }
        if let Some(i) = self.a.find("slot") {
            let v = self.slots(i)?;
            return Ok(Some(fuse(vec![i], "path", v)));
        }
        self.track_address()
    }

    fn playback(&mut self) -> Vec<Rule> {
        let mut out = Vec::new();
        for (old, new) in [
            ("startLocator", "startTime"),
            ("loopStartLocator", "loopStart"),
            ("loopEndLocator", "loopEnd"),
        ] {
            let Some(i) = self.a.find(old) else { continue };
            out.push(if self.a.find(new).is_some() {
                Err(left(
                    Kind::Conflict,
                    i,
                    format!("`{old}` and `{new}` are both set"),
                    format!("keep one: `{new}: \"loc:Name\"` names a locator"),
                ))
            } else {
                match self.text(i) {
                    Some(t) => Ok(Some(fuse(vec![i], new, format!("loc:{}", t.trim())))),
                    None => Err(not_text(self.a, i)),
                }
            });
        }
        if let Some(i) = self.a.find("slots") {
            out.push(self.slots(i).map(|v| Some(fuse(vec![i], "path", v))));
        }
        out.push(self.scene_index("path"));
        out
    }

    /// `action: searchBatch` → `action: search` (its list is `searches`).
    fn library(&mut self) -> Rule {
        let Some(i) = self.a.find("action") else {
            return Ok(None);
        };
        if self.a.value(i).as_str() != Some("searchBatch") {
            return Ok(None);
        }
        Ok(Some(fuse(vec![i], "action", "search".to_owned())))
    }

    /// `params` as `name=value` lines (1.4) become a list; a device path in
    /// front of every name moves onto `path`.
    fn device_params(&mut self) -> Rule {
        let Some(i) = self.a.find("params") else {
            return Ok(None);
        };
        let node = self.a.value(i);
        let pairs: Vec<(String, String)> = match &node.value {
            Value::Str(s) if !crate::template::is_template(s) => {
                match s
                    .lines()
                    .filter(|l| !l.trim().is_empty())
                    .map(|l| {
                        l.split_once('=')
                            .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
                    })
                    .collect::<Option<Vec<_>>>()
                {
                    Some(p) => p,
                    None => {
                        return Err(left(
                            Kind::Unsupported,
                            i,
                            "`params` is not `name=value` lines",
                            "write `params` as a list of `{ name, value }`",
                        ));
                    }
                }
            }
            Value::Seq(items) => match items
                .iter()
                .map(|it| {
                    let m = it.as_map()?;
                    let get = |k: &str| {
                        m.iter()
                            .find(|(kk, _)| kk.name == k)
                            .and_then(|(_, v)| v.as_str())
                    };
                    Some((get("name")?.to_owned(), get("value")?.to_owned()))
                })
                .collect::<Option<Vec<_>>>()
            {
                Some(p) => p,
                None => return Ok(None),
            },
            _ => return Ok(None),
        };
        let prefixes: Vec<Option<&str>> = pairs.iter().map(|(n, _)| device_prefix(n)).collect();
        let was_list = matches!(node.value, Value::Seq(_));
        if prefixes.iter().all(Option::is_none) {
            return Ok((!was_list).then(|| Fuse {
                entries: vec![i],
                key: "params".into(),
                value: New::Yaml(params_yaml(&pairs, 0)),
                also: Vec::new(),
                note: None,
            }));
        }
        let first = prefixes[0];
        let path = self.a.find("path").filter(|&p| {
            self.a
                .value(p)
                .as_str()
                .is_some_and(|s| !s.contains(',') && !crate::template::is_template(s))
        });
        let (Some(prefix), Some(p)) =
            (first.filter(|_| prefixes.iter().all(|x| *x == first)), path)
        else {
            return Err(left(
                Kind::DeviceParams,
                i,
                "device paths in `params` names cannot move onto one `path`",
                "2.x addresses the device by `path` and takes bare names: split the step into one update per device, each with `path: <device path>`",
            ));
        };
        let new_path = format!("{}/{prefix}", self.a.value(p).as_str().unwrap_or_default());
        Ok(Some(Fuse {
            entries: vec![i],
            key: "params".into(),
            value: New::Yaml(params_yaml(&pairs, prefix.len() + 1)),
            also: vec![(p, new_path)],
            note: None,
        }))
    }
}

/// The device path in front of a param name (`pC1/c0/d0` of
/// `pC1/c0/d0/Volume`); a pad's own settings (`pC1/sample`) have none.
fn device_prefix(name: &str) -> Option<&str> {
    let (prefix, _) = name.rsplit_once('/')?;
    let last = prefix.rsplit('/').next()?;
    let is_device = last
        .strip_prefix('d')
        .is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()));
    is_device.then_some(prefix)
}

fn params_yaml(pairs: &[(String, String)], cut: usize) -> String {
    let items: Vec<String> = pairs
        .iter()
        .map(|(n, v)| {
            format!(
                "{{ name: {}, value: {} }}",
                scalar::emit(&n[cut.min(n.len())..], Style::Plain, true),
                scalar::emit(v, Style::Plain, true)
            )
        })
        .collect();
    format!("[{}]", items.join(", "))
}

fn fuse(entries: Vec<usize>, key: &str, value: String) -> Fuse {
    Fuse {
        entries,
        key: key.to_owned(),
        value: New::Str(value),
        also: Vec::new(),
        note: None,
    }
}

fn left(kind: Kind, entry: usize, message: impl Into<String>, help: impl Into<String>) -> Left {
    Left {
        kind,
        entry,
        message: message.into(),
        help: help.into(),
    }
}

fn unshaped(entry: usize, e: Unshaped) -> Left {
    left(
        Kind::Template,
        entry,
        "this value's shape cannot be rewritten as a 2.x path",
        format!("{}; write the 2.x path by hand", e.0),
    )
}

fn not_text(a: &Args, i: usize) -> Left {
    left(
        Kind::Unsupported,
        i,
        format!("`{}` is not text", a.key(i).name),
        "write the 2.x argument by hand",
    )
}

/// Remaining `path` / `toPath` values: `t{{ kick }}` becomes `{{ kick }}`
/// when `kick` now holds a path.
fn paths(u: &mut Unit, w: &mut Writer, a: &Args, done: &[usize]) {
    for (i, (k, v)) in a.entries.iter().enumerate() {
        if done.contains(&i) || !matches!(k.name.as_str(), "path" | "toPath") {
            continue;
        }
        let Some(text) = u.text(v) else { continue };
        w.site.node = v.span.offset();
        if let Some(new) = path::reprefix(w, &text) {
            let f = fuse(vec![i], &k.name, new);
            u.fuse(a, &f);
        }
    }
}
