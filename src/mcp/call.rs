//! A call of a playbook tool: the arguments checked against the tool's
//! schema, set as the playbook's vars, then the same road as `pplay run`
//! (load → [`check::Loaded`] → [`check::check`] → [`runner::run`]).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use rmcp::model::{
    CallToolResult, ContentBlock, JsonObject, ProgressNotificationParam, ProgressToken,
};
use rmcp::service::{Peer, RoleServer};
use serde_json::{Value as Json, json};

use super::playbooks::{PlaybookTool, default_options};
use crate::catalog::Catalog;
use crate::check::{self, Loaded};
use crate::client::Client;
use crate::diagnostic::Diagnostic;
use crate::event::{Event, Sink, StepStatus};
use crate::report::json::DiagnosticView;
use crate::runner::{self, RunOptions};
use crate::vars::Override;

/// Where progress goes: the client's token and the peer to tell.
pub struct Progress {
    pub peer: Peer<RoleServer>,
    pub token: ProgressToken,
}

/// Runs `pt` with `args` as its vars. A refused argument or a playbook
/// that does not pass check sends nothing.
pub async fn call_playbook(
    pt: &PlaybookTool,
    args: JsonObject,
    catalog: &Catalog,
    client: &Client,
    progress: Option<Progress>,
    cancelled: impl Future<Output = ()> + 'static,
) -> CallToolResult {
    if let Some(refusal) = refuse_arguments(pt, &args) {
        return refusal;
    }
    let mut opts = default_options();
    opts.overrides = args
        .into_iter()
        .map(|(name, value)| Override::new(name, value))
        .collect();
    let env = crate::template::environment();
    let loaded = Loaded::new(&env, &pt.playbook, Vec::new(), &opts);
    let checked = match check::check(&env, loaded, catalog) {
        Ok(c) => c,
        Err(d) => return problems_result(&d, "nothing was sent"),
    };
    let cancel = Arc::new(AtomicBool::new(false));
    // A cancelled request stops the run after the call in flight, as Ctrl-C.
    let watcher = {
        let cancel = cancel.clone();
        tokio::task::spawn_local(async move {
            cancelled.await;
            cancel.store(true, Ordering::SeqCst);
        })
    };
    let ropts = RunOptions {
        cancel: Some(cancel),
        ..RunOptions::default()
    };
    let mut sink = Collect::new(progress);
    let outcome = runner::run(&checked, client, &ropts, &mut sink).await;
    watcher.abort();
    sink.finish().await;
    let summary = summary_text(&outcome.summary, outcome.exit_code);
    let problems: Vec<Json> = sink.problems.iter().map(view).collect();
    let mut text = summary.clone();
    for d in &sink.problems {
        text.push('\n');
        text.push_str(d.render(false, 100).trim_end());
    }
    if !outcome.captures.is_empty() {
        text.push_str("\ncaptures: ");
        text.push_str(&Json::Object(outcome.captures.clone()).to_string());
    }
    let structured = json!({
        "summary": summary,
        "exitCode": outcome.exit_code,
        "steps": outcome.summary.steps,
        "calls": outcome.summary.calls,
        "failed": outcome.summary.failed,
        "captures": outcome.captures,
        "problems": problems,
    });
    let mut result = if outcome.exit_code == crate::exit::OK {
        CallToolResult::success(vec![ContentBlock::text(text)])
    } else {
        CallToolResult::error(vec![ContentBlock::text(text)])
    };
    result.structured_content = Some(structured);
    result
}

/// The arguments checked against the tool's input schema, before any
/// template sees them; `Some` with the refusal when one does not fit.
fn refuse_arguments(pt: &PlaybookTool, args: &JsonObject) -> Option<CallToolResult> {
    let schema = Json::Object((*pt.tool.input_schema).clone());
    let validator = match jsonschema::validator_for(&schema) {
        Ok(v) => v,
        Err(e) => {
            return Some(error_text(format!(
                "the tool's schema does not compile: {e}"
            )));
        }
    };
    let args = Json::Object(args.clone());
    let reasons: Vec<String> = validator
        .iter_errors(&args)
        .map(|e| {
            let at = e.instance_path().to_string();
            let at = at.trim_start_matches('/');
            if at.is_empty() {
                format!("the arguments: {e}")
            } else {
                format!("argument `{at}`: {e}")
            }
        })
        .collect();
    if reasons.is_empty() {
        return None;
    }
    let text = format!("{}\nnothing was sent", reasons.join("\n"));
    let mut r = error_text(text);
    r.structured_content = Some(json!({ "refused": reasons }));
    Some(r)
}

fn error_text(text: String) -> CallToolResult {
    CallToolResult::error(vec![ContentBlock::text(text)])
}

/// Problems as the text of `pplay check` (no colour) and as the JSON of
/// `check --json`, ending with `tail`.
pub fn problems_result(diags: &[Diagnostic], tail: &str) -> CallToolResult {
    let mut text = String::new();
    for d in diags {
        text.push_str(d.render(false, 100).trim_end());
        text.push('\n');
    }
    let errors = diags.iter().filter(|d| d.is_error()).count();
    text.push_str(&format!(
        "{} problem{}; {tail}",
        errors,
        if errors == 1 { "" } else { "s" }
    ));
    let structured = json!({ "problems": diags.iter().map(view).collect::<Vec<_>>() });
    let mut r = if errors == 0 {
        CallToolResult::success(vec![ContentBlock::text(text)])
    } else {
        error_text(text)
    };
    r.structured_content = Some(structured);
    r
}

/// A diagnostic as `check --json` writes it.
pub fn view(d: &Diagnostic) -> Json {
    serde_json::to_value(DiagnosticView::of(d)).unwrap_or_default()
}

fn summary_text(s: &crate::event::Summary, exit_code: i32) -> String {
    format!(
        "{} step{}, {} call{}, {} failed, {} skipped (exit {exit_code})",
        s.steps,
        if s.steps == 1 { "" } else { "s" },
        s.calls,
        if s.calls == 1 { "" } else { "s" },
        s.failed,
        s.skipped,
    )
}

/// The run's events, kept for the answer: the located problems, and a
/// progress notification per finished step when the client asked for them.
struct Collect {
    problems: Vec<Diagnostic>,
    total: Option<f64>,
    done: f64,
    progress: Option<Notifier>,
}

/// The sink is called synchronously: it queues, and a task sends in order.
struct Notifier {
    token: ProgressToken,
    tx: tokio::sync::mpsc::UnboundedSender<ProgressNotificationParam>,
    task: tokio::task::JoinHandle<()>,
}

impl Collect {
    fn new(progress: Option<Progress>) -> Self {
        let progress = progress.map(|Progress { peer, token }| {
            let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
            let task = tokio::task::spawn_local(async move {
                while let Some(p) = rx.recv().await {
                    let _ = peer.notify_progress(p).await;
                }
            });
            Notifier { token, tx, task }
        });
        Collect {
            problems: Vec::new(),
            total: None,
            done: 0.0,
            progress,
        }
    }

    /// Waits until every progress notification is out, before the answer.
    async fn finish(&mut self) {
        if let Some(n) = self.progress.take() {
            drop(n.tx);
            let _ = n.task.await;
        }
    }
}

impl Sink for Collect {
    fn emit(&mut self, event: &Event) {
        match event {
            Event::RunStarted {
                planned_calls,
                steps,
                ..
            } => self.total = Some(planned_calls.unwrap_or(*steps) as f64),
            Event::Warning { diagnostic, .. } => self.problems.push(diagnostic.clone()),
            Event::StepFinished {
                step,
                status,
                diagnostic,
                ..
            } => {
                if let Some(d) = diagnostic {
                    self.problems.push(d.clone());
                }
                if *status == StepStatus::NotRun {
                    return;
                }
                self.done += 1.0;
                if let Some(n) = &self.progress {
                    let mut p = ProgressNotificationParam::new(n.token.clone(), self.done);
                    p.total = self.total.map(|t| t.max(self.done));
                    p.message = Some(step.name.clone());
                    let _ = n.tx.send(p);
                }
            }
            _ => {}
        }
    }
}
