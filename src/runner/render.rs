//! Render: a step's compiled args and `timeoutMs`, evaluated in the scope of
//! one call.

use minijinja::value::Value as MjValue;
use serde_json::Value as Json;

use super::err_at;
use crate::check::CheckedStep;
use crate::diagnostic::Diagnostic;
use crate::protocol::TimeoutRange;

/// What one call will send.
pub(super) struct Rendered {
    pub args: Json,
    pub timeout_ms: Option<u64>,
}

/// Renders the args and the timeout. On a dry run a template that cannot be
/// rendered yet (it reads a result not there) gives empty args, and a
/// timeout out of range is shown as it is, since nothing is sent.
pub(super) fn render(
    cs: &CheckedStep<'_, '_>,
    ctx: &MjValue,
    dry_run: bool,
    range: TimeoutRange,
) -> Result<Rendered, Diagnostic> {
    let step = cs.step;
    let file = &step.file;
    let args = match cs.args.as_ref().map(|a| a.render(ctx)) {
        Some(Ok(a)) => a,
        Some(Err(e)) if !dry_run => {
            return Err(err_at(
                file,
                "pplay::template",
                &e,
                "an argument cannot be rendered",
            ));
        }
        _ => Json::Object(Default::default()),
    };
    let timeout_ms = match cs.timeout_ms.as_ref().map(|t| t.render(ctx)) {
        None => None,
        Some(Ok(Json::Number(n))) if n.as_u64().is_some_and(|n| range.contains(n)) => n.as_u64(),
        Some(Ok(other)) if dry_run => other.as_u64(),
        Some(Ok(other)) => {
            let span = step.timeout_ms.as_ref().map_or(step.span, |n| n.span);
            return Err(Diagnostic::error(
                "pplay::timeout-range",
                format!(
                    "`timeoutMs` rendered to {other}, not an integer from {} to {}",
                    range.min, range.max
                ),
            )
            .in_file(file)
            .label(span, "here"));
        }
        Some(Err(e)) => {
            return Err(err_at(
                file,
                "pplay::template",
                &e,
                "`timeoutMs` cannot be rendered",
            ));
        }
    };
    Ok(Rendered { args, timeout_ms })
}
