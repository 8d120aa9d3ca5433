//! Validate: rendered args against the tool's precompiled schema, so a call
//! that would be rejected is never sent.

use serde_json::Value as Json;

use crate::check::CheckedStep;
use crate::diagnostic::Diagnostic;
use crate::playbook::Action;
use crate::protocol::Generation;

/// The rendered args, checked in full against the tool's schema (and a
/// clip tool's `notes` read as the server will) before anything is sent.
/// Arguments the generation takes without listing them (warned about at
/// check time) are left out of the check, and sent as written.
pub(super) fn validate(
    cs: &CheckedStep<'_, '_>,
    args: &Json,
    (generation, notation): (Generation, crate::protocol::Notation),
    var_sources: &crate::args::VarSources,
) -> Result<(), Diagnostic> {
    let (Some(t), Action::Call { tool, args: node }) = (cs.tool, &cs.step.action) else {
        return Ok(());
    };
    crate::notes_arg::check_sent(&cs.step.file, &t.name, node, args, generation, notation)?;
    if generation == Generation::V2 {
        object_paths(cs, &t.name, node, args)?;
    }
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

/// A rendered 2.x `path` or `toPath` that the server's path grammar would
/// refuse, shown at the argument that rendered it.
fn object_paths(
    cs: &CheckedStep<'_, '_>,
    tool: &str,
    node: &crate::yaml::Node,
    args: &Json,
) -> Result<(), Diagnostic> {
    let Json::Object(m) = args else { return Ok(()) };
    for (key, value) in m {
        let Some(text) = value.as_str() else { continue };
        let Some((target, e)) = crate::path::first_bad_target(tool, key, text) else {
            continue;
        };
        let seg = [crate::arg_path::PathSeg::Key(key.clone())];
        let at = crate::args::locate(node, &seg, false).unwrap_or(cs.step.span);
        return Err(crate::args::path_diagnostic(
            &cs.step.file,
            key,
            target,
            &e,
            at,
        ));
    }
    Ok(())
}
