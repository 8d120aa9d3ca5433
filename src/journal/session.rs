//! The journal as one run uses it: lines to append, and when resuming, the
//! recorded calls to take instead of sending them again.
//!
//! A resume walks the playbook as the first run did. Every call it meets is
//! looked up by its [`CallKey`]: a call recorded as done is restored (its
//! result, warnings and captures come from the journal) as long as the step's
//! text and the rendered args are what they were; anything else is sent. The
//! recorded calls come first in run order, so a refusal always happens before
//! anything of the resumed run has been sent.

use std::collections::BTreeMap;
use std::path::Path;

use minijinja::value::Value as MjValue;
use serde_json::Map;

use super::format::{CallKey, FileHash, Identity, Line, Outcome, Sent};
use super::hash;
use super::read::Journal;
use super::write::Writer;
use crate::catalog::Catalog;
use crate::diagnostic::Diagnostic;
use crate::event::ResumeInfo;
use crate::playbook::{Action, Playbook, walk_steps};
use crate::protocol::Generation;

/// What a run is: its files, vars, server and catalog.
pub struct RunFacts<'a> {
    /// The playbook path as given on the command line.
    pub playbook_arg: &'a Path,
    pub playbook: &'a Playbook,
    pub vars_files: &'a [std::path::PathBuf],
    pub overrides: &'a [crate::vars::Override],
    pub vars: &'a BTreeMap<String, MjValue>,
    pub url: &'a str,
    pub catalog: &'a Catalog,
}

/// The identity line of a run.
pub fn identity(facts: &RunFacts<'_>) -> Identity {
    let mut id = Identity::new(
        facts.playbook_arg.display().to_string(),
        facts.url.to_owned(),
    );
    id.files = file_hashes(facts.playbook, facts.vars_files);
    id.overrides = facts
        .overrides
        .iter()
        .map(|o| (o.name.to_string(), o.value.clone()))
        .collect::<Map<_, _>>();
    id.vars = facts
        .vars
        .iter()
        .filter_map(|(k, v)| Some((k.clone(), serde_json::to_value(v).ok()?)))
        .collect();
    id.generation = match facts.catalog.generation() {
        Generation::V1 => "1",
        Generation::V2 => "2",
    }
    .to_owned();
    id.catalog_sha256 = hash::bytes(facts.catalog.document().to_string().as_bytes());
    id
}

/// The hashes of a run's files: the playbook, each file it includes, and
/// the vars files, each once.
pub fn file_hashes(pb: &Playbook, vars_files: &[std::path::PathBuf]) -> Vec<FileHash> {
    let mut files = vec![(
        pb.file.name().to_owned(),
        hash::bytes(pb.file.text().as_bytes()),
    )];
    walk_steps(&pb.steps, &mut |s| {
        if let Action::Include { playbook, .. } = &s.action {
            files.push((
                playbook.file.name().to_owned(),
                hash::bytes(playbook.file.text().as_bytes()),
            ));
        }
    });
    for f in vars_files {
        let text = std::fs::read(f).unwrap_or_default();
        files.push((f.display().to_string(), hash::bytes(&text)));
    }
    files.dedup();
    files
        .into_iter()
        .map(|(path, sha256)| FileHash { path, sha256 })
        .collect()
}

/// The files whose text differs from what the journal recorded.
pub fn changed_files(earlier: &[FileHash], now: &[FileHash]) -> Vec<String> {
    earlier
        .iter()
        .filter(|f| !now.contains(f))
        .map(|f| f.path.clone())
        .collect()
}

/// What to do with one call of the run.
#[derive(Debug)]
pub enum Lookup<'j> {
    /// Not recorded as done: send it.
    Send,
    /// Recorded as done: take this outcome. `changed` says why `--force` was
    /// needed, when it was.
    Restore {
        outcome: &'j Outcome,
        changed: Option<&'static str>,
    },
    /// Recorded as done, but no longer what was done.
    Refuse(&'static str),
}

/// A run's journal: where lines go, and what an earlier run recorded.
#[derive(Debug)]
pub struct Session {
    writer: Writer,
    earlier: Option<Journal>,
    force: bool,
    /// Calls recorded as done that the walk has not met yet.
    pending: usize,
    /// What reports say about the resume.
    info: Option<ResumeInfo>,
}

impl Session {
    /// A first run: nothing to restore.
    pub fn new(writer: Writer) -> Self {
        Session {
            writer,
            earlier: None,
            force: false,
            pending: 0,
            info: None,
        }
    }

    /// A resume of `earlier`; `force` keeps recorded outcomes of steps that
    /// changed.
    pub fn resume(writer: Writer, earlier: Journal, force: bool) -> Self {
        Session {
            pending: earlier.done(),
            writer,
            earlier: Some(earlier),
            force,
            info: None,
        }
    }

    /// Adds what reports say about the resume.
    pub fn with_info(mut self, info: ResumeInfo) -> Self {
        self.info = Some(info);
        self
    }

    /// What reports say about the resume, when this run is one.
    pub fn info(&self) -> Option<&ResumeInfo> {
        self.info.as_ref()
    }

    /// Whether the call `key`, about to be sent with args hashing to
    /// `args_sha256` by a step whose text hashes to `step_sha256`, was done
    /// already.
    pub fn lookup(&mut self, key: &CallKey, step_sha256: &str, args_sha256: &str) -> Lookup<'_> {
        let Some(earlier) = &self.earlier else {
            return Lookup::Send;
        };
        let done = earlier
            .get(key)
            .and_then(|r| Some((&r.sent, r.outcome.as_ref()?)))
            .filter(|(_, o)| o.status.is_done());
        let Some((sent, outcome)) = done else {
            return if self.pending > 0 && !self.force {
                Lookup::Refuse(
                    "this call was not made by the earlier run, which went on to other calls: \
                     the run now takes another path",
                )
            } else {
                Lookup::Send
            };
        };
        self.pending = self.pending.saturating_sub(1);
        // A skipped call has no args to compare: the user vouched for it.
        let changed = if sent.step_sha256 != step_sha256 {
            Some("the step changed in the file since its call was made")
        } else if sent.args_sha256 != args_sha256 && outcome.result.is_some() {
            Some("the step's args now render differently from those it was sent with")
        } else {
            None
        };
        match changed {
            Some(why) if !self.force => Lookup::Refuse(why),
            changed => Lookup::Restore { outcome, changed },
        }
    }

    /// Records that a call is about to be sent; returns once it is on disk.
    pub fn sent(&mut self, sent: Sent) -> Result<(), Diagnostic> {
        self.writer.write(&Line::Sent(sent))
    }

    /// Records what a call came to.
    pub fn outcome(&mut self, outcome: Outcome) -> Result<(), Diagnostic> {
        self.writer.write(&Line::Outcome(outcome))
    }

    /// Records how the run ended.
    pub fn finished(&mut self, exit_code: i32) -> Result<(), Diagnostic> {
        self.writer.write(&Line::Finished { exit_code })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::format::{CallStatus, Identity};
    use crate::journal::read::parse;
    use crate::journal::write::line_text;
    use crate::source::SourceFile;

    fn key(step: &str) -> CallKey {
        CallKey {
            step: step.into(),
            iteration: None,
        }
    }

    fn journal(calls: &[(&str, CallStatus)]) -> Journal {
        let mut text = line_text(&Line::Run(Identity::new("pb".into(), "u".into())));
        for (step, status) in calls {
            text += &line_text(&Line::Sent(Sent {
                key: key(step),
                tool: "t".into(),
                step_sha256: format!("step{step}"),
                args_sha256: format!("args{step}"),
                args: None,
                name: None,
            }));
            text += &line_text(&Line::Outcome(Outcome {
                key: key(step),
                status: *status,
                http: Some(200),
                result: Some(serde_json::json!({"n": step})),
                warnings: Vec::new(),
                is_error: false,
                duration_ms: 1.0,
                captures: Default::default(),
            }));
        }
        parse(SourceFile::new("j", text)).unwrap().unwrap()
    }

    fn session(calls: &[(&str, CallStatus)], force: bool) -> (Session, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let w = Writer::create(&dir.path().join("j")).unwrap();
        (Session::resume(w, journal(calls), force), dir)
    }

    #[test]
    fn done_calls_are_restored_and_failed_ones_sent() {
        let (mut s, _d) = session(&[("0", CallStatus::Ok), ("1", CallStatus::Failed)], false);
        assert!(matches!(
            s.lookup(&key("0"), "step0", "args0"),
            Lookup::Restore { changed: None, .. }
        ));
        assert!(matches!(
            s.lookup(&key("1"), "step1", "args1"),
            Lookup::Send
        ));
        assert!(matches!(
            s.lookup(&key("2"), "step2", "args2"),
            Lookup::Send
        ));
    }

    #[test]
    fn a_changed_step_or_args_is_refused_unless_forced() {
        let calls = [("0", CallStatus::Ok)];
        let (mut s, _d) = session(&calls, false);
        assert!(
            matches!(s.lookup(&key("0"), "edited", "args0"), Lookup::Refuse(w) if w.contains("changed in the file"))
        );
        let (mut s, _d) = session(&calls, false);
        assert!(
            matches!(s.lookup(&key("0"), "step0", "other"), Lookup::Refuse(w) if w.contains("render differently"))
        );
        let (mut s, _d) = session(&calls, true);
        assert!(matches!(
            s.lookup(&key("0"), "edited", "args0"),
            Lookup::Restore {
                changed: Some(_),
                ..
            }
        ));
    }

    #[test]
    fn a_new_call_before_recorded_ones_is_another_path() {
        let (mut s, _d) = session(&[("0", CallStatus::Ok), ("2", CallStatus::Ok)], false);
        assert!(matches!(
            s.lookup(&key("0"), "step0", "args0"),
            Lookup::Restore { .. }
        ));
        assert!(
            matches!(s.lookup(&key("1"), "step1", "args1"), Lookup::Refuse(w) if w.contains("another path"))
        );
        let (mut s, _d) = session(&[("0", CallStatus::Ok)], false);
        assert!(matches!(
            s.lookup(&key("0"), "step0", "args0"),
            Lookup::Restore { .. }
        ));
        assert!(matches!(
            s.lookup(&key("1"), "step1", "args1"),
            Lookup::Send
        ));
    }
}
