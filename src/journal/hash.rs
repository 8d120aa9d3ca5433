//! SHA-256 fingerprints, written as lowercase hex.
//!
//! A resume compares fingerprints, not contents: the journal stays small and
//! holds no copy of the playbook or of the args sent.

use serde_json::Value as Json;
use sha2::{Digest, Sha256};

/// The fingerprint of some bytes.
pub fn bytes(data: &[u8]) -> String {
    let digest = Sha256::digest(data);
    let mut out = String::with_capacity(64);
    for b in digest {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// The fingerprint of rendered args: their compact JSON text, keys in the
/// order the playbook gave them (the same args always render the same way).
pub fn args(args: &Json) -> String {
    bytes(args.to_string().as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn known_digest() {
        assert_eq!(
            bytes(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn args_differ_when_a_value_or_the_key_order_differs() {
        let a = json!({"slot": "0/1", "notes": "C1 1|1"});
        assert_eq!(args(&a), args(&json!({"slot": "0/1", "notes": "C1 1|1"})));
        assert_ne!(args(&a), args(&json!({"slot": "0/2", "notes": "C1 1|1"})));
        assert_ne!(args(&a), args(&json!({"notes": "C1 1|1", "slot": "0/1"})));
    }
}
