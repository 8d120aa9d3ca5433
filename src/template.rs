//! MiniJinja templates and expressions, compiled once per playbook.
//!
//! A string that is exactly one `{{ expression }}` keeps the type of the
//! value (`"{{ n }}"` sends the number 3); any other string with template
//! syntax renders to text; everything else is a literal. [`Compiled`] is that
//! decision made once for a whole YAML subtree, so rendering a step for the
//! ten-thousandth time only evaluates, never parses.

use compact_str::CompactString;
use foldhash::{HashMap, HashMapExt};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use minijinja::value::{Object, Rest, Value as MjValue, ValueKind};
use minijinja::{Environment, Expression, Template, UndefinedBehavior};
use serde_json::Value as Json;

use crate::placeholder::{Placeholder, holds_placeholder};
use crate::sizing::{MAX_DEPTH, measure};
use crate::yaml::{Node, Span, Value};

/// Functions the playbook templates can call, besides the variables. Only
/// what [`environment`] really has: a name listed here and missing there
/// would pass the check and fail mid-run.
/// The music helpers are in [`crate::music`].
pub const FUNCTIONS: &[&str] = &[
    "range",
    "dict",
    "namespace",
    "debug",
    "zip",
    "product",
    "steps",
    "euclid",
    "chord",
    "scale",
    "transpose",
    "csv",
];

/// The default work budget of one evaluation, in MiniJinja instructions
/// (`--template-fuel`): a few hundred thousand loop iterations, well under a
/// second; a runaway template stops instead of running for minutes.
pub const DEFAULT_FUEL: u64 = 2_000_000;

/// The default cap on what one evaluation produces, in bytes
/// (`--template-max-bytes`): far more than any tool argument needs.
pub const DEFAULT_MAX_BYTES: usize = 4 << 20;

/// What one template or expression evaluation may cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// MiniJinja instructions per evaluation.
    pub fuel: u64,
    /// Bytes of text (or of a value's strings and items) one evaluation
    /// may produce.
    pub max_bytes: usize,
    /// Items `range`, `zip` and `product` may give: a loop source is
    /// refused before it is built.
    pub max_iterations: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            fuel: DEFAULT_FUEL,
            max_bytes: DEFAULT_MAX_BYTES,
            max_iterations: crate::loops::DEFAULT_MAX_ITERATIONS,
        }
    }
}

/// The global that carries the output cap to [`Compiled`]; its name is not
/// an identifier, so no template can read it.
const MAX_BYTES_GLOBAL: &str = "pplay max bytes";

/// The environment every playbook template runs in, with the default limits.
pub fn environment<'s>() -> Environment<'s> {
    environment_with(Limits::default())
}

/// The environment every playbook template runs in: strict about undefined
/// names, with `zip` and `product` for building loop tables, and every
/// evaluation bounded by `limits`.
pub fn environment_with<'s>(limits: Limits) -> Environment<'s> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_fuel(Some(limits.fuel));
    env.add_global(MAX_BYTES_GLOBAL, MjValue::from(limits.max_bytes));
    let max = limits.max_iterations;
    env.add_function(
        "range",
        move |lower: i64, upper: Option<i64>, step: Option<i64>| range(lower, upper, step, max),
    );
    env.add_function("zip", move |args: Rest<MjValue>| zip(&args, max));
    env.add_function("product", move |args: Rest<MjValue>| product(&args, max));
    env.add_filter(ACYCLIC_FILTER, acyclic);
    crate::sizing::register(&mut env);
    crate::music::register(&mut env);
    env.set_unknown_method_callback(map_method);
    env
}

/// `m.items()`, `m.keys()` and `m.values()` on a mapping, as Jinja users
/// write them; each keeps the mapping's order.
fn map_method(
    _: &minijinja::State,
    value: &MjValue,
    method: &str,
    args: &[MjValue],
) -> Result<MjValue, minijinja::Error> {
    use minijinja::value::ValueKind;
    use minijinja::{Error, ErrorKind};
    if value.kind() != ValueKind::Map || !args.is_empty() {
        return Err(Error::from(ErrorKind::UnknownMethod));
    }
    let keys = value.try_iter()?;
    let pick = |k: MjValue| -> Result<MjValue, Error> {
        let v = value.get_item(&k)?;
        Ok(match method {
            "items" => MjValue::from(vec![k, v]),
            "keys" => k,
            _ => v,
        })
    };
    match method {
        "items" | "keys" | "values" => keys
            .map(pick)
            .collect::<Result<Vec<_>, _>>()
            .map(MjValue::from),
        _ => Err(Error::from(ErrorKind::UnknownMethod)),
    }
}

fn max_bytes(env: &Environment<'_>) -> usize {
    env.globals()
        .find(|(n, _)| *n == MAX_BYTES_GLOBAL)
        .and_then(|(_, v)| v.as_usize())
        .unwrap_or(DEFAULT_MAX_BYTES)
}

fn too_many(what: &str, n: u128, max: usize) -> minijinja::Error {
    minijinja::Error::new(
        minijinja::ErrorKind::InvalidOperation,
        format!("{what} would give {n} items, more than the limit of {max} (--max-iterations)"),
    )
}

/// `range(stop)`, `range(start, stop[, step])`, refused when longer than
/// `max` before anything is built.
fn range(
    lower: i64,
    upper: Option<i64>,
    step: Option<i64>,
    max: usize,
) -> Result<MjValue, minijinja::Error> {
    let (start, stop) = match upper {
        Some(u) => (lower, u),
        None => (0, lower),
    };
    let step = step.unwrap_or(1);
    if step == 0 {
        return Err(minijinja::Error::new(
            minijinja::ErrorKind::InvalidOperation,
            "range() cannot step by 0",
        ));
    }
    let span = if step > 0 {
        i128::from(stop) - i128::from(start)
    } else {
        i128::from(start) - i128::from(stop)
    };
    let stride = i128::from(step).abs();
    let n = if span <= 0 {
        0
    } else {
        (span + stride - 1) / stride
    } as u128;
    if n > max as u128 {
        return Err(too_many("this range", n, max));
    }
    // Each step asks the memory budget: a loop that grows a value stops
    // as soon as it is over, instead of doubling on to gigabytes.
    Ok(MjValue::make_iterable(move || {
        (0..n as i64)
            .take_while(|_| !crate::memory::over_budget())
            .map(move |i| MjValue::from(start + i * step))
    }))
}

/// The inputs of `zip`/`product`, each refused when longer than `max`.
fn seqs(args: &[MjValue], max: usize) -> Result<Vec<Vec<MjValue>>, minijinja::Error> {
    args.iter()
        .map(|a| {
            if let Some(n) = a.len()
                && n > max
            {
                return Err(too_many("an input", n as u128, max));
            }
            let mut items = Vec::new();
            for x in a.try_iter()? {
                if items.len() == max {
                    return Err(too_many("an input", max as u128 + 1, max));
                }
                items.push(x);
            }
            Ok(items)
        })
        .collect()
}

/// `zip(a, b, ...)`: lists of the n-th elements, as long as the shortest input.
fn zip(args: &[MjValue], max: usize) -> Result<MjValue, minijinja::Error> {
    let lists = seqs(args, max)?;
    let n = lists.iter().map(Vec::len).min().unwrap_or(0);
    Ok(MjValue::from(
        (0..n)
            .map(|i| MjValue::from(lists.iter().map(|l| l[i].clone()).collect::<Vec<_>>()))
            .collect::<Vec<_>>(),
    ))
}

/// `product(a, b, ...)`: every combination, the last input varying fastest.
/// Its length is known from the inputs, so an oversized one is refused
/// before a single combination is built.
fn product(args: &[MjValue], max: usize) -> Result<MjValue, minijinja::Error> {
    let lists = seqs(args, max)?;
    if lists.is_empty() {
        return Ok(MjValue::from(Vec::<MjValue>::new()));
    }
    let total = lists
        .iter()
        .try_fold(1u128, |acc, l| acc.checked_mul(l.len() as u128))
        .unwrap_or(u128::MAX);
    if total > max as u128 {
        return Err(too_many("this product", total, max));
    }
    let mut out: Vec<Vec<MjValue>> = vec![Vec::new()];
    for list in &lists {
        out = out
            .into_iter()
            .flat_map(|prefix| {
                list.iter().map(move |x| {
                    let mut p = prefix.clone();
                    p.push(x.clone());
                    p
                })
            })
            .collect();
    }
    Ok(MjValue::from(
        out.into_iter().map(MjValue::from).collect::<Vec<_>>(),
    ))
}

/// A template problem at a node.
#[derive(Debug, Clone, PartialEq)]
pub struct TemplateError {
    pub span: Span,
    pub message: String,
}

impl TemplateError {
    fn from_mj(span: Span, e: &minijinja::Error) -> Self {
        let mut message = match e.detail() {
            Some(d) if crate::music::is_refusal(e) => d.to_owned(),
            Some(d) => format!("{}: {d}", e.kind()),
            None => e.kind().to_string(),
        };
        match e.kind() {
            minijinja::ErrorKind::UndefinedError => {
                message.push_str(" (a name or attribute used here is not defined)")
            }
            minijinja::ErrorKind::OutOfFuel => {
                message = "this template does more work than its budget allows \
                           (raise it with --template-fuel)"
                    .into()
            }
            _ => {}
        }
        TemplateError { span, message }
    }

    fn too_big(span: Span, max: usize) -> Self {
        TemplateError {
            span,
            message: format!(
                "this template produces more than {max} bytes (raise the cap with --template-max-bytes)"
            ),
        }
    }

    fn too_much_memory(span: Span, max: usize) -> Self {
        TemplateError {
            span,
            message: format!(
                "this template needs more than {} MiB while it runs (the budget is {MEMORY_FACTOR} times --template-max-bytes)",
                memory_budget(max) >> 20
            ),
        }
    }

    fn too_deep(span: Span) -> Self {
        TemplateError {
            span,
            message: format!(
                "this template produces a value nested more than {MAX_DEPTH} levels deep"
            ),
        }
    }
}

/// An evaluation may hold this many times its output cap in memory while it
/// runs (building text takes room beside the text).
const MEMORY_FACTOR: usize = 4;

fn memory_budget(max_bytes: usize) -> usize {
    max_bytes.saturating_mul(MEMORY_FACTOR)
}

/// Runs one evaluation under the memory budget of an output cap of `max`.
fn budgeted<R>(
    max: usize,
    span: Span,
    f: impl FnOnce() -> Result<R, TemplateError>,
) -> Result<R, TemplateError> {
    crate::sizing::reset();
    match crate::memory::metered(memory_budget(max), f) {
        (_, true) => Err(TemplateError::too_much_memory(span, max)),
        (r, false) => r,
    }
}

/// Fails when `v` holds more than `max` bytes of strings and items, or nests
/// too deeply; stops counting as soon as it knows.
fn within(v: &MjValue, max: usize, span: Span) -> Result<(), TemplateError> {
    measure(v, max).map(drop).map_err(|deep| {
        if deep {
            TemplateError::too_deep(span)
        } else {
            TemplateError::too_big(span, max)
        }
    })
}

/// The filter [`guard_namespaces`] puts after each namespace assignment.
const ACYCLIC_FILTER: &str = "pplay_acyclic";

/// The check after a namespace assignment. It fails when the namespace now
/// holds itself (or nests past [`MAX_DEPTH`]): printing such a value would
/// recurse until the stack overflows. It also stops a template that is over
/// its memory budget, since a loop over a literal list that keeps doubling
/// a namespace value passes through pplay nowhere else.
fn acyclic(v: MjValue) -> Result<String, minijinja::Error> {
    if crate::memory::over_budget() {
        // `budgeted` turns this into the memory budget's own message.
        return Err(minijinja::Error::new(
            minijinja::ErrorKind::InvalidOperation,
            "over the memory budget",
        ));
    }
    match measure(&v, usize::MAX) {
        Err(true) => Err(minijinja::Error::new(
            minijinja::ErrorKind::InvalidOperation,
            "a namespace may not hold itself (this assignment makes it nest without end)",
        )),
        _ => Ok(String::new()),
    }
}

/// `source` with a check after every `{% set ns.attr = ... %}`: only such an
/// assignment can make a value hold itself, and MiniJinja has no hook for
/// it. None when the source assigns no namespace attribute.
fn guard_namespaces(source: &str) -> Option<String> {
    use minijinja::machinery::{Token, WhitespaceConfig, tokenize};
    let tokens = tokenize(
        source,
        false,
        Default::default(),
        WhitespaceConfig::default(),
    );
    let mut recent: Vec<Token<'_>> = Vec::new();
    let mut inserts = Vec::new();
    for token in tokens {
        let Ok((token, span)) = token else {
            return None;
        };
        match token {
            Token::BlockStart => recent.clear(),
            Token::BlockEnd => {
                if let [Token::Ident("set"), Token::Ident(root), Token::Dot, ..] = recent[..] {
                    let end = span.end_offset as usize;
                    let trim = if source[..end].ends_with("-%}") {
                        "-"
                    } else {
                        ""
                    };
                    inserts.push((end, format!("{{{{ {root} | {ACYCLIC_FILTER} {trim}}}}}")));
                }
                recent.clear();
            }
            t if recent.len() < 3 => recent.push(t),
            _ => {}
        }
    }
    if inserts.is_empty() {
        return None;
    }
    let mut out = source.to_owned();
    for (at, text) in inserts.into_iter().rev() {
        out.insert_str(at, &text);
    }
    Some(out)
}

/// What a source is compiled from: the source with its building operators
/// sized ([`crate::sizing`]) and, for text, the namespace checks of
/// [`guard_namespaces`]. A guarded copy lives as long as the process; there
/// is one per distinct source, so it is bounded by the playbook's size.
fn guarded(source: &str, kind: Kind) -> &str {
    let expression = matches!(kind, Kind::Expr);
    let sized = crate::sizing::guard(source, expression);
    let text = sized.as_deref().unwrap_or(source);
    let guarded = match kind {
        Kind::Expr => sized,
        Kind::Text => guard_namespaces(text).or(sized),
    };
    guarded.map_or(source, |g| Box::leak(g.into_boxed_str()))
}

/// A writer that refuses to grow past a cap, so a runaway template stops at
/// the cap instead of filling memory.
struct Capped {
    buf: Vec<u8>,
    max: usize,
    over: bool,
}

impl std::io::Write for Capped {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        if self.buf.len() + b.len() > self.max || crate::memory::over_budget() {
            self.over = true;
            return Err(std::io::Error::other("output cap reached"));
        }
        self.buf.extend_from_slice(b);
        Ok(b.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Renders a text template, its output capped at `max` bytes.
fn render_text(
    tpl: &Template<'_, '_>,
    ctx: &MjValue,
    max: usize,
    span: Span,
) -> Result<String, TemplateError> {
    let mut out = Capped {
        buf: Vec::new(),
        max,
        over: false,
    };
    match tpl.render_captured_to(ctx, &mut out) {
        Ok(_) => Ok(String::from_utf8_lossy(&out.buf).into_owned()),
        Err(_) if out.over => Err(TemplateError::too_big(span, max)),
        Err(e) => Err(TemplateError::from_mj(span, &e)),
    }
}

/// The body of a string that is exactly one `{{ expression }}`.
pub fn single_expression(s: &str) -> Option<&str> {
    let t = s.trim();
    let inner = t.strip_prefix("{{")?.strip_suffix("}}")?;
    if inner.contains("{{") || inner.contains("}}") || inner.contains("{%") {
        return None;
    }
    Some(inner.trim().trim_start_matches('-').trim_end_matches('-'))
}

/// Does this string use template syntax at all?
pub fn is_template(s: &str) -> bool {
    s.contains("{{") || s.contains("{%")
}

/// The expression text of a `when`/`expect`/`capture`/`loop` value, with
/// optional braces taken off.
pub fn expression_source(s: &str) -> &str {
    single_expression(s).unwrap_or(s.trim())
}

/// What the template engine would only find out while rendering, found from
/// the tokens instead: filters and tests the environment does not have, and
/// (for a bare expression, wrapped in `{{ }}`) an early `}}` that would end
/// it halfway. Unknown functions are undefined names, which the check
/// reports already. Macros and recursive loops are refused: they repeat work
/// without passing through pplay, so the memory budget could not stop them.
fn vet(env: &Environment<'_>, source: &str, expression: bool) -> Vec<String> {
    use minijinja::machinery::{Token, WhitespaceConfig, tokenize};
    let mut problems = Vec::new();
    let mut prev: [Option<Token<'_>>; 2] = [None, None];
    let mut in_for = false;
    let tokens = tokenize(
        source,
        false,
        Default::default(),
        WhitespaceConfig::default(),
    );
    for token in tokens {
        // A lexing error is reported by the compiler, with its own words.
        let Ok((token, span)) = token else { break };
        if expression
            && matches!(token, Token::VariableEnd)
            && (span.end_offset as usize) < source.len()
        {
            problems.push("`}}` ends this expression before its end".to_owned());
            break;
        }
        let opens = matches!(prev[1], Some(Token::BlockStart));
        match token {
            Token::Ident("for") if opens => in_for = true,
            Token::BlockEnd => in_for = false,
            _ => {}
        }
        if let Token::Ident(name @ ("macro" | "call" | "recursive")) = token
            && (opens || (name == "recursive" && in_for))
        {
            problems.push(format!(
                "`{name}` is not available in playbook templates: it repeats work out of reach of the memory budget"
            ));
        }
        if let Token::Ident(name) = token {
            let kind = match (&prev[0], &prev[1]) {
                (_, Some(Token::Pipe)) => Some("filter"),
                (Some(Token::BlockStart), Some(Token::Ident("filter"))) => Some("filter"),
                (_, Some(Token::Ident("is"))) if name != "not" => Some("test"),
                (Some(Token::Ident("is")), Some(Token::Ident("not"))) => Some("test"),
                _ => None,
            };
            if let Some(kind) = kind
                && !env_has(env, kind, name)
            {
                problems.push(format!("unknown {kind} `{name}`"));
            }
        }
        prev = [prev[1].take(), Some(token)];
    }
    problems
}

/// Does the environment have this filter or test? Asked by using it on
/// `none`: only a missing one fails with "unknown filter/test".
fn env_has(env: &Environment<'_>, kind: &str, name: &str) -> bool {
    let (probe, missing) = match kind {
        "filter" => (
            format!("none | {name}"),
            minijinja::ErrorKind::UnknownFilter,
        ),
        _ => (format!("none is {name}"), minijinja::ErrorKind::UnknownTest),
    };
    match env.compile_expression(&probe) {
        Ok(e) => !matches!(e.eval(()), Err(err) if err.kind() == missing),
        Err(_) => true,
    }
}

/// Whether every `steps` in `source` is a call of the `steps()` helper or
/// the start of a dotted path (`steps.clip.result`), never the outcomes as
/// a whole (`steps | length`, `steps[id]`). Then the bare name `steps` is no
/// read of every outcome, and a batch job that calls `steps()` in each step
/// does not keep every outcome alive to the end.
fn steps_only_called(source: &str, kind: Kind) -> bool {
    use minijinja::machinery::{Token, WhitespaceConfig, tokenize};
    let tokens = tokenize(
        source,
        kind == Kind::Expr,
        Default::default(),
        WhitespaceConfig::default(),
    );
    let mut after_dot = false;
    let mut pending = false;
    for token in tokens {
        let Ok((token, _)) = token else { return false };
        if pending && !matches!(token, Token::ParenOpen | Token::Dot) {
            return false;
        }
        pending = matches!(token, Token::Ident("steps")) && !after_dot;
        after_dot = matches!(token, Token::Dot);
    }
    !pending
}

/// Whether a source is a bare expression (keeps its value's type) or a
/// template that renders text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    Expr,
    Text,
}

enum Code<'e, 's> {
    Expr(Expression<'e, 's>),
    Text(Template<'e, 's>),
}

/// One distinct template source, with the names it reads worked out once
/// and shared by every place that writes it.
///
/// MiniJinja sets aside several KiB for each compiled template, so a batch
/// job with a distinct template per step would hold all of them for the
/// whole run. The code is therefore kept only for a source written more
/// than once or evaluated in a loop; a source written once is compiled
/// again when its step runs, and dropped after. A plain text (see
/// [`Piece`]) is never compiled at all.
pub struct Unit<'e, 's> {
    env: &'e Environment<'s>,
    /// The source as written.
    source: &'s str,
    /// What is compiled: the source, [`guarded`].
    compiled_from: &'s str,
    kind: Kind,
    /// The output cap in bytes (`--template-max-bytes`): the same for every
    /// unit of a run, kept here rather than in each of the many places
    /// that use the unit.
    max: usize,
    /// Compact strings: most names are short and then need no allocation.
    names: Vec<CompactString>,
    /// Boxed: most units keep no code, and a long playbook has many units.
    code: Option<Box<Code<'e, 's>>>,
    /// The expression is a name and its attributes and nothing else
    /// (`item.name`, `result.trackCount`), the commonest template of a
    /// batch job: it is looked up without starting the engine.
    plain_path: bool,
    /// A text that is literal text and plain paths only
    /// (`"after {{ steps.s0.result.id }}"`), the commonest text of a batch
    /// job: it is joined from its pieces, never compiled.
    pieces: Option<Box<[Piece<'s>]>>,
    /// For a template that calls a music helper: its [`crate::music::Place`],
    /// added to the context it is evaluated in.
    place: Option<Arc<crate::music::Place>>,
}

/// A part of a plain text: literal text, or the value of one of the
/// unit's names (by its index).
enum Piece<'s> {
    Text(&'s str),
    Path(usize),
}

/// The pieces of `source` and the names it reads, when it is literal text
/// and plain paths only. What is text and what is a path comes from
/// MiniJinja's own parse of it (whitespace control and the trailing newline
/// already applied), so this adds no second parser. A source with a block
/// or a `|` (most likely a filter) is not parsed for it: it would not be
/// plain, and its compile parses it anyway.
fn plain_pieces(source: &str) -> Option<(Vec<Piece<'_>>, Vec<CompactString>)> {
    use minijinja::machinery::{WhitespaceConfig, ast, parse};
    if source.contains("{%") || source.contains('|') {
        return None;
    }
    let syntax = Default::default();
    let Ok(ast::Stmt::Template(t)) = parse(source, "<string>", syntax, WhitespaceConfig::default())
    else {
        return None;
    };
    let mut paths = Vec::new();
    let mut pieces = Vec::with_capacity(t.children.len());
    for child in &t.children {
        pieces.push(match child {
            ast::Stmt::EmitRaw(r) => Piece::Text(r.raw),
            ast::Stmt::EmitExpr(e) => {
                paths.push(dotted(&e.expr)?);
                Piece::Path(paths.len() - 1)
            }
            _ => return None,
        });
    }
    // Pieces point into the sorted, distinct names.
    let mut names = paths.clone();
    names.sort();
    names.dedup();
    for piece in &mut pieces {
        if let Piece::Path(i) = piece {
            *i = names.binary_search(&paths[*i]).ok()?;
        }
    }
    Some((pieces, names))
}

/// `a.b.c` for a name and its attributes; `None` for any other expression.
fn dotted(e: &minijinja::machinery::ast::Expr<'_>) -> Option<CompactString> {
    use minijinja::machinery::ast::Expr;
    match e {
        Expr::Var(v) => Some(CompactString::new(v.id)),
        Expr::GetAttr(g) => {
            let mut path = dotted(&g.expr)?;
            path.push('.');
            path.push_str(g.name);
            Some(path)
        }
        _ => None,
    }
}

impl<'e, 's> Unit<'e, 's> {
    fn compile(
        env: &'e Environment<'s>,
        source: &'s str,
        kind: Kind,
    ) -> Result<Code<'e, 's>, minijinja::Error> {
        Ok(match kind {
            Kind::Expr => Code::Expr(env.compile_expression(source)?),
            Kind::Text => Code::Text(env.template_from_str(source)?),
        })
    }

    /// Whether `source` is one of the dotted names MiniJinja's own parser
    /// found it reads, exactly: then it is nothing but that name's lookup.
    fn is_plain_path(
        source: &str,
        compiled_from: &str,
        kind: Kind,
        names: &[CompactString],
    ) -> bool {
        let source = source.trim();
        kind == Kind::Expr && compiled_from.trim() == source && matches!(names, [n] if n == source)
    }

    /// A plain path's value, when every part of it is there and defined;
    /// `None` otherwise, and the engine then says what the path means
    /// (a global, an undefined name, an error).
    fn lookup(&self, ctx: &MjValue) -> Option<MjValue> {
        let [path] = self.names.as_slice() else {
            return None;
        };
        lookup_path(ctx, path)
    }

    /// A plain text joined from its pieces; `None` when it has none, or a
    /// path is not there or holds more than a scalar, and the engine then
    /// renders it. A scalar is written as the engine writes it (`Display`).
    fn join(&self, ctx: &MjValue, span: Span) -> Option<Result<String, TemplateError>> {
        use std::fmt::Write;
        let max = self.max;
        let too_big = || Some(Err(TemplateError::too_big(span, max)));
        let mut out = String::new();
        for piece in self.pieces.as_deref()? {
            match piece {
                Piece::Text(t) => out.push_str(t),
                Piece::Path(i) => {
                    let value = lookup_path(ctx, &self.names[*i])?;
                    match value.kind() {
                        // Measured before it is copied: a kept result can be large.
                        ValueKind::String => {
                            let s = value.as_str()?;
                            if out.len() + s.len() > max {
                                return too_big();
                            }
                            out.push_str(s);
                        }
                        ValueKind::Number | ValueKind::Bool | ValueKind::None => {
                            write!(out, "{value}").ok()?
                        }
                        _ => return None,
                    }
                }
            }
            if out.len() > max {
                return too_big();
            }
        }
        Some(Ok(out))
    }

    /// `ctx` with the unit's place, when it has one.
    fn placed(&self, ctx: &MjValue) -> MjValue {
        match &self.place {
            None => ctx.clone(),
            Some(p) => minijinja::value::merge_maps([
                ctx.clone(),
                MjValue::from_iter([(
                    crate::music::PLACE_KEY,
                    MjValue::from_dyn_object(p.clone()),
                )]),
            ]),
        }
    }

    /// Runs `f` on the unit's code, compiling it first when it was not kept.
    fn with_code<R>(
        &self,
        span: Span,
        f: impl FnOnce(&Code<'e, 's>) -> Result<R, TemplateError>,
    ) -> Result<R, TemplateError> {
        match &self.code {
            Some(code) => f(code),
            None => {
                let code = Self::compile(self.env, self.compiled_from, self.kind)
                    .map_err(|e| TemplateError::from_mj(span, &e))?;
                f(&code)
            }
        }
    }
}

/// Compiles the templates of a playbook, each distinct source once: a batch
/// of 20,000 steps that all say `"{{ track }}"` shares one compiled copy.
pub struct Compiler<'e, 's> {
    env: &'e Environment<'s>,
    max: usize,
    units: HashMap<(&'s str, Kind), Arc<Unit<'e, 's>>>,
    /// What the music helpers are told (see [`Compiler::for_run`]).
    generation: Option<crate::protocol::Generation>,
    roots: Arc<[PathBuf]>,
    /// The place of the file being compiled (see [`Compiler::in_file`]).
    here: Option<Arc<crate::music::Place>>,
}

impl<'e, 's> Compiler<'e, 's> {
    pub fn new(env: &'e Environment<'s>) -> Self {
        Compiler {
            env,
            max: max_bytes(env),
            units: HashMap::new(),
            generation: None,
            roots: Arc::from([]),
            here: None,
        }
    }

    /// Tells the music helpers of the templates compiled from now on the
    /// generation they write notes for (`None` before the catalog is
    /// known) and the folders `csv()` may read from.
    pub fn for_run(&mut self, generation: Option<crate::protocol::Generation>, roots: &[PathBuf]) {
        self.generation = generation;
        self.roots = Arc::from(roots);
        self.here = None;
    }

    /// The templates compiled from now on are in the file at `path`: a
    /// `csv()` in them reads relative to its folder.
    pub fn in_file(&mut self, path: &Path) {
        let dir = crate::music::Place::dir_of(path);
        if self.here.as_ref().is_none_or(|h| h.dir != dir) {
            let place = crate::music::Place::of_file(path, self.generation, self.roots.clone());
            self.here = Some(Arc::new(place));
        }
    }

    /// The place a unit reading `names` gets: the current one, when it
    /// calls a helper that needs it.
    fn place_for(&self, names: &[CompactString]) -> Option<Arc<crate::music::Place>> {
        let calls = names
            .iter()
            .any(|n| crate::music::PLACED.contains(&n.as_str()));
        if calls { self.here.clone() } else { None }
    }

    /// Whether `unit` can serve a template of the current file: it needs
    /// no place, or the same one.
    fn serves_here(&self, unit: &Unit<'e, 's>) -> bool {
        match (&unit.place, &self.here) {
            (None, _) => true,
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            (Some(_), None) => false,
        }
    }

    pub fn env(&self) -> &'e Environment<'s> {
        self.env
    }

    /// Compiles a value tree; every syntax error in it is returned. `hot`:
    /// it will be evaluated many times (a looped step), so its code is kept.
    pub fn compile(
        &mut self,
        node: &'s Node,
        hot: bool,
    ) -> Result<Compiled<'e, 's>, Vec<TemplateError>> {
        let mut errors = Vec::new();
        let c = self.build(node, hot, &mut errors);
        if errors.is_empty() {
            Ok(c)
        } else {
            Err(errors)
        }
    }

    /// A bare expression (`when`, `expect`, `capture`, a string `loop`).
    pub fn expression(
        &mut self,
        node: &'s Node,
        hot: bool,
    ) -> Result<Compiled<'e, 's>, TemplateError> {
        let Value::Str(s) = &node.value else {
            return Ok(Compiled::Literal(node));
        };
        let src = expression_source(s);
        if !self.vetted(src, Kind::Expr) {
            let wrapped = format!("{{{{ {src} }}}}");
            if let Some(message) = vet(self.env, &wrapped, true).into_iter().next() {
                return Err(TemplateError {
                    span: node.span,
                    message,
                });
            }
        }
        let unit = self.unit(src, Kind::Expr, hot, node.span)?;
        Ok(Compiled::Expr {
            unit,
            span: node.span,
        })
    }

    /// Was this source vetted and compiled already? A unit is made only
    /// for a source that passed both (or, as a plain text, cannot fail
    /// either), and another string with the same
    /// source (`{{x}}` besides `{{ x }}`) has the same tokens to vet.
    fn vetted(&self, source: &'s str, kind: Kind) -> bool {
        self.units.contains_key(&(source, kind))
    }

    /// The shared unit of a source. Its code is kept from the second place
    /// that writes it on (the first keeps compiling on use until then).
    fn unit(
        &mut self,
        source: &'s str,
        kind: Kind,
        hot: bool,
        span: Span,
    ) -> Result<Arc<Unit<'e, 's>>, TemplateError> {
        // A plain text never gets here: `plain_text` answers for it first.
        let seen = (self.units.get(&(source, kind))).filter(|u| self.serves_here(u));
        if let Some(u) = seen
            && u.code.is_some()
        {
            return Ok(u.clone());
        }
        let compiled_from = match seen {
            Some(u) => u.compiled_from,
            None => guarded(source, kind),
        };
        let code = Unit::compile(self.env, compiled_from, kind)
            .map_err(|e| TemplateError::from_mj(span, &e))?;
        let names = match (seen, &code) {
            (Some(u), _) => u.names.clone(),
            (None, Code::Expr(e)) => sorted(e.undeclared_variables(true)),
            (None, Code::Text(t)) => sorted(t.undeclared_variables(true)),
        };
        let keep = hot || seen.is_some();
        let place = self.place_for(&names);
        let mut names = names;
        if seen.is_none()
            && names.iter().any(|n| n == "steps")
            && steps_only_called(compiled_from, kind)
        {
            names.retain(|n| n != "steps");
        }
        Ok(self.insert(Unit {
            env: self.env,
            max: self.max,
            source,
            compiled_from,
            kind,
            plain_path: Unit::is_plain_path(source, compiled_from, kind, &names),
            names,
            code: keep.then(|| Box::new(code)),
            pieces: None,
            place,
        }))
    }

    /// The unit of a text of literal text and plain paths only, made the
    /// first time it is seen; `None` for any other source. Such a text has
    /// no filter, test or block for [`vet`] to find fault with, and no
    /// operator or assignment for [`guarded`] to rewrite.
    fn plain_text(&mut self, source: &'s str) -> Option<Arc<Unit<'e, 's>>> {
        if let Some(u) = self.units.get(&(source, Kind::Text)) {
            return u.pieces.is_some().then(|| u.clone());
        }
        let (pieces, names) = plain_pieces(source)?;
        debug_assert_eq!(guarded(source, Kind::Text), source);
        debug_assert!(vet(self.env, source, false).is_empty());
        Some(self.insert(Unit {
            env: self.env,
            max: self.max,
            source,
            compiled_from: source,
            kind: Kind::Text,
            names,
            code: None,
            plain_path: false,
            pieces: Some(pieces.into_boxed_slice()),
            place: None,
        }))
    }

    fn insert(&mut self, unit: Unit<'e, 's>) -> Arc<Unit<'e, 's>> {
        let unit = Arc::new(unit);
        self.units.insert((unit.source, unit.kind), unit.clone());
        unit
    }

    fn build(
        &mut self,
        node: &'s Node,
        hot: bool,
        errors: &mut Vec<TemplateError>,
    ) -> Compiled<'e, 's> {
        match &node.value {
            Value::Str(s) if is_template(s) => {
                let (src, kind) = match single_expression(s) {
                    Some(src) => (src, Kind::Expr),
                    None => (s.as_str(), Kind::Text),
                };
                let span = node.span;
                if kind == Kind::Text
                    && let Some(unit) = self.plain_text(src)
                {
                    return Compiled::Text { unit, span };
                }
                let problems = if self.vetted(src, kind) {
                    Vec::new()
                } else {
                    vet(self.env, s, false)
                };
                if !problems.is_empty() {
                    errors.extend(problems.into_iter().map(|message| TemplateError {
                        span: node.span,
                        message,
                    }));
                    return Compiled::Literal(node);
                }
                match self.unit(src, kind, hot, span) {
                    Ok(unit) if kind == Kind::Expr => Compiled::Expr { unit, span },
                    Ok(unit) => Compiled::Text { unit, span },
                    Err(e) => {
                        errors.push(e);
                        Compiled::Literal(node)
                    }
                }
            }
            Value::Seq(items) if items.iter().any(has_template) => {
                Compiled::Seq(items.iter().map(|n| self.build(n, hot, errors)).collect())
            }
            Value::Map(entries) if entries.iter().any(|(_, v)| has_template(v)) => Compiled::Map(
                entries
                    .iter()
                    .map(|(k, v)| (k.name.as_str(), self.build(v, hot, errors)))
                    .collect(),
            ),
            _ => Compiled::Literal(node),
        }
    }
}

/// A YAML subtree with every template in it compiled. Literal parts stay
/// the YAML nodes they are (turned into JSON when sent), so a long playbook
/// is not held twice.
pub enum Compiled<'e, 's> {
    Literal(&'s Node),
    Expr {
        unit: Arc<Unit<'e, 's>>,
        span: Span,
    },
    Text {
        unit: Arc<Unit<'e, 's>>,
        span: Span,
    },
    /// Boxed slices rather than vectors: a batch job holds many of these,
    /// and they never grow once compiled.
    Seq(Box<[Compiled<'e, 's>]>),
    Map(Box<[(&'s str, Compiled<'e, 's>)]>),
}

impl<'e, 's> Compiled<'e, 's> {
    /// Compiles a value tree on its own, its code kept (for one-off
    /// templates outside a playbook's check).
    pub fn new(env: &'e Environment<'s>, node: &'s Node) -> Result<Self, Vec<TemplateError>> {
        Compiler::new(env).compile(node, true)
    }

    /// A bare expression compiled on its own, its code kept.
    pub fn expression(env: &'e Environment<'s>, node: &'s Node) -> Result<Self, TemplateError> {
        Compiler::new(env).expression(node, true)
    }

    pub fn is_literal(&self) -> bool {
        matches!(self, Compiled::Literal(_))
    }

    /// Evaluates to a MiniJinja value (used for expressions and loops).
    pub fn eval(&self, ctx: &MjValue) -> Result<MjValue, TemplateError> {
        match self {
            Compiled::Expr { unit, span } if unit.plain_path => match unit.lookup(ctx) {
                Some(v) => within(&v, unit.max, *span).map(|()| v),
                None => eval_expr(unit, *span, ctx),
            },
            Compiled::Expr { unit, span } => eval_expr(unit, *span, ctx),
            other => other.render(ctx).map(|j| MjValue::from_serialize(&j)),
        }
    }

    /// Renders to the JSON that is sent.
    pub fn render(&self, ctx: &MjValue) -> Result<Json, TemplateError> {
        match self {
            Compiled::Literal(node) => Ok(node.to_json()),
            Compiled::Expr { span, .. } => to_json(&self.eval(ctx)?, *span),
            Compiled::Text { unit, span } => match unit.join(ctx, *span) {
                Some(joined) => joined,
                None => budgeted(unit.max, *span, || {
                    unit.with_code(*span, |code| {
                        let Code::Text(tpl) = code else {
                            unreachable!("a Text unit holds a template")
                        };
                        render_text(tpl, &unit.placed(ctx), unit.max, *span)
                    })
                }),
            }
            .map(Json::String),
            Compiled::Seq(items) => items
                .iter()
                .map(|c| c.render(ctx))
                .collect::<Result<_, _>>()
                .map(Json::Array),
            Compiled::Map(entries) => {
                let mut m = serde_json::Map::with_capacity(entries.len());
                for (k, c) in entries {
                    m.insert((*k).to_owned(), c.render(ctx)?);
                }
                Ok(Json::Object(m))
            }
        }
    }

    /// Names the templates read that must be defined by someone: top-level
    /// names, and `steps.<id>` paths. Borrowed from the shared units, as the
    /// check asks several times for every step.
    pub fn names<'c>(&'c self, out: &mut Vec<(&'c str, Span)>) {
        match self {
            Compiled::Literal(_) => {}
            Compiled::Expr { unit, span, .. } | Compiled::Text { unit, span, .. } => {
                out.extend(unit.names.iter().map(|n| (n.as_str(), *span)))
            }
            Compiled::Seq(items) => items.iter().for_each(|c| c.names(out)),
            Compiled::Map(entries) => entries.iter().for_each(|(_, c)| c.names(out)),
        }
    }

    /// For a map: the keys whose values are templates.
    pub fn templated_keys(&self) -> Vec<&'s str> {
        match self {
            Compiled::Map(entries) => entries
                .iter()
                .filter(|(_, c)| !c.is_literal())
                .map(|(k, _)| *k)
                .collect(),
            _ => Vec::new(),
        }
    }

    /// How a dry run shows this: rendered where it can be, and where it
    /// cannot be yet (a filter or arithmetic on a placeholder), as
    /// `<its source>`, so the planned call still shows every argument.
    pub fn render_planned(&self, ctx: &MjValue) -> Json {
        let source = match self {
            Compiled::Literal(node) => return node.to_json(),
            Compiled::Seq(items) => {
                return Json::Array(items.iter().map(|c| c.render_planned(ctx)).collect());
            }
            Compiled::Map(entries) => {
                return Json::Object(
                    entries
                        .iter()
                        .map(|(k, c)| ((*k).to_owned(), c.render_planned(ctx)))
                        .collect(),
                );
            }
            Compiled::Expr { unit, .. } | Compiled::Text { unit, .. } => unit.source,
        };
        self.render(ctx)
            .unwrap_or_else(|_| Json::String(format!("<{}>", source.trim())))
    }

    /// Whether this reads a value a dry run only has a placeholder for, so
    /// what it gives is not known yet.
    pub fn reads_placeholder(&self, ctx: &MjValue) -> bool {
        let mut names = Vec::new();
        self.names(&mut names);
        names
            .iter()
            .any(|(name, _)| lookup_path(ctx, name).is_some_and(|v| holds_placeholder(&v, 6)))
    }

    /// The source of a bare expression, for reports.
    pub fn source(&self) -> Option<&'s str> {
        match self {
            Compiled::Expr { unit, .. } => Some(unit.source),
            _ => None,
        }
    }
}

/// The value of a dotted name (`item.name`) in `ctx`, when every part of it
/// is there and defined; `None` as soon as one is not.
fn lookup_path(ctx: &MjValue, path: &str) -> Option<MjValue> {
    let mut v = ctx.clone();
    for part in path.split('.') {
        v = v.get_attr(part).ok()?;
        if matches!(v.kind(), ValueKind::Undefined | ValueKind::Invalid) {
            return None;
        }
    }
    Some(v)
}

/// Evaluates an expression unit in the engine, under its budget and cap.
fn eval_expr(unit: &Unit<'_, '_>, span: Span, ctx: &MjValue) -> Result<MjValue, TemplateError> {
    let max = unit.max;
    budgeted(max, span, || {
        unit.with_code(span, |code| {
            let Code::Expr(expr) = code else {
                unreachable!("an Expr unit holds an expression")
            };
            let v = expr
                .eval(unit.placed(ctx))
                .map_err(|e| TemplateError::from_mj(span, &e))?;
            within(&v, max, span)?;
            Ok(v)
        })
    })
}

/// The names a template reads, in a stable order for messages.
fn sorted(names: std::collections::HashSet<String>) -> Vec<CompactString> {
    names
        .into_iter()
        .collect::<BTreeSet<String>>()
        .into_iter()
        .map(|n| CompactString::new(&n))
        .collect()
}

/// Does any string in this node use template syntax?
pub fn has_template(n: &Node) -> bool {
    match &n.value {
        Value::Str(s) => is_template(s),
        Value::Seq(items) => items.iter().any(has_template),
        Value::Map(entries) => entries.iter().any(|(_, v)| has_template(v)),
        _ => false,
    }
}

/// A MiniJinja value as JSON. Placeholders (dry runs) become their text.
pub fn to_json(v: &MjValue, span: Span) -> Result<Json, TemplateError> {
    if let Some(p) = v.downcast_object_ref::<Placeholder>() {
        return Ok(Json::String(format!("<{}>", p.0)));
    }
    if v.is_undefined() {
        return Err(TemplateError {
            span,
            message: "the expression is undefined".into(),
        });
    }
    serde_json::to_value(v).map_err(|e| TemplateError {
        span,
        message: format!("cannot turn the value into JSON: {e}"),
    })
}

/// A JSON value as a template variable.
pub fn from_json(j: &Json) -> MjValue {
    MjValue::from_serialize(j)
}

/// `steps` in a run's context: the outcomes of the steps with an id
/// (`steps.clip.result`) and, when called, the `steps()` pattern function,
/// which a plain map of that name would hide. Sorted by id, as the scope
/// keeps them.
#[derive(Debug)]
pub struct StepsScope(Vec<(MjValue, MjValue)>);

impl StepsScope {
    pub fn value(sorted: impl Iterator<Item = (MjValue, MjValue)>) -> MjValue {
        MjValue::from_object(StepsScope(sorted.collect()))
    }
}

impl Object for StepsScope {
    fn repr(self: &Arc<Self>) -> minijinja::value::ObjectRepr {
        minijinja::value::ObjectRepr::Map
    }

    fn get_value(self: &Arc<Self>, key: &MjValue) -> Option<MjValue> {
        let key = key.as_str()?;
        let at = (self.0)
            .binary_search_by(|(k, _)| k.as_str().unwrap_or_default().cmp(key))
            .ok()?;
        Some(self.0[at].1.clone())
    }

    fn enumerate(self: &Arc<Self>) -> minijinja::value::Enumerator {
        minijinja::value::Enumerator::Values(self.0.iter().map(|(k, _)| k.clone()).collect())
    }

    fn call(
        self: &Arc<Self>,
        state: &minijinja::State<'_, '_>,
        args: &[MjValue],
    ) -> Result<MjValue, minijinja::Error> {
        let function = state.env().globals().find(|(n, _)| *n == "steps");
        match function {
            Some((_, f)) => f.call(state, args),
            None => Err(minijinja::Error::from(
                minijinja::ErrorKind::UnknownFunction,
            )),
        }
    }
}

/// The outcomes of a looped step, kept as `steps.<id>`: a list that grows
/// one iteration at a time without being copied.
#[derive(Debug, Default)]
pub struct Outcomes(std::sync::Mutex<Vec<MjValue>>);

impl Outcomes {
    pub fn push(&self, v: MjValue) {
        self.0.lock().expect("outcomes lock").push(v);
    }
}

impl Object for Outcomes {
    fn repr(self: &Arc<Self>) -> minijinja::value::ObjectRepr {
        minijinja::value::ObjectRepr::Seq
    }

    fn get_value(self: &Arc<Self>, key: &MjValue) -> Option<MjValue> {
        let list = self.0.lock().expect("outcomes lock");
        let i = key.as_i64()?;
        let i = if i < 0 { list.len() as i64 + i } else { i };
        list.get(usize::try_from(i).ok()?).cloned()
    }

    fn enumerate(self: &Arc<Self>) -> minijinja::value::Enumerator {
        minijinja::value::Enumerator::Seq(self.0.lock().expect("outcomes lock").len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    fn node(text: &str) -> Node {
        crate::yaml::parse(&format!("v: {}", serde_json::to_string(text).unwrap()))
            .unwrap()
            .as_map()
            .unwrap()[0]
            .1
            .clone()
    }

    /// Compiles `text` as a value and renders it with no variables.
    fn render(text: &str) -> Result<Json, String> {
        let env = environment();
        let n = node(text);
        let c = Compiled::new(&env, &n).map_err(|e| e[0].message.clone())?;
        c.render(&MjValue::from(())).map_err(|e| e.message)
    }

    fn expression(text: &str) -> Result<(), String> {
        let env = environment();
        let n = node(text);
        Compiled::expression(&env, &n)
            .map(|_| ())
            .map_err(|e| e.message)
    }

    /// The names a template reads, as the check sees them.
    fn read_names(text: &str) -> Vec<String> {
        let env = environment();
        let n = node(text);
        let c = Compiled::new(&env, &n).unwrap();
        let mut names = Vec::new();
        c.names(&mut names);
        names.into_iter().map(|(n, _)| n.to_owned()).collect()
    }

    #[test]
    fn calling_steps_reads_no_outcome_but_the_whole_map_does() {
        assert!(read_names(r#"{{ steps("x...", "C1") }}"#).is_empty());
        assert_eq!(
            read_names(r#"{{ steps.a.result.path }}/{{ steps("x", "C1") }}"#),
            ["steps.a.result.path"]
        );
        assert_eq!(read_names("{{ steps | length }}"), ["steps"]);
        assert_eq!(read_names("{{ steps[k] }}"), ["k", "steps"]);
        assert_eq!(read_names(r#"{{ item.steps }}"#), ["item.steps"]);
    }

    /// Fails unless `f` fails quickly with a message holding `says`.
    fn refused_quickly(f: impl FnOnce() -> Result<Json, String>, says: &str) {
        let t = Instant::now();
        let e = f().unwrap_err();
        assert!(e.contains(says), "{e}");
        assert!(t.elapsed() < Duration::from_secs(10), "{:?}", t.elapsed());
    }

    /// Evaluates `text` as a bare expression both ways: as pplay does, and
    /// in the engine alone. Returns whether it was a plain path, and both
    /// outcomes (value as JSON, or the error's message).
    fn both_ways(text: &str, ctx: &MjValue) -> (bool, String, String) {
        let env = environment();
        let n = node(text);
        let c = Compiled::expression(&env, &n).unwrap();
        let Compiled::Expr { unit, span } = &c else {
            panic!("{text} is no expression");
        };
        let show = |r: Result<MjValue, TemplateError>| match r {
            Ok(v) => format!("{:?} {}", v.kind(), serde_json::to_string(&v).unwrap()),
            Err(e) => format!("error: {}", e.message),
        };
        let engine = show(eval_expr(unit, *span, ctx));
        (unit.plain_path, show(c.eval(ctx)), engine)
    }

    #[test]
    fn a_plain_path_is_looked_up_as_the_engine_would() {
        let ctx = MjValue::from_serialize(serde_json::json!({
            "view": "session",
            "item": {"name": "Kick", "pads": [36, 38], "none": null},
            "steps": {"a": {"result": {"trackCount": 2}}},
        }));
        let ctx = minijinja::context! { loop => MjValue::from(7), ..ctx };
        let plain = [
            "view",
            " item.name ",
            "item.pads",
            "item.none",
            "steps.a.result.trackCount",
            "item.missing",
            "item.name.deeper",
            "missing",
            "missing.name",
            "range",
            "loop.index",
        ];
        for text in plain {
            let (is_plain, fast, engine) = both_ways(text, &ctx);
            assert!(is_plain, "{text} is a plain path");
            assert_eq!(fast, engine, "{text}");
        }
        for text in [
            "item.pads[0]",
            "item['name']",
            "view ~ 'x'",
            "view == 'session'",
            "range(2)",
        ] {
            let (is_plain, fast, engine) = both_ways(text, &ctx);
            assert!(!is_plain, "{text} is not a plain path");
            assert_eq!(fast, engine, "{text}");
        }
        // What the engine says of the paths that are not all there.
        assert_eq!(both_ways("item.name", &ctx).1, r#"String "Kick""#);
        assert!(both_ways("item.missing", &ctx).1.starts_with("Undefined"));
        assert!(both_ways("missing.name", &ctx).1.starts_with("error: "));
    }

    /// Renders `text` as a string template both ways: as pplay does, and in
    /// the engine alone. Returns whether it was joined from pieces, the
    /// names pplay found and the engine's, and both outcomes.
    fn text_both_ways(text: &str, ctx: &MjValue) -> (bool, [Vec<CompactString>; 2], [String; 2]) {
        let env = environment();
        let n = node(text);
        let c = Compiled::new(&env, &n).unwrap();
        let Compiled::Text { unit, span } = &c else {
            panic!("{text} is no text");
        };
        let show = |r: Result<Json, TemplateError>| match r {
            Ok(v) => v.to_string(),
            Err(e) => format!("error: {}", e.message),
        };
        let tpl = env.template_from_str(text).unwrap();
        let engine = render_text(&tpl, ctx, unit.max, *span).map(Json::String);
        let names = [unit.names.clone(), sorted(tpl.undeclared_variables(true))];
        (
            unit.pieces.is_some(),
            names,
            [show(c.render(ctx)), show(engine)],
        )
    }

    #[test]
    fn a_plain_text_is_joined_as_the_engine_renders_it() {
        let ctx = MjValue::from_serialize(serde_json::json!({
            "t": 0, "f": 1.5, "big": 1e300, "yes": true, "nil": null, "s": "Kick é",
            "m": {"a": 1}, "seq": [1, 2],
            "steps": {"s0": {"result": {"id": "clip-1"}}},
        }));
        let plain = [
            "after {{ steps.s0.result.id }}",
            "{{ t }}-{{ f }}-{{ big }}-{{ yes }}-{{ nil }}-{{ s }}",
            "{{ s }}{{ s }} and {{ t }}",
            "a  {{- s -}}  b",
            "line {{ s }}\n",
            "{# note #}{{ steps.s0.result.id }}",
            "x {{ missing }} y",
            "x {{ steps.s1.result.id }} y",
            "x {{ m }} y",
            "x {{ seq }} y",
            "x {{ s.deeper }} y",
            "Kick (layer {{ t }}) [{{ s }}]",
            "{{ range }} x",
        ];
        for text in plain {
            let (joined, names, outcomes) = text_both_ways(text, &ctx);
            assert!(joined, "{text} is joined from its pieces");
            assert_eq!(names[0], names[1], "{text}");
            assert_eq!(outcomes[0], outcomes[1], "{text}");
        }
        for text in [
            "{{ true }} {{ s }}",
            "{{ s | upper }} x",
            "{{ seq[0] }} x",
            "{{ t + 1 }} x",
            "{% if yes %}y{% endif %}",
        ] {
            let (joined, names, outcomes) = text_both_ways(text, &ctx);
            assert!(!joined, "{text} is left to the engine");
            assert_eq!(names[0], names[1], "{text}");
            assert_eq!(outcomes[0], outcomes[1], "{text}");
        }
        let said = |t: &str| text_both_ways(t, &ctx).2[0].clone();
        assert_eq!(said("after {{ steps.s0.result.id }}"), r#""after clip-1""#);
        assert_eq!(said("a  {{- s -}}  b"), r#""aKick éb""#);
        assert!(said("x {{ missing }} y").starts_with("error: "));
    }

    #[test]
    fn a_runaway_loop_runs_out_of_fuel() {
        refused_quickly(
            || {
                render(
                    "{% for i in range(10000) %}{% for j in range(10000) %}{% endfor %}{% endfor %}",
                )
            },
            "--template-fuel",
        );
        assert_eq!(
            render("{% for i in range(3) %}{{ i }}{% endfor %}"),
            Ok(Json::from("012"))
        );
    }

    #[test]
    fn loop_sources_are_refused_before_they_are_built() {
        refused_quickly(|| render("{{ range(100000) }}"), "100000 items");
        refused_quickly(
            || render("{{ product(range(10000), range(10000)) }}"),
            "100000000 items",
        );
        refused_quickly(
            || render("{{ zip(range(5), product(range(200), range(200))) }}"),
            "40000 items",
        );
        assert_eq!(
            render("{{ product([1, 2], ['a']) }}"),
            Ok(serde_json::json!([[1, "a"], [2, "a"]]))
        );
        assert_eq!(
            render("{{ range(5, 0, -2) | list }}"),
            Ok(serde_json::json!([5, 3, 1]))
        );
        assert!(
            render("{{ range(1, 2, 0) }}")
                .unwrap_err()
                .contains("step by 0")
        );
    }

    #[test]
    fn a_string_doubled_forty_times_stops_at_the_memory_budget() {
        refused_quickly(
            || {
                render(
                    "{% set ns = namespace(s='ab') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s | length }}",
                )
            },
            "MiB while it runs",
        );
        refused_quickly(
            || {
                render(
                    "{% set ns = namespace(s='ab') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s }}",
                )
            },
            "MiB while it runs",
        );
    }

    #[test]
    fn doubling_a_namespace_over_a_literal_list_stops_at_the_memory_budget() {
        let forty: Vec<String> = (0..40).map(|i| i.to_string()).collect();
        let text = format!(
            "{{% set ns = namespace(s='ab') %}}{{% for i in [{}] %}}{{% set ns.s = ns.s ~ ns.s %}}{{% endfor %}}{{{{ ns.s | length }}}}",
            forty.join(", ")
        );
        refused_quickly(|| render(&text), "MiB while it runs");
    }

    #[test]
    fn what_a_template_produces_is_capped() {
        refused_quickly(
            || render("{% for i in range(9000) %}{{ 'x' * 1000 }}{% endfor %}"),
            "--template-max-bytes",
        );
        refused_quickly(|| render("{{ 'x' * 5000000 }}"), "--template-max-bytes");
        let deep = format!("{{{{ {}1{} }}}}", "[".repeat(70), "]".repeat(70));
        refused_quickly(|| render(&deep), "nested");
    }

    #[test]
    fn an_early_close_in_an_expression_is_an_error_not_a_panic() {
        let e = expression("x }}y").unwrap_err();
        assert!(e.contains("ends this expression"), "{e}");
        assert!(expression("x == '}}'").is_ok());
        assert!(expression("{{ x }}").is_ok());
    }

    #[test]
    fn a_source_is_vetted_until_it_compiles_and_every_bad_place_is_reported() {
        let env = environment();
        let list = crate::yaml::parse(
            r#"["{{ x | shout }}", "{{ x | shout }}", "{{ x }}", "{{x}}", "a {{ x }}", "a {{ x }}"]"#,
        )
        .unwrap();
        let mut compiler = Compiler::new(&env);
        let Err(errors) = compiler.compile(&list, false) else {
            panic!("two places use an unknown filter");
        };
        let spans: Vec<usize> = errors.iter().map(|e| e.span.offset()).collect();
        assert_eq!(spans, [1, 20], "{errors:?}");
        assert!(errors.iter().all(|e| e.message == "unknown filter `shout`"));
        // `x` has a unit now; an expression that only looks like it does not.
        let good = node("x");
        assert!(compiler.expression(&good, false).is_ok());
        let early = node("x }}y");
        let e = compiler.expression(&early, false).err().unwrap();
        assert!(e.message.contains("ends this expression"), "{}", e.message);
    }

    #[test]
    fn unknown_filters_and_tests_are_found_without_rendering() {
        assert_eq!(
            render("{{ 'a' | shout }}").unwrap_err(),
            "unknown filter `shout`"
        );
        assert_eq!(expression("x is loud").unwrap_err(), "unknown test `loud`");
        assert_eq!(
            expression("x is not loud").unwrap_err(),
            "unknown test `loud`"
        );
        assert!(
            render("{% filter shout %}a{% endfilter %}")
                .unwrap_err()
                .contains("shout")
        );
        assert_eq!(render("{{ 'a' | upper }}"), Ok(Json::from("A")));
        assert!(expression("x is not defined and y is none").is_ok());
        assert!(!FUNCTIONS.contains(&"lipsum"));
    }

    #[test]
    fn a_namespace_that_would_hold_itself_is_an_error_not_a_crash() {
        for text in [
            "{% set ns = namespace() %}{% set ns.me = ns %}{{ ns }}",
            "{% set ns = namespace(a=namespace()) %}{% set ns.a.b = ns %}{{ ns ~ '' }}",
            "{% set ns = namespace() %}{% set l = [ns] %}{%- set ns.l = l -%}{{ ns | string }}",
        ] {
            let e = render(text).unwrap_err();
            assert!(e.contains("may not hold itself"), "{text}: {e}");
        }
        assert_eq!(
            render(
                "{% set ns = namespace(n=1) %}{% for i in range(3) %}{% set ns.n = ns.n + i -%} {% endfor %}{{ ns.n }}"
            ),
            Ok(Json::from("4"))
        );
    }

    #[test]
    fn macros_and_recursive_loops_are_refused() {
        let e = render("{% macro d(s) %}{{ s ~ s }}{% endmacro %}{{ d('a') }}").unwrap_err();
        assert!(e.contains("`macro` is not available"), "{e}");
        let e = render("{% for x in [1] recursive %}{{ x }}{% endfor %}").unwrap_err();
        assert!(e.contains("`recursive` is not available"), "{e}");
        assert_eq!(
            render("{% for x in [1] %}{{ x }}{% endfor %}"),
            Ok(Json::from("1"))
        );
    }
}
