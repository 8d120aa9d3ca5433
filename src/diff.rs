//! Comparing two tool catalogs, and finding the playbook steps a change
//! touches (`pplay schema diff`).

use std::collections::BTreeSet;
use std::fmt;

use serde_json::Value;

use crate::catalog::{Catalog, Tool, type_summary};
use crate::diagnostic::Diagnostic;
use crate::playbook::{Action, Playbook, walk_steps};

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
    /// Type, enum or range changed: old and new summaries.
    ParamChanged {
        tool: String,
        param: String,
        old: String,
        new: String,
    },
    RequiredChanged {
        tool: String,
        param: String,
        required: bool,
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
            | Change::RequiredChanged { tool, .. } => tool,
        }
    }

    pub fn param(&self) -> Option<&str> {
        match self {
            Change::ParamAdded { param, .. }
            | Change::ParamRemoved { param, .. }
            | Change::ParamChanged { param, .. }
            | Change::RequiredChanged { param, .. } => Some(param),
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
        }
    }
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
    let mut out = Vec::new();
    let tool = new.name.clone();
    let old_params: BTreeSet<&str> = old.params().map(|(k, _)| k).collect();
    for (name, _) in old.params() {
        if new.param(name).is_none() {
            out.push(Change::ParamRemoved {
                tool: tool.clone(),
                param: name.to_owned(),
            });
        }
    }
    for (name, p) in new.params() {
        if !old_params.contains(name) {
            out.push(Change::ParamAdded {
                tool: tool.clone(),
                param: name.to_owned(),
                required: new.is_required(name),
            });
            continue;
        }
        let op = old.param(name).unwrap_or(&Value::Null);
        let (a, b) = (type_summary(op), type_summary(p));
        if a != b || op.get("items") != p.get("items") {
            out.push(Change::ParamChanged {
                tool: tool.clone(),
                param: name.to_owned(),
                old: a,
                new: b,
            });
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

/// The steps of `pb` that a change touches, each at its place in the file.
pub fn affected(pb: &Playbook, changes: &[Change]) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    walk_steps(&pb.steps, &mut |step| {
        let Action::Call { tool, args } = &step.action else {
            return;
        };
        let keys: Vec<(&str, crate::yaml::Span)> = args
            .as_map()
            .map(|m| m.iter().map(|(k, _)| (k.name.as_str(), k.span)).collect())
            .unwrap_or_default();
        for c in changes.iter().filter(|c| c.tool() == tool.value) {
            let d = match c {
                Change::ToolRemoved { .. } => Some((
                    tool.span,
                    format!("`{}` is removed in the new catalog", tool.value),
                )),
                Change::ParamRemoved { param, .. } => {
                    keys.iter().find(|(k, _)| k == param).map(|(_, s)| {
                        (
                            *s,
                            format!("`{param}` is no longer a parameter of `{}`", tool.value),
                        )
                    })
                }
                Change::ParamChanged {
                    param, old, new, ..
                } => keys.iter().find(|(k, _)| k == param).map(|(_, s)| {
                    (
                        *s,
                        format!("`{}.{param}` changed: {old} -> {new}", tool.value),
                    )
                }),
                Change::ParamAdded {
                    param,
                    required: true,
                    ..
                }
                | Change::RequiredChanged {
                    param,
                    required: true,
                    ..
                } if !keys.iter().any(|(k, _)| k == param) => Some((
                    tool.span,
                    format!(
                        "`{}` now requires `{param}`, which this step does not send",
                        tool.value
                    ),
                )),
                _ => None,
            };
            if let Some((span, msg)) = d {
                out.push(
                    Diagnostic::error("pplay::schema-change", msg)
                        .in_file(&step.file)
                        .label(span, c.to_string()),
                );
            }
        }
    });
    out
}
