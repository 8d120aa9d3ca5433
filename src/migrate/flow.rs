//! Following a captured index into the arguments that use it.
//!
//! A 1.4 playbook captures `kick: result.trackIndex` and later writes
//! `slot: "{{ kick }}/0"`. In 2.x the natural form captures `result.path`
//! (`"t0"`) and writes `path: "{{ kick }}/s0"`. That rewrite of both ends is
//! only right when *every* read of `kick` is such an index position; any
//! other read (a name, arithmetic, a comparison) keeps the number, so the
//! capture is left and reported instead.

use foldhash::{HashMap, HashSet};
use std::ops::Range;
use std::sync::Arc;

use crate::playbook::{Action, Playbook};
use crate::source::SourceFile;

use super::expr::{self, Chain};
use super::fields::{Prefix, StepCtx, Tools, index_field, path_field};
use super::walk::{self, Role};

/// What a literal `vars` value holds.
fn held_value(v: &crate::yaml::Node) -> Held {
    use crate::yaml::Value;
    match &v.value {
        Value::Int(n) if *n >= 0 => Held::Number,
        Value::Str(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => Held::Number,
        Value::Str(s) if crate::template::is_template(s) => {
            let ps = expr::pieces(s);
            match ps.as_slice() {
                [expr::Piece::Expr { inner, .. }] => expr::sole_chain(s, inner.clone())
                    .filter(|c| c.segs.is_empty())
                    .map_or(Held::Other, |c| Held::Alias(c.root)),
                _ => Held::Other,
            }
        }
        Value::Str(s) => path_kind(s).map_or(Held::Other, Held::Path),
        _ => Held::Other,
    }
}

/// The kind of a literal 2.x path that names one track or scene.
fn path_kind(s: &str) -> Option<Prefix> {
    use crate::path::{Path, TrackRef};
    match crate::path::parse(s).ok()? {
        Path::Track(TrackRef::Return(_)) => Some(Prefix::Return),
        Path::Track(_) => Some(Prefix::Track),
        Path::Scene(_) => Some(Prefix::Scene),
        _ => None,
    }
}

/// A track path stands where 1.4 took a track or return track index.
fn fits(held: Prefix, wanted: Prefix) -> bool {
    match wanted {
        Prefix::Scene => held == Prefix::Scene,
        _ => held != Prefix::Scene,
    }
}

/// Where a template string is: its file and the offset of its node.
#[derive(Debug, Clone)]
pub struct Site {
    pub file: Arc<SourceFile>,
    pub node: usize,
}

impl Site {
    fn key(&self) -> (String, usize) {
        (self.file.name().to_owned(), self.node)
    }
}

/// How an index piece (`{{ e }}` where 1.4 wanted a number) is written in a
/// 2.x path.
#[derive(Debug, Clone, PartialEq)]
pub enum Write {
    /// Prefix letters, then the piece as it was: `t{{ e }}`.
    Prefixed,
    /// This text alone: the piece now gives the whole path (`{{ kick }}`,
    /// `{{ steps.k.result.path }}`).
    Bare(String),
    /// What the piece yields is not known to be an index of this kind (a
    /// path of another kind, or a value of both sorts): left for a person.
    Unknown(String),
}

/// What a name holds, as far as the playbook shows: a half-migrated file
/// may already hold a 2.x path where 1.4 wanted an index.
#[derive(Debug, Clone, PartialEq)]
enum Held {
    Number,
    /// A path of this kind (`t0`: a track, also `rt0` and `mt`; `s1`).
    Path(Prefix),
    /// Whatever another name holds (`lead: "{{ pads }}"`).
    Alias(String),
    Other,
}

/// What is known about the run's names, and the decisions made from it.
#[derive(Debug, Default)]
pub struct Flow {
    pub tools: Tools,
    /// Every read of a top-level name, one entry per occurrence.
    uses: HashMap<String, Vec<Site>>,
    /// Names some `vars` sets (a capture of them cannot be retyped).
    vars: HashSet<String>,
    /// Per captured name: the index kind each capture of it reads, or `None`
    /// for a capture of anything else.
    captures: HashMap<String, Vec<Option<Prefix>>>,
    /// Reads of a name in an index position, with the kind expected there.
    index_uses: HashMap<String, Vec<(Site, Prefix)>>,
    /// Chains rewritten by an index position: (file, node, chain start).
    consumed: HashSet<(String, usize, usize)>,
    followed: HashMap<String, Prefix>,
    /// What each name set by `vars` or captured holds.
    held: HashMap<String, Vec<Held>>,
    decided: bool,
}

impl Flow {
    /// Learns the ids, vars, captures and name reads of every file.
    pub fn learn(files: &[&Playbook]) -> Flow {
        let mut flow = Flow::default();
        for pb in files {
            crate::playbook::walk_steps(&pb.steps, &mut |s| {
                if let Some(id) = &s.id {
                    flow.tools.add(&id.value, s.tool());
                }
            });
        }
        for pb in files {
            flow.learn_vars(&pb.vars);
            for s in &pb.steps {
                if let Action::Include { vars, .. } = &s.action {
                    flow.learn_vars(vars);
                }
            }
            flow.learn_strings(pb);
        }
        flow
    }

    fn learn_vars(&mut self, vars: &[(crate::yaml::Key, crate::yaml::Node)]) {
        for (k, v) in vars {
            self.vars.insert(k.name.to_string());
            let held = held_value(v);
            self.held.entry(k.name.to_string()).or_default().push(held);
        }
    }

    fn learn_strings(&mut self, pb: &Playbook) {
        let file = pb.file.clone();
        let mut uses: Vec<(String, Site)> = Vec::new();
        let mut caps: Vec<(String, Option<Prefix>)> = Vec::new();
        walk::strings(pb, &mut |node, role, ctx| {
            let Some(s) = node.as_str() else { return };
            for r in walk::code_ranges(s, role) {
                for c in expr::chains(&s[r.clone()], r.start) {
                    uses.push((
                        c.root.clone(),
                        Site {
                            file: file.clone(),
                            node: node.span.offset(),
                        },
                    ));
                }
            }
            if let Role::Capture(k) = role {
                let held = self.held_capture(s, ctx);
                self.held.entry(k.name.to_string()).or_default().push(held);
                caps.push((k.name.to_string(), self.index_capture(s, ctx)));
            }
        });
        for (name, site) in uses {
            self.uses.entry(name).or_default().push(site);
        }
        for (name, kind) in caps {
            self.captures.entry(name).or_default().push(kind);
        }
    }

    /// The index kind a capture expression reads, when it is exactly one
    /// such field of its step's result.
    fn index_capture(&self, s: &str, ctx: &StepCtx) -> Option<Prefix> {
        let c = expr::sole_chain(s, expr::expression_range(s))?;
        let tool = self.tools.source(&c, ctx, true)?;
        index_field(&c, tool).map(|(p, _)| p)
    }

    /// What a capture holds: an index field is a number, a track's or a
    /// scene's `path` a path.
    fn held_capture(&self, s: &str, ctx: &StepCtx) -> Held {
        let Some(c) = expr::sole_chain(s, expr::expression_range(s)) else {
            return Held::Other;
        };
        match self.tools.source(&c, ctx, true) {
            Some(tool) if index_field(&c, tool).is_some() => Held::Number,
            Some(tool) => path_field(&c, tool).map_or(Held::Other, Held::Path),
            None => Held::Other,
        }
    }

    /// Every value `name` may hold, aliases followed; empty when nothing
    /// in the playbook sets it.
    fn holds(&self, name: &str, depth: usize) -> Vec<Held> {
        let Some(list) = self.held.get(name) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for h in list {
            match h {
                Held::Alias(other) if depth < 8 => {
                    let more = self.holds(other, depth + 1);
                    out.extend(if more.is_empty() {
                        vec![Held::Other]
                    } else {
                        more
                    });
                }
                Held::Alias(_) => out.push(Held::Other),
                h => out.push(h.clone()),
            }
        }
        out
    }

    /// How a bare name is written where an index of kind `prefix` goes:
    /// a number gets the prefix, a path of that kind is used as it is.
    fn by_holding(&self, name: &str, whole: &str, prefix: Prefix) -> Write {
        let held = self.holds(name, 0);
        if held.iter().all(|h| *h == Held::Number) {
            return Write::Prefixed;
        }
        if held
            .iter()
            .all(|h| matches!(h, Held::Path(p) if fits(*p, prefix)))
        {
            return Write::Bare(whole.to_owned());
        }
        let kind = prefix.field().trim_end_matches("Index");
        Write::Unknown(if held.iter().all(|h| matches!(h, Held::Path(_))) {
            format!("`{name}` holds a 2.x path, but not of a {kind}")
        } else {
            format!("`{name}` is set to a value not known to be a {kind} number or path")
        })
    }

    /// How to write the piece `text[whole]` (inside: `inner`) where a 2.x
    /// path wants an index of kind `prefix`; records what it saw until the
    /// decisions are made.
    pub fn index_piece(
        &mut self,
        site: &Site,
        text: &str,
        whole: Range<usize>,
        inner: Range<usize>,
        prefix: Prefix,
        ctx: &StepCtx,
    ) -> Write {
        let Some(chain) = expr::sole_chain(text, inner) else {
            return Write::Prefixed;
        };
        if chain.segs.is_empty() {
            if !self.decided {
                self.index_uses
                    .entry(chain.root.clone())
                    .or_default()
                    .push((site.clone(), prefix));
            }
            return match self.followed.get(&chain.root) {
                Some(p) if *p == prefix => Write::Bare(text[whole].to_owned()),
                _ => self.by_holding(&chain.root, &text[whole], prefix),
            };
        }
        self.direct(site, text, whole, &chain, prefix, ctx)
    }

    /// `{{ steps.k.result.trackIndex }}` → `{{ steps.k.result.path }}`.
    fn direct(
        &mut self,
        site: &Site,
        text: &str,
        whole: Range<usize>,
        chain: &Chain,
        prefix: Prefix,
        ctx: &StepCtx,
    ) -> Write {
        let Some(tool) = self.tools.source(chain, ctx, false) else {
            return Write::Prefixed;
        };
        match index_field(chain, tool) {
            Some((p, field)) if p == prefix => {
                let (node_file, node) = site.key();
                self.consumed.insert((node_file, node, chain.range.start));
                let mut out = text[whole.start..field.start].to_owned();
                out.push_str("path");
                out.push_str(&text[field.end..whole.end]);
                Write::Bare(out)
            }
            _ => match path_field(chain, tool) {
                Some(p) if fits(p, prefix) => Write::Bare(text[whole].to_owned()),
                Some(_) => {
                    Write::Unknown(format!("`{}` reads a path of another kind", &text[whole]))
                }
                None => Write::Prefixed,
            },
        }
    }

    /// Decides which captured names are followed: every capture of the name
    /// reads the same kind of index, no `vars` sets it, and every read of it
    /// is an index position of that kind.
    pub fn decide(&mut self) {
        for (name, kinds) in &self.captures {
            let Some(Some(kind)) = kinds.first() else {
                continue;
            };
            if kinds.iter().any(|k| *k != Some(*kind)) || self.vars.contains(name) {
                continue;
            }
            let index: &[(Site, Prefix)] = self.index_uses.get(name).map_or(&[], |v| v);
            if index.iter().any(|(_, p)| p != kind) {
                continue;
            }
            let mut all: Vec<_> = self
                .uses
                .get(name)
                .map_or(&[][..], |v| v)
                .iter()
                .map(Site::key)
                .collect();
            let mut at_index: Vec<_> = index.iter().map(|(s, _)| s.key()).collect();
            all.sort();
            at_index.sort();
            if all == at_index {
                self.followed.insert(name.clone(), *kind);
            }
        }
        self.decided = true;
    }

    /// The index kind a followed name now holds as a path.
    pub fn followed(&self, name: &str) -> Option<Prefix> {
        self.followed.get(name).copied()
    }

    /// Was this chain rewritten by an index position?
    pub fn is_consumed(&self, file: &SourceFile, node: usize, chain_start: usize) -> bool {
        self.consumed
            .contains(&(file.name().to_owned(), node, chain_start))
    }

    /// Reads of `name` that are not index positions, for the report on a
    /// capture that cannot be followed.
    pub fn stray_uses(&self, name: &str) -> Vec<Site> {
        let mut index: Vec<_> = self
            .index_uses
            .get(name)
            .map_or(&[][..], |v| v)
            .iter()
            .map(|(s, _)| s.key())
            .collect();
        let mut out = Vec::new();
        for s in self.uses.get(name).map_or(&[][..], |v| v) {
            match index.iter().position(|k| *k == s.key()) {
                Some(i) => {
                    index.swap_remove(i);
                }
                None => out.push(s.clone()),
            }
        }
        out
    }

    /// Was `name` set by `vars`?
    pub fn is_var(&self, name: &str) -> bool {
        self.vars.contains(name)
    }
}
