//! Every string of one playbook file that templates or expressions live in,
//! with what it is and which step it belongs to.

use std::ops::Range;

use crate::playbook::{Action, Playbook, Step};
use crate::yaml::{Key, Node, Value};

use super::expr::{self, Piece};
use super::fields::StepCtx;

/// What a string is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Role<'a> {
    /// A template: `{{ }}` and `{% %}` inside text (args, names, vars, ...).
    Template,
    /// A bare expression; `in_result`: `result` is the step's result here
    /// (`expect`).
    Expression { in_result: bool },
    /// A `capture` value (an expression over `result`), with its name.
    Capture(&'a Key),
}

/// The step context of a step: its tool and what its loop runs over.
pub fn step_ctx(step: &Step) -> StepCtx {
    let loop_source = step.loop_.as_ref().and_then(|l| {
        let s = l.as_str()?;
        let c = expr::sole_chain(s, expr::expression_range(s))?;
        match c.segs.as_slice() {
            [expr::Seg::Attr { name, .. }] if c.root == "steps" => Some(name.clone()),
            _ => None,
        }
    });
    StepCtx {
        tool: step.tool().map(str::to_owned),
        loop_source,
    }
}

/// Calls `f` on every string of `pb`'s own file (not its includes) that may
/// hold a template or an expression.
pub fn strings<'p>(pb: &'p Playbook, f: &mut dyn FnMut(&'p Node, Role<'p>, &StepCtx)) {
    let top = StepCtx::default();
    if let Some(u) = &pb.url {
        tree(u, &top, f);
    }
    for (_, v) in &pb.vars {
        tree(v, &top, f);
    }
    if let Some(t) = &pb.defaults.timeout_ms {
        tree(t, &top, f);
    }
    for step in &pb.steps {
        let ctx = step_ctx(step);
        for n in [step.name.as_deref(), step.timeout_ms.as_deref()]
            .into_iter()
            .flatten()
        {
            tree(n, &ctx, f);
        }
        match &step.action {
            Action::Call { args, .. } => tree(args, &ctx, f),
            Action::Include { vars, .. } => vars.iter().for_each(|(_, v)| tree(v, &ctx, f)),
        }
        if let Some(crate::playbook::EnsureKind::Identity(fields)) =
            step.ensure.as_deref().map(|e| &e.kind)
        {
            fields.iter().for_each(|(_, v)| tree(v, &ctx, f));
        }
        let loose = Role::Expression { in_result: false };
        for n in [step.when.as_deref(), step.loop_.as_deref()]
            .into_iter()
            .flatten()
        {
            if n.as_str().is_some() {
                f(n, loose, &ctx);
            }
        }
        for n in &step.expect {
            if n.as_str().is_some() {
                f(n, Role::Expression { in_result: true }, &ctx);
            }
        }
        for (k, v) in &step.capture {
            if v.as_str().is_some() {
                f(v, Role::Capture(k), &ctx);
            }
        }
    }
}

fn tree<'p>(n: &'p Node, ctx: &StepCtx, f: &mut dyn FnMut(&'p Node, Role<'p>, &StepCtx)) {
    match &n.value {
        Value::Str(s) if crate::template::is_template(s) => f(n, Role::Template, ctx),
        Value::Seq(items) => items.iter().for_each(|i| tree(i, ctx, f)),
        Value::Map(entries) => entries.iter().for_each(|(_, v)| tree(v, ctx, f)),
        _ => {}
    }
}

/// The ranges of `s` that are code: the inside of each tag of a template, or
/// the whole expression.
pub fn code_ranges(s: &str, role: Role) -> Vec<Range<usize>> {
    match role {
        Role::Template => expr::pieces(s)
            .into_iter()
            .filter_map(|p| match p {
                Piece::Expr { inner, .. } | Piece::Stmt { inner, .. } => Some(inner),
                _ => None,
            })
            .collect(),
        _ => vec![expr::expression_range(s)],
    }
}

/// Whether `result` in a string of this role is the step's own result.
pub fn in_result(role: Role) -> bool {
    matches!(
        role,
        Role::Capture(_) | Role::Expression { in_result: true }
    )
}

/// Every playbook of the run, each file once, in the order first met.
pub fn files(roots: &[Playbook]) -> Vec<&Playbook> {
    let mut out: Vec<&Playbook> = Vec::new();
    let mut seen = foldhash::HashSet::default();
    fn visit<'p>(
        pb: &'p Playbook,
        out: &mut Vec<&'p Playbook>,
        seen: &mut foldhash::HashSet<std::path::PathBuf>,
    ) {
        let key = pb
            .file
            .path()
            .canonicalize()
            .unwrap_or_else(|_| pb.file.path().to_path_buf());
        if !seen.insert(key) {
            return;
        }
        out.push(pb);
        for s in &pb.steps {
            if let Action::Include { playbook, .. } = &s.action {
                visit(playbook, out, seen);
            }
        }
    }
    for pb in roots {
        visit(pb, &mut out, &mut seen);
    }
    out
}
