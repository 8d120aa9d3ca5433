//! `run --journal` and `run --resume`: opening the journal, and what a
//! resume decides before anything is sent (nothing to do, the call in
//! flight, the vars and URL of the earlier run).

use std::path::{Path, PathBuf};

use clap::Args;

use crate::check::Checked;
use crate::diagnostic::Diagnostic;
use crate::event::{InFlightNote, ResumeInfo};
use crate::journal::format::FileHash;
use crate::journal::session::{RunFacts, changed_files, identity};
use crate::journal::{
    self, CallStatus, InFlight, Journal, Line, Outcome, Session, Writer, in_flight,
};
use crate::vars::Override;

/// `--journal`, `--resume`, `--force`, `--in-flight`.
#[derive(Debug, Clone, Default, Args)]
pub struct JournalArgs {
    /// Journal the run to PATH (one line per call, on disk before the next
    /// call is sent), so that it can be resumed
    #[arg(long, value_name = "PATH", conflicts_with_all = ["resume", "dry_run"])]
    pub journal: Option<PathBuf>,
    /// Resume the run journaled in PATH: calls it records as done are not
    /// sent again; the journal goes on
    #[arg(long, value_name = "PATH", conflicts_with = "dry_run")]
    pub resume: Option<PathBuf>,
    /// With --resume: keep the recorded outcome of steps that changed
    #[arg(long, requires = "resume")]
    pub force: bool,
    /// With --resume: send the call that was in flight again, or take it as
    /// done (look in Live first)
    #[arg(long, value_enum, value_name = "CHOICE", requires = "resume")]
    pub in_flight: Option<InFlight>,
}

/// The journal a resume starts from.
pub enum Earlier {
    /// No `--resume`, or a journal with no complete line: a fresh run.
    None,
    /// The earlier run finished: there is nothing to do.
    Finished {
        calls: usize,
        /// The files it ran, to tell an edited playbook from the same one.
        files: Vec<FileHash>,
    },
    Journal(Box<Journal>),
}

impl Earlier {
    /// The URL the earlier run used.
    pub fn url(&self) -> Option<&str> {
        match self {
            Earlier::Journal(j) => Some(&j.identity.url),
            _ => None,
        }
    }
}

/// Reads the `--resume` journal, if any.
pub fn earlier(args: &JournalArgs) -> Result<Earlier, Diagnostic> {
    let Some(path) = &args.resume else {
        return Ok(Earlier::None);
    };
    Ok(match journal::read(path)? {
        None => Earlier::None,
        Some(j) if j.finished == Some(crate::exit::OK) => Earlier::Finished {
            calls: j.done(),
            files: j.identity.files.clone(),
        },
        Some(j) => Earlier::Journal(Box::new(j)),
    })
}

/// What a finished journal resumes to: nothing to do while its files are
/// the files now (or `--force` says to take it as done); an edited playbook
/// is refused, as it is for a run that did not finish.
pub fn finished(
    path: &Path,
    calls: usize,
    recorded: &[FileHash],
    now: &[FileHash],
    force: bool,
) -> Result<String, Diagnostic> {
    let changed = changed_files(recorded, now);
    if !changed.is_empty() && !force {
        return Err(Diagnostic::error(
            "pplay::resume-changed",
            format!(
                "cannot resume: {} changed since the finished run that {} records",
                changed.join(", "),
                path.display()
            ),
        )
        .help("undo the change, run the edited playbook without --resume, or resume with --force to take the finished run as done"));
    }
    Ok(format!(
        "nothing to do: {} records a finished run ({calls} call{} done); nothing was sent",
        path.display(),
        if calls == 1 { "" } else { "s" }
    ))
}

/// The earlier run's `--var` values, then this run's (which win).
pub fn overrides(earlier: &Earlier, now: Vec<Override>) -> Vec<Override> {
    match earlier {
        Earlier::Journal(j) => j
            .identity
            .overrides
            .iter()
            .map(|(k, v)| Override::new(k.clone(), v.clone()))
            .chain(now)
            .collect(),
        _ => now,
    }
}

/// Opens the journal for this run: a new one (`--journal`, or a resume of an
/// empty one), or the earlier one continued after deciding about the call in
/// flight. `Ok(None)` without `--journal` or `--resume`.
pub fn open(
    args: &JournalArgs,
    earlier: Earlier,
    facts: &RunFacts<'_>,
    checked: &Checked<'_, '_>,
) -> Result<Option<Session>, Vec<Diagnostic>> {
    // The identity hashes every file and the catalog: only a journal needs it.
    let earlier = match earlier {
        Earlier::Journal(j) => *j,
        _ => {
            let Some(path) = args.journal.as_ref().or(args.resume.as_ref()) else {
                return Ok(None);
            };
            let mut w = Writer::create(path).map_err(|d| vec![d])?;
            w.write(&Line::Run(identity(facts))).map_err(|d| vec![d])?;
            return Ok(Some(Session::new(w)));
        }
    };
    let mut earlier = earlier;
    let decisions = in_flight::decide(&earlier, checked, args.in_flight)?;
    let mut w = Writer::append(&earlier).map_err(|d| vec![d])?;
    w.write(&Line::Resumed {
        in_flight: args.in_flight,
        force: args.force,
    })
    .map_err(|d| vec![d])?;
    let mut notes = Vec::new();
    for d in decisions {
        if d.choice == InFlight::Skip {
            let skipped = Outcome {
                key: d.key.clone(),
                status: CallStatus::Skipped,
                http: None,
                result: None,
                warnings: Vec::new(),
                is_error: false,
                duration_ms: 0.0,
                captures: Default::default(),
            };
            w.write(&Line::Outcome(skipped.clone()))
                .map_err(|d| vec![d])?;
            earlier.settle(skipped);
        }
        notes.push(InFlightNote {
            call: d.call,
            choice: match (d.choice, d.read_only) {
                (InFlight::Resend, true) => "sent again (read-only tool)",
                (InFlight::Resend, false) => "sent again (--in-flight resend)",
                (InFlight::Skip, _) => "taken as done, without a result (--in-flight skip)",
            },
        });
    }
    let note = ResumeInfo {
        journal: earlier.file.name().to_owned(),
        recorded: earlier.done(),
        in_flight: notes,
        changed_files: changed_files(&earlier.identity.files, &identity(facts).files),
    };
    Ok(Some(
        Session::resume(w, earlier, args.force).with_info(note),
    ))
}
