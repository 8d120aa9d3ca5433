//! Steps that do not run: skipped ones (a false `when`, each iteration of
//! a loop it skips as a whole, a loop with no items, the steps of a skipped
//! include), and, after a run stopped early,
//! every call it never reached. Each is reported as a step end, under its
//! name rendered with what is known (the loop's item, the include's vars),
//! so every reporter counts and lists them alike.

use minijinja::value::Value as MjValue;

use super::{Runner, plan};
use crate::check::CheckedStep;
use crate::event::{Event, Iteration, StepStatus};
use crate::loops::iteration_ctx;

/// Why a step the run never reached did not run.
const NOT_RUN: &str = "not run: the run stopped before this step";

impl Runner<'_> {
    /// Reports `cs` (or, with `it`, one iteration of it) as skipped for
    /// `why`, under its name rendered in `ctx`; for an include, each call
    /// step in it, named with the include's vars. A dry run notes what the
    /// skipped step would have set, for the steps that read it.
    pub(super) fn skip(
        &mut self,
        cs: &CheckedStep<'_, '_>,
        ctx: &MjValue,
        it: Option<Iteration>,
        why: &str,
    ) {
        if cs.step.tool().is_none() {
            let inner_ctx = super::naming_ctx(cs, ctx);
            for inner in cs.include_steps() {
                self.skip(inner, &inner_ctx, None, why);
            }
            return;
        }
        // A loop skipped as a whole: each iteration, named with its item,
        // when the loop gives its items now.
        if it.is_none()
            && let Some(items) = self.items_now(cs, ctx, None)
            && !items.is_empty()
        {
            let length = items.len();
            for (index0, item) in items.into_iter().enumerate() {
                let it = Iteration { index0, length };
                self.skip(cs, &iteration_ctx(ctx, item, it), Some(it), why);
            }
            return;
        }
        let name = self.label(cs, ctx);
        if self.opts.dry_run {
            for set in plan::sets(cs) {
                if !self.skipped_sets.iter().any(|(s, _)| *s == set) {
                    self.skipped_sets.push((set, name.clone()));
                }
            }
        }
        let sr = self.step_ref(cs, name, it);
        self.summary.skipped += 1;
        self.summary.steps += 1;
        self.sink.emit(&Event::StepStarted { step: sr.clone() });
        self.finish(sr, StepStatus::Skipped, 0.0, Some(why.to_owned()), None);
    }

    /// After a run stopped early: each call step it never reached, and each
    /// iteration of a loop of known length it did not get to, as not run.
    pub(super) fn not_run(&mut self, steps: &[CheckedStep<'_, '_>], ctx: &MjValue) {
        for cs in steps {
            if cs.step.tool().is_none() {
                // An include the run entered has its vars in scope already.
                let inner = if self.entered(cs) {
                    ctx.clone()
                } else {
                    super::naming_ctx(cs, ctx)
                };
                self.not_run(cs.include_steps(), &inner);
                continue;
            }
            let (done, seen) = self.reached.get(&cs.index).copied().unwrap_or((0, None));
            let length = seen.or(cs.loop_.as_ref().and(cs.loop_len));
            match length {
                Some(n) if cs.loop_.is_some() => self.not_run_iterations(cs, ctx, done, n),
                _ if done == 0 => self.not_run_one(cs, ctx, None),
                _ => {}
            }
        }
    }

    /// Iterations `done..length` of a loop, named with their items when the
    /// loop gives the same list now.
    fn not_run_iterations(
        &mut self,
        cs: &CheckedStep<'_, '_>,
        ctx: &MjValue,
        done: usize,
        length: usize,
    ) {
        let items = self.items_now(cs, ctx, Some(length));
        for index0 in done..length {
            let it = Iteration { index0, length };
            let item_ctx = match &items {
                Some(items) => iteration_ctx(ctx, items[index0].clone(), it),
                None => ctx.clone(),
            };
            self.not_run_one(cs, &item_ctx, Some(it));
        }
    }

    /// The items of a loop that did not run, for naming its iterations:
    /// what its source gives in `ctx` now, if it gives anything (of
    /// `length` items, when that is known) within the iteration limit.
    fn items_now(
        &self,
        cs: &CheckedStep<'_, '_>,
        ctx: &MjValue,
        length: Option<usize>,
    ) -> Option<Vec<MjValue>> {
        let v = cs.loop_.as_ref()?.eval(ctx).ok()?;
        crate::loops::sequence(&v).ok().filter(|items| {
            items.len() <= self.max_iterations && length.is_none_or(|n| items.len() == n)
        })
    }

    /// One call (or iteration) the run never reached, named in `ctx`.
    pub(super) fn not_run_one(
        &mut self,
        cs: &CheckedStep<'_, '_>,
        ctx: &MjValue,
        it: Option<Iteration>,
    ) {
        let sr = self.step_ref(cs, self.label(cs, ctx), it);
        self.summary.not_run += 1;
        self.finish(sr, StepStatus::NotRun, 0.0, Some(NOT_RUN.to_owned()), None);
    }

    /// Whether the run reached any call step of this include.
    fn entered(&self, cs: &CheckedStep<'_, '_>) -> bool {
        cs.include_steps()
            .iter()
            .any(|s| self.reached.contains_key(&s.index) || self.entered(s))
    }
}
