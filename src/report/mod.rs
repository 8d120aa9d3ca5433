//! Reporters: they consume [`crate::event::Event`]s and print nothing else.
//!
//! - [`terminal`]: step lines, miette reports, a progress bar, the summary.
//! - [`json`]: one JSON object per event per line (`--json`).
//! - [`junit`]: a JUnit XML file (`--junit FILE`).
//! - [`piano_roll`]: notes drawn for the terminal (`pplay notes`, a dry run's
//!   `--piano-roll`).

pub mod json;
pub mod junit;
pub mod piano_roll;
pub mod terminal;

use std::io::IsTerminal;

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ColorChoice {
    #[default]
    Auto,
    Always,
    Never,
}

/// Whether to colour, given the choice, the environment and the stream:
/// `--color always|never` wins; then `NO_COLOR` (set and not empty) turns
/// colour off and `CLICOLOR_FORCE` (set and not `0`) turns it on; otherwise
/// colour only on a terminal.
pub fn use_color(choice: ColorChoice, is_terminal: bool) -> bool {
    let env = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            if env("NO_COLOR").is_some() {
                false
            } else if env("CLICOLOR_FORCE").is_some_and(|v| v != "0") {
                true
            } else {
                is_terminal
            }
        }
    }
}

/// Is the stream a terminal?
pub fn stderr_is_terminal() -> bool {
    std::io::stderr().is_terminal()
}

pub fn stdout_is_terminal() -> bool {
    std::io::stdout().is_terminal()
}

/// How much the terminal reporter says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum Verbosity {
    /// `-q`: failures and the summary.
    Quiet,
    #[default]
    Normal,
    /// `-v`: request bodies and results.
    Verbose,
    /// `-vv`: HTTP detail too.
    Debug,
}

impl Verbosity {
    pub fn from_flags(quiet: bool, verbose: u8) -> Self {
        match (quiet, verbose) {
            (true, _) => Verbosity::Quiet,
            (false, 0) => Verbosity::Normal,
            (false, 1) => Verbosity::Verbose,
            _ => Verbosity::Debug,
        }
    }
}
