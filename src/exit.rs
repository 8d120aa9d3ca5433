//! Exit codes, as the playbook format defines them, and the one mapping from
//! a failed request to its code.

use crate::client::ClientError;

pub const OK: i32 = 0;
pub const STEP_FAILED: i32 = 1;
pub const INVALID: i32 = 2;
pub const UNREACHABLE: i32 = 3;
pub const INTERRUPTED: i32 = 130;
/// stdout or stderr was closed (the reader of a pipe went away): 128 + SIGPIPE,
/// as a shell reports a tool that SIGPIPE ended.
pub const OUTPUT_CLOSED: i32 = 141;
/// Stopped by SIGTERM (after the call in flight): 128 + SIGTERM.
pub const TERMINATED: i32 = 143;

/// A request that got no usable answer: the server was not there, or went
/// away during the call (3), or it was and the exchange failed (1).
pub fn for_client_error(e: &ClientError) -> i32 {
    if e.is_server_gone() {
        UNREACHABLE
    } else {
        STEP_FAILED
    }
}
