//! Comparing two tool catalogs, and finding the playbook steps a change
//! touches (`pplay schema diff`).

use compact_str::CompactString;
use foldhash::{HashSet, HashSetExt};
use std::collections::BTreeSet;
use std::fmt;

use serde_json::Value;

use crate::catalog::{Catalog, Tool, type_summary};
use crate::diagnostic::Diagnostic;
use crate::playbook::{Action, Playbook, Spanned, walk_steps};
use crate::protocol::Generation;
use crate::template::has_template;
use crate::yaml::{Node, Span};

/// One difference between two catalogs.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    ToolAdded {
        tool: String,
    },
    ToolRemoved {
        tool: String,
    },
    ParamAdded {
        tool: String,
        param: String,
        required: bool,
    },
    ParamRemoved {
        tool: String,
        param: String,
    },
    /// Type, enum or range changed: old and new summaries, and the new
    /// schema, which tells whether a step's value is still good.
    ParamChanged {
        tool: String,
        param: String,
        old: String,
        new: String,
        new_schema: Value,
    },
    RequiredChanged {
        tool: String,
        param: String,
        required: bool,
    },
    /// A parameter gone and another come with the same shape: one renamed
    /// (see [`renames`]). `also` says what else differs (`default`,
    /// `maximum`, `now required`); `new_schema` tells whether a step's value
    /// still fits.
    ParamRenamed {
        tool: String,
        from: String,
        to: String,
        also: Vec<String>,
        new_schema: Value,
    },
}

impl Change {
    pub fn tool(&self) -> &str {
        match self {
            Change::ToolAdded { tool }
            | Change::ToolRemoved { tool }
            | Change::ParamAdded { tool, .. }
            | Change::ParamRemoved { tool, .. }
            | Change::ParamChanged { tool, .. }
            | Change::RequiredChanged { tool, .. }
            | Change::ParamRenamed { tool, .. } => tool,
        }
    }

    pub fn param(&self) -> Option<&str> {
        match self {
            Change::ParamAdded { param, .. }
            | Change::ParamRemoved { param, .. }
            | Change::ParamChanged { param, .. }
            | Change::RequiredChanged { param, .. }
            | Change::ParamRenamed { from: param, .. } => Some(param),
            _ => None,
        }
    }
}

impl fmt::Display for Change {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Change::ToolAdded { tool } => write!(f, "+ tool {tool}"),
            Change::ToolRemoved { tool } => write!(f, "- tool {tool}"),
            Change::ParamAdded {
                tool,
                param,
                required,
            } => {
                write!(
                    f,
                    "+ {tool}.{param}{}",
                    if *required { " (required)" } else { "" }
                )
            }
            Change::ParamRemoved { tool, param } => write!(f, "- {tool}.{param}"),
            Change::ParamChanged {
                tool,
                param,
                old,
                new,
                ..
            } => write!(f, "~ {tool}.{param}: {old} -> {new}"),
            Change::RequiredChanged {
                tool,
                param,
                required,
            } => write!(
                f,
                "~ {tool}.{param}: {}",
                if *required {
                    "now required"
                } else {
                    "no longer required"
                }
            ),
            Change::ParamRenamed {
                tool,
                from,
                to,
                also,
                ..
            } => {
                write!(f, "~ {tool}.{from}: renamed to `{to}`")?;
                if !also.is_empty() {
                    write!(f, " ({})", also.join("; "))?;
                }
                Ok(())
            }
        }
    }
}

/// How many of `changes` `pplay migrate` rewrites playbooks for: only a
/// change from Producer Pal 1.4 to 2.x has a migration; between two
/// catalogs of one generation there is none to point to.
pub fn migratable(old: &Catalog, new: &Catalog, changes: &[Change]) -> usize {
    if (old.generation(), new.generation()) != (Generation::V1, Generation::V2) {
        return 0;
    }
    changes
        .iter()
        .filter(|c| {
            matches!(
                c,
                Change::ParamRemoved { .. }
                    | Change::ParamChanged { .. }
                    | Change::ParamRenamed { .. }
            ) && c
                .param()
                .is_some_and(|p| crate::migrate::args::rewrites(c.tool(), p))
        })
        .count()
}

/// Every difference from `old` to `new`, tools in `new`'s order.
pub fn diff(old: &Catalog, new: &Catalog) -> Vec<Change> {
    let mut out = Vec::new();
    for t in old.tools() {
        if new.get(&t.name).is_none() {
            out.push(Change::ToolRemoved {
                tool: t.name.clone(),
            });
        }
    }
    for t in new.tools() {
        match old.get(&t.name) {
            None => out.push(Change::ToolAdded {
                tool: t.name.clone(),
            }),
            Some(o) => out.extend(diff_tool(o, t)),
        }
    }
    out
}

fn diff_tool(old: &Tool, new: &Tool) -> Vec<Change> {
    let tool = new.name.clone();
    let gone: Vec<&str> = old
        .params()
        .map(|(k, _)| k)
        .filter(|k| new.param(k).is_none())
        .collect();
    let came: Vec<&str> = new
        .params()
        .map(|(k, _)| k)
        .filter(|k| old.param(k).is_none())
        .collect();
    let renames = renames(old, new, &gone, &came);
    let renamed_to = |p: &str| renames.iter().any(|(_, to)| *to == p);
    let mut out: Vec<Change> = gone
        .iter()
        .map(
            |&name| match renames.iter().find(|(from, _)| *from == name) {
                Some((from, to)) => renamed(&tool, old, new, from, to),
                None => Change::ParamRemoved {
                    tool: tool.clone(),
                    param: name.to_owned(),
                },
            },
        )
        .collect();
    for (name, p) in new.params() {
        let Some(op) = old.param(name) else {
            if !renamed_to(name) {
                out.push(Change::ParamAdded {
                    tool: tool.clone(),
                    param: name.to_owned(),
                    required: new.is_required(name),
                });
            }
            continue;
        };
        if let Some(c) = param_changed(&tool, name, op, p) {
            out.push(c);
        }
        if old.is_required(name) != new.is_required(name) {
            out.push(Change::RequiredChanged {
                tool: tool.clone(),
                param: name.to_owned(),
                required: new.is_required(name),
            });
        }
    }
    out
}

/// Pairs of a parameter gone and one come with the same shape (see
/// [`shape`]), where neither has another such partner: the one parameter
/// under a new name. Two of the same shape gone or come (`trackId` and
/// `slot` both strings) are ambiguous, and stay a removal and an addition.
fn renames<'t>(
    old: &Tool,
    new: &Tool,
    gone: &[&'t str],
    came: &[&'t str],
) -> Vec<(&'t str, &'t str)> {
    let gone_shapes: Vec<Option<Value>> = gone.iter().map(|g| old.param(g).map(shape)).collect();
    let came_shapes: Vec<Option<Value>> = came.iter().map(|c| new.param(c).map(shape)).collect();
    let same = |g: usize, c: usize| gone_shapes[g].is_some() && gone_shapes[g] == came_shapes[c];
    (0..gone.len())
        .filter_map(|g| {
            let mut partners = (0..came.len()).filter(|&c| same(g, c));
            let c = partners.next()?;
            let only =
                partners.next().is_none() && (0..gone.len()).filter(|&o| same(o, c)).count() == 1;
            only.then_some((gone[g], came[c]))
        })
        .collect()
}

/// The rename of `from` to `to`, with what else changed with it.
fn renamed(tool: &str, old: &Tool, new: &Tool, from: &str, to: &str) -> Change {
    let (a, b) = (
        old.param(from).map(without_text).unwrap_or_default(),
        new.param(to).map(without_text).unwrap_or_default(),
    );
    let mut also = Vec::new();
    let keys = keys_differing(&a, &b);
    if !keys.is_empty() {
        let keys: Vec<String> = keys.iter().map(|k| format!("`{k}`")).collect();
        also.push(format!("{} changed", keys.join(", ")));
    }
    match (old.is_required(from), new.is_required(to)) {
        (false, true) => also.push("now required".to_owned()),
        (true, false) => also.push("no longer required".to_owned()),
        _ => {}
    }
    Change::ParamRenamed {
        tool: tool.to_owned(),
        from: from.to_owned(),
        to: to.to_owned(),
        also,
        new_schema: b,
    }
}

/// A change of a parameter's schema that a caller can meet: descriptions,
/// titles and examples are text for people, and their changes are none.
fn param_changed(tool: &str, name: &str, old: &Value, new: &Value) -> Option<Change> {
    let (o, n) = (without_text(old), without_text(new));
    if o == n {
        return None;
    }
    let (a, mut b) = (type_summary(old), type_summary(new));
    if a == b {
        let parts: Vec<&str> = keys_differing(&o, &n);
        b.push_str(&format!(" ({} changed)", parts.join(", ")));
    }
    Some(Change::ParamChanged {
        tool: tool.to_owned(),
        param: name.to_owned(),
        old: a,
        new: b,
        new_schema: n,
    })
}

/// The keys at the top of two schemas whose values differ.
fn keys_differing<'v>(a: &'v Value, b: &'v Value) -> Vec<&'v str> {
    let keys: BTreeSet<&str> = [a, b]
        .iter()
        .filter_map(|v| v.as_object())
        .flat_map(|o| o.keys().map(String::as_str))
        .collect();
    keys.into_iter().filter(|k| a.get(k) != b.get(k)).collect()
}

/// Words in a schema that are for people only.
const TEXT_KEYS: &[&str] = &["description", "title", "examples"];

/// What a parameter's schema says beyond its shape: its text, its default,
/// annotations, and the bounds and formats of its values. Its type, an
/// enum's values, and the keys and shapes inside objects and lists are its
/// shape.
const NOT_SHAPE: &[&str] = &[
    "description",
    "title",
    "examples",
    "default",
    "deprecated",
    "readOnly",
    "writeOnly",
    "$comment",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minLength",
    "maxLength",
    "pattern",
    "format",
    "minItems",
    "maxItems",
    "uniqueItems",
];

/// A schema with its text for people taken out at every depth (but not a
/// property that happens to be named `description`).
fn without_text(schema: &Value) -> Value {
    without(schema, TEXT_KEYS)
}

/// The shape of a parameter's schema: what two schemas must share for one
/// parameter to be the other renamed.
fn shape(schema: &Value) -> Value {
    without(schema, NOT_SHAPE)
}

/// `schema` without the keywords in `drop`, at every depth (a property
/// named like one stays).
fn without(schema: &Value, drop: &[&str]) -> Value {
    match schema {
        Value::Object(o) => Value::Object(
            o.iter()
                .filter(|(k, _)| !drop.contains(&k.as_str()))
                .map(|(k, v)| {
                    let v = match (k.as_str(), v) {
                        (
                            "properties" | "patternProperties" | "$defs" | "definitions",
                            Value::Object(m),
                        ) => Value::Object(
                            m.iter()
                                .map(|(n, s)| (n.clone(), without(s, drop)))
                                .collect(),
                        ),
                        _ => without(v, drop),
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(|v| without(v, drop)).collect()),
        v => v.clone(),
    }
}

/// What a catalog change does to one playbook.
#[derive(Debug, Default)]
pub struct Affected {
    /// How many steps a change touches (each counted once, however many
    /// changes touch it, and however often its file is included).
    pub steps: usize,
    /// One finding per change and step, at its place.
    pub findings: Vec<Diagnostic>,
}

/// The steps of `pb` that a change touches, each at its place in the file.
/// A file included more than once is looked at once.
pub fn affected(pb: &Playbook, changes: &[Change]) -> Affected {
    let mut seen = HashSet::new();
    let mut out = Affected::default();
    walk_steps(&pb.steps, &mut |step| {
        let Action::Call { tool, args } = &step.action else {
            return;
        };
        if !seen.insert((step.file.path().to_path_buf(), step.span.offset())) {
            return;
        }
        let before = out.findings.len();
        for c in changes.iter().filter(|c| c.tool() == tool.value) {
            if let Some((span, msg)) = finding(tool, args, c) {
                out.findings.push(
                    Diagnostic::error("pplay::schema-change", msg)
                        .in_file(&step.file)
                        .label(span, c.to_string()),
                );
            }
        }
        if out.findings.len() > before {
            out.steps += 1;
        }
    });
    out
}

/// Where and how `change` touches a step calling `tool` with `args`.
fn finding(tool: &Spanned<CompactString>, args: &Node, change: &Change) -> Option<(Span, String)> {
    let arg = |name: &str| {
        args.as_map()?
            .iter()
            .find(|(k, _)| k.name == name)
            .map(|(k, v)| (k.span, v))
    };
    let t = &tool.value;
    match change {
        Change::ToolRemoved { .. } => {
            Some((tool.span, format!("`{t}` is removed in the new catalog")))
        }
        Change::ParamRemoved { param, .. } => {
            arg(param).map(|(s, _)| (s, format!("`{param}` is no longer a parameter of `{t}`")))
        }
        Change::ParamRenamed {
            from,
            to,
            new_schema,
            ..
        } => arg(from).map(|(s, v)| {
            let fits = if still_valid(v, new_schema) || has_template(v) {
                ""
            } else {
                "; its value does not fit the new schema"
            };
            (
                s,
                format!("`{t}.{from}` is called `{to}` in the new catalog{fits}"),
            )
        }),
        Change::ParamChanged {
            param,
            old,
            new,
            new_schema,
            ..
        } => arg(param)
            .filter(|(_, v)| !still_valid(v, new_schema))
            .map(|(s, _)| (s, format!("`{t}.{param}` changed: {old} -> {new}"))),
        Change::ParamAdded {
            param,
            required: true,
            ..
        }
        | Change::RequiredChanged {
            param,
            required: true,
            ..
        } if arg(param).is_none() => Some((
            tool.span,
            format!("`{t}` now requires `{param}`, which this step does not send"),
        )),
        _ => None,
    }
}

/// Is a value written in the playbook (no template in it) one the new
/// schema accepts? Then the change does not touch it: `type: midi` stays
/// good when `return` is dropped from the enum.
fn still_valid(value: &Node, schema: &Value) -> bool {
    !has_template(value)
        && jsonschema::draft202012::new(schema).is_ok_and(|v| v.is_valid(&value.to_json()))
}
