//! What a run reports, as it happens.
//!
//! The runner never prints: it emits these events to a [`Sink`], and the
//! reporters (terminal, JSON lines, JUnit) turn them into output. Tests
//! collect them in a `Vec<Event>`. This module is the vocabulary only; how
//! an event looks as JSON is [`crate::report::json`]'s business.

use serde_json::Value as Json;

use std::sync::Arc;

use crate::diagnostic::{Diagnostic, Location};
use crate::playbook::{Action, Step};

/// Anything that consumes events.
pub trait Sink {
    fn emit(&mut self, event: &Event);
}

impl Sink for Vec<Event> {
    fn emit(&mut self, event: &Event) {
        self.push(event.clone());
    }
}

/// Sends every event to each of several sinks, in order.
pub struct Fanout<'a>(pub Vec<&'a mut dyn Sink>);

impl Sink for Fanout<'_> {
    fn emit(&mut self, event: &Event) {
        for s in &mut self.0 {
            s.emit(event);
        }
    }
}

/// Which step an event is about.
#[derive(Debug, Clone, PartialEq)]
pub struct StepRef {
    /// Position in run order, counting steps of included files, from 0.
    pub index: usize,
    /// The rendered name, or the tool.
    pub name: String,
    pub tool: Option<Arc<str>>,
    pub id: Option<Arc<str>>,
    pub location: Location,
    /// The iteration, in a loop.
    pub iteration: Option<Iteration>,
}

impl StepRef {
    /// The reference for step `index` under `name` (its rendered name, or
    /// its label before anything is rendered). Made when an event needs
    /// it, not kept per step: a long batch job would hold one per step.
    pub fn for_step(step: &Step, index: usize, name: String, iteration: Option<Iteration>) -> Self {
        let anchor = match &step.action {
            Action::Call { tool, .. } => step.name.as_ref().map_or(tool.span, |n| n.span),
            Action::Include { path, .. } => path.span,
        };
        let (line, column) = step.file.line_col(anchor.offset());
        StepRef {
            index,
            name,
            tool: step.tool().map(Arc::from),
            id: step.id.as_ref().map(|i| Arc::from(i.value.as_str())),
            location: Location {
                file: step.file.shared_name(),
                line,
                column,
            },
            iteration,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Iteration {
    pub index0: usize,
    pub length: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepStatus {
    /// Sent, and it may have changed the set (a tool that is not read-only),
    /// or, in a plan, would be.
    Changed,
    /// Done with nothing changed: a read-only call, or an `ensure:` that
    /// found the set as the step wants it (then nothing was sent).
    Ok,
    Failed,
    Skipped,
    /// Failed with `onError: continue`.
    Ignored,
    /// `--dry-run`: rendered, not sent.
    Planned,
    /// `--resume`: done by an earlier run; its outcome comes from the journal.
    Restored,
    /// Never reached: the run stopped before it.
    NotRun,
}

/// Counts for the closing summary line.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Summary {
    /// Steps (iterations) that changed the set, or in a plan would.
    pub changed: usize,
    /// Steps that finished without changing it.
    pub ok: usize,
    pub steps: usize,
    pub calls: usize,
    pub warnings: usize,
    pub failed: usize,
    pub skipped: usize,
    pub ignored: usize,
    /// Calls taken from the journal instead of being sent (`--resume`).
    pub restored: usize,
    /// Steps (iterations) a run that stopped early never reached.
    pub not_run: usize,
    pub duration_ms: f64,
}

/// What a resumed run starts from.
#[derive(Debug, Clone, PartialEq)]
pub struct ResumeInfo {
    /// The journal's path.
    pub journal: String,
    /// Calls the journal records as done: restored, not sent again.
    pub recorded: usize,
    pub in_flight: Vec<InFlightNote>,
    /// Files of the run whose text changed since the journal was written.
    pub changed_files: Vec<String>,
}

/// What happens to a call that was in flight when the earlier run stopped.
#[derive(Debug, Clone, PartialEq)]
pub struct InFlightNote {
    /// The call, as people read it.
    pub call: String,
    pub choice: &'static str,
}

/// One target of a write, as the result's entry for it reports it
/// (Producer Pal 2.4 keeps one entry per target, in request order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetOutcome {
    /// The entry's `path`, else its `id`.
    pub target: String,
    /// False when the entry says `ok: false`: the target was skipped.
    pub ok: bool,
    /// The entry's `detail`, `reason` or `note`.
    pub explanation: Option<String>,
}

/// What a step does to the Live Set, as a plan shows it.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// `+ create track Kick`: the object is not there.
    Create { kind: &'static str, name: String },
    /// `~ tempo 124 -> 128`: these fields differ (a `current` of none: the
    /// read does not show it).
    Update(Vec<crate::converge::Difference>),
    /// `+ ppal-delete {...}`: a call without `ensure:` that changes the set.
    Send { tool: String, args: Json },
    /// `= ok`: nothing to do (the object exists, nothing differs, or the
    /// tool only reads).
    Same { why: &'static str },
    /// `? ...`: what the plan cannot tell before the run (arguments that
    /// read a result only the run has).
    Unknown { why: String },
}

#[derive(Debug, Clone)]
pub enum Event {
    RunStarted {
        name: String,
        file: String,
        url: String,
        /// Steps in run order (includes expanded; loops count once).
        steps: usize,
        /// Calls known in advance (loops of known length), for progress.
        planned_calls: Option<usize>,
        dry_run: bool,
        /// `pplay plan`: only read-only calls are sent.
        plan: bool,
    },
    /// `--resume`: right after `RunStarted`.
    Resumed(ResumeInfo),
    StepStarted {
        step: StepRef,
    },
    CallSent {
        step: StepRef,
        tool: Arc<str>,
        url: Arc<str>,
        args: Arc<Json>,
        timeout_ms: Option<u64>,
        attempt: u32,
    },
    CallFinished {
        step: StepRef,
        tool: Arc<str>,
        /// HTTP status; none when no answer came.
        status: Option<u16>,
        duration_ms: f64,
        result: Option<Arc<Json>>,
        warnings: Vec<String>,
        is_error: bool,
        error: Option<String>,
        /// 2.x's extra text blocks beside the result.
        appended: Vec<String>,
    },
    /// `--dry-run`: the call that would be sent.
    CallPlanned {
        step: StepRef,
        tool: String,
        args: Json,
        timeout_ms: Option<u64>,
        /// What the dry run could not decide about this call (a `when`
        /// that reads a result, a loop over a list known only at run time,
        /// a name only a skipped step sets), in words.
        notes: Vec<String>,
    },
    /// `ensure:` and `pplay plan`: what the step does to the set, or would.
    Change {
        step: StepRef,
        change: Change,
    },
    Retry {
        step: StepRef,
        attempt: u32,
        retries: u32,
        delay_ms: u64,
        reason: String,
    },
    Warning {
        step: StepRef,
        diagnostic: Diagnostic,
    },
    /// After `CallFinished`, when a write's result skipped a target or
    /// explained one: every target's outcome, in request order.
    Targets {
        step: StepRef,
        targets: Vec<TargetOutcome>,
    },
    StepFinished {
        step: StepRef,
        status: StepStatus,
        duration_ms: f64,
        /// Why a step failed or was skipped, in one line.
        message: Option<String>,
        /// The failure, located in the file.
        diagnostic: Option<Diagnostic>,
    },
    RunFinished {
        summary: Summary,
        exit_code: i32,
        interrupted: bool,
        /// Why the run stopped early, when it did (unreachable server).
        error: Option<String>,
    },
}
