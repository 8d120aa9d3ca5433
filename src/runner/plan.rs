//! Plan: `--dry-run` reports the call instead of sending it, and lets later
//! steps see placeholders where results would be.

use minijinja::context;
use minijinja::value::Value as MjValue;
use serde_json::Map;

use super::Runner;
use super::ensure::Decision;
use super::render::Rendered;
use crate::check::CheckedStep;
use crate::diagnostic::Diagnostic;
use crate::event::{Change, Event, StepRef, StepStatus};
use crate::placeholder::placeholder;

impl Runner<'_> {
    /// Reports the planned call; returns the placeholder outcome kept as
    /// `steps.<id>`.
    pub(super) fn plan(
        &mut self,
        cs: &CheckedStep<'_, '_>,
        sr: StepRef,
        tool: String,
        call: Rendered,
        ctx: &MjValue,
    ) -> MjValue {
        let notes = self.notes(cs, ctx);
        let outcome = self.placeholders(cs, &sr);
        self.sink.emit(&Event::CallPlanned {
            step: sr.clone(),
            tool,
            args: call.args,
            timeout_ms: call.timeout_ms,
            notes,
        });
        self.summary.steps += 1;
        self.finish(sr, StepStatus::Planned, 0.0, None, None);
        outcome
    }

    /// `pplay plan` on a call it does not send: what `ensure:` finds (read
    /// for real), or what the call would change.
    pub(super) async fn plan_change(
        &mut self,
        cs: &CheckedStep<'_, '_>,
        sr: StepRef,
        call: Rendered,
        ctx: MjValue,
        keep: bool,
    ) -> Option<MjValue> {
        let read_only = cs.tool.is_some_and(|t| t.read_only);
        let unknown = [&cs.args, &cs.name]
            .into_iter()
            .flatten()
            .chain(
                cs.ensure
                    .iter()
                    .flat_map(|e| e.identity.iter().map(|(_, c)| c)),
            )
            .any(|c| c.reads_placeholder(&ctx));
        let change = if crate::converge::view_only(cs.tool) {
            Change::Same { why: "view only" }
        } else if unknown {
            Change::Unknown {
                why: "it reads results only the run has".into(),
            }
        } else {
            match self.planned(cs, &sr, call, &ctx).await {
                Ok(Planned::Change(c)) => c,
                Ok(Planned::Found(result, why)) => {
                    return self.already(cs, sr, result, why, ctx, keep);
                }
                Err(d) => {
                    self.finish_failed(cs, sr, 0.0, d);
                    return None;
                }
            }
        };
        let status = match (&change, read_only) {
            (Change::Same { .. }, _) => StepStatus::Ok,
            (_, true) => StepStatus::Planned,
            _ => StepStatus::Changed,
        };
        self.sink.emit(&Event::Change {
            step: sr.clone(),
            change,
        });
        let outcome = self.placeholders(cs, &sr);
        self.summary.steps += 1;
        self.finish(sr, status, 0.0, None, None);
        keep.then_some(outcome)
    }

    /// What a call the plan does not send would do: what `ensure:` decides
    /// over the reads (and over the creates planned before it), or, without
    /// `ensure:`, the call itself, whose object later steps then find.
    async fn planned(
        &mut self,
        cs: &CheckedStep<'_, '_>,
        sr: &StepRef,
        call: Rendered,
        ctx: &MjValue,
    ) -> Result<Planned, Diagnostic> {
        let tool = cs.step.tool().unwrap_or_default();
        let empty = Map::new();
        let args = call.args.as_object().unwrap_or(&empty);
        if cs.ensure.is_none() {
            self.cache.plan_create(tool, args, &empty);
            return Ok(Planned::Change(Change::Send {
                tool: tool.to_owned(),
                args: call.args,
            }));
        }
        super::validate::validate(
            cs,
            &call.args,
            (self.generation, self.notation),
            self.var_sources,
        )?;
        let identity = self.identity(cs, ctx)?;
        Ok(match self.decide(cs, sr, &call.args, &identity).await? {
            Decision::Done { result, why } => Planned::Found(result, why),
            Decision::Send { change, .. } => {
                let earlier = matches!(change, Change::Create { .. })
                    && self.cache.plan_create(tool, args, &identity);
                Planned::Change(if earlier {
                    Change::Same {
                        why: "created earlier in this plan",
                    }
                } else {
                    change
                })
            }
        })
    }

    /// Placeholders where the step's results would be: its captures, and
    /// the outcome kept as `steps.<id>`.
    fn placeholders(&mut self, cs: &CheckedStep<'_, '_>, sr: &StepRef) -> MjValue {
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
        context! {
            result => placeholder(format!("{base}.result")),
            warnings => placeholder(format!("{base}.warnings")),
            isError => false,
            durationMs => 0,
        }
    }
}

impl Runner<'_> {
    /// What this dry run cannot decide about the call, in words.
    fn notes(&self, cs: &CheckedStep<'_, '_>, ctx: &MjValue) -> Vec<String> {
        let mut notes = Vec::new();
        if let Some(w) = &cs.when
            && (w.reads_placeholder(ctx) || w.eval(ctx).is_err())
        {
            let cond = w.source().unwrap_or_default();
            notes.push(format!(
                "when undecided: `{cond}` reads what only the run knows"
            ));
        }
        if let Some(l) = &cs.loop_
            && l.reads_placeholder(ctx)
        {
            let src = l.source().unwrap_or("the loop");
            notes.push(format!(
                "loop over `{src}`, known only at run time: shown once, with <item>"
            ));
        }
        let mut read = Vec::new();
        for c in [&cs.args, &cs.name, &cs.timeout_ms, &cs.when, &cs.loop_]
            .into_iter()
            .flatten()
        {
            c.names(&mut read);
        }
        for (name, _) in read {
            let mut parts = name.split('.');
            let key = match (parts.next(), parts.next()) {
                (Some("steps"), Some(id)) if !self.scope.has_step(id) => format!("steps.{id}"),
                (Some(top), _) if top != "steps" && !self.scope.has(top) => top.to_owned(),
                _ => continue,
            };
            if let Some((_, by)) = self.skipped_sets.iter().find(|(s, _)| *s == key) {
                let note = format!("`{key}` is set only by \"{by}\", which this dry run skips");
                if !notes.contains(&note) {
                    notes.push(note);
                }
            }
        }
        notes
    }
}

/// What a step sets for later steps when it runs: its captures and its
/// `steps.<id>`, and those of the steps it includes.
pub(super) fn sets(cs: &CheckedStep<'_, '_>) -> Vec<String> {
    let mut out: Vec<String> = cs.capture.iter().map(|(n, _)| (*n).to_owned()).collect();
    if let Some(id) = &cs.step.id {
        out.push(format!("steps.{}", id.value));
    }
    for inner in cs.include_steps() {
        out.extend(sets(inner));
    }
    out
}

/// What a plan finds for a call it does not send.
enum Planned {
    /// The line the plan shows.
    Change(Change),
    /// `ensure:` found the object: the step is `ok`, read as the set holds it.
    Found(serde_json::Value, &'static str),
}
