//! Running a checked playbook: per call, render → (plan | validate → call →
//! verify).
//!
//! The runner owns the run's scope (vars, captures, `steps.<id>`) and emits
//! [`Event`]s; it never prints. Everything it evaluates was compiled by
//! [`crate::check`], once; per call it only evaluates templates, validates the
//! rendered args with the tool's precompiled schema and sends them over the
//! one keep-alive client.
//!
//! - this file: the run, the walk over steps (`when`, includes, loops) and
//!   the order of one call's stages;
//! - [`scope`]: what templates see;
//! - [`render`], [`plan`] (`--dry-run`), [`validate`]: before sending;
//! - [`call`]: sending, retries, and the reply read into an outcome;
//! - [`targets`]: a write's per-target entries (2.4): a skipped target
//!   fails the step, an explained one warns;
//! - [`verify`]: after a reply arrives, the tool's verdict, captures and
//!   expectations;
//! - [`journal`]: with `--journal`/`--resume`, each call recorded before it
//!   is sent and after it is judged, and calls an earlier run did restored.

mod call;
mod ensure;
mod journal;
mod plan;
mod render;
mod scope;
mod skip;
mod targets;
mod validate;
mod verify;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use minijinja::value::Value as MjValue;
use serde_json::Value as Json;

pub use call::backoff;

use crate::check::{Checked, CheckedStep};
use crate::client::{Client, ClientError};
use crate::diagnostic::Diagnostic;
use crate::event::{Event, Iteration, Sink, StepRef, StepStatus, Summary};
use crate::exit;
use crate::journal::{CallStatus, Session};
use crate::loops::iteration_ctx;
use crate::placeholder::{Placeholder, placeholder};
use crate::playbook::{Action, OnError};
use crate::source::SourceFile;
use crate::template::TemplateError;
use ensure::Converged;
use scope::Scope;

/// How to run.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Render and report the calls without sending any.
    pub dry_run: bool,
    /// `pplay plan`: send only read-only calls (and the reads `ensure:`
    /// needs), and report what the others would change. Implies `dry_run`
    /// for everything that is not sent.
    pub plan: bool,
    /// Set (by Ctrl-C) to stop after the call in flight.
    pub cancel: Option<Arc<AtomicBool>>,
    /// The exit code of a run stopped by `cancel`, when it is not Ctrl-C's
    /// 130 (SIGTERM's 143, a closed output's 141); read when the run ends.
    pub cancel_code: Option<Arc<std::sync::atomic::AtomicI32>>,
    /// Notified (by a second Ctrl-C) to abandon the call in flight; the run
    /// then ends as an interrupted one, reports and all.
    pub abandon: Option<Arc<tokio::sync::Notify>>,
    /// Asked before each call whether to raise `cancel`: the CLI looks there
    /// for a report reader that has gone, which no write would show until
    /// the next report line.
    pub watch: Option<Watch>,
}

/// A check run before each call; it raises the run's `cancel` when the run
/// should stop.
#[derive(Clone)]
pub struct Watch(pub Arc<dyn Fn() + Send + Sync>);

impl std::fmt::Debug for Watch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Watch")
    }
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq)]
pub struct RunOutcome {
    pub summary: Summary,
    pub exit_code: i32,
    /// Each captured name's last value, for callers that answer with them
    /// (`pplay mcp`); one value per name, however many iterations set it.
    pub captures: serde_json::Map<String, serde_json::Value>,
}

/// Runs `checked` against `client` (ignored for a dry run).
pub async fn run(
    checked: &Checked<'_, '_>,
    client: &Client,
    opts: &RunOptions,
    sink: &mut dyn Sink,
) -> RunOutcome {
    run_journaled(checked, client, opts, sink, None).await
}

/// Runs `checked`, recording each call in `journal` and restoring the calls
/// an earlier run recorded as done.
pub async fn run_journaled(
    checked: &Checked<'_, '_>,
    client: &Client,
    opts: &RunOptions,
    sink: &mut dyn Sink,
    journal: Option<&mut Session>,
) -> RunOutcome {
    let started = Instant::now();
    let pb = checked.playbook;
    sink.emit(&Event::RunStarted {
        name: checked.name.clone(),
        file: pb.file.name().to_owned(),
        url: client.base_url().to_owned(),
        steps: checked.step_count,
        planned_calls: checked.planned_calls,
        dry_run: opts.dry_run,
        plan: opts.plan,
    });
    if let Some(info) = journal.as_deref().and_then(Session::info) {
        sink.emit(&Event::Resumed(info.clone()));
    }
    let mut r = Runner {
        journal,
        client,
        opts,
        sink,
        scope: Scope::new(checked.vars.clone()),
        readers: &checked.readers,
        var_sources: &checked.var_sources,
        summary: Summary::default(),
        max_iterations: checked.max_iterations,
        generation: checked.generation,
        notation: checked.notation,
        stop: None,
        reached: foldhash::HashMap::default(),
        skipped_sets: Vec::new(),
        last_ref: None,
        captured: BTreeMap::new(),
        cache: ensure::Cache::default(),
    };
    r.steps(&checked.steps).await;
    let interrupted = r.cancelled();
    if r.stop.is_some() || interrupted {
        let ctx = r.scope.ctx();
        r.not_run(&checked.steps, &ctx);
    }
    let (exit_code, error) = match (&r.stop, interrupted) {
        (Some(Stop::Unreachable(e)), _) => (exit::UNREACHABLE, Some(e.to_string())),
        (Some(Stop::Refused), _) => (exit::INVALID, None),
        (_, true) => (
            opts.cancel_code
                .as_ref()
                .map_or(exit::INTERRUPTED, |c| c.load(Ordering::SeqCst)),
            None,
        ),
        (Some(Stop::Failed), _) => (exit::STEP_FAILED, None),
        // A plan's 1: something would change.
        (None, _) if opts.plan && r.summary.changed > 0 => (exit::STEP_FAILED, None),
        (None, _) => (exit::OK, None),
    };
    r.summary.duration_ms = ms(started.elapsed());
    let summary = r.summary;
    // Best effort: a journal without this line still resumes.
    if let Some(j) = r.journal.as_deref_mut() {
        let _ = j.finished(exit_code);
    }
    r.sink.emit(&Event::RunFinished {
        summary,
        exit_code,
        interrupted,
        error,
    });
    let captures = r
        .captured
        .iter()
        .map(|(k, v)| (k.clone(), serde_json::to_value(v).unwrap_or_default()))
        .collect();
    RunOutcome {
        summary,
        exit_code,
        captures,
    }
}

enum Stop {
    Failed,
    Unreachable(ClientError),
    /// A resume met a recorded call that no longer matches the playbook.
    Refused,
}

struct Runner<'a> {
    journal: Option<&'a mut Session>,
    client: &'a Client,
    opts: &'a RunOptions,
    sink: &'a mut dyn Sink,
    scope: Scope,
    /// What later steps read, so the scope drops what nothing will.
    readers: &'a crate::readers::Readers,
    /// Where the vars given from outside came from, for argument hints.
    var_sources: &'a crate::args::VarSources,
    summary: Summary,
    max_iterations: usize,
    /// The server's generation, as its catalog shows it.
    generation: crate::protocol::Generation,
    /// How the calls write notes, as the check read them.
    notation: crate::protocol::Notation,
    stop: Option<Stop>,
    /// Per step index: how many of its ends were reported, and the length
    /// of its loop (its whole length once it ended as a whole), so that a
    /// stopped run can list what it never reached.
    reached: foldhash::HashMap<usize, (usize, Option<usize>)>,
    /// `--dry-run`: what the steps it skipped would have set (captures,
    /// `steps.<id>`), with the name of the step that sets each.
    skipped_sets: Vec<(String, String)>,
    /// The last step's reference, unnamed: the iterations of a loop share
    /// its place, tool and id instead of working them out each time.
    last_ref: Option<StepRef>,
    /// What the run captured, last value per name, for [`RunOutcome`].
    captured: BTreeMap<String, MjValue>,
    /// The reads `ensure:` made, kept up to date.
    cache: ensure::Cache,
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e6).round() / 1e3
}

fn err_at(file: &Arc<SourceFile>, code: &'static str, e: &TemplateError, what: &str) -> Diagnostic {
    Diagnostic::error(code, format!("{what}: {}", e.message))
        .in_file(file)
        .label(e.span, "here")
}

/// An include var that could not be evaluated, and where.
struct IncludeVarFailure<'s> {
    file: Arc<SourceFile>,
    name: &'s str,
    error: TemplateError,
    ctx: MjValue,
}

/// An include's vars as the run sets them: the step's own, all evaluated
/// in the caller's scope, then the included file's defaults for the rest,
/// in order, each seeing those before it.
fn include_values<'s>(
    cs: &CheckedStep<'_, 's>,
    caller: &MjValue,
) -> Result<Vec<(&'s str, MjValue)>, IncludeVarFailure<'s>> {
    let Some(include) = cs.include.as_deref() else {
        return Ok(Vec::new());
    };
    let mut values = Vec::with_capacity(include.vars.len() + include.defaults.len());
    for (name, c) in &include.vars {
        match c.eval(caller) {
            Ok(v) => values.push((*name, v)),
            Err(error) => {
                return Err(IncludeVarFailure {
                    file: cs.step.file.clone(),
                    name,
                    error,
                    ctx: caller.clone(),
                });
            }
        }
    }
    let Action::Include { playbook, .. } = &cs.step.action else {
        return Ok(values);
    };
    for (name, c) in &include.defaults {
        let ctx = over(&values, caller);
        match c.eval(&ctx) {
            Ok(v) => values.push((*name, v)),
            Err(error) => {
                return Err(IncludeVarFailure {
                    file: playbook.file.clone(),
                    name,
                    error,
                    ctx,
                });
            }
        }
    }
    Ok(values)
}

/// `values` over `base`: a name in both is `values`'.
fn over(values: &[(&str, MjValue)], base: &MjValue) -> MjValue {
    let top = MjValue::from_iter(values.iter().map(|(k, v)| ((*k).to_owned(), v.clone())));
    // The last map given wins.
    minijinja::value::merge_maps([base.clone(), top])
}

/// The context to name an include's steps in when the run does not enter
/// it: `caller` with the include's vars, those that can be evaluated.
fn naming_ctx(cs: &CheckedStep<'_, '_>, caller: &MjValue) -> MjValue {
    match include_values(cs, caller) {
        Ok(values) => over(&values, caller),
        Err(f) => f.ctx,
    }
}

fn is_placeholder(v: &MjValue) -> bool {
    v.downcast_object_ref::<Placeholder>().is_some()
}

impl Runner<'_> {
    fn cancelled(&self) -> bool {
        if let Some(Watch(watch)) = &self.opts.watch {
            watch();
        }
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
                for what in self.readers.expiring_after(cs.index) {
                    self.scope.forget(what);
                }
            }
        })
    }

    async fn step(&mut self, cs: &CheckedStep<'_, '_>) {
        let ctx = self.scope.ctx();
        if !cs.when_each && !self.when(cs, &ctx, None) {
            return;
        }
        if let Action::Include { .. } = &cs.step.action {
            if self.include_vars(cs) {
                self.steps(cs.include_steps()).await;
            }
            return;
        }
        match &cs.loop_ {
            None => {
                let kept = self.kept_id(cs);
                if let Some(outcome) = self.iteration(cs, ctx, None, kept.is_some()).await
                    && let Some(id) = kept
                {
                    self.scope.set_step(id, outcome);
                }
            }
            Some(_) => match self.loop_items(cs, &ctx) {
                Some(items) if items.is_empty() => {
                    self.skip(cs, &ctx, None, "the loop has no items")
                }
                Some(items) => self.iterations(cs, items).await,
                None => {}
            },
        }
    }

    /// Whether the step's `when` lets it (or, with `it`, one iteration of
    /// it) run; what it does not let run is reported as skipped.
    fn when(&mut self, cs: &CheckedStep<'_, '_>, ctx: &MjValue, it: Option<Iteration>) -> bool {
        let Some(w) = &cs.when else { return true };
        // A dry run cannot decide what reads a result: the step is listed,
        // its call planned with the condition noted.
        if self.opts.dry_run && w.reads_placeholder(ctx) {
            return true;
        }
        match w.eval(ctx) {
            Ok(v) if !v.is_true() && !is_placeholder(&v) => {
                let cond = w.source().unwrap_or("false");
                let why = match &cs.step.action {
                    Action::Include { path, .. } => {
                        format!("when: {cond}, on `include: {}`", path.value)
                    }
                    Action::Call { .. } => format!("when: {cond}"),
                };
                self.skip(cs, ctx, it, &why);
                false
            }
            Ok(_) => true,
            Err(_) if self.opts.dry_run => true,
            Err(e) => {
                let d = err_at(
                    &cs.step.file,
                    "pplay::when",
                    &e,
                    "the `when` condition failed",
                );
                self.fail_before_call(cs, it, d, ctx);
                false
            }
        }
    }

    /// Sets an include's vars in the scope (see [`include_values`]); false
    /// if one failed.
    fn include_vars(&mut self, cs: &CheckedStep<'_, '_>) -> bool {
        let caller = self.scope.ctx();
        match include_values(cs, &caller) {
            Ok(values) => {
                for (name, v) in values {
                    self.scope.set(name, v);
                }
                true
            }
            Err(f) => self.include_var_failed(cs, &f.file, f.name, &f.error, &f.ctx),
        }
    }

    fn include_var_failed(
        &mut self,
        cs: &CheckedStep<'_, '_>,
        file: &Arc<SourceFile>,
        name: &str,
        e: &TemplateError,
        ctx: &MjValue,
    ) -> bool {
        let d = err_at(
            file,
            "pplay::template",
            e,
            &format!("var `{name}` cannot be evaluated"),
        );
        self.fail_before_call(cs, None, d, ctx);
        false
    }

    /// The items of the step's loop, or `None` after reporting why there
    /// are none to run.
    fn loop_items(&mut self, cs: &CheckedStep<'_, '_>, ctx: &MjValue) -> Option<Vec<MjValue>> {
        let step = cs.step;
        let l = cs.loop_.as_ref()?;
        let span = step.loop_.as_ref().map_or(step.span, |n| n.span);
        if self.opts.dry_run && l.reads_placeholder(ctx) {
            return Some(vec![placeholder("item")]);
        }
        let result = match l.eval(ctx) {
            Ok(v) if is_placeholder(&v) => Ok(vec![placeholder("item")]),
            Ok(v) => crate::loops::items(&step.file, span, &v, self.max_iterations),
            Err(e) => Err(err_at(
                &step.file,
                "pplay::loop",
                &e,
                "`loop` cannot be evaluated",
            )),
        };
        match result {
            Ok(items) => Some(items),
            Err(d) => {
                self.fail_before_call(cs, None, d, ctx);
                None
            }
        }
    }

    /// One call per item, with `item` and `loop` in scope; `steps.<id>` is
    /// the list of their outcomes.
    async fn iterations(&mut self, cs: &CheckedStep<'_, '_>, items: Vec<MjValue>) {
        let length = items.len();
        // Kept only when a later step reads them.
        let outcomes = self.kept_id(cs).map(|id| {
            let outcomes = Arc::new(crate::template::Outcomes::default());
            self.scope
                .set_step(id, MjValue::from_dyn_object(outcomes.clone()));
            outcomes
        });
        let mut items = items.into_iter().enumerate();
        while let Some((index0, item)) = items.next() {
            let base = self.scope.ctx();
            if self.stop.is_some() || self.cancelled() {
                // Named now, with their items, while the loop's scope holds.
                for (index0, item) in std::iter::once((index0, item)).chain(items) {
                    let it = Iteration { index0, length };
                    self.not_run_one(cs, &iteration_ctx(&base, item, it), Some(it));
                }
                break;
            }
            let it = Iteration { index0, length };
            let ctx = iteration_ctx(&base, item, it);
            let it = Some(it);
            let outcome = if cs.when_each && !self.when(cs, &ctx, it) {
                // A skipped iteration keeps its place in `steps.<id>`.
                Some(MjValue::from(()))
            } else {
                self.iteration(cs, ctx, it, outcomes.is_some()).await
            };
            if let (Some(o), Some(outcomes)) = (outcome, &outcomes) {
                outcomes.push(o);
            }
        }
    }

    /// The step's id, when a later step reads its outcome (`steps.<id>`);
    /// an outcome nothing reads is not kept.
    fn kept_id<'c>(&self, cs: &'c CheckedStep<'_, '_>) -> Option<&'c str> {
        let id = cs.step.id.as_ref()?;
        self.readers
            .keeps_step(&id.value, cs.index)
            .then_some(id.value.as_str())
    }

    /// The name events carry. Where the name cannot be rendered, the step
    /// is reported under its written name; a call fails on that (see
    /// [`Self::named`]), a step that is not called is only named.
    fn label(&self, cs: &CheckedStep<'_, '_>, ctx: &MjValue) -> String {
        self.named(cs, ctx).unwrap_or_else(|_| cs.step.label())
    }

    /// The rendered name, or the located reason it cannot be rendered
    /// (fuel spent, a result that is not there).
    fn named(&self, cs: &CheckedStep<'_, '_>, ctx: &MjValue) -> Result<String, Diagnostic> {
        match &cs.name {
            Some(n) => match n.render(ctx) {
                Ok(Json::String(s)) => Ok(s),
                Ok(other) => Ok(other.to_string()),
                Err(e) => Err(err_at(
                    &cs.step.file,
                    "pplay::template",
                    &e,
                    "the step's `name` cannot be rendered",
                )),
            },
            None => Ok(cs.step.label()),
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
        let sr = self.step_ref(cs, self.label(cs, ctx), it);
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
        self.finish(sr, status, duration_ms, Some(d.message.clone()), Some(d));
    }

    /// Reports a step's (or an iteration's) end, and notes it as reached.
    fn finish(
        &mut self,
        step: StepRef,
        status: StepStatus,
        duration_ms: f64,
        message: Option<String>,
        diagnostic: Option<Diagnostic>,
    ) {
        match status {
            StepStatus::Changed => self.summary.changed += 1,
            StepStatus::Ok => self.summary.ok += 1,
            _ => {}
        }
        let (done, length) = self.reached.entry(step.index).or_insert((0, None));
        *done += 1;
        *length = Some(step.iteration.map_or(*done, |it| it.length));
        self.sink.emit(&Event::StepFinished {
            step,
            status,
            duration_ms,
            message,
            diagnostic,
        });
    }

    /// The reference events carry for step `cs` under `name`.
    fn step_ref(
        &mut self,
        cs: &CheckedStep<'_, '_>,
        name: String,
        iteration: Option<Iteration>,
    ) -> StepRef {
        if self.last_ref.as_ref().is_some_and(|r| r.index != cs.index) {
            self.last_ref = None;
        }
        let step = self
            .last_ref
            .get_or_insert_with(|| StepRef::for_step(cs.step, cs.index, String::new(), None));
        StepRef {
            name,
            iteration,
            ..step.clone()
        }
    }

    /// Whether this call is sent: always in a run; in a plan when its tool
    /// only reads (a selection, though marked read-only on 2.x, moves the
    /// view: not in a plan) and its args can be rendered.
    fn sends(&self, cs: &CheckedStep<'_, '_>, ctx: &MjValue) -> bool {
        let read_only = cs.tool.is_some_and(|t| t.read_only);
        !self.opts.dry_run
            || (self.opts.plan
                && read_only
                && !crate::converge::view_only(cs.tool)
                && cs.args.as_ref().is_none_or(|a| !a.reads_placeholder(ctx)))
    }

    /// One call of a step: render → (plan | validate → call → verify).
    /// Returns the outcome to keep as `steps.<id>`, built only when `keep`
    /// says a later step reads it.
    async fn iteration(
        &mut self,
        cs: &CheckedStep<'_, '_>,
        ctx: MjValue,
        it: Option<Iteration>,
        keep: bool,
    ) -> Option<MjValue> {
        let Action::Call { tool, .. } = &cs.step.action else {
            return None;
        };
        let named = self.named(cs, &ctx);
        let label = named.clone().unwrap_or_else(|_| cs.step.label());
        let sr = self.step_ref(cs, label, it);
        self.sink.emit(&Event::StepStarted { step: sr.clone() });
        if let Err(d) = named {
            self.finish_failed(cs, sr, 0.0, d);
            return None;
        }
        let started = Instant::now();
        let changes = crate::converge::changes_set(cs.tool);
        let sends = self.sends(cs, &ctx);
        let rendered = match render::render(cs, &ctx, !sends, self.generation.timeout_range()) {
            Ok(r) => r,
            Err(d) => {
                self.finish_failed(cs, sr, 0.0, d);
                return None;
            }
        };
        if !sends && self.opts.plan {
            return self.plan_change(cs, sr, rendered, ctx, keep).await;
        }
        if !sends {
            let planned = self.plan(cs, sr, tool.value.to_string(), rendered, &ctx);
            return keep.then_some(planned);
        }
        if let Err(d) = validate::validate(
            cs,
            &rendered.args,
            (self.generation, self.notation),
            self.var_sources,
        ) {
            self.finish_failed(cs, sr, 0.0, d);
            return None;
        }
        if let Some(restored) = self.journal_restore(cs, &sr, &rendered.args) {
            return restored;
        }
        let (rendered, journaled_args, identity) = match self
            .converge(cs, &sr, rendered, &ctx)
            .await
        {
            Converged::Send(r, full, identity) => (r, full, identity),
            Converged::Done(result, why) => return self.already(cs, sr, result, why, ctx, keep),
            Converged::Failed(d) => {
                self.finish_failed(cs, sr, 0.0, d);
                return None;
            }
        };
        if let Err(d) = self.journal_sent(cs, &sr, &journaled_args) {
            self.finish_failed(cs, sr, 0.0, d);
            self.stop = Some(Stop::Failed);
            return None;
        }
        // Only a cache that holds reads is kept up to date from the call,
        // so a batch without `ensure:` copies no args.
        let sent_args = (changes && !self.cache.is_empty()).then(|| rendered.args.clone());
        let call = match self.call(cs, &sr, tool, rendered, started).await {
            Ok(c) => c,
            Err(f) => {
                if changes {
                    self.cache.forget();
                }
                let status = self.failed_status(cs, f.unknown);
                let journaled = self.journal_settle(cs, &sr, status, f.http, None);
                self.finish_failed(cs, sr, f.duration_ms, f.diagnostic);
                if let Some(e) = f.unreachable {
                    self.stop = Some(Stop::Unreachable(e));
                }
                self.journal_broken(journaled);
                return None;
            }
        };
        if let Some(sent) = &sent_args {
            self.cache.after(&tool.value, sent, &identity, &call);
        }
        self.warnings(cs, &sr, &call);
        // A skipped target fails the step before captures read the result.
        let verdict = match self.targets(cs, &sr, &call) {
            Some(d) => Err(d),
            None => self.verify(cs, &call, ctx),
        };
        let status = match verdict {
            Ok(()) => CallStatus::Ok,
            Err(_) => self.failed_status(cs, false),
        };
        let journaled = self.journal_settle(cs, &sr, status, Some(200), Some(&call));
        let verdict = match (verdict, &journaled) {
            (Ok(()), Err(d)) => Err(d.clone()),
            (v, _) => v,
        };
        self.journal_broken(journaled);
        match verdict {
            Ok(()) => {
                self.summary.steps += 1;
                let status = if changes {
                    StepStatus::Changed
                } else {
                    StepStatus::Ok
                };
                self.finish(sr, status, call.duration_ms, None, None);
            }
            Err(d) => self.finish_failed(cs, sr, call.duration_ms, d),
        }
        keep.then(|| call.outcome())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use minijinja::context;

    #[test]
    fn include_values_shadow_the_callers() {
        let base = context! { who => "caller", kit => 909 };
        let ctx = over(&[("who", MjValue::from("include"))], &base);
        assert_eq!(ctx.get_attr("who").unwrap().as_str(), Some("include"));
        assert_eq!(ctx.get_attr("kit").unwrap(), MjValue::from(909));
    }
}
