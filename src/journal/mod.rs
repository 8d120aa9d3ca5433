//! The run journal: what a resumed run needs to know of an earlier one.
//!
//! `pplay run --journal PATH` appends one JSON line per event that matters to
//! a resume, each synced to disk before the next call is sent; `--resume PATH`
//! reads it back. A call is journaled twice: a `sent` line before the request
//! leaves, and an `outcome` line after its reply has been judged. A `sent`
//! line with no `outcome` after it is the call that was in flight when the run
//! stopped: it may or may not have reached Live, and only the user can say
//! whether to send it again.
//!
//! - [`format`]: the lines, versioned ([`format::VERSION`]).
//! - [`read`]: the journal read back, tolerating a last line cut short by a
//!   kill, and pointing at the place of anything else that is wrong.
//! - [`write`]: appending, synced line by line.
//! - [`in_flight`]: deciding about a call the earlier run left in flight.
//! - [`session`]: the journal as a run uses it: recorded calls to restore
//!   instead of sending them again.
//! - [`hash`]: SHA-256 of files, steps and rendered args, so a resume can tell
//!   whether what was done is still what the playbook says.

pub mod format;
pub mod hash;
pub mod in_flight;
pub mod read;
pub mod session;
pub mod write;

pub use format::{CallKey, CallStatus, Identity, InFlight, Line, Outcome, Sent, VERSION};
pub use read::{Journal, read};
pub use session::{Lookup, Session};
pub use write::Writer;
