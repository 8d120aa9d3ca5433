//! `loop:` values: what a loop iterates over, and the limit on its length.
//!
//! The checker expands a loop whose value is known before the run (a list,
//! or an expression over top-level vars); the runner expands the others
//! when it reaches them. Both go through here, so a loop fails the same way
//! whenever it is found.

use std::sync::Arc;

use minijinja::context;
use minijinja::value::{Enumerator, Object, ObjectRepr, Value as MjValue, ValueKind};

use crate::diagnostic::Diagnostic;
use crate::event::Iteration;
use crate::source::SourceFile;
use crate::yaml::Span;

/// The default cap on a loop's length (`--max-iterations`).
pub const DEFAULT_MAX_ITERATIONS: usize = 10_000;

/// The context of one iteration: `item` and `loop` over `base`, for the
/// run and for the check that evaluates a `when` per known item alike.
pub fn iteration_ctx(base: &MjValue, item: MjValue, it: Iteration) -> MjValue {
    let lp = MjValue::from_object(Loop(it));
    context! { item => item, loop => lp, ..base.clone() }
}

/// `loop` in an iteration: its attributes answered from the two numbers,
/// not a map built for each of a batch's iterations.
#[derive(Debug)]
struct Loop(Iteration);

impl Object for Loop {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Map
    }

    fn get_value(self: &Arc<Self>, key: &MjValue) -> Option<MjValue> {
        let Iteration { index0, length } = self.0;
        Some(match key.as_str()? {
            "index0" => MjValue::from(index0),
            "index" => MjValue::from(index0 + 1),
            "first" => MjValue::from(index0 == 0),
            "last" => MjValue::from(index0 + 1 == length),
            "length" => MjValue::from(length),
            _ => return None,
        })
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Str(&["index0", "index", "first", "last", "length"])
    }
}

/// The items of the loop value `v`, or why it cannot be iterated (not a
/// sequence, or longer than `max`), drawn at `span`.
pub fn items(
    file: &Arc<SourceFile>,
    span: Span,
    v: &MjValue,
    max: usize,
) -> Result<Vec<MjValue>, Diagnostic> {
    let items = sequence(v).map_err(|kind| not_a_sequence(file, span, kind))?;
    within_limit(file, span, items.len(), max)?;
    Ok(items)
}

/// A loop of `n` iterations, refused when longer than `max`.
pub fn within_limit(
    file: &Arc<SourceFile>,
    span: Span,
    n: usize,
    max: usize,
) -> Result<(), Diagnostic> {
    if n <= max {
        return Ok(());
    }
    Err(Diagnostic::error(
        "pplay::loop-too-long",
        format!("this loop has {n} iterations, more than the limit of {max}"),
    )
    .in_file(file)
    .label(span, format!("{n} iterations"))
    .help("split the job, or raise the limit with --max-iterations"))
}

fn not_a_sequence(file: &Arc<SourceFile>, span: Span, kind: &str) -> Diagnostic {
    Diagnostic::error(
        "pplay::loop-type",
        format!("`loop` must give a sequence, but this gives {kind}"),
    )
    .in_file(file)
    .label(span, format!("this is {kind}"))
    .help("use a list, `range(n)`, `zip(a, b)` or `product(a, b)`")
}

/// The items of a loop value, or the kind of value it is instead.
pub fn sequence(v: &MjValue) -> Result<Vec<MjValue>, &'static str> {
    match v.kind() {
        ValueKind::Seq | ValueKind::Iterable => v
            .try_iter()
            .map(|i| i.collect())
            .map_err(|_| "a value that cannot be iterated"),
        ValueKind::Map => Err("a mapping"),
        ValueKind::String => Err("a string"),
        ValueKind::Number => Err("a number"),
        ValueKind::Bool => Err("a boolean"),
        ValueKind::None | ValueKind::Undefined => Err("nothing"),
        _ => Err("a value that is not a sequence"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loop_reads_as_the_map_it_stands_for() {
        let ctx = iteration_ctx(
            &context! { n => 3 },
            MjValue::from("b"),
            Iteration {
                index0: 1,
                length: 3,
            },
        );
        let env = crate::template::environment();
        let eval = |src: &str| env.compile_expression(src).unwrap().eval(&ctx).unwrap();
        assert_eq!(
            eval("[item, loop.index0, loop.index, loop.first, loop.last, loop.length, n]"),
            MjValue::from_serialize(serde_json::json!(["b", 1, 2, false, false, 3, 3]))
        );
        assert!(eval("loop.nothing").is_undefined());
        assert_eq!(
            serde_json::to_value(eval("loop")).unwrap(),
            serde_json::json!({"index0": 1, "index": 2, "first": false, "last": false, "length": 3})
        );
    }
}
