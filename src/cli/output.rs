//! Writing to stdout and stderr without panicking when the reader is gone.
//!
//! `println!` panics on a closed pipe (`pplay tools | head -1`). Here a
//! closed stdout ends the command quietly with [`exit::OUTPUT_CLOSED`]
//! (nothing is left to tell it to), and a closed stderr is ignored. `run`
//! does not come here for its reports: it watches its writers and stops
//! sending calls instead (see `run.rs`).

use std::fmt::Display;
use std::io::Write;

use crate::exit;

/// Writes `text` to stdout, or ends pplay quietly if stdout is closed.
pub fn out_raw(text: impl Display) {
    let mut o = std::io::stdout().lock();
    if write!(o, "{text}").and_then(|()| o.flush()).is_err() {
        std::process::exit(exit::OUTPUT_CLOSED);
    }
}

/// Writes `text` and a newline to stderr; a closed stderr is ignored.
pub fn err_raw(text: impl Display) {
    let _ = writeln!(std::io::stderr().lock(), "{text}");
}

/// Has the reader of `out` gone? For a pipe or socket whose other end is
/// closed, `poll` says so at once, without writing anything (a write would
/// only tell once the next line is due, after another call was sent).
#[cfg(unix)]
pub fn reader_gone(out: &impl std::os::fd::AsRawFd) -> bool {
    let mut fd = libc::pollfd {
        fd: out.as_raw_fd(),
        events: 0,
        revents: 0,
    };
    // SAFETY: one valid `pollfd`, its count, and a zero timeout.
    let ready = unsafe { libc::poll(&mut fd, 1, 0) };
    ready > 0 && fd.revents & (libc::POLLERR | libc::POLLHUP) != 0
}

#[cfg(not(unix))]
pub fn reader_gone<T>(_: &T) -> bool {
    false
}

/// `println!` that ends pplay quietly when stdout is closed.
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::cli::output::out_raw(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// `eprintln!` that ignores a closed stderr.
macro_rules! errln {
    ($($arg:tt)*) => {
        $crate::cli::output::err_raw(format_args!($($arg)*))
    };
}

pub(crate) use {errln, outln};
