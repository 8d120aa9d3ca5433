//! The runner's side of the journal: naming each call, restoring the calls
//! an earlier run did, and recording the ones this run makes.
//!
//! A call is recorded twice: [`Runner::journal_sent`] before each attempt
//! leaves, and [`Runner::journal_settle`] once the step is judged, with what
//! it captured. Both lines are on disk before the next call is sent.

use minijinja::context;
use minijinja::value::Value as MjValue;
use serde_json::{Map, Value as Json};

use super::call::CallResult;
use super::{Runner, Stop};
use crate::check::CheckedStep;
use crate::diagnostic::Diagnostic;
use crate::event::{Event, Iteration, StepRef, StepStatus};
use crate::journal::{self, CallKey, CallStatus, Lookup, Outcome, Sent};
use crate::playbook::OnError;
use crate::template::{from_json, is_template};
use crate::yaml::Node;

fn call_key(cs: &CheckedStep<'_, '_>, it: Option<Iteration>) -> CallKey {
    CallKey {
        step: cs.path.to_string(),
        iteration: it.map(|i| i.index0),
    }
}

fn step_sha256(cs: &CheckedStep<'_, '_>) -> String {
    let span = cs.step.span;
    let text = cs.step.file.text();
    let end = span.end().min(text.len());
    journal::hash::bytes(&text.as_bytes()[span.offset().min(end)..end])
}

impl Runner<'_> {
    /// Before sending: the earlier run's outcome of this call, when it was
    /// done. `Some` means the call is settled without sending it.
    pub(super) fn journal_restore(
        &mut self,
        cs: &CheckedStep<'_, '_>,
        sr: &StepRef,
        args: &Json,
    ) -> Option<Option<MjValue>> {
        let session = self.journal.as_deref_mut()?;
        let key = call_key(cs, sr.iteration);
        match session.lookup(&key, &step_sha256(cs), &journal::hash::args(args)) {
            Lookup::Send => None,
            Lookup::Restore { outcome, changed } => {
                let outcome = outcome.clone();
                Some(Some(self.restore(cs, sr.clone(), &outcome, changed)))
            }
            Lookup::Refuse(why) => {
                let d = Diagnostic::error(
                    "pplay::resume-changed",
                    format!("cannot resume: {why}"),
                )
                .in_file(&cs.step.file)
                .label(cs.step.anchor(), format!("{key} in the journal"))
                .help("undo the change, or resume with --force to keep the recorded outcome; nothing was sent");
                self.summary.steps += 1;
                self.summary.failed += 1;
                self.finish(
                    sr.clone(),
                    StepStatus::Failed,
                    0.0,
                    Some(d.message.clone()),
                    Some(d),
                );
                self.stop = Some(Stop::Refused);
                Some(None)
            }
        }
    }

    /// Records that the call is about to be sent; returns once it is on
    /// disk. Nothing is sent when it cannot be recorded.
    pub(super) fn journal_sent(
        &mut self,
        cs: &CheckedStep<'_, '_>,
        sr: &StepRef,
        args: &Json,
    ) -> Result<(), Diagnostic> {
        let Some(session) = self.journal.as_deref_mut() else {
            return Ok(());
        };
        session.sent(Sent {
            key: call_key(cs, sr.iteration),
            tool: cs.step.tool().unwrap_or_default().to_owned(),
            step_sha256: step_sha256(cs),
            args_sha256: journal::hash::args(args),
            args: Some(args.clone()),
            name: templated_name(cs).then(|| sr.name.clone()),
        })
    }

    /// How a failed call is recorded: `onError: continue` went past it; a
    /// call that may have reached Live is in flight for a resume.
    pub(super) fn failed_status(&self, cs: &CheckedStep<'_, '_>, unknown: bool) -> CallStatus {
        if cs.on_error == OnError::Continue {
            CallStatus::Ignored
        } else if unknown {
            CallStatus::Unknown
        } else {
            CallStatus::Failed
        }
    }

    /// Records what the call came to, with what it captured.
    pub(super) fn journal_settle(
        &mut self,
        cs: &CheckedStep<'_, '_>,
        sr: &StepRef,
        status: CallStatus,
        http: Option<u16>,
        call: Option<&CallResult>,
    ) -> Result<(), Diagnostic> {
        if self.journal.is_none() {
            return Ok(());
        }
        let captures: Map<String, Json> = if status == CallStatus::Ok {
            cs.capture
                .iter()
                .filter_map(|(name, _)| {
                    let v = serde_json::to_value(self.scope.get(name)?).ok()?;
                    Some(((*name).to_owned(), v))
                })
                .collect()
        } else {
            Map::new()
        };
        let outcome = Outcome {
            key: call_key(cs, sr.iteration),
            status,
            http,
            result: call.map(|c| (*c.result).clone()),
            warnings: call.map(|c| c.warnings.clone()).unwrap_or_default(),
            is_error: call.is_none_or(|c| c.is_error),
            duration_ms: call.map_or(0.0, |c| c.duration_ms),
            captures,
        };
        match self.journal.as_deref_mut() {
            Some(session) => session.outcome(outcome),
            None => Ok(()),
        }
    }

    /// A journal that cannot be written stops the run: what follows could
    /// not be resumed.
    pub(super) fn journal_broken(&mut self, written: Result<(), Diagnostic>) {
        if written.is_err() && !matches!(self.stop, Some(Stop::Unreachable(_))) {
            self.stop = Some(Stop::Failed);
        }
    }

    /// A recorded call: its captures and `steps.<id>` record come back as
    /// the earlier run made them.
    fn restore(
        &mut self,
        cs: &CheckedStep<'_, '_>,
        sr: StepRef,
        o: &Outcome,
        changed: Option<&str>,
    ) -> MjValue {
        for (name, v) in &o.captures {
            self.scope.set(name, from_json(v));
        }
        if let Some(why) = changed {
            let d = Diagnostic::warning(
                "pplay::resume-forced",
                format!("the recorded outcome was kept (--force), although {why}"),
            )
            .in_file(&cs.step.file)
            .label(cs.step.anchor(), "restored from the journal");
            self.summary.warnings += 1;
            self.sink.emit(&Event::Warning {
                step: sr.clone(),
                diagnostic: d,
            });
        }
        let (status, message) = if o.status == CallStatus::Skipped {
            self.summary.skipped += 1;
            (
                StepStatus::Skipped,
                "in flight when the run stopped: --in-flight skip",
            )
        } else {
            (StepStatus::Restored, "restored from the journal")
        };
        self.summary.steps += 1;
        self.summary.restored += 1;
        self.finish(sr, status, o.duration_ms, Some(message.to_owned()), None);
        context! {
            result => o.result.as_ref().map_or(MjValue::from(()), from_json),
            warnings => MjValue::from_serialize(&o.warnings),
            isError => o.is_error,
            durationMs => o.duration_ms,
        }
    }
}

/// Whether the step's `name` is a template, so its rendered name is worth
/// recording beside the call.
fn templated_name(cs: &CheckedStep<'_, '_>) -> bool {
    cs.step
        .name
        .as_deref()
        .and_then(Node::as_str)
        .is_some_and(is_template)
}
