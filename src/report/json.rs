//! `--json`: JSON Lines on stdout, one object per line, flushed as it
//! happens. This module is the one place that says what those lines look
//! like: the events of a run, and the `problem` and `checked` lines of
//! `pplay check --json` (documented in docs/running.md).

use std::io::Write;
use std::path::Path;

use serde::Serialize;
use serde::ser::SerializeStruct;
use serde_json::Value as Json;

use crate::diagnostic::{Diagnostic, Location};
use crate::event::{Change, Event, Iteration, Sink, StepRef, StepStatus, Summary};

pub struct JsonReporter<W: Write> {
    out: std::io::BufWriter<W>,
}

impl<W: Write> JsonReporter<W> {
    pub fn new(out: W) -> Self {
        JsonReporter {
            out: std::io::BufWriter::new(out),
        }
    }

    /// `check --json`: one problem of a file.
    pub fn problem(&mut self, file: &Path, d: &Diagnostic) {
        let file = file.display().to_string();
        self.line(&CheckLine::Problem {
            file: &file,
            diagnostic: DiagnosticView::of(d),
        });
    }

    /// `check --json`: a file that has no problems.
    pub fn checked(&mut self, file: &Path, steps: usize) {
        let file = file.display().to_string();
        self.line(&CheckLine::Checked {
            file: &file,
            steps,
            problems: 0,
        });
    }

    fn line(&mut self, v: &impl Serialize) {
        // A closed pipe must not take the process down with it.
        let _ = serde_json::to_writer(&mut self.out, v);
        let _ = self.out.write_all(b"\n");
        let _ = self.out.flush();
    }
}

impl<W: Write> Sink for JsonReporter<W> {
    fn emit(&mut self, event: &Event) {
        // A closed pipe must not take the run down with it.
        let _ = write_event(event, &mut self.out);
        // Lines are buffered within a step and flushed as each step ends, so
        // a reader sees every step as it finishes without a write per event.
        if matches!(
            event,
            Event::StepFinished { .. }
                | Event::RunStarted { .. }
                | Event::Resumed(_)
                | Event::RunFinished { .. }
                | Event::Retry { .. }
        ) {
            let _ = self.out.flush();
        }
    }
}

/// Writes the event as one line of JSON, without building a tree first.
pub fn write_event(event: &Event, out: &mut impl Write) -> std::io::Result<()> {
    serde_json::to_writer(&mut *out, &view(event))?;
    out.write_all(b"\n")
}

/// An event's JSON shape; the calls of a step have their own function.
fn view(event: &Event) -> View<'_> {
    match event {
        Event::RunStarted {
            name,
            file,
            url,
            steps,
            planned_calls,
            dry_run,
            plan,
        } => View::RunStarted {
            name,
            file,
            url,
            steps: *steps,
            planned_calls: *planned_calls,
            dry_run: *dry_run,
            plan: *plan,
        },
        Event::Change { step, change } => View::Change {
            step: StepRefView(step),
            change: ChangeView(change),
        },
        Event::Resumed(info) => View::Resumed {
            journal: &info.journal,
            recorded_calls: info.recorded,
            in_flight: info
                .in_flight
                .iter()
                .map(|n| InFlightView {
                    call: &n.call,
                    choice: n.choice,
                })
                .collect(),
            changed_files: &info.changed_files,
        },
        Event::StepStarted { step } => View::StepStarted {
            step: StepRefView(step),
        },
        Event::CallSent { .. }
        | Event::CallFinished { .. }
        | Event::CallPlanned { .. }
        | Event::Retry { .. } => call_view(event),
        Event::Warning { step, diagnostic } => View::Warning {
            step: StepRefView(step),
            diagnostic: DiagnosticView::of(diagnostic),
        },
        Event::Targets { step, targets } => View::Targets {
            step: StepRefView(step),
            targets: targets.iter().map(TargetView).collect(),
        },
        Event::StepFinished {
            step,
            status,
            duration_ms,
            message,
            diagnostic,
        } => View::StepFinished {
            step: StepRefView(step),
            status: status_name(*status),
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
            summary: SummaryView(summary),
            exit_code: *exit_code,
            interrupted: *interrupted,
            error: error.as_deref(),
        },
    }
}

/// The JSON shape of a call being sent, answered, planned or retried.
fn call_view(event: &Event) -> View<'_> {
    match event {
        Event::CallSent {
            step,
            tool,
            url,
            args,
            timeout_ms,
            attempt,
        } => View::CallSent {
            step: StepRefView(step),
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
            appended,
        } => View::CallFinished {
            step: StepRefView(step),
            tool,
            status: *status,
            duration_ms: *duration_ms,
            result: result.as_deref(),
            warnings,
            is_error: *is_error,
            error: error.as_deref(),
            appended,
        },
        Event::CallPlanned {
            step,
            tool,
            args,
            timeout_ms,
            notes,
        } => View::CallPlanned {
            step: StepRefView(step),
            tool,
            args,
            timeout_ms: *timeout_ms,
            notes,
        },
        Event::Retry {
            step,
            attempt,
            retries,
            delay_ms,
            reason,
        } => View::Retry {
            step: StepRefView(step),
            attempt: *attempt,
            retries: *retries,
            delay_ms: *delay_ms,
            reason,
        },
        _ => unreachable!("`view` routes only call events here"),
    }
}

/// One target's outcome: `{target, ok, explanation?}`.
struct TargetView<'a>(&'a crate::event::TargetOutcome);

impl Serialize for TargetView<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let t = self.0;
        let mut m = s.serialize_struct("Target", 3)?;
        m.serialize_field("target", &t.target)?;
        m.serialize_field("ok", &t.ok)?;
        match &t.explanation {
            Some(e) => m.serialize_field("explanation", e)?,
            None => m.skip_field("explanation")?,
        }
        m.end()
    }
}

/// The JSON Lines shape of an event (documented in docs/running.md).
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
        #[serde(skip_serializing_if = "std::ops::Not::not")]
        plan: bool,
    },
    Resumed {
        journal: &'a str,
        recorded_calls: usize,
        in_flight: Vec<InFlightView<'a>>,
        changed_files: &'a [String],
    },
    StepStarted {
        step: StepRefView<'a>,
    },
    CallSent {
        step: StepRefView<'a>,
        tool: &'a str,
        url: &'a str,
        args: &'a Json,
        timeout_ms: Option<u64>,
        attempt: u32,
    },
    CallFinished {
        step: StepRefView<'a>,
        tool: &'a str,
        status: Option<u16>,
        duration_ms: f64,
        result: Option<&'a Json>,
        warnings: &'a [String],
        is_error: bool,
        error: Option<&'a str>,
        #[serde(skip_serializing_if = "<[String]>::is_empty")]
        appended: &'a [String],
    },
    Change {
        step: StepRefView<'a>,
        change: ChangeView<'a>,
    },
    CallPlanned {
        step: StepRefView<'a>,
        tool: &'a str,
        args: &'a Json,
        timeout_ms: Option<u64>,
        #[serde(skip_serializing_if = "<[String]>::is_empty")]
        notes: &'a [String],
    },
    Retry {
        step: StepRefView<'a>,
        attempt: u32,
        retries: u32,
        delay_ms: u64,
        reason: &'a str,
    },
    Warning {
        step: StepRefView<'a>,
        diagnostic: DiagnosticView<'a>,
    },
    Targets {
        step: StepRefView<'a>,
        targets: Vec<TargetView<'a>>,
    },
    StepFinished {
        step: StepRefView<'a>,
        status: &'static str,
        duration_ms: f64,
        message: Option<&'a str>,
        diagnostic: Option<DiagnosticView<'a>>,
    },
    RunFinished {
        summary: SummaryView<'a>,
        exit_code: i32,
        interrupted: bool,
        error: Option<&'a str>,
    },
}

#[derive(Serialize)]
pub struct DiagnosticView<'a> {
    severity: &'static str,
    code: &'static str,
    message: &'a str,
    help: Option<&'a str>,
    location: Option<Location>,
}

impl<'a> DiagnosticView<'a> {
    pub fn of(d: &'a Diagnostic) -> Self {
        DiagnosticView {
            severity: if d.is_error() { "error" } else { "warning" },
            code: d.code,
            message: &d.message,
            help: d.help.as_deref(),
            location: d.location(),
        }
    }
}

/// The lines of `check --json`.
#[derive(Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
enum CheckLine<'a> {
    Problem {
        file: &'a str,
        #[serde(flatten)]
        diagnostic: DiagnosticView<'a>,
    },
    Checked {
        file: &'a str,
        steps: usize,
        problems: usize,
    },
}

/// A step as events name it; absent parts are left out.
struct StepRefView<'a>(&'a StepRef);

impl Serialize for StepRefView<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let r = self.0;
        let mut st = s.serialize_struct("StepRef", 6)?;
        st.serialize_field("index", &r.index)?;
        st.serialize_field("name", &r.name)?;
        match &r.tool {
            Some(t) => st.serialize_field("tool", &**t)?,
            None => st.skip_field("tool")?,
        }
        match &r.id {
            Some(i) => st.serialize_field("id", &**i)?,
            None => st.skip_field("id")?,
        }
        st.serialize_field("location", &r.location)?;
        match &r.iteration {
            Some(i) => st.serialize_field("iteration", &IterationView(i))?,
            None => st.skip_field("iteration")?,
        }
        st.end()
    }
}

struct IterationView<'a>(&'a Iteration);

impl Serialize for IterationView<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Iteration", 2)?;
        st.serialize_field("index0", &self.0.index0)?;
        st.serialize_field("length", &self.0.length)?;
        st.end()
    }
}

/// A change as `{"kind": "create"|"update"|"send"|"same"|"unknown", ...}`.
struct ChangeView<'a>(&'a Change);

impl Serialize for ChangeView<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Change", 3)?;
        match self.0 {
            Change::Create { kind, name } => {
                st.serialize_field("kind", "create")?;
                st.serialize_field("object", kind)?;
                st.serialize_field("name", name)?;
            }
            Change::Update(diffs) => {
                st.serialize_field("kind", "update")?;
                let fields: Vec<Json> = diffs
                    .iter()
                    .map(|d| serde_json::json!({"field": d.field, "current": d.current, "wanted": d.wanted}))
                    .collect();
                st.serialize_field("fields", &fields)?;
            }
            Change::Send { tool, args } => {
                st.serialize_field("kind", "send")?;
                st.serialize_field("tool", tool)?;
                st.serialize_field("args", args)?;
            }
            Change::Same { why } => {
                st.serialize_field("kind", "same")?;
                st.serialize_field("why", why)?;
            }
            Change::Unknown { why } => {
                st.serialize_field("kind", "unknown")?;
                st.serialize_field("why", why)?;
            }
        }
        st.end()
    }
}

struct SummaryView<'a>(&'a Summary);

impl Serialize for SummaryView<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let m = self.0;
        let mut st = s.serialize_struct("Summary", 10)?;
        st.serialize_field("changed", &m.changed)?;
        st.serialize_field("ok", &m.ok)?;
        st.serialize_field("steps", &m.steps)?;
        st.serialize_field("calls", &m.calls)?;
        st.serialize_field("warnings", &m.warnings)?;
        st.serialize_field("failed", &m.failed)?;
        st.serialize_field("skipped", &m.skipped)?;
        st.serialize_field("ignored", &m.ignored)?;
        st.serialize_field("notRun", &m.not_run)?;
        if m.restored > 0 {
            st.serialize_field("restored", &m.restored)?;
        } else {
            st.skip_field("restored")?;
        }
        st.serialize_field("durationMs", &m.duration_ms)?;
        st.end()
    }
}

#[derive(Serialize)]
struct InFlightView<'a> {
    call: &'a str,
    choice: &'static str,
}

/// A status as reports name it.
pub fn status_name(s: StepStatus) -> &'static str {
    match s {
        StepStatus::Changed => "changed",
        StepStatus::Ok => "ok",
        StepStatus::Failed => "failed",
        StepStatus::Skipped => "skipped",
        StepStatus::Ignored => "ignored",
        StepStatus::Planned => "planned",
        StepStatus::Restored => "restored",
        StepStatus::NotRun => "not_run",
    }
}
