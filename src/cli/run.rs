//! `pplay check` and `pplay run`: load, evaluate the vars, resolve the URL,
//! get the catalog, check, then (for `run`) run and report.

use super::output::{errln, outln};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};

use tokio::sync::Notify;

use super::failure::{Failure, print_diagnostics};
use super::journal::{self, Earlier};
use super::{Output, RunArgs, Shown, Source, VarArgs, catalog, url};
use crate::catalog::Catalog;
use crate::check::{self, CheckOptions, Loaded};
use crate::diagnostic::Diagnostic;
use crate::event::{Fanout, Sink};
use crate::exit;
use crate::journal::format::FileHash;
use crate::journal::session::{RunFacts, file_hashes};
use crate::playbook;
use crate::report::json::JsonReporter;
use crate::report::junit::JunitReporter;
use crate::report::terminal::TerminalReporter;
use crate::report::{self, Verbosity};
use crate::runner::{self, RunOptions};
use crate::sim;

/// The playbook's problems: as JSON lines too with `--json`, then on
/// stderr, and a closing count. Nothing was sent.
fn fail(diags: &[Diagnostic], color: report::ColorChoice, json: bool, file: &Path) -> i32 {
    if json {
        let mut out = JsonReporter::new(std::io::stdout());
        for d in diags {
            out.problem(file, d);
        }
    }
    print_diagnostics(diags, color);
    let errors = diags.iter().filter(|d| d.is_error()).count();
    errln!(
        "error: {} in {}; nothing was sent",
        if errors == 1 {
            "1 problem".to_owned()
        } else {
            format!("{errors} problems")
        },
        file.display()
    );
    exit::INVALID
}

/// `--vars-file`, `--var` and `--notation` as check options.
fn check_options(vars: &VarArgs, source: &Source) -> Result<CheckOptions, Vec<Diagnostic>> {
    Ok(CheckOptions {
        overrides: crate::vars::overrides(&vars.vars_files, &vars.vars)?,
        max_iterations: vars.max_iterations,
        notation: source.profile.notation,
    })
}

pub async fn check(
    files: Vec<PathBuf>,
    source: Source,
    vars: VarArgs,
    json: bool,
    output: Shown,
) -> Result<i32, Failure> {
    let opts = match check_options(&vars, &source) {
        Ok(o) => o,
        Err(d) => {
            print_diagnostics(&d, output.color);
            return Ok(exit::INVALID);
        }
    };
    let mut worst = exit::OK;
    // Files that share a URL (or `--tools`) share its catalog.
    let mut catalogs: Vec<(String, Catalog)> = Vec::new();
    for file in &files {
        let (pb, problems) = playbook::load_partial_with(file, &vars.load_options());
        let Some(pb) = pb else {
            worst = worst.max(fail(&problems, output.color, json, file));
            continue;
        };
        let env = crate::template::environment_with(vars.limits());
        let loaded = Loaded::new(&env, &pb, problems, &opts);
        let url = match url::for_playbook(&source, &loaded, &env) {
            Ok(u) => u,
            Err(d) => {
                worst = worst.max(fail(&d, output.color, json, file));
                continue;
            }
        };
        let profile = pb.producer_pal.as_ref().map(|p| &p.value);
        // The same server with another profile may list other tools.
        let key = source.tools.as_ref().map_or_else(
            || format!("{url} {:?}", url::profile(&source, profile).headers()),
            |t| t.display().to_string(),
        );
        let at = match catalogs.iter().position(|(k, _)| *k == key) {
            Some(at) => at,
            None => {
                let connect = || url::client(&source, &url, profile);
                let live_api = url::profile(&source, profile).live_api == Some(true);
                let c = catalog::load_for_check(source.tools.as_deref(), live_api, connect).await?;
                catalogs.push((key, c));
                catalogs.len() - 1
            }
        };
        match check::check(&env, loaded, &catalogs[at].1) {
            Ok(c) if json => {
                let mut out = JsonReporter::new(std::io::stdout());
                for w in &c.warnings {
                    out.problem(file, w);
                }
                out.checked(file, c.step_count)
            }
            Ok(c) if !output.quiet => {
                print_diagnostics(&c.warnings, output.color);
                outln!(
                    "✓ {}: {} step{}, no problems{}",
                    file.display(),
                    c.step_count,
                    if c.step_count == 1 { "" } else { "s" },
                    match c.warnings.len() {
                        0 => String::new(),
                        1 => " (1 warning)".to_owned(),
                        n => format!(" ({n} warnings)"),
                    }
                )
            }
            Ok(_) => {}
            Err(d) => worst = worst.max(fail(&d, output.color, json, file)),
        }
    }
    Ok(worst)
}

/// The journal a `--resume` continues; `Err` with the exit code when it
/// cannot be read.
fn earlier_run(
    jargs: &journal::JournalArgs,
    file: &Path,
    color: report::ColorChoice,
    json: bool,
) -> Result<Earlier, i32> {
    let path = jargs.resume.as_deref().unwrap_or(file);
    journal::earlier(jargs).map_err(|d| fail(&[d], color, json, path))
}

/// A resume of a finished run ends here: nothing to do (exit 0), or the
/// playbook was edited since (exit 2).
fn resume_finished(
    (path, force): (&Path, bool),
    (calls, files): (usize, &[FileHash]),
    pb: &playbook::Playbook,
    vars_files: &[std::path::PathBuf],
    (color, json): (report::ColorChoice, bool),
) -> i32 {
    let now = file_hashes(pb, vars_files);
    match journal::finished(path, calls, files, &now, force) {
        Ok(text) => {
            if json {
                errln!("{text}")
            } else {
                outln!("{text}")
            }
            exit::OK
        }
        Err(d) => fail(&[d], color, json, path),
    }
}

pub async fn run(args: RunArgs) -> Result<i32, Failure> {
    run_as(args, false).await
}

/// `pplay plan`: the run's road, sending only read-only calls; exit 1 when
/// something would change.
pub async fn plan(args: RunArgs) -> Result<i32, Failure> {
    plan_takes_no_journal(&args.journal)?;
    run_as(args, true).await
}

/// A plan sends nothing a journal records, and would end the journal as a
/// finished run (so that a later `--resume` found nothing left to do): both
/// flags are refused before anything is read or written.
fn plan_takes_no_journal(jargs: &journal::JournalArgs) -> Result<(), Failure> {
    let (flag, instead) = match (&jargs.journal, &jargs.resume) {
        (Some(_), _) => ("--journal", "journals the run itself"),
        (None, Some(_)) => ("--resume", "resumes the journaled run"),
        (None, None) => return Ok(()),
    };
    Err(Failure::Invalid(format!(
        "`pplay plan` takes no {flag}: a plan changes nothing, so there is no run to journal or \
         to resume; drop {flag} (`pplay run {flag} PATH` {instead})"
    )))
}

async fn run_as(args: RunArgs, plan: bool) -> Result<i32, Failure> {
    let RunArgs {
        file,
        source,
        vars,
        rehearsal: super::Rehearsal {
            sim: use_sim,
            producer_pal,
        },
        dry_run,
        piano_roll,
        json,
        junit,
        journal: jargs,
        output,
    } = args;
    // A resume reads its journal first: its vars and URL shape this run.
    let earlier = match earlier_run(&jargs, &file, output.color, json) {
        Ok(e) => e,
        Err(code) => return Ok(code),
    };
    let (pb, load_problems) = playbook::load_partial_with(&file, &vars.load_options());
    let Some(pb) = pb else {
        return Ok(fail(&load_problems, output.color, json, &file));
    };
    if let Earlier::Finished { calls, files } = &earlier {
        let journal = (jargs.resume.as_deref().unwrap_or(&file), jargs.force);
        let shown = (output.color, json);
        return Ok(resume_finished(
            journal,
            (*calls, files),
            &pb,
            &vars.vars_files,
            shown,
        ));
    }
    let mut opts = match check_options(&vars, &source) {
        Ok(o) => o,
        Err(d) => return Ok(fail(&d, output.color, json, &file)),
    };
    opts.overrides = journal::overrides(&earlier, opts.overrides);
    let env = crate::template::environment_with(vars.limits());
    let loaded = Loaded::new(&env, &pb, load_problems, &opts);
    // The simulator, when asked for, serves the catalog the check uses.
    let simulator = if use_sim {
        Some(start_sim(source.tools.as_deref(), producer_pal).await?)
    } else {
        None
    };
    let url = match run_url(simulator.as_ref(), &earlier, &source, &loaded, &env) {
        Ok(u) => u,
        Err(d) => return Ok(fail(&d, output.color, json, &file)),
    };
    let client = url::client(&source, &url, pb.producer_pal.as_ref().map(|p| &p.value));
    let tools_file = source.tools.as_deref().filter(|_| simulator.is_none());
    let catalog = if dry_run && !plan {
        let live_api = url::profile(&source, pb.producer_pal.as_ref().map(|p| &p.value)).live_api;
        catalog::load_for_check(tools_file, live_api == Some(true), || &client).await?
    } else {
        catalog::load(tools_file, &client).await?
    };
    let checked = match check::check(&env, loaded, &catalog) {
        Ok(c) => c,
        Err(d) => return Ok(fail(&d, output.color, json, &file)),
    };
    if !output.quiet {
        print_diagnostics(&checked.warnings, output.color);
    }
    let facts = RunFacts {
        playbook_arg: &file,
        playbook: &pb,
        vars_files: &vars.vars_files,
        overrides: &opts.overrides,
        vars: &checked.vars,
        url: &url,
        catalog: &catalog,
    };
    let mut session = match journal::open(&jargs, earlier, &facts, &checked) {
        Ok(s) => s,
        Err(d) => return Ok(fail(&d, output.color, json, &file)),
    };
    let stops = Stops::on_signals();
    let mut reporters = Reporters::new(&output, json, junit.is_some(), &stops);
    if piano_roll {
        reporters.terminal = reporters.terminal.with_piano_roll(catalog.generation());
    }
    let ropts = RunOptions {
        plan,
        dry_run: dry_run || plan,
        cancel: Some(stops.cancel.clone()),
        cancel_code: Some(stops.code.clone()),
        abandon: Some(stops.abandon.clone()),
        watch: Some(stops.watch_readers(json)),
    };
    let outcome = runner::run_journaled(
        &checked,
        &client,
        &ropts,
        &mut reporters.fanout(),
        session.as_mut(),
    )
    .await;
    if let Some(path) = &junit
        && let Err(e) = std::fs::write(path, reporters.junit.to_xml())
    {
        errln!("error: cannot write JUnit report {}: {e}", path.display());
    }
    if let Some(s) = simulator {
        let summary = !output.quiet && !dry_run && !plan;
        stop_sim(s, summary, json).await;
    }
    Ok(outcome.exit_code)
}

/// The Live a run talks to: the simulator it started, else the one a
/// resumed journal names (unless told otherwise), else the playbook's.
fn run_url<'s>(
    simulator: Option<&sim::SimHandle>,
    earlier: &Earlier,
    source: &Source,
    loaded: &Loaded<'s>,
    env: &minijinja::Environment<'s>,
) -> Result<String, Vec<Diagnostic>> {
    let resumed_url = earlier.url().filter(|_| source.url.is_none());
    match (simulator, resumed_url) {
        (Some(s), _) => Ok(s.url()),
        (None, Some(u)) => Ok(u.to_owned()),
        (None, None) => url::for_playbook(source, loaded, env),
    }
}

/// Stops `run --sim`'s simulator, first printing what the run left in its
/// Live Set when `summary` (on stderr under `--json`, whose stdout is
/// the events').
async fn stop_sim(s: sim::SimHandle, summary: bool, json: bool) {
    if summary {
        let text = s.summary();
        if json {
            errln!("{text}")
        } else {
            outln!("{text}")
        }
    }
    s.stop().await;
}

/// `run --sim`: the simulator in-process, serving `--tools` when given.
pub(super) async fn start_sim(
    tools: Option<&Path>,
    imitated: sim::Imitated,
) -> Result<sim::SimHandle, Failure> {
    let mut sopts = imitated.options();
    if let Some(t) = tools {
        sopts.catalog = catalog::read_json(t)?;
    }
    sim::start(sopts)
        .await
        .map_err(|e| Failure::Sim(format!("cannot start the simulator: {e}")))
}

/// What stops a run from outside. Ctrl-C or SIGTERM: the run stops after
/// the call in flight (exit 130 or 143); a second one abandons that call,
/// and the run still ends with its summary, `run_finished` and JUnit file. A
/// closed stdout or stderr: the run stops before the next call (exit 141).
#[derive(Clone)]
struct Stops {
    cancel: Arc<AtomicBool>,
    code: Arc<AtomicI32>,
    abandon: Arc<Notify>,
}

impl Stops {
    fn on_signals() -> Self {
        let stops = Stops {
            cancel: Arc::new(AtomicBool::new(false)),
            code: Arc::new(AtomicI32::new(exit::INTERRUPTED)),
            abandon: Arc::new(Notify::new()),
        };
        // Listening starts here, before any call can be sent: a signal that
        // came before the task first ran would otherwise end pplay unreported.
        let mut signals = Signals::new();
        let s = stops.clone();
        tokio::spawn(async move {
            let Some(code) = signals.next().await else {
                return;
            };
            s.stop(code);
            if signals.next().await.is_some() {
                s.abandon.notify_one();
            }
        });
        stops
    }

    /// The check before each call that the readers of the reports are still
    /// there: stdout always, stderr too when the human report goes there.
    fn watch_readers(&self, json: bool) -> runner::Watch {
        let stops = self.clone();
        runner::Watch(Arc::new(move || {
            if super::output::reader_gone(&std::io::stdout())
                || (json && super::output::reader_gone(&std::io::stderr()))
            {
                stops.stop(exit::OUTPUT_CLOSED);
            }
        }))
    }

    /// Stops the run after the call in flight; the first reason sets the
    /// exit code.
    fn stop(&self, code: i32) {
        if !self.cancel.swap(true, Ordering::SeqCst) {
            self.code.store(code, Ordering::SeqCst);
        }
    }
}

/// Ctrl-C and (on Unix) SIGTERM, as one stream of exit codes. On Unix both
/// are listened to from [`Signals::new`] on, so none is missed in between.
struct Signals {
    #[cfg(unix)]
    int: Option<tokio::signal::unix::Signal>,
    #[cfg(unix)]
    term: Option<tokio::signal::unix::Signal>,
}

impl Signals {
    fn new() -> Self {
        #[cfg(unix)]
        use tokio::signal::unix::{SignalKind, signal};
        Signals {
            #[cfg(unix)]
            int: signal(SignalKind::interrupt()).ok(),
            #[cfg(unix)]
            term: signal(SignalKind::terminate()).ok(),
        }
    }

    /// The exit code of the next signal; `None` if none can be received.
    async fn next(&mut self) -> Option<i32> {
        #[cfg(unix)]
        if let (Some(int), Some(term)) = (&mut self.int, &mut self.term) {
            return tokio::select! {
                r = int.recv() => r.map(|()| exit::INTERRUPTED),
                r = term.recv() => r.map(|()| exit::TERMINATED),
            };
        }
        tokio::signal::ctrl_c()
            .await
            .ok()
            .map(|()| exit::INTERRUPTED)
    }
}

/// A report writer that stops the run when its reader is gone, instead of
/// sending calls no one will read about.
struct Watched<W> {
    inner: W,
    stops: Stops,
}

impl<W: Write> Watched<W> {
    fn check<T>(&self, r: std::io::Result<T>) -> std::io::Result<T> {
        if r.is_err() {
            self.stops.stop(exit::OUTPUT_CLOSED);
        }
        r
    }
}

impl<W: Write> Write for Watched<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let r = self.inner.write(buf);
        self.check(r)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let r = self.inner.flush();
        self.check(r)
    }
}

/// The reporters a run writes to: the terminal always (on stderr when
/// stdout carries JSON), JSON Lines and JUnit when asked for.
struct Reporters {
    terminal: TerminalReporter<Box<dyn Write>>,
    json: Option<JsonReporter<Watched<std::io::Stdout>>>,
    junit: JunitReporter,
    use_junit: bool,
}

impl Reporters {
    fn new(output: &Output, json: bool, use_junit: bool, stops: &Stops) -> Self {
        let verbosity = Verbosity::from_flags(output.quiet, output.verbose);
        let human_on_stderr = json;
        let is_tty = if human_on_stderr {
            report::stderr_is_terminal()
        } else {
            report::stdout_is_terminal()
        };
        let color = report::use_color(output.color, is_tty);
        let progress = report::stderr_is_terminal();
        let watched = |inner| Watched {
            inner,
            stops: stops.clone(),
        };
        let human: Box<dyn Write> = if human_on_stderr {
            Box::new(Watched {
                inner: std::io::stderr(),
                stops: stops.clone(),
            })
        } else {
            Box::new(watched(std::io::stdout()))
        };
        Reporters {
            terminal: TerminalReporter::new(human, color, verbosity, progress),
            json: json.then(|| JsonReporter::new(watched(std::io::stdout()))),
            junit: JunitReporter::new(),
            use_junit,
        }
    }

    fn fanout(&mut self) -> Fanout<'_> {
        let mut sinks: Vec<&mut dyn Sink> = vec![&mut self.terminal];
        if let Some(j) = &mut self.json {
            sinks.push(j);
        }
        if self.use_junit {
            sinks.push(&mut self.junit);
        }
        Fanout(sinks)
    }
}
