//! Exit codes, as the playbook format defines them, and the one mapping from
//! a failed request to its code.

use crate::client::ClientError;

pub const OK: i32 = 0;
pub const STEP_FAILED: i32 = 1;
pub const INVALID: i32 = 2;
pub const UNREACHABLE: i32 = 3;
pub const INTERRUPTED: i32 = 130;

/// A request that got no usable answer: the server was not there (3), or it
/// was and the exchange failed (1).
pub fn for_client_error(e: &ClientError) -> i32 {
    if e.is_unreachable() {
        UNREACHABLE
    } else {
        STEP_FAILED
    }
}
