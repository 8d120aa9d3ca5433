//! Verify: after a tool result arrives, the step fails if the tool reported
//! an error, a capture is undefined, or an expectation is false.

use minijinja::context;
use minijinja::value::Value as MjValue;
use serde_json::Value as Json;

use super::call::CallResult;
use super::{Runner, err_at};
use crate::check::CheckedStep;
use crate::diagnostic::Diagnostic;
use crate::template::{Compiled, to_json};

impl Runner<'_> {
    /// Checks the tool's own verdict, then sets the captures in order, then
    /// evaluates the expectations, with `result` and `warnings` in scope.
    pub(super) fn verify(
        &mut self,
        cs: &CheckedStep<'_, '_>,
        call: &CallResult,
        ctx: MjValue,
    ) -> Result<(), Diagnostic> {
        let step = cs.step;
        let file = &step.file;
        let anchor = step.anchor();
        let tool = step.tool().unwrap_or_default();
        if call.is_error {
            let text = call
                .result
                .as_str()
                .map_or_else(|| call.result.to_string(), str::to_owned);
            return Err(
                Diagnostic::error("pplay::tool-error", format!("{tool} failed: {text}"))
                    .in_file(file)
                    .label(anchor, "the tool reported an error"),
            );
        }
        if cs.capture.is_empty() && cs.expect.is_empty() {
            return Ok(());
        }
        let after = context! {
            result => call.result_value(),
            warnings => call.warnings_value(),
            ..ctx
        };
        for (name, c) in &cs.capture {
            match c.eval(&after) {
                Ok(v) if !v.is_undefined() => {
                    self.captured.insert((*name).to_owned(), v.clone());
                    self.scope.set(name, v)
                }
                Ok(_) => {
                    let span = step
                        .capture
                        .iter()
                        .find(|(k, _)| k.name == *name)
                        .map_or(anchor, |(_, v)| v.span);
                    return Err(Diagnostic::error(
                        "pplay::capture",
                        format!("capture `{name}` is undefined in this result"),
                    )
                    .in_file(file)
                    .label(span, "this expression")
                    .help(format!("the result was: {}", short(&call.result))));
                }
                Err(e) => {
                    return Err(err_at(
                        file,
                        "pplay::capture",
                        &e,
                        &format!("capture `{name}` failed"),
                    )
                    .help(format!("the result was: {}", short(&call.result))));
                }
            }
        }
        // A plan's reads see the set before the changes it lists: what a
        // run would expect after them is not judged.
        if self.opts.plan {
            return Ok(());
        }
        expectations(cs, &after)
    }
}

/// Evaluates every expectation; the step fails with all of those that are
/// false or cannot be evaluated, each labelled at its line, the first
/// leading.
fn expectations(cs: &CheckedStep<'_, '_>, after: &MjValue) -> Result<(), Diagnostic> {
    let step = cs.step;
    let mut failed: Vec<(&str, crate::yaml::Span, String)> = Vec::new();
    for (c, node) in cs.expect.iter().zip(&step.expect) {
        let src = c.source().unwrap_or_default();
        match c.eval(after) {
            Ok(v) if v.is_true() => {}
            Ok(_) => {
                let values = explain(c, after);
                let label = if values.is_empty() {
                    "this is false".to_owned()
                } else {
                    values.join(", ")
                };
                failed.push((src, node.span, label));
            }
            Err(e) => failed.push((src, e.span, format!("cannot be evaluated: {}", e.message))),
        }
    }
    let Some((first, _, _)) = failed.first() else {
        return Ok(());
    };
    let message = match failed.len() {
        1 => format!("expectation failed: {first}"),
        n => format!(
            "{n} expectations failed: {}",
            failed
                .iter()
                .map(|(s, _, _)| *s)
                .collect::<Vec<_>>()
                .join("; ")
        ),
    };
    let mut d = Diagnostic::error("pplay::expect", message).in_file(&step.file);
    for (_, span, label) in failed {
        d = d.label(span, label);
    }
    Err(d)
}

fn short(v: &Json) -> String {
    let s = v.to_string();
    if s.chars().count() > 200 {
        format!("{}…", s.chars().take(200).collect::<String>())
    } else {
        s
    }
}

/// `result.trackCount was 2`: the values of the names an expectation read.
fn explain(c: &Compiled<'_, '_>, ctx: &MjValue) -> Vec<String> {
    let mut names = Vec::new();
    c.names(&mut names);
    let env = crate::template::environment();
    let mut out = Vec::new();
    for (name, span) in names {
        if crate::template::FUNCTIONS.contains(&name) {
            continue;
        }
        let shown = match env.compile_expression(name).and_then(|e| e.eval(ctx)) {
            Ok(v) => match to_json(&v, span) {
                Ok(j) => short(&j),
                Err(_) => "undefined".to_owned(),
            },
            Err(_) => "undefined".to_owned(),
        };
        out.push(format!("{name} was {shown}"));
    }
    out
}
