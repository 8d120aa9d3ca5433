//! Validate: rendered args against the tool's precompiled schema, so a call
//! that would be rejected is never sent.

use serde_json::Value as Json;

use crate::check::CheckedStep;
use crate::diagnostic::Diagnostic;
use crate::playbook::Action;
use crate::protocol::Generation;

/// The rendered args, checked in full against the tool's schema
/// before anything is sent.
/// Arguments the generation takes without listing them (warned about at
/// check time) are left out of the check, and sent as written.
pub(super) fn validate(
    cs: &CheckedStep<'_, '_>,
    args: &Json,
    generation: Generation,
    var_sources: &crate::args::VarSources,
) -> Result<(), Diagnostic> {
    let (Some(t), Action::Call { tool, args: node }) = (cs.tool, &cs.step.action) else {
        return Ok(());
    };
    if t.is_valid(args) {
        return Ok(());
    }
    let mut listed = args.clone();
    if let Json::Object(m) = &mut listed {
        m.retain(|k, _| t.param(k).is_some() || generation.hidden_param(&t.name, k).is_none());
    }
    if t.is_valid(&listed) {
        return Ok(());
    }
    let issues = t.check_args(&listed, &[]);
    Err(crate::args::rendered_diagnostic(
        &cs.step.file,
        &t.name,
        tool.span,
        node,
        &issues,
        // A var no step sets again still holds what was given outside.
        &|name| var_sources.source(name),
    ))
}
