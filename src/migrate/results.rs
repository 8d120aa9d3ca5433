//! Result fields in `capture`, `expect` and templates reading
//! `steps.<id>.result`: renamed where 2.3 has a field with the same meaning,
//! retyped where the flow follows a captured index, reported otherwise.

use crate::playbook::Playbook;
use crate::yaml::Node;

use super::Unit;
use super::expr::{self, Chain, Seg};
use super::fields::{self, Fix, StepCtx};
use super::flow::Flow;
use super::notes::{Kind, place};
use super::walk::{self, Role};

/// Scans every string of `pb`'s file.
pub fn scan<'p>(u: &mut Unit<'p>, flow: &Flow, pb: &'p Playbook) {
    let mut found: Vec<(&'p Node, Role<'p>, StepCtx)> = Vec::new();
    walk::strings(pb, &mut |n, role, ctx| found.push((n, role, ctx.clone())));
    for (node, role, ctx) in found {
        let Some(s) = node.as_str() else { continue };
        for r in walk::code_ranges(s, role) {
            for c in expr::chains(&s[r.clone()], r.start) {
                if !flow.is_consumed(&u.file, node.span.offset(), c.range.start) {
                    chain(u, flow, node, s, role, &ctx, &c);
                }
            }
        }
    }
}

fn chain<'p>(
    u: &mut Unit<'p>,
    flow: &Flow,
    node: &'p Node,
    s: &str,
    role: Role,
    ctx: &StepCtx,
    c: &Chain,
) {
    let Some(tool) = flow.tools.source(c, ctx, walk::in_result(role)) else {
        return;
    };
    if let Role::Capture(k) = role
        && let Some((kind, field)) = fields::index_field(c, tool)
        && expr::sole_chain(s, expr::expression_range(s)).as_ref() == Some(c)
    {
        if flow.followed(&k.name) == Some(kind) {
            u.sub_edit(node, field, "path");
        } else {
            unfollowed(u, flow, node, &k.name, kind.field());
        }
        return;
    }
    match fields::removed_field(c, tool) {
        Some(Fix::Rename { range, text }) => u.sub_edit(node, range, &text),
        Some(Fix::Report { field, instead }) => {
            let read = &s[c.range.clone()];
            u.warn(
                Kind::ResultField,
                format!("`{read}` reads `{field}`, which {tool} no longer returns in 2.3"),
                node.span,
                format!("reads `{field}`"),
                format!("read {instead}"),
            );
        }
        None => track_type(u, node, s, c, tool),
    }
}

/// A capture of an index that some read still uses as a number.
fn unfollowed(u: &mut Unit, flow: &Flow, node: &Node, name: &str, field: &str) {
    let strays: Vec<String> = flow
        .stray_uses(name)
        .iter()
        .map(|s| place(&s.file, s.node))
        .collect();
    let why = if flow.is_var(name) {
        format!("`{name}` is also set by `vars`")
    } else if strays.is_empty() {
        format!("`{name}` is read where 2.x wants a different kind of path")
    } else {
        format!("`{name}` is also read as a number at {}", strays.join(", "))
    };
    u.warn(
        Kind::Capture,
        format!("`result.{field}` is gone in 2.3, and {why}"),
        node.span,
        "captures an index",
        format!(
            "capture `result.path` (a path such as \"{}\", not a number) and rewrite those reads, or capture `result.path[{}:] | int` where the number itself is wanted",
            example(field),
            if field == "returnTrackIndex" { 2 } else { 1 }
        ),
    );
}

/// `result.type == "return"`: 2.3 says `midi`/`audio` only; the path tells.
fn track_type(u: &mut Unit, node: &Node, s: &str, c: &Chain, tool: &str) {
    let ends_in_type = matches!(c.segs.last(), Some(Seg::Attr { name, .. }) if name == "type");
    let mentions = ["'return'", "\"return\"", "'master'", "\"master\""]
        .iter()
        .any(|q| s.contains(q));
    if ends_in_type && mentions && fields::reports_track_type(tool) {
        u.warn(
            Kind::ResultField,
            format!("`{}` compares a track's type with return or master", &s[c.range.clone()]),
            node.span,
            "2.3 reports `type` as midi or audio only",
            "test the track's `path` instead: it starts with `rt` for a return track and is `mt` for the main track",
        );
    }
}

/// A 2.x path of the kind an index field named.
fn example(field: &str) -> &'static str {
    match field {
        "returnTrackIndex" => "rt0",
        "sceneIndex" => "s2",
        _ => "t3",
    }
}
