//! How a command fails: one line (or a few) on stderr, and the exit code
//! that kind of failure means. Commands return a [`Failure`]; the dispatcher
//! reports it, so each kind maps to its code in one place.

use super::output::errln;
use crate::client::ClientError;
use crate::diagnostic::Diagnostic;
use crate::exit;
use crate::report;

/// Why a command stopped.
#[derive(Debug)]
pub enum Failure {
    /// The command line or a file it names is invalid; nothing was sent.
    Invalid(String),
    /// A request got no answer: see [`exit::for_client_error`].
    Client(ClientError),
    /// The server answered, but not with what the command needed.
    Answer(String),
    /// The simulator could not start.
    Sim(String),
    /// No server answered the catalog read of a command that needs
    /// nothing else from it (`check`, `run --dry-run`).
    Offline(ClientError),
}

impl Failure {
    pub fn exit_code(&self) -> i32 {
        match self {
            Failure::Invalid(_) => exit::INVALID,
            Failure::Client(e) | Failure::Offline(e) => exit::for_client_error(e),
            Failure::Answer(_) => exit::STEP_FAILED,
            Failure::Sim(_) => exit::UNREACHABLE,
        }
    }

    /// Prints the failure on stderr and gives its exit code.
    pub fn report(self) -> i32 {
        let code = self.exit_code();
        match self {
            Failure::Invalid(m) | Failure::Answer(m) | Failure::Sim(m) => errln!("error: {m}"),
            Failure::Client(e) => errln!("error: {e}"),
            Failure::Offline(e) => {
                errln!("error: {e}");
                errln!(
                    "help: this needs only the tool catalog: pass --tools FILE (one saved with `pplay schema pull -o FILE`, or a pinned one such as schemas/producer-pal-2.3.0.json from pplay's repository), or rehearse with `pplay run --sim`"
                );
            }
        }
        code
    }
}

impl From<ClientError> for Failure {
    fn from(e: ClientError) -> Self {
        Failure::Client(e)
    }
}

/// Prints diagnostics on stderr as miette reports.
pub fn print_diagnostics(diags: &[Diagnostic], color: report::ColorChoice) {
    let color = report::use_color(color, report::stderr_is_terminal());
    let width = terminal_width();
    for d in diags {
        errln!("{}", d.render(color, width).trim_end());
    }
}

fn terminal_width() -> usize {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(100)
}
