//! `--junit FILE`: a JUnit XML report, one testcase per step (per iteration
//! in loops). A failure carries its message and `file:line:col`. What the
//! terminal counts as skipped is `<skipped>` here, and nothing else: steps
//! skipped by `when`, loops with no items and the steps of a skipped
//! include (each with why), and the steps a stopped run never reached (the
//! runner reports those too). A failure `onError: continue` tolerates
//! passes, with the failure in its output. A write whose result skipped or
//! explained a target lists every target's outcome in the step's output.

use std::time::Duration;

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

use crate::event::{Event, Sink, StepRef, StepStatus};

#[derive(Default)]
pub struct JunitReporter {
    name: String,
    file: String,
    cases: Vec<TestCase>,
    time: Duration,
    /// The last step's per-target outcomes, in words, until it finishes.
    targets: Option<(StepRef, String)>,
}

impl JunitReporter {
    pub fn new() -> Self {
        Self::default()
    }

    fn case_name(step: &StepRef) -> String {
        match step.iteration {
            Some(it) => format!("{} [{}/{}]", step.name, it.index0 + 1, it.length),
            None => step.name.clone(),
        }
    }

    /// The XML document for everything seen so far.
    pub fn to_xml(&self) -> String {
        let mut report = Report::new("pplay");
        let mut suite = TestSuite::new(self.name.clone());
        suite.add_test_cases(self.cases.iter().cloned());
        suite.set_time(self.time);
        report.add_test_suite(suite);
        report.set_time(self.time);
        report.to_string().unwrap_or_default()
    }
}

impl Sink for JunitReporter {
    fn emit(&mut self, event: &Event) {
        match event {
            Event::RunStarted { name, file, .. } => {
                self.name = name.clone();
                self.file = file.clone();
            }
            Event::Targets { step, targets } => {
                let lines: Vec<String> = targets
                    .iter()
                    .map(|t| {
                        let outcome = if t.ok { "done" } else { "skipped" };
                        match &t.explanation {
                            Some(e) => format!("{}: {outcome}: {e}", t.target),
                            None => format!("{}: {outcome}", t.target),
                        }
                    })
                    .collect();
                self.targets = Some((step.clone(), lines.join("\n")));
            }
            Event::StepFinished {
                step,
                status,
                duration_ms,
                message,
                diagnostic,
            } => {
                let mut st = match status {
                    StepStatus::Ok
                    | StepStatus::Changed
                    | StepStatus::Planned
                    | StepStatus::Restored
                    | StepStatus::Ignored => TestCaseStatus::success(),
                    StepStatus::Skipped | StepStatus::NotRun => TestCaseStatus::skipped(),
                    StepStatus::Failed => TestCaseStatus::non_success(NonSuccessKind::Failure),
                };
                let location = diagnostic
                    .as_ref()
                    .and_then(|d| d.location())
                    .unwrap_or_else(|| step.location.clone());
                let mut out = None;
                if let Some(m) = message {
                    match status {
                        StepStatus::Ignored => {
                            out = Some(format!("ignored (onError: continue): {m} at {location}"));
                        }
                        StepStatus::Failed => {
                            st.set_message(format!("{m} at {location}"));
                        }
                        _ => {
                            st.set_message(m.clone());
                        }
                    }
                }
                if *status == StepStatus::Failed {
                    st.set_type("step failed");
                    if let Some(d) = diagnostic {
                        st.set_description(d.render(false, 100));
                    }
                }
                let mut case = TestCase::new(Self::case_name(step), st);
                case.set_classname(self.file.clone());
                case.add_property(("status", crate::report::json::status_name(*status)));
                if *status == StepStatus::Restored {
                    case.set_system_out("restored from the journal: not sent again");
                }
                case.set_time(Duration::from_secs_f64(duration_ms / 1000.0));
                let targets = self
                    .targets
                    .take_if(|(s, _)| s.index == step.index && s.iteration == step.iteration)
                    .map(|(_, t)| format!("targets:\n{t}"));
                let out = match (out, targets) {
                    (Some(o), Some(t)) => Some(format!("{o}\n{t}")),
                    (o, t) => o.or(t),
                };
                if let Some(o) = out {
                    case.set_system_out(o);
                }
                self.cases.push(case);
            }
            Event::RunFinished { summary, .. } => {
                self.time = Duration::from_secs_f64(summary.duration_ms / 1000.0);
            }
            _ => {}
        }
    }
}
