//! Steps that do not run: skipped ones (a false `when`, a loop with no
//! items, the steps of a skipped include), and, after a run stopped early,
//! every call it never reached. Each is reported as a step end, so every
//! reporter counts and lists them alike.

use minijinja::value::Value as MjValue;

use super::{Runner, step_ref};
use crate::check::CheckedStep;
use crate::event::{Event, Iteration, StepStatus};

/// Why a step the run never reached did not run.
const NOT_RUN: &str = "not run: the run stopped before this step";

impl Runner<'_> {
    /// Reports `cs` (or, with `it`, one iteration of it) as skipped for
    /// `why`, under its name rendered in `ctx`; for an include, each call
    /// step in it.
    pub(super) fn skip(
        &mut self,
        cs: &CheckedStep<'_, '_>,
        ctx: &MjValue,
        it: Option<Iteration>,
        why: &str,
    ) {
        if cs.step.tool().is_none() {
            for inner in &cs.include_steps {
                self.skip(inner, ctx, None, why);
            }
            return;
        }
        let sr = step_ref(cs, self.label(cs, ctx), it);
        self.summary.skipped += 1;
        self.summary.steps += 1;
        self.sink.emit(&Event::StepStarted { step: sr.clone() });
        self.finish(sr, StepStatus::Skipped, 0.0, Some(why.to_owned()), None);
    }

    /// After a run stopped early: each call step it never reached, and each
    /// iteration of a loop of known length it did not get to, as not run.
    pub(super) fn not_run(&mut self, steps: &[CheckedStep<'_, '_>]) {
        for cs in steps {
            if cs.step.tool().is_none() {
                self.not_run(&cs.include_steps);
                continue;
            }
            let (done, seen) = self.reached.get(&cs.index).copied().unwrap_or((0, None));
            let length = seen.or(cs.loop_.as_ref().and(cs.loop_len));
            let missing: Vec<Option<Iteration>> = match length {
                Some(n) if cs.loop_.is_some() => (done..n)
                    .map(|index0| Some(Iteration { index0, length: n }))
                    .collect(),
                _ if done == 0 => vec![None],
                _ => Vec::new(),
            };
            for it in missing {
                let sr = step_ref(cs, cs.step.label(), it);
                self.summary.not_run += 1;
                self.finish(sr, StepStatus::NotRun, 0.0, Some(NOT_RUN.to_owned()), None);
            }
        }
    }
}
