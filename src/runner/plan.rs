//! Plan: `--dry-run` reports the call instead of sending it, and lets later
//! steps see placeholders where results would be.

use minijinja::context;
use minijinja::value::Value as MjValue;

use super::Runner;
use super::render::Rendered;
use crate::check::CheckedStep;
use crate::event::{Event, StepRef, StepStatus};
use crate::template::placeholder;

impl Runner<'_> {
    /// Reports the planned call; returns the placeholder outcome kept as
    /// `steps.<id>`.
    pub(super) fn plan(
        &mut self,
        cs: &CheckedStep<'_, '_>,
        sr: StepRef,
        tool: String,
        call: Rendered,
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
            args: call.args,
            timeout_ms: call.timeout_ms,
        });
        self.summary.steps += 1;
        self.finish(sr, StepStatus::Planned, 0.0, None, None);
        context! {
            result => placeholder(format!("{base}.result")),
            warnings => placeholder(format!("{base}.warnings")),
            isError => false,
            durationMs => 0,
        }
    }
}
