//! What a run reports, as it happens.
//!
//! The runner never prints: it emits these events to a [`Sink`], and the
//! reporters (terminal, JSON lines, JUnit) turn them into output. Tests
//! collect them in a `Vec<Event>`.

use serde::Serialize;
use serde_json::Value as Json;

use crate::diagnostic::{Diagnostic, Location};

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
    pub tool: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub location: Location,
    /// The iteration, in a loop.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iteration: Option<Iteration>,
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
    /// Never reached: the run stopped before it.
    NotRun,
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
        tool: String,
        url: String,
        args: Json,
        timeout_ms: Option<u64>,
        attempt: u32,
    },
    CallFinished {
        step: StepRef,
        tool: String,
        /// HTTP status; none when no answer came.
        status: Option<u16>,
        duration_ms: f64,
        result: Option<Json>,
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
        use serde_json::json;
        let diag = |d: &Diagnostic| {
            json!({
                "severity": if d.is_error() { "error" } else { "warning" },
                "code": d.code,
                "message": d.message,
                "help": d.help,
                "location": d.location(),
            })
        };
        match self {
            Event::RunStarted { name, file, url, steps, planned_calls, dry_run, .. } => json!({
                "event": "run_started", "name": name, "file": file, "url": url,
                "steps": steps, "plannedCalls": planned_calls, "dryRun": dry_run,
            }),
            Event::StepStarted { step } => json!({"event": "step_started", "step": step}),
            Event::CallSent { step, tool, url, args, timeout_ms, attempt } => json!({
                "event": "call_sent", "step": step, "tool": tool, "url": url,
                "args": args, "timeoutMs": timeout_ms, "attempt": attempt,
            }),
            Event::CallFinished { step, tool, status, duration_ms, result, warnings, is_error, error } => json!({
                "event": "call_finished", "step": step, "tool": tool, "status": status,
                "durationMs": duration_ms, "result": result, "warnings": warnings,
                "isError": is_error, "error": error,
            }),
            Event::CallPlanned { step, tool, args, timeout_ms } => json!({
                "event": "call_planned", "step": step, "tool": tool, "args": args, "timeoutMs": timeout_ms,
            }),
            Event::Retry { step, attempt, retries, delay_ms, reason } => json!({
                "event": "retry", "step": step, "attempt": attempt, "retries": retries,
                "delayMs": delay_ms, "reason": reason,
            }),
            Event::Warning { step, diagnostic } => json!({
                "event": "warning", "step": step, "diagnostic": diag(diagnostic),
            }),
            Event::StepFinished { step, status, duration_ms, message, diagnostic } => json!({
                "event": "step_finished", "step": step, "status": status, "durationMs": duration_ms,
                "message": message, "diagnostic": diagnostic.as_ref().map(diag),
            }),
            Event::RunFinished { summary, exit_code, interrupted, error } => json!({
                "event": "run_finished", "summary": summary, "exitCode": exit_code,
                "interrupted": interrupted, "error": error,
            }),
        }
    }
}
