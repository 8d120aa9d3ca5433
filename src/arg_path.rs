//! A place inside a call's arguments, as a list of keys and indexes.
//!
//! The catalog's schema checks and the server's 400 answers both point into
//! the arguments this way; the checker and the runner turn such a path into
//! the playbook node it names, and messages name it in the playbook's terms.

/// A step in a path into an argument value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathSeg {
    Key(String),
    Index(usize),
}

/// How a message names a place in the args: `` `x` ``, `` `x[2].type` ``,
/// or "the arguments" for the object itself.
pub fn describe_path(path: &[PathSeg]) -> String {
    if path.is_empty() {
        return "the arguments".to_owned();
    }
    let mut s = String::new();
    for seg in path {
        match seg {
            PathSeg::Key(k) if s.is_empty() => s.push_str(k),
            PathSeg::Key(k) => {
                s.push('.');
                s.push_str(k);
            }
            PathSeg::Index(i) => s.push_str(&format!("[{i}]")),
        }
    }
    format!("`{s}`")
}
