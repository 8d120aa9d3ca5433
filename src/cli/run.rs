//! `pplay run` and `pplay check`: load, check, run, report.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::Value as Json;

use super::{Output, RunArgs, Source, VarArgs};
use crate::catalog::Catalog;
use crate::check::{self, CheckOptions};
use crate::client::{self, Client};
use crate::diagnostic::Diagnostic;
use crate::event::{Fanout, Sink};
use crate::playbook::{self, Playbook};
use crate::report::json::JsonReporter;
use crate::report::junit::JunitReporter;
use crate::report::terminal::TerminalReporter;
use crate::report::{self, Verbosity};
use crate::runner::{self, RunOptions, exit};
use crate::sim;

/// Prints diagnostics on stderr as miette reports.
pub fn print_diagnostics(diags: &[Diagnostic], color: report::ColorChoice) {
    let color = report::use_color(color, report::stderr_is_terminal());
    let width = terminal_width();
    for d in diags {
        eprintln!("{}", d.render(color, width).trim_end());
    }
}

pub fn terminal_width() -> usize {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(100)
}

fn print_json_diagnostics(diags: &[Diagnostic], file: &Path) {
    for d in diags {
        let line = serde_json::json!({
            "event": "problem",
            "file": file.display().to_string(),
            "severity": if d.is_error() { "error" } else { "warning" },
            "code": d.code,
            "message": d.message,
            "help": d.help,
            "location": d.location(),
        });
        println!("{line}");
    }
}

/// `--vars-file` values, then `--var` values (later ones win).
pub fn overrides(vars: &VarArgs) -> Result<Vec<(String, Json)>, Vec<Diagnostic>> {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for f in &vars.vars_files {
        match check::read_vars_file(f) {
            Ok(v) => out.extend(v),
            Err(d) => errors.push(d),
        }
    }
    for v in &vars.vars {
        match check::parse_var(v) {
            Ok(pair) => out.push(pair),
            Err(e) => errors.push(
                Diagnostic::error("pplay::var", format!("--var {e}"))
                    .help("write --var NAME=VALUE"),
            ),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// The URL to use: `--url`/`PPAL_URL`, then the playbook's, then the default.
fn resolve_url(
    source: &Source,
    pb: Option<&Playbook>,
    opts: &CheckOptions,
) -> Result<String, Vec<Diagnostic>> {
    if let Some(u) = &source.url {
        return Ok(u.clone());
    }
    if let Some(pb) = pb
        && let Some(u) = check::playbook_url(pb, opts)?
    {
        return Ok(u);
    }
    Ok(client::DEFAULT_URL.to_owned())
}

/// The catalog: `--tools FILE`, or `GET /api/tools` at `url`.
pub async fn load_catalog(tools: Option<&Path>, client: &Client) -> Result<Catalog, i32> {
    match tools {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                eprintln!("error: cannot read tool catalog {}: {e}", path.display());
                exit::INVALID
            })?;
            Catalog::from_json(&text).map_err(|e| {
                eprintln!("error: tool catalog {}: {e}", path.display());
                exit::INVALID
            })
        }
        None => {
            let raw = client.list_tools().await.map_err(|e| {
                eprintln!("error: {e}");
                if e.is_unreachable() {
                    exit::UNREACHABLE
                } else {
                    exit::STEP_FAILED
                }
            })?;
            Catalog::from_value(raw).map_err(|e| {
                eprintln!("error: the tool list from {}: {e}", client.base_url());
                exit::UNREACHABLE
            })
        }
    }
}

fn fail(diags: &[Diagnostic], color: report::ColorChoice, json: bool, file: &Path) -> i32 {
    if json {
        print_json_diagnostics(diags, file);
    }
    print_diagnostics(diags, color);
    let errors = diags.iter().filter(|d| d.is_error()).count();
    eprintln!(
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

pub async fn check(
    files: Vec<PathBuf>,
    source: Source,
    vars: VarArgs,
    json: bool,
    output: Output,
) -> i32 {
    let overrides = match overrides(&vars) {
        Ok(o) => o,
        Err(d) => {
            print_diagnostics(&d, output.color);
            return exit::INVALID;
        }
    };
    let opts = CheckOptions {
        overrides,
        max_iterations: vars.max_iterations,
    };
    let mut worst = exit::OK;
    let mut catalogs: Vec<(String, Catalog)> = Vec::new();
    for file in &files {
        // Shape problems and catalog problems are reported together.
        let (pb, mut problems) = playbook::load_partial(file);
        let Some(pb) = pb else {
            worst = worst.max(fail(&problems, output.color, json, file));
            continue;
        };
        let url = match resolve_url(&source, Some(&pb), &opts) {
            Ok(u) => u,
            Err(d) => {
                worst = worst.max(fail(&d, output.color, json, file));
                continue;
            }
        };
        let key = source
            .tools
            .as_ref()
            .map_or_else(|| url.clone(), |t| t.display().to_string());
        if !catalogs.iter().any(|(k, _)| *k == key) {
            match load_catalog(source.tools.as_deref(), &Client::new(&url)).await {
                Ok(c) => catalogs.push((key.clone(), c)),
                Err(code) => return code,
            }
        }
        let catalog = &catalogs
            .iter()
            .find(|(k, _)| *k == key)
            .expect("loaded above")
            .1;
        let env = crate::template::environment();
        let checked = check::check(&env, &pb, catalog, &opts);
        if let Err(d) = &checked {
            problems.extend(d.iter().cloned());
        }
        let checked = if problems.is_empty() {
            checked
        } else {
            Err(crate::diagnostic::in_file_order(problems))
        };
        match checked {
            Ok(c) => {
                if json {
                    println!(
                        "{}",
                        serde_json::json!({"event": "checked", "file": file.display().to_string(), "steps": c.step_count, "problems": 0})
                    );
                } else if !output.quiet {
                    println!(
                        "✓ {}: {} step{}, no problems",
                        file.display(),
                        c.step_count,
                        if c.step_count == 1 { "" } else { "s" }
                    );
                }
            }
            Err(d) => worst = worst.max(fail(&d, output.color, json, file)),
        }
    }
    worst
}

pub async fn run(args: RunArgs) -> i32 {
    let RunArgs {
        file,
        source,
        vars,
        sim: use_sim,
        dry_run,
        json,
        junit,
        output,
    } = args;
    let (pb, load_problems) = playbook::load_partial(&file);
    let pb = match pb {
        Some(pb) => pb,
        None => return fail(&load_problems, output.color, json, &file),
    };
    let overrides = match overrides(&vars) {
        Ok(o) => o,
        Err(d) => return fail(&d, output.color, json, &file),
    };
    let opts = CheckOptions {
        overrides,
        max_iterations: vars.max_iterations,
    };
    // The simulator, when asked for, serves the catalog the check uses.
    let simulator = if use_sim {
        let mut sopts = sim::SimOptions::default();
        if let Some(t) = &source.tools {
            match std::fs::read_to_string(t).map(|s| serde_json::from_str::<Json>(&s)) {
                Ok(Ok(v)) => sopts.catalog = v,
                _ => {
                    eprintln!("error: cannot read tool catalog {}", t.display());
                    return exit::INVALID;
                }
            }
        }
        match sim::start(sopts).await {
            Ok(s) => Some(s),
            Err(e) => {
                eprintln!("error: cannot start the simulator: {e}");
                return exit::UNREACHABLE;
            }
        }
    } else {
        None
    };
    let url = match &simulator {
        Some(s) => s.url(),
        None => match resolve_url(&source, Some(&pb), &opts) {
            Ok(u) => u,
            Err(d) => return fail(&d, output.color, json, &file),
        },
    };
    let client = Client::new(&url);
    let tools_file = if simulator.is_some() {
        None
    } else {
        source.tools.as_deref()
    };
    let catalog = match load_catalog(tools_file, &client).await {
        Ok(c) => c,
        Err(code) => return code,
    };
    let env = crate::template::environment();
    let checked = match check::check(&env, &pb, &catalog, &opts) {
        Ok(c) if load_problems.is_empty() => c,
        Ok(_) => return fail(&load_problems, output.color, json, &file),
        Err(d) => {
            return fail(
                &crate::diagnostic::in_file_order(load_problems.into_iter().chain(d).collect()),
                output.color,
                json,
                &file,
            );
        }
    };

    let cancel = Arc::new(AtomicBool::new(false));
    {
        let cancel = cancel.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                cancel.store(true, Ordering::SeqCst);
                // A second Ctrl-C does not wait for the call in flight.
                if tokio::signal::ctrl_c().await.is_ok() {
                    std::process::exit(exit::INTERRUPTED);
                }
            }
        });
    }
    let verbosity = Verbosity::from_flags(output.quiet, output.verbose);
    let human_on_stderr = json;
    let is_tty = if human_on_stderr {
        report::stderr_is_terminal()
    } else {
        report::stdout_is_terminal()
    };
    let color = report::use_color(output.color, is_tty);
    let progress = report::stderr_is_terminal();
    let human: Box<dyn std::io::Write> = if human_on_stderr {
        Box::new(std::io::stderr())
    } else {
        Box::new(std::io::stdout())
    };
    let mut terminal = TerminalReporter::new(human, color, verbosity, progress);
    let mut json_out = JsonReporter::new(std::io::stdout());
    let mut junit_out = JunitReporter::new();
    let mut sinks: Vec<&mut dyn Sink> = vec![&mut terminal];
    if json {
        sinks.push(&mut json_out);
    }
    if junit.is_some() {
        sinks.push(&mut junit_out);
    }
    let mut fanout = Fanout(sinks);
    let ropts = RunOptions {
        dry_run,
        cancel: Some(cancel),
    };
    let outcome = runner::run(&checked, &client, &ropts, &mut fanout).await;
    drop(fanout);
    if let Some(path) = &junit
        && let Err(e) = std::fs::write(path, junit_out.to_xml())
    {
        eprintln!("error: cannot write JUnit report {}: {e}", path.display());
    }
    if let Some(s) = simulator {
        if !output.quiet && !dry_run {
            let text = s.summary();
            if json {
                eprintln!("{text}")
            } else {
                println!("{text}")
            }
        }
        s.stop().await;
    }
    outcome.exit_code
}
