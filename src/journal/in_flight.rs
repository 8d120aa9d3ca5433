//! The call that was in flight when a run stopped.
//!
//! Its `sent` line is on disk, its outcome is not: the request may or may not
//! have reached Live. pplay does not guess. A read-only tool (per the
//! catalog's `annotations.readOnlyHint`) is simply sent again; for any other
//! the user says `--in-flight resend` or `--in-flight skip`, after looking in
//! Live. A skipped call has no result, so a later template that reads its
//! captures or `steps.<id>` is refused before anything is sent.

use serde_json::Value as Json;

use super::format::{CallKey, InFlight, Sent};
use super::read::Journal;
use crate::check::{Checked, CheckedStep};
use crate::diagnostic::Diagnostic;
use crate::template::Compiled;

/// What happens to one call the journal left in flight.
#[derive(Debug, Clone)]
pub struct Decision {
    pub key: CallKey,
    pub choice: InFlight,
    /// Resent without asking: the tool only reads.
    pub read_only: bool,
    /// The call, as people read it.
    pub call: String,
}

/// What happens to each call the journal left in flight.
pub fn decide(
    journal: &Journal,
    checked: &Checked<'_, '_>,
    choice: Option<InFlight>,
) -> Result<Vec<Decision>, Vec<Diagnostic>> {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for record in journal.in_flight() {
        let key = &record.sent.key;
        let decided = |choice, read_only, call| Decision {
            key: key.clone(),
            choice,
            read_only,
            call,
        };
        let Some(cs) = find(&checked.steps, &key.step) else {
            if choice == Some(InFlight::Skip) {
                out.push(decided(InFlight::Skip, false, key.to_string()));
            } else {
                problems.push(gone(journal, record.span, key));
            }
            continue;
        };
        let call = describe(cs, &record.sent);
        if cs.tool.is_some_and(|t| t.read_only) {
            out.push(decided(InFlight::Resend, true, call));
            continue;
        }
        match choice {
            None => problems.push(ask(cs, &record.sent)),
            Some(InFlight::Skip) => {
                problems.extend(readers(checked, cs, &record.sent));
                out.push(decided(InFlight::Skip, false, call));
            }
            Some(InFlight::Resend) => out.push(decided(InFlight::Resend, false, call)),
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

/// The step at a journal path (`"2/1"`), looking through includes.
pub fn find<'c, 'e, 's>(
    steps: &'c [CheckedStep<'e, 's>],
    path: &str,
) -> Option<&'c CheckedStep<'e, 's>> {
    steps.iter().find_map(|cs| {
        if &*cs.path == path {
            Some(cs)
        } else {
            find(cs.include_steps(), path)
        }
    })
}

/// `the call to `ppal-create-clip` of step 'Clip 4' (iteration 4)`: the
/// step under the name the earlier run rendered for this call, when it
/// recorded one (a templated `name`), else under its written name.
fn describe(cs: &CheckedStep<'_, '_>, sent: &Sent) -> String {
    let tool = cs.step.tool().unwrap_or("?");
    let it = sent
        .key
        .iteration
        .map(|i| format!(" (iteration {})", i + 1))
        .unwrap_or_default();
    let name = sent.name.clone().unwrap_or_else(|| cs.step.label());
    format!("the call to `{tool}` of step '{name}'{it}")
}

fn ask(cs: &CheckedStep<'_, '_>, sent: &Sent) -> Diagnostic {
    let shown = sent
        .args
        .as_ref()
        .map_or_else(|| "(not recorded)".to_owned(), Json::to_string);
    Diagnostic::error(
        "pplay::in-flight",
        format!(
            "{} was in flight when the run stopped: it may or may not have reached Live",
            describe(cs, sent)
        ),
    )
    .in_file(&cs.step.file)
    .label(cs.step.anchor(), format!("sent with {shown}"))
    .help(
        "look in Live: if this call took effect, resume with --in-flight skip; \
         if it did not, with --in-flight resend",
    )
}

fn gone(journal: &Journal, span: crate::yaml::Span, key: &CallKey) -> Diagnostic {
    Diagnostic::error(
        "pplay::in-flight",
        format!(
            "the call in flight when the run stopped ({key}) is no longer in the playbook, \
             so it cannot be sent again"
        ),
    )
    .in_file(&journal.file)
    .label(span, "this call")
    .help("resume with --in-flight skip, or restore the step")
}

/// Every template that reads the skipped call's captures or its step's
/// `steps.<id>` record: in the steps after it and, when the call is one
/// iteration of a loop, in the step's own later iterations.
fn readers(
    checked: &Checked<'_, '_>,
    skipped: &CheckedStep<'_, '_>,
    sent: &Sent,
) -> Vec<Diagnostic> {
    let key = &sent.key;
    let captured: Vec<&str> = skipped.capture.iter().map(|(n, _)| *n).collect();
    let record = skipped
        .step
        .id
        .as_ref()
        .map(|id| format!("steps.{}", id.value));
    let reads = |name: &str| {
        let root = name.split(['.', '[']).next().unwrap_or(name);
        captured.contains(&root)
            || record.as_deref().is_some_and(|r| {
                name == r
                    || name.starts_with(&format!("{r}."))
                    || name.starts_with(&format!("{r}["))
            })
    };
    let mut later = Vec::new();
    after(&checked.steps, skipped.index, &mut later);
    // Of the step itself, what its later iterations evaluate again.
    let own = key
        .iteration
        .is_some()
        .then(|| (skipped, per_iteration(skipped).collect::<Vec<_>>()));
    let later = later
        .into_iter()
        .map(|cs| (cs, per_iteration(cs).chain(once_per_step(cs)).collect()));
    let mut out = Vec::new();
    for (cs, compiled) in own.into_iter().chain(later) {
        let mut names = Vec::new();
        for c in compiled {
            c.names(&mut names);
        }
        let label = if std::ptr::eq(cs, skipped) {
            "a later iteration of this step reads the skipped call's result"
        } else {
            "reads the skipped call's result"
        };
        for (name, span) in names.into_iter().filter(|(n, _)| reads(n)) {
            out.push(
                Diagnostic::error(
                    "pplay::in-flight-skipped",
                    format!(
                        "`{name}` comes from {}, which was in flight when the run stopped and \
                         is skipped (--in-flight skip): its result is unknown",
                        describe(skipped, sent)
                    ),
                )
                .in_file(&cs.step.file)
                .label(span, label)
                .help("resume with --in-flight resend, or stop reading this value"),
            );
        }
    }
    out
}

/// The steps after run-order position `index`, includes expanded.
fn after<'c, 'e, 's>(
    steps: &'c [CheckedStep<'e, 's>],
    index: usize,
    out: &mut Vec<&'c CheckedStep<'e, 's>>,
) {
    for cs in steps {
        if cs.index > index {
            out.push(cs);
        }
        after(cs.include_steps(), index, out);
    }
}

/// The compiled templates of a step that are evaluated for each call.
fn per_iteration<'c, 'e, 's>(
    cs: &'c CheckedStep<'e, 's>,
) -> impl Iterator<Item = &'c Compiled<'e, 's>> {
    let when = cs.when.as_ref().filter(|_| cs.when_each);
    [&cs.name, &cs.args, &cs.timeout_ms]
        .into_iter()
        .flatten()
        .chain(when)
        .chain(cs.capture.iter().map(|(_, c)| c))
        .chain(cs.expect.iter())
}

/// The compiled templates of a step that are evaluated once, before its
/// calls (or its included steps).
fn once_per_step<'c, 'e, 's>(
    cs: &'c CheckedStep<'e, 's>,
) -> impl Iterator<Item = &'c Compiled<'e, 's>> {
    let when = cs.when.as_ref().filter(|_| !cs.when_each);
    cs.loop_.iter().chain(when).chain(
        cs.include
            .iter()
            .flat_map(|i| i.vars.iter().map(|(_, c)| c)),
    )
}
