//! Validate: rendered args against the tool's precompiled schema, so a call
//! that would be rejected is never sent.

use serde_json::Value as Json;

use crate::check::CheckedStep;
use crate::diagnostic::Diagnostic;
use crate::playbook::Action;

/// The rendered args, checked in full against the tool's schema
/// before anything is sent.
pub(super) fn validate(cs: &CheckedStep<'_, '_>, args: &Json) -> Result<(), Diagnostic> {
    let (Some(t), Action::Call { tool, args: node }) = (cs.tool, &cs.step.action) else {
        return Ok(());
    };
    if t.is_valid(args) {
        return Ok(());
    }
    let issues = t.check_args(args, &[]);
    Err(crate::args::rendered_diagnostic(
        &cs.step.file,
        &t.name,
        tool.span,
        node,
        &issues,
    ))
}
