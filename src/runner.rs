//! Running a checked playbook: render, validate, call, capture, expect.
//!
//! The runner owns the run's scope (vars, captures, `steps.<id>`) and emits
//! [`Event`]s; it never prints. Everything it evaluates was compiled by
//! [`crate::check`], once; per call it only evaluates templates, validates the
//! rendered args with the tool's precompiled schema and sends them over the
//! one keep-alive client.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use minijinja::context;
use minijinja::value::Value as MjValue;
use serde_json::Value as Json;

use crate::catalog::PathSeg;
use crate::check::{
    Checked, CheckedStep, arg_diagnostic, loop_items, loop_not_a_sequence, loop_too_long,
};
use crate::client::{Client, ClientError, Reply};
use crate::diagnostic::{Diagnostic, SourceFile};
use crate::event::{Event, Iteration, Sink, StepRef, StepStatus, Summary};
use crate::playbook::{Action, OnError, Step};
use crate::template::{Compiled, TemplateError, from_json, placeholder, to_json};
use crate::yaml::Span;

/// Exit codes, as the playbook format defines them.
pub mod exit {
    pub const OK: i32 = 0;
    pub const STEP_FAILED: i32 = 1;
    pub const INVALID: i32 = 2;
    pub const UNREACHABLE: i32 = 3;
    pub const INTERRUPTED: i32 = 130;
}

/// How to run.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Render and report the calls without sending any.
    pub dry_run: bool,
    /// Set (by Ctrl-C) to stop after the call in flight.
    pub cancel: Option<Arc<AtomicBool>>,
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq)]
pub struct RunOutcome {
    pub summary: Summary,
    pub exit_code: i32,
}

/// Runs `checked` against `client` (ignored for a dry run).
pub async fn run(
    checked: &Checked<'_, '_>,
    client: &Client,
    opts: &RunOptions,
    sink: &mut dyn Sink,
) -> RunOutcome {
    let started = Instant::now();
    let pb = checked.playbook;
    sink.emit(&Event::RunStarted {
        name: pb.name.as_str().unwrap_or_default().to_owned(),
        file: pb.file.name().to_owned(),
        url: client.base_url().to_owned(),
        steps: checked.step_count,
        planned_calls: checked.planned_calls,
        dry_run: opts.dry_run,
        outline: outline(&checked.steps),
    });
    let mut r = Runner {
        client,
        opts,
        sink,
        scope: Scope::new(checked.vars.clone()),
        summary: Summary::default(),
        max_iterations: checked.max_iterations,
        stop: None,
    };
    r.steps(&checked.steps).await;
    let interrupted = r.cancelled();
    let (exit_code, error) = match (&r.stop, interrupted) {
        (Some(Stop::Unreachable(e)), _) => (exit::UNREACHABLE, Some(e.to_string())),
        (_, true) => (exit::INTERRUPTED, None),
        (Some(Stop::Failed), _) => (exit::STEP_FAILED, None),
        (None, _) => (exit::OK, None),
    };
    r.summary.duration_ms = ms(started.elapsed());
    let summary = r.summary;
    r.sink.emit(&Event::RunFinished {
        summary,
        exit_code,
        interrupted,
        error,
    });
    RunOutcome { summary, exit_code }
}

/// The call steps in run order, named before anything is rendered.
fn outline(steps: &[CheckedStep<'_, '_>]) -> Vec<StepRef> {
    let mut out = Vec::new();
    for cs in steps {
        if cs.include_steps.is_empty() && cs.step.tool().is_some() {
            out.push(step_ref(cs, cs.step.label(), None));
        }
        out.extend(outline(&cs.include_steps));
    }
    out
}

enum Stop {
    Failed,
    Unreachable(ClientError),
}

/// Vars, captures and `steps`, as the templates see them.
struct Scope {
    vars: BTreeMap<String, MjValue>,
    steps: BTreeMap<String, MjValue>,
    ctx: Option<MjValue>,
}

impl Scope {
    fn new(vars: BTreeMap<String, MjValue>) -> Self {
        Scope {
            vars,
            steps: BTreeMap::new(),
            ctx: None,
        }
    }

    fn set(&mut self, name: &str, v: MjValue) {
        self.vars.insert(name.to_owned(), v);
        self.ctx = None;
    }

    fn set_step(&mut self, id: &str, v: MjValue) {
        self.steps.insert(id.to_owned(), v);
        self.ctx = None;
    }

    /// The context for templates, rebuilt only after something changed.
    fn ctx(&mut self) -> MjValue {
        if let Some(c) = &self.ctx {
            return c.clone();
        }
        let steps = MjValue::from_iter(self.steps.iter().map(|(k, v)| (k.clone(), v.clone())));
        let c = MjValue::from_iter(
            self.vars
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .chain(std::iter::once(("steps".to_owned(), steps))),
        );
        self.ctx = Some(c.clone());
        c
    }
}

struct Runner<'a> {
    client: &'a Client,
    opts: &'a RunOptions,
    sink: &'a mut dyn Sink,
    scope: Scope,
    summary: Summary,
    max_iterations: usize,
    stop: Option<Stop>,
}

/// What one call came to.
struct CallResult {
    result: Arc<Json>,
    warnings: Vec<String>,
    is_error: bool,
    duration_ms: f64,
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e6).round() / 1e3
}

fn step_ref(cs: &CheckedStep<'_, '_>, name: String, iteration: Option<Iteration>) -> StepRef {
    StepRef {
        name,
        iteration,
        ..cs.origin.clone()
    }
}

fn err_at(file: &Arc<SourceFile>, code: &'static str, e: &TemplateError, what: &str) -> Diagnostic {
    Diagnostic::error(code, format!("{what}: {}", e.message))
        .in_file(file)
        .label(e.span, "here")
}

/// The span that stands for a whole step in reports: its `tool:` value.
fn step_anchor(step: &Step) -> Span {
    match &step.action {
        Action::Call { tool, .. } => tool.span,
        Action::Include { path, .. } => path.span,
    }
}

impl Runner<'_> {
    fn cancelled(&self) -> bool {
        self.opts
            .cancel
            .as_ref()
            .is_some_and(|c| c.load(Ordering::SeqCst))
    }

    fn steps<'b>(
        &'b mut self,
        steps: &'b [CheckedStep<'_, '_>],
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + 'b>> {
        Box::pin(async move {
            for cs in steps {
                if self.stop.is_some() || self.cancelled() {
                    return;
                }
                self.step(cs).await;
            }
        })
    }

    async fn step(&mut self, cs: &CheckedStep<'_, '_>) {
        let step = cs.step;
        let file = &step.file;
        let ctx = self.scope.ctx();
        if let Some(w) = &cs.when {
            match w.eval(&ctx) {
                Ok(v)
                    if !v.is_true()
                        && v.downcast_object_ref::<crate::template::Placeholder>()
                            .is_none() =>
                {
                    let cond = w.source().unwrap_or("false").to_owned();
                    let sr = step_ref(cs, self.label(cs, &ctx), None);
                    self.summary.skipped += 1;
                    self.summary.steps += 1;
                    self.sink.emit(&Event::StepStarted { step: sr.clone() });
                    self.sink.emit(&Event::StepFinished {
                        step: sr,
                        status: StepStatus::Skipped,
                        duration_ms: 0.0,
                        message: Some(format!("when: {cond}")),
                        diagnostic: None,
                    });
                    return;
                }
                Ok(_) => {}
                Err(_) if self.opts.dry_run => {}
                Err(e) => {
                    let d = err_at(file, "pplay::when", &e, "the `when` condition failed");
                    self.fail_before_call(cs, None, d, &ctx);
                    return;
                }
            }
        }
        if let Action::Include { .. } = &step.action {
            for (name, c) in &cs.include_vars {
                let ctx = self.scope.ctx();
                match c.eval(&ctx) {
                    Ok(v) => self.scope.set(name, v),
                    Err(e) => {
                        let d = err_at(
                            file,
                            "pplay::template",
                            &e,
                            &format!("var `{name}` cannot be evaluated"),
                        );
                        self.fail_before_call(cs, None, d, &ctx);
                        return;
                    }
                }
            }
            self.steps(&cs.include_steps).await;
            return;
        }
        // The iterations: one, or one per loop item.
        let items: Option<Vec<MjValue>> = match &cs.loop_ {
            None => None,
            Some(l) => match l.eval(&ctx) {
                Ok(v)
                    if v.downcast_object_ref::<crate::template::Placeholder>()
                        .is_some() =>
                {
                    Some(vec![placeholder("item")])
                }
                Ok(v) => match loop_items(&v) {
                    Ok(items) if items.len() > self.max_iterations => {
                        let span = step.loop_.as_ref().map_or(step.span, |n| n.span);
                        let d = loop_too_long(file, span, items.len(), self.max_iterations);
                        self.fail_before_call(cs, None, d, &ctx);
                        return;
                    }
                    Ok(items) => Some(items),
                    Err(kind) => {
                        let span = step.loop_.as_ref().map_or(step.span, |n| n.span);
                        let d = loop_not_a_sequence(file, span, kind);
                        self.fail_before_call(cs, None, d, &ctx);
                        return;
                    }
                },
                Err(e) => {
                    let d = err_at(file, "pplay::loop", &e, "`loop` cannot be evaluated");
                    self.fail_before_call(cs, None, d, &ctx);
                    return;
                }
            },
        };
        match items {
            None => {
                if let Some(outcome) = self.iteration(cs, ctx, None).await
                    && let Some(id) = &step.id
                {
                    self.scope.set_step(&id.value, outcome);
                }
            }
            Some(items) => {
                let length = items.len();
                let outcomes = Arc::new(crate::template::Outcomes::default());
                if let Some(id) = &step.id {
                    self.scope
                        .set_step(&id.value, MjValue::from_dyn_object(outcomes.clone()));
                }
                for (index0, item) in items.into_iter().enumerate() {
                    if self.stop.is_some() || self.cancelled() {
                        break;
                    }
                    let base = self.scope.ctx();
                    let lp = context! {
                        index0 => index0, index => index0 + 1, first => index0 == 0,
                        last => index0 + 1 == length, length => length,
                    };
                    let ctx = context! { item => item, loop => lp, ..base };
                    let it = Some(Iteration { index0, length });
                    if let Some(o) = self.iteration(cs, ctx, it).await {
                        outcomes.push(o);
                    }
                }
            }
        }
    }

    fn label(&self, cs: &CheckedStep<'_, '_>, ctx: &MjValue) -> String {
        match &cs.name {
            Some(n) => match n.render(ctx) {
                Ok(Json::String(s)) => s,
                Ok(other) => other.to_string(),
                Err(_) => cs.step.label(),
            },
            None => cs.step.label(),
        }
    }

    /// A step that fails before anything is sent (render, loop, schema).
    fn fail_before_call(
        &mut self,
        cs: &CheckedStep<'_, '_>,
        it: Option<Iteration>,
        d: Diagnostic,
        ctx: &MjValue,
    ) {
        let sr = step_ref(cs, self.label(cs, ctx), it);
        self.sink.emit(&Event::StepStarted { step: sr.clone() });
        self.finish_failed(cs, sr, 0.0, d);
    }

    fn finish_failed(
        &mut self,
        cs: &CheckedStep<'_, '_>,
        sr: StepRef,
        duration_ms: f64,
        d: Diagnostic,
    ) {
        self.summary.steps += 1;
        let status = if cs.on_error == OnError::Continue {
            self.summary.ignored += 1;
            StepStatus::Ignored
        } else {
            self.summary.failed += 1;
            self.stop = Some(Stop::Failed);
            StepStatus::Failed
        };
        self.sink.emit(&Event::StepFinished {
            step: sr,
            status,
            duration_ms,
            message: Some(d.message.clone()),
            diagnostic: Some(d),
        });
    }

    /// One call of a step: returns the outcome kept as `steps.<id>`.
    async fn iteration(
        &mut self,
        cs: &CheckedStep<'_, '_>,
        ctx: MjValue,
        it: Option<Iteration>,
    ) -> Option<MjValue> {
        let step = cs.step;
        let file = &step.file;
        let Action::Call {
            tool,
            args: args_node,
        } = &step.action
        else {
            return None;
        };
        let sr = step_ref(cs, self.label(cs, &ctx), it);
        self.sink.emit(&Event::StepStarted { step: sr.clone() });
        let started = Instant::now();

        let args = match cs.args.as_ref().map(|a| a.render(&ctx)) {
            Some(Ok(a)) => a,
            Some(Err(e)) if !self.opts.dry_run => {
                let d = err_at(
                    file,
                    "pplay::template",
                    &e,
                    "an argument cannot be rendered",
                );
                self.finish_failed(cs, sr, 0.0, d);
                return None;
            }
            _ => Json::Object(Default::default()),
        };
        let timeout_ms = match cs.timeout_ms.as_ref().map(|t| t.render(&ctx)) {
            None => None,
            Some(Ok(Json::Number(n))) if n.as_u64().is_some_and(|n| (1..=60_000).contains(&n)) => {
                n.as_u64()
            }
            Some(Ok(other)) if self.opts.dry_run => other.as_u64(),
            Some(Ok(other)) => {
                let span = step.timeout_ms.as_ref().map_or(step.span, |n| n.span);
                let d = Diagnostic::error(
                    "pplay::timeout-range",
                    format!("`timeoutMs` rendered to {other}, not an integer from 1 to 60000"),
                )
                .in_file(file)
                .label(span, "here");
                self.finish_failed(cs, sr, 0.0, d);
                return None;
            }
            Some(Err(e)) => {
                let d = err_at(
                    file,
                    "pplay::template",
                    &e,
                    "`timeoutMs` cannot be rendered",
                );
                self.finish_failed(cs, sr, 0.0, d);
                return None;
            }
        };
        if self.opts.dry_run {
            return Some(self.plan(cs, sr, tool.value.clone(), args, timeout_ms));
        }
        // The rendered args, checked in full before anything is sent.
        if let Some(t) = cs.tool
            && !t.is_valid(&args)
        {
            let issues = t.check_args(&args, &[]);
            let mut d = issues
                .first()
                .map(|i| {
                    let d = arg_diagnostic(file, &t.name, tool.span, args_node, i);
                    match template_help(args_node, i) {
                        Some(h) => d.help(h),
                        None => d,
                    }
                })
                .unwrap_or_else(|| {
                    Diagnostic::error("pplay::arg", "the arguments do not fit the schema")
                        .in_file(file)
                });
            d.message = format!("{} (after rendering; nothing was sent)", d.message);
            for extra in issues.iter().skip(1) {
                let e = arg_diagnostic(file, &t.name, tool.span, args_node, extra);
                d.labels.extend(e.labels.into_iter().map(|mut l| {
                    l.text = Some(extra.message.clone());
                    l
                }));
            }
            self.finish_failed(cs, sr, 0.0, d);
            return None;
        }
        // Send, with retries after transport failures, timeouts and 5xx.
        // Events share the args, tool and URL instead of copying them.
        let args = Arc::new(args);
        let tool_name: Arc<str> = cs
            .origin
            .tool
            .clone()
            .unwrap_or_else(|| Arc::from(tool.value.as_str()));
        let mut attempt = 0u32;
        let reply = loop {
            attempt += 1;
            self.sink.emit(&Event::CallSent {
                step: sr.clone(),
                tool: tool_name.clone(),
                url: self.client.base(),
                args: args.clone(),
                timeout_ms,
                attempt,
            });
            let t0 = Instant::now();
            let res = self.client.call(&tool.value, &args, timeout_ms).await;
            let dur = ms(t0.elapsed());
            self.summary.calls += 1;
            let (status, result, warnings, is_error, error) = match &res {
                Ok(Reply::Tool {
                    result,
                    warnings,
                    is_error,
                }) => (
                    Some(200),
                    Some(result.clone()),
                    warnings.clone(),
                    *is_error,
                    None,
                ),
                Ok(Reply::Http { status, error, .. }) => {
                    (Some(*status), None, Vec::new(), true, Some(error.clone()))
                }
                Err(e) => (None, None, Vec::new(), true, Some(e.to_string())),
            };
            self.sink.emit(&Event::CallFinished {
                step: sr.clone(),
                tool: tool_name.clone(),
                status,
                duration_ms: dur,
                result,
                warnings,
                is_error,
                error: error.clone(),
            });
            let retryable = match &res {
                Err(ClientError::Unreachable { .. }) => false,
                Err(_) => true,
                Ok(Reply::Http { status, .. }) => *status >= 500,
                Ok(Reply::Tool { .. }) => false,
            };
            if retryable && attempt <= cs.retries && !self.cancelled() {
                let delay = backoff(cs.retry_delay_ms, attempt);
                self.sink.emit(&Event::Retry {
                    step: sr.clone(),
                    attempt,
                    retries: cs.retries,
                    delay_ms: delay,
                    reason: error.unwrap_or_default(),
                });
                tokio::time::sleep(Duration::from_millis(delay)).await;
                continue;
            }
            break res;
        };
        let duration_ms = ms(started.elapsed());
        let anchor = step_anchor(step);
        let call = match reply {
            Err(e @ ClientError::Unreachable { .. }) => {
                let d = Diagnostic::error("pplay::unreachable", e.to_string())
                    .in_file(file)
                    .label(anchor, "this call was not sent");
                self.finish_failed(cs, sr, duration_ms, d);
                self.stop = Some(Stop::Unreachable(e));
                return None;
            }
            Err(e) => {
                let d = Diagnostic::error("pplay::transport", e.to_string())
                    .in_file(file)
                    .label(anchor, "this call");
                self.finish_failed(cs, sr, duration_ms, d);
                return None;
            }
            Ok(Reply::Http {
                status,
                error,
                details,
            }) => {
                let d = http_diagnostic(
                    file,
                    anchor,
                    args_node,
                    &tool.value,
                    status,
                    &error,
                    details.as_ref(),
                );
                self.finish_failed(cs, sr, duration_ms, d);
                return None;
            }
            Ok(Reply::Tool {
                result,
                warnings,
                is_error,
            }) => CallResult {
                result,
                warnings,
                is_error,
                duration_ms,
            },
        };
        for w in &call.warnings {
            self.summary.warnings += 1;
            let d = Diagnostic::warning("pplay::tool-warning", format!("{}: {w}", tool.value))
                .in_file(file)
                .label(anchor, "Producer Pal warned here");
            self.sink.emit(&Event::Warning {
                step: sr.clone(),
                diagnostic: d,
            });
        }
        let result = from_json(&call.result);
        let warnings = MjValue::from_serialize(&call.warnings);
        let outcome = context! {
            result => result.clone(),
            warnings => warnings.clone(),
            isError => call.is_error,
            durationMs => call.duration_ms,
        };
        if call.is_error {
            let text = call
                .result
                .as_str()
                .map_or_else(|| call.result.to_string(), str::to_owned);
            let d = Diagnostic::error(
                "pplay::tool-error",
                format!("{} failed: {text}", tool.value),
            )
            .in_file(file)
            .label(anchor, "the tool reported an error");
            self.finish_failed(cs, sr, duration_ms, d);
            return Some(outcome);
        }
        // capture, then expect, with `result` and `warnings` in scope.
        let after = context! { result => result, warnings => warnings, ..ctx };
        for (name, c) in &cs.capture {
            match c.eval(&after) {
                Ok(v) if !v.is_undefined() => self.scope.set(name, v),
                Ok(_) => {
                    let span = step
                        .capture
                        .iter()
                        .find(|(k, _)| k.name == *name)
                        .map_or(anchor, |(_, v)| v.span);
                    let d = Diagnostic::error(
                        "pplay::capture",
                        format!("capture `{name}` is undefined in this result"),
                    )
                    .in_file(file)
                    .label(span, "this expression")
                    .help(format!("the result was: {}", short(&call.result)));
                    self.finish_failed(cs, sr, duration_ms, d);
                    return Some(outcome);
                }
                Err(e) => {
                    let d = err_at(
                        file,
                        "pplay::capture",
                        &e,
                        &format!("capture `{name}` failed"),
                    )
                    .help(format!("the result was: {}", short(&call.result)));
                    self.finish_failed(cs, sr, duration_ms, d);
                    return Some(outcome);
                }
            }
        }
        for (c, node) in cs.expect.iter().zip(&step.expect) {
            let passed = match c.eval(&after) {
                Ok(v) => v.is_true(),
                Err(e) => {
                    let d = err_at(
                        file,
                        "pplay::expect",
                        &e,
                        "the expectation cannot be evaluated",
                    );
                    self.finish_failed(cs, sr, duration_ms, d);
                    return Some(outcome);
                }
            };
            if !passed {
                let src = c.source().unwrap_or_default();
                let values = explain(c, &after);
                let d = Diagnostic::error("pplay::expect", format!("expectation failed: {src}"))
                    .in_file(file)
                    .label(
                        node.span,
                        if values.is_empty() {
                            "this is false".to_owned()
                        } else {
                            values.join(", ")
                        },
                    );
                self.finish_failed(cs, sr, duration_ms, d);
                return Some(outcome);
            }
        }
        self.summary.steps += 1;
        self.sink.emit(&Event::StepFinished {
            step: sr,
            status: StepStatus::Ok,
            duration_ms,
            message: None,
            diagnostic: None,
        });
        Some(outcome)
    }

    /// `--dry-run`: report the call, and let later steps see placeholders.
    fn plan(
        &mut self,
        cs: &CheckedStep<'_, '_>,
        sr: StepRef,
        tool: String,
        args: Json,
        timeout_ms: Option<u64>,
    ) -> MjValue {
        let step = cs.step;
        // In a loop, `steps.<id>` is a list: name the iteration.
        let at = sr
            .iteration
            .map(|i| format!("[{}]", i.index0))
            .unwrap_or_default();
        let base = match &step.id {
            Some(id) => format!("steps.{}{at}", id.value),
            None => format!("step {}{at}", cs.index + 1),
        };
        for (name, c) in &cs.capture {
            let result = placeholder(format!("{base}.result"));
            let ctx = context! { result => result, warnings => placeholder(format!("{base}.warnings")), ..self.scope.ctx() };
            let v = match c.eval(&ctx) {
                Ok(v) => v,
                Err(_) => placeholder(*name),
            };
            self.scope.set(name, v);
        }
        self.sink.emit(&Event::CallPlanned {
            step: sr.clone(),
            tool,
            args,
            timeout_ms,
        });
        self.summary.steps += 1;
        self.sink.emit(&Event::StepFinished {
            step: sr,
            status: StepStatus::Planned,
            duration_ms: 0.0,
            message: None,
            diagnostic: None,
        });
        context! {
            result => placeholder(format!("{base}.result")),
            warnings => placeholder(format!("{base}.warnings")),
            isError => false,
            durationMs => 0,
        }
    }
}

/// For a value a single `{{ expression }}` produced with the wrong type:
/// how to make the template give text instead (quoting does not help there).
fn template_help(args: &crate::yaml::Node, issue: &crate::catalog::ArgIssue) -> Option<String> {
    let (_, node) = crate::check::node_at(args, &issue.path)?;
    let expr = crate::template::single_expression(node.as_str()?)?;
    issue
        .help
        .as_deref()
        .filter(|h| h.starts_with("quote it"))
        .map(|_| format!("the template gives a number or a boolean; write \"{{{{ {expr} | string }}}}\" to send it as text"))
}

/// `retryDelayMs`, doubled per attempt, with up to a quarter added at random
/// so that retries from parallel runs do not line up.
pub fn backoff(base_ms: u64, attempt: u32) -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let delay = base_ms.saturating_mul(1u64 << (attempt.saturating_sub(1)).min(16));
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u32(attempt);
    let jitter = if delay >= 4 {
        h.finish() % (delay / 4 + 1)
    } else {
        0
    };
    delay + jitter
}

fn short(v: &Json) -> String {
    let s = v.to_string();
    if s.chars().count() > 200 {
        format!("{}…", s.chars().take(200).collect::<String>())
    } else {
        s
    }
}

/// `result.trackCount was 2`: the values of the names an expectation read.
fn explain(c: &Compiled<'_, '_>, ctx: &MjValue) -> Vec<String> {
    let mut names = Vec::new();
    c.names(&mut names);
    let env = crate::template::environment();
    let mut out = Vec::new();
    for (name, span) in names {
        if crate::template::FUNCTIONS.contains(&name.as_str()) {
            continue;
        }
        let shown = match env.compile_expression(&name).and_then(|e| e.eval(ctx)) {
            Ok(v) => match to_json(&v, span) {
                Ok(j) => short(&j),
                Err(_) => "undefined".to_owned(),
            },
            Err(_) => "undefined".to_owned(),
        };
        out.push(format!("{name} was {shown}"));
    }
    out
}

/// A non-200 answer, with a 400's validation details put on the arg nodes.
fn http_diagnostic(
    file: &Arc<SourceFile>,
    anchor: Span,
    args: &crate::yaml::Node,
    tool: &str,
    status: u16,
    error: &str,
    details: Option<&Json>,
) -> Diagnostic {
    match status {
        404 => Diagnostic::error("pplay::tool-unavailable", format!("`{tool}` is unknown or disabled on the device"))
            .in_file(file)
            .label(anchor, format!("HTTP 404: {error}"))
            .help("enable the tool in the Producer Pal device, or run `pplay tools` to see what it offers"),
        400 => {
            let mut d = Diagnostic::error("pplay::rejected", format!("Producer Pal rejected the arguments of `{tool}`: {error}")).in_file(file);
            for issue in details.and_then(Json::as_array).into_iter().flatten() {
                let msg = issue.get("message").and_then(Json::as_str).unwrap_or("invalid").to_owned();
                let path: Vec<PathSeg> = issue
                    .get("path")
                    .and_then(Json::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|p| match p {
                        Json::String(s) => Some(PathSeg::Key(s.clone())),
                        Json::Number(n) => n.as_u64().map(|i| PathSeg::Index(i as usize)),
                        _ => None,
                    })
                    .collect();
                let span = if path.is_empty() { None } else { crate::check::locate(args, &path, false) };
                let where_ = crate::catalog::describe_path(&path);
                d = d.label(span.unwrap_or(anchor), format!("{where_}: {msg}"));
            }
            if d.labels.is_empty() {
                d = d.label(anchor, "rejected");
            }
            d
        }
        s if s >= 500 => Diagnostic::error("pplay::server-error", format!("Producer Pal failed with HTTP {s}: {error}"))
            .in_file(file)
            .label(anchor, "this call")
            .help("add `retries:` to the step to resend after a server error"),
        s => Diagnostic::error("pplay::http", format!("Producer Pal answered HTTP {s}: {error}")).in_file(file).label(anchor, "this call"),
    }
}
