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

/// Renders the args and the timeout. On a dry run an argument that cannot
/// be rendered yet (it reads a result not there) is shown as its source,
/// and a timeout out of range is shown as it is, since nothing is sent.
pub(super) fn render(
    cs: &CheckedStep<'_, '_>,
    ctx: &MjValue,
    dry_run: bool,
    range: TimeoutRange,
) -> Result<Rendered, Diagnostic> {
    let step = cs.step;
    let file = &step.file;
    let args = match &cs.args {
        None => Json::Object(Default::default()),
        Some(a) if dry_run => a.render_planned(ctx),
        Some(a) => a.render(ctx).map_err(|e| {
            err_at(
                file,
                "pplay::template",
                &e,
                "an argument cannot be rendered",
            )
        })?,
    };
    let timeout_ms = match cs.timeout_ms.as_ref().map(|t| t.render(ctx)) {
        None => None,
        Some(Ok(v)) if dry_run => v.as_u64(),
        Some(Ok(v)) => {
            let span = step.timeout_ms.as_ref().map_or(step.span, |n| n.span);
            Some(crate::check::rendered_timeout(file, span, &v, range)?)
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
