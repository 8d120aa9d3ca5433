//! The value a dry run has where only a real call would produce one.
//!
//! A dry run renders every step without sending it, so a step's results
//! are placeholders that keep the path they were read by (`steps.x.result`)
//! and show it when rendered. The runner puts them where results would be,
//! templates tell a value that holds one from a known one, and sizing counts
//! one as a single value without walking into it.

use std::sync::Arc;

use minijinja::value::{Object, Value as MjValue, ValueKind};

/// Stands for a value that only a real call would produce (`--dry-run`):
/// attribute access extends the path, rendering shows `<path>`.
#[derive(Debug)]
pub struct Placeholder(pub String);

impl Object for Placeholder {
    fn get_value(self: &Arc<Self>, key: &MjValue) -> Option<MjValue> {
        let seg = match key.as_str() {
            Some(s) => format!("{}.{s}", self.0),
            None => format!("{}[{key}]", self.0),
        };
        Some(MjValue::from_object(Placeholder(seg)))
    }

    fn render(self: &Arc<Self>, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "<{}>", self.0)
    }
}

/// Whether `v` is, or holds within `depth` levels, a placeholder.
pub fn holds_placeholder(v: &MjValue, depth: usize) -> bool {
    if v.downcast_object_ref::<Placeholder>().is_some() {
        return true;
    }
    if depth == 0 || v.as_str().is_some() {
        return false;
    }
    match v.kind() {
        ValueKind::Seq => v
            .try_iter()
            .is_ok_and(|mut items| items.any(|i| holds_placeholder(&i, depth - 1))),
        ValueKind::Map => v.try_iter().is_ok_and(|mut keys| {
            keys.any(|k| {
                v.get_item(&k)
                    .is_ok_and(|i| holds_placeholder(&i, depth - 1))
            })
        }),
        _ => false,
    }
}

/// A placeholder for the value read at `path`.
pub fn placeholder(path: impl Into<String>) -> MjValue {
    MjValue::from_object(Placeholder(path.into()))
}
