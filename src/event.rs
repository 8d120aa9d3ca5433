//! What a run reports, as it happens.
//!
//! The runner never prints: it emits these events to a [`Sink`], and the
//! reporters (terminal, JSON lines, JUnit) turn them into output. Tests
//! collect them in a `Vec<Event>`.

use serde::Serialize;
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
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct StepRef {
    /// Position in run order, counting steps of included files, from 0.
    pub index: usize,
    /// The rendered name, or the tool.
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool: Option<Arc<str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<Arc<str>>,
    pub location: Location,
    /// The iteration, in a loop.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iteration: Option<Iteration>,
}

impl StepRef {
    /// The reference for a step before anything is rendered; computed once
    /// per step, then cloned per iteration.
    pub fn for_step(step: &Step, index: usize) -> Self {
        let anchor = match &step.action {
            Action::Call { tool, .. } => step.name.as_ref().map_or(tool.span, |n| n.span),
            Action::Include { path, .. } => path.span,
        };
        let (line, column) = step.file.line_col(anchor.offset);
        StepRef {
            index,
            name: step.label(),
            tool: step.tool().map(Arc::from),
            id: step.id.as_ref().map(|i| Arc::from(i.value.as_str())),
            location: Location {
                file: Arc::from(step.file.name()),
                line,
                column,
            },
            iteration: None,
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
pub struct Iteration {
    pub index0: usize,
    pub length: usize,
}

#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum StepStatus {
    Ok,
    Failed,
    Skipped,
    /// Failed with `onError: continue`.
    Ignored,
    /// `--dry-run`: rendered, not sent.
    Planned,
}

/// Counts for the closing summary line.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq)]
pub struct Summary {
    pub steps: usize,
    pub calls: usize,
    pub warnings: usize,
    pub failed: usize,
    pub skipped: usize,
    pub ignored: usize,
    #[serde(rename = "durationMs")]
    pub duration_ms: f64,
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
        /// Every call step in run order, so reporters can list the ones
        /// that never ran.
        outline: Vec<StepRef>,
    },
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
    },
    /// `--dry-run`: the call that would be sent.
    CallPlanned {
        step: StepRef,
        tool: String,
        args: Json,
        timeout_ms: Option<u64>,
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

impl Event {
    /// The event as one JSON object, for `--json`.
    pub fn to_json(&self) -> Json {
        serde_json::to_value(self.view()).expect("events serialise")
    }

    /// Writes the event as one line of JSON, without building a tree first.
    pub fn write_json(&self, out: &mut impl std::io::Write) -> std::io::Result<()> {
        serde_json::to_writer(&mut *out, &self.view())?;
        out.write_all(b"\n")
    }

    fn view(&self) -> View<'_> {
        match self {
            Event::RunStarted {
                name,
                file,
                url,
                steps,
                planned_calls,
                dry_run,
                ..
            } => View::RunStarted {
                name,
                file,
                url,
                steps: *steps,
                planned_calls: *planned_calls,
                dry_run: *dry_run,
            },
            Event::StepStarted { step } => View::StepStarted { step },
            Event::CallSent {
                step,
                tool,
                url,
                args,
                timeout_ms,
                attempt,
            } => View::CallSent {
                step,
                tool,
                url,
                args,
                timeout_ms: *timeout_ms,
                attempt: *attempt,
            },
            Event::CallFinished {
                step,
                tool,
                status,
                duration_ms,
                result,
                warnings,
                is_error,
                error,
            } => View::CallFinished {
                step,
                tool,
                status: *status,
                duration_ms: *duration_ms,
                result: result.as_deref(),
                warnings,
                is_error: *is_error,
                error: error.as_deref(),
            },
            Event::CallPlanned {
                step,
                tool,
                args,
                timeout_ms,
            } => View::CallPlanned {
                step,
                tool,
                args,
                timeout_ms: *timeout_ms,
            },
            Event::Retry {
                step,
                attempt,
                retries,
                delay_ms,
                reason,
            } => View::Retry {
                step,
                attempt: *attempt,
                retries: *retries,
                delay_ms: *delay_ms,
                reason,
            },
            Event::Warning { step, diagnostic } => View::Warning {
                step,
                diagnostic: DiagnosticView::of(diagnostic),
            },
            Event::StepFinished {
                step,
                status,
                duration_ms,
                message,
                diagnostic,
            } => View::StepFinished {
                step,
                status: *status,
                duration_ms: *duration_ms,
                message: message.as_deref(),
                diagnostic: diagnostic.as_ref().map(DiagnosticView::of),
            },
            Event::RunFinished {
                summary,
                exit_code,
                interrupted,
                error,
            } => View::RunFinished {
                summary,
                exit_code: *exit_code,
                interrupted: *interrupted,
                error: error.as_deref(),
            },
        }
    }
}

/// The JSON Lines shape of an event (documented in the README).
#[derive(Serialize)]
#[serde(
    tag = "event",
    rename_all = "snake_case",
    rename_all_fields = "camelCase"
)]
enum View<'a> {
    RunStarted {
        name: &'a str,
        file: &'a str,
        url: &'a str,
        steps: usize,
        planned_calls: Option<usize>,
        dry_run: bool,
    },
    StepStarted {
        step: &'a StepRef,
    },
    CallSent {
        step: &'a StepRef,
        tool: &'a str,
        url: &'a str,
        args: &'a Json,
        timeout_ms: Option<u64>,
        attempt: u32,
    },
    CallFinished {
        step: &'a StepRef,
        tool: &'a str,
        status: Option<u16>,
        duration_ms: f64,
        result: Option<&'a Json>,
        warnings: &'a [String],
        is_error: bool,
        error: Option<&'a str>,
    },
    CallPlanned {
        step: &'a StepRef,
        tool: &'a str,
        args: &'a Json,
        timeout_ms: Option<u64>,
    },
    Retry {
        step: &'a StepRef,
        attempt: u32,
        retries: u32,
        delay_ms: u64,
        reason: &'a str,
    },
    Warning {
        step: &'a StepRef,
        diagnostic: DiagnosticView<'a>,
    },
    StepFinished {
        step: &'a StepRef,
        status: StepStatus,
        duration_ms: f64,
        message: Option<&'a str>,
        diagnostic: Option<DiagnosticView<'a>>,
    },
    RunFinished {
        summary: &'a Summary,
        exit_code: i32,
        interrupted: bool,
        error: Option<&'a str>,
    },
}

#[derive(Serialize)]
struct DiagnosticView<'a> {
    severity: &'static str,
    code: &'static str,
    message: &'a str,
    help: Option<&'a str>,
    location: Option<Location>,
}

impl<'a> DiagnosticView<'a> {
    fn of(d: &'a Diagnostic) -> Self {
        DiagnosticView {
            severity: if d.is_error() { "error" } else { "warning" },
            code: d.code,
            message: &d.message,
            help: d.help.as_deref(),
            location: d.location(),
        }
    }
}
