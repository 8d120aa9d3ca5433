//! What templates build, sized before it is built.
//!
//! `'x' * 100000000` makes 100 MB in one instruction, a chain of such terms
//! joined by `~` makes that many times more, and MiniJinja calls back into
//! pplay nowhere in between; with constant operands it even builds them while
//! compiling. So [`guard`] rewrites each operator that builds (`*`, `~`, `+`)
//! in the source: its left operand goes through a filter that notes the
//! operand's size, its right one through a filter that works out how large
//! the result will be and fails the evaluation, before anything is built,
//! when that does not fit in the memory budget. The operator itself is still
//! MiniJinja's, so its meaning is unchanged.
//!
//! The built-in filters that can make much more than they are given (`list`
//! and `lines` of a long string, `replace`, `indent`, `join`, `format`,
//! `batch`, `string`, `pprint`) are replaced by ones
//! that size their result first and then call MiniJinja's own.
//!
//! [`measure`] sizes a value once it is built: the output cap and the depth
//! limit of what an evaluation gives back.

use std::cell::RefCell;

use minijinja::machinery::ast::{BinOpKind, CallArg, Expr, Stmt};
use minijinja::value::{Kwargs, Rest, StringInput, Value, ValueKind};
use minijinja::{Environment, Error, ErrorKind, State, filters};

use crate::placeholder::Placeholder;

/// How deeply a value a template produces may nest (a namespace can hold
/// itself; JSON from Producer Pal is far shallower).
pub const MAX_DEPTH: usize = 64;

/// Walks `v` for at most `max` bytes and [`MAX_DEPTH`] levels: the bytes it
/// holds (its strings, and 8 for anything else), or `Err(true)` when it nests
/// deeper, `Err(false)` when it holds more.
pub fn measure(v: &Value, max: usize) -> Result<usize, bool> {
    fn walk(v: &Value, left: &mut usize, depth: usize) -> Result<(), bool> {
        if depth > MAX_DEPTH {
            return Err(true);
        }
        let own = v.as_str().map_or(8, str::len);
        *left = left.checked_sub(own).ok_or(false)?;
        if v.downcast_object_ref::<Placeholder>().is_some() || v.as_str().is_some() {
            return Ok(());
        }
        match v.kind() {
            ValueKind::Seq | ValueKind::Iterable => {
                for item in v.try_iter().map_err(|_| false)? {
                    walk(&item, left, depth + 1)?;
                }
            }
            ValueKind::Map => {
                for key in v.try_iter().map_err(|_| false)? {
                    walk(&key, left, depth + 1)?;
                    if let Ok(item) = v.get_item(&key) {
                        walk(&item, left, depth + 1)?;
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }
    let mut left = max;
    walk(v, &mut left, 0)?;
    Ok(max - left)
}

/// Notes the size of a left operand.
const OPERAND: &str = "pplay_operand";
/// Size the result of `*`, `~` and `+` from their right operand.
const TIMES: &str = "pplay_times";
const CONCAT: &str = "pplay_concat";
const PLUS: &str = "pplay_plus";

/// Adds the operand filters and the sized built-in filters to `env`.
pub fn register(env: &mut Environment<'_>) {
    env.add_filter(OPERAND, operand);
    env.add_filter(TIMES, |v: Value| result(v, Op::Times));
    env.add_filter(CONCAT, |v: Value| result(v, Op::Concat));
    env.add_filter(PLUS, |v: Value| result(v, Op::Plus));
    env.add_filter("list", list);
    env.add_filter("lines", lines);
    env.add_filter("split", split);
    env.add_filter("replace", replace);
    env.add_filter("indent", indent);
    env.add_filter("join", join);
    env.add_filter("format", format);
    env.add_filter("batch", batch);
    env.add_filter("string", string);
    env.add_filter("pprint", pprint);
}

/// Forgets the operands of an evaluation that failed halfway; called before
/// each evaluation.
pub fn reset() {
    PENDING.with(|p| p.borrow_mut().clear());
}

/// `source` with every building operator sized, or `None` when it has none
/// (or does not parse: compiling it will then report the error).
pub fn guard(source: &str, expression: bool) -> Option<String> {
    use minijinja::machinery::{parse, parse_expr};
    if !source.contains(['*', '~', '+']) {
        return None;
    }
    let mut edits = Vec::new();
    if expression {
        walk(&parse_expr(source).ok()?, &mut edits);
    } else {
        let ast = parse(source, "<template>", Default::default(), Default::default()).ok()?;
        statement(&ast, &mut edits);
    }
    (!edits.is_empty()).then(|| apply(source, edits))
}

#[derive(Clone, Copy)]
enum Op {
    Times,
    Concat,
    Plus,
}

fn sized(op: &BinOpKind) -> Option<&'static str> {
    match op {
        BinOpKind::Mul => Some(TIMES),
        BinOpKind::Concat => Some(CONCAT),
        BinOpKind::Add => Some(PLUS),
        _ => None,
    }
}

/// A piece of text to put into the source: `(` before an operand, or `)`
/// and a filter after it.
struct Edit {
    at: u32,
    /// Where the operand starts; at one place, inner operands close first.
    operand_start: u32,
    filter: Option<&'static str>,
}

fn wrap((start, end): (u32, u32), filter: &'static str, edits: &mut Vec<Edit>) {
    edits.push(Edit {
        at: start,
        operand_start: start,
        filter: None,
    });
    edits.push(Edit {
        at: end,
        operand_start: start,
        filter: Some(filter),
    });
}

fn apply(source: &str, mut edits: Vec<Edit>) -> String {
    // At one offset: closings before openings, the inner operand first.
    edits.sort_by_key(|e| (e.at, e.filter.is_none(), std::cmp::Reverse(e.operand_start)));
    let mut out = String::with_capacity(source.len() + edits.len() * 16);
    let mut from = 0;
    for e in edits {
        let at = e.at as usize;
        out.push_str(&source[from..at]);
        match e.filter {
            None => out.push('('),
            Some(f) => {
                out.push_str(")|");
                out.push_str(f);
            }
        }
        from = at;
    }
    out.push_str(&source[from..]);
    out
}

/// Records the edits for every sized operator in `e`; returns the source
/// range `e` covers. A node's own span can start at its last `.attr` or
/// `|filter`, so the range takes in its operands' ranges too.
fn walk(e: &Expr<'_>, edits: &mut Vec<Edit>) -> (u32, u32) {
    let span = e.span();
    let mut range = (span.start_offset, span.end_offset);
    let mut widen = |r: (u32, u32)| range = (range.0.min(r.0), range.1.max(r.1));
    if let Expr::BinOp(b) = e
        && let Some(filter) = sized(&b.op)
    {
        let left = walk(&b.left, edits);
        let right = walk(&b.right, edits);
        wrap(left, OPERAND, edits);
        wrap(right, filter, edits);
        widen(left);
        widen(right);
        return range;
    }
    for_each_child(e, &mut |c| widen(walk(c, edits)));
    range
}

fn for_each_child<'a>(e: &'a Expr<'a>, f: &mut dyn FnMut(&'a Expr<'a>)) {
    match e {
        Expr::Var(_) | Expr::Const(_) => {}
        Expr::Slice(s) => {
            f(&s.expr);
            [&s.start, &s.stop, &s.step]
                .into_iter()
                .flatten()
                .for_each(&mut *f);
        }
        Expr::UnaryOp(u) => f(&u.expr),
        Expr::BinOp(b) => {
            f(&b.left);
            f(&b.right);
        }
        Expr::Compare(c) => {
            f(&c.expr);
            c.ops.iter().for_each(|op| f(&op.expr));
        }
        Expr::IfExpr(i) => {
            f(&i.test_expr);
            f(&i.true_expr);
            i.false_expr.iter().for_each(&mut *f);
        }
        Expr::Filter(x) => {
            x.expr.iter().for_each(&mut *f);
            args(&x.args, f);
        }
        Expr::Test(t) => {
            f(&t.expr);
            args(&t.args, f);
        }
        Expr::GetAttr(g) => f(&g.expr),
        Expr::GetItem(g) => {
            f(&g.expr);
            f(&g.subscript_expr);
        }
        Expr::Call(c) => {
            f(&c.expr);
            args(&c.args, f);
        }
        Expr::List(l) => l.items.iter().for_each(&mut *f),
        Expr::Map(m) => m.keys.iter().chain(&m.values).for_each(&mut *f),
    }
}

fn args<'a>(args: &'a [CallArg<'a>], f: &mut dyn FnMut(&'a Expr<'a>)) {
    for a in args {
        match a {
            CallArg::Pos(x)
            | CallArg::Kwarg(_, x)
            | CallArg::PosSplat(x)
            | CallArg::KwargSplat(x) => f(x),
        }
    }
}

/// The expressions a statement evaluates, and its nested statements.
fn statement(s: &Stmt<'_>, edits: &mut Vec<Edit>) {
    let expr = |e: &Expr<'_>, edits: &mut Vec<Edit>| {
        walk(e, edits);
    };
    let body = |b: &[Stmt<'_>], edits: &mut Vec<Edit>| b.iter().for_each(|s| statement(s, edits));
    match s {
        Stmt::Template(t) => body(&t.children, edits),
        Stmt::EmitExpr(e) => expr(&e.expr, edits),
        Stmt::ForLoop(l) => {
            expr(&l.iter, edits);
            if let Some(x) = &l.filter_expr {
                expr(x, edits);
            }
            body(&l.body, edits);
            body(&l.else_body, edits);
        }
        Stmt::IfCond(i) => {
            expr(&i.expr, edits);
            body(&i.true_body, edits);
            body(&i.false_body, edits);
        }
        Stmt::WithBlock(w) => {
            w.assignments.iter().for_each(|(_, v)| expr(v, edits));
            body(&w.body, edits);
        }
        Stmt::Set(x) => expr(&x.expr, edits),
        Stmt::SetBlock(x) => {
            if let Some(f) = &x.filter {
                expr(f, edits);
            }
            body(&x.body, edits);
        }
        Stmt::AutoEscape(x) => body(&x.body, edits),
        Stmt::FilterBlock(x) => {
            expr(&x.filter, edits);
            body(&x.body, edits);
        }
        Stmt::Block(x) => body(&x.body, edits),
        Stmt::Do(x) => {
            expr(&x.call.expr, edits);
            args(&x.call.args, &mut |e| expr(e, edits));
        }
        // Macros, calls of macros, imports and includes are refused before
        // anything runs; raw text and loop control build nothing.
        _ => {}
    }
}

/// What the size of a result depends on, as noted for a left operand.
#[derive(Clone, Copy)]
enum Size {
    Text(usize),
    Items(usize),
    Count(usize),
    Other,
}

impl Size {
    fn of(v: &Value) -> Size {
        if let Some(s) = v.as_str() {
            Size::Text(s.len())
        } else if v.kind() == ValueKind::Number {
            v.as_usize().map_or(Size::Other, Size::Count)
        } else if matches!(v.kind(), ValueKind::Seq | ValueKind::Iterable) {
            v.len().map_or(Size::Other, Size::Items)
        } else {
            Size::Other
        }
    }
}

/// Bytes a value of `n` items takes, at the least.
fn items(n: usize) -> usize {
    n.saturating_mul(std::mem::size_of::<Value>())
}

/// The bytes `left op right` will build (0 when it builds nothing sizable).
fn bytes(op: Op, left: Size, right: Size) -> usize {
    use Size::*;
    match (op, left, right) {
        (Op::Times, Text(s), Count(n)) | (Op::Times, Count(n), Text(s)) => s.saturating_mul(n),
        (Op::Times, Items(k), Count(n)) | (Op::Times, Count(n), Items(k)) => {
            items(k.saturating_mul(n))
        }
        (Op::Concat | Op::Plus, Text(a), Text(b)) => a.saturating_add(b),
        (Op::Concat, Text(a), _) | (Op::Concat, _, Text(a)) => a,
        _ => 0,
    }
}

thread_local! {
    /// Sizes of the left operands whose right operand is being evaluated.
    static PENDING: RefCell<Vec<Size>> = const { RefCell::new(Vec::new()) };
}

fn operand(v: Value) -> Value {
    let size = Size::of(&v);
    PENDING.with(|p| p.borrow_mut().push(size));
    v
}

fn result(right: Value, op: Op) -> Result<Value, Error> {
    let left = PENDING
        .with(|p| p.borrow_mut().pop())
        .unwrap_or(Size::Other);
    fits(bytes(op, left, Size::of(&right)))?;
    Ok(right)
}

/// Bytes `v` takes when written out, at the least; more than the budget
/// left when it cannot be measured within it.
fn written(v: &Value) -> usize {
    measure(v, crate::memory::remaining()).unwrap_or(usize::MAX)
}

/// How often `pattern` occurs in `s` (`s`'s length for an empty one).
fn occurrences(s: &str, pattern: &str) -> usize {
    if pattern.is_empty() {
        s.len()
    } else {
        s.matches(pattern).count()
    }
}

fn list(state: &State, v: Value) -> Result<Value, Error> {
    // A string becomes one value per character.
    fits(items(
        v.as_str().map_or_else(|| v.len().unwrap_or(0), str::len),
    ))?;
    filters::list(state, v)
}

fn lines(v: &Value) -> Result<Value, Error> {
    let s = v.as_str().unwrap_or_default();
    fits(items(occurrences(s, "\n") + 1).saturating_add(s.len()))?;
    filters::lines(v)
}

fn split(v: &Value, by: Option<std::sync::Arc<str>>, max: Option<i64>) -> Result<Value, Error> {
    let s = v.as_str().unwrap_or_default();
    let pieces = match &by {
        Some(by) => occurrences(s, by),
        None => s.chars().filter(|c| c.is_whitespace()).count(),
    };
    fits(items(pieces + 1).saturating_add(s.len()))?;
    filters::split(v, by, max)
}

fn replace(
    state: &State,
    v: StringInput<'_>,
    from: StringInput<'_>,
    to: StringInput<'_>,
) -> Result<Value, Error> {
    let (s, from_len, to_len) = (v.as_str(), from.as_str().len(), to.as_str().len());
    let grows = to_len.saturating_sub(from_len);
    let count = occurrences(s, from.as_str()) + usize::from(from_len == 0);
    fits(s.len().saturating_add(count.saturating_mul(grows)))?;
    filters::replace(state, v, from, to)
}

fn indent(
    v: StringInput<'_>,
    width: Option<usize>,
    first: Option<bool>,
    blank: Option<bool>,
    kwargs: Kwargs,
) -> Result<Value, Error> {
    let width = width
        .or_else(|| kwargs.peek::<usize>("width").ok())
        .unwrap_or(0);
    let s = v.as_str();
    fits(
        s.len()
            .saturating_add((occurrences(s, "\n") + 1).saturating_mul(width)),
    )?;
    filters::indent(v, width.into(), first, blank, kwargs)
}

fn join(state: &State, v: &Value, by: Option<StringInput<'_>>) -> Result<Value, Error> {
    let by_len = by.as_ref().map_or(0, |b| b.as_str().len());
    let n = v.len().unwrap_or(0);
    fits(written(v).saturating_add(n.saturating_mul(by_len)))?;
    filters::join(state, v, by)
}

/// `%-20s` and `%.5f` make as many bytes as their numbers say, so every
/// number in a format string counts.
fn format(state: &State, f: &Value, args: Rest<Value>) -> Result<Value, Error> {
    let text = f.as_str().unwrap_or_default();
    let widths = text
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|n| n.parse::<usize>().ok())
        .fold(0usize, usize::saturating_add);
    let args_len = args.iter().map(written).fold(0usize, usize::saturating_add);
    fits(text.len().saturating_add(widths).saturating_add(args_len))?;
    filters::format(state, f, args)
}

fn batch(state: &State, v: Value, count: usize, fill: Option<Value>) -> Result<Value, Error> {
    fits(items(v.len().unwrap_or(0).saturating_add(count)))?;
    filters::batch(state, v, count, fill)
}

fn string(state: &State, v: &Value) -> Result<Value, Error> {
    if v.as_str().is_none() {
        fits(written(v))?;
    }
    filters::string(state, v)
}

/// The pretty form indents every line by its depth.
fn pprint(v: &Value) -> Result<String, Error> {
    fits(written(v).saturating_mul(16))?;
    Ok(filters::pprint(v))
}

fn fits(bytes: usize) -> Result<(), Error> {
    if crate::memory::claim(bytes) {
        Ok(())
    } else {
        // The evaluation's budget turns this into its own message.
        Err(Error::new(
            ErrorKind::InvalidOperation,
            "over the memory budget",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guarded(source: &str) -> String {
        guard(source, false).unwrap_or_else(|| source.to_owned())
    }

    /// Each template renders the same with its operators sized: the
    /// rewrite keeps every operand whole, however it is written.
    #[test]
    fn sizing_keeps_what_a_template_means() {
        let mut env = Environment::new();
        register(&mut env);
        let ctx = minijinja::context! {
            a => 3, s => "ab", xs => vec![1, 2], m => minijinja::context! { k => 2, n => "q" },
        };
        let cases = [
            "{{ 'x' * 3 ~ 'y' }}",
            "{{ a * 2 + 1 }}",
            "{{ (a + 1) * 2 }}",
            "{{ -a * 3 }}",
            "{{ a * a * a }}",
            "{{ s * a ~ s|upper ~ m.n * 2 }}",
            "{{ m.k * (a) }}",
            "{{ (m).k * 2 ~ (xs)[1] }}",
            "{{ (s ~ 'c')|upper * 2 }}",
            "{{ s|replace('a', '(') * 2 ~ ')' }}",
            "{{ '(' * 2 ~ ')' }}",
            "{{ (xs + [3]) * 2 }}",
            "{{ xs * 2 + xs }}",
            "{{ (1, 2) * 2 }}",
            "{{ {'k': 'v'}.k * 2 }}",
            "{{ xs[0] * 2 ~ xs[1:] }}",
            "{{ a * 2 if a > 1 else s ~ 's' }}",
            "{{ s * (a if a else 1) }}",
            "{{ s is string ~ 'x' }}",
            "{{ range(3)|list * 2 }}",
            "{% for i in range(3) %}{{ 'a' * i ~ '|' }}{% endfor %}",
            "{% set t = s * 2 %}{{ t ~ t }}",
            "{%- if a * 2 > 5 -%} {{ a ~ a }} {%- endif %}",
            "{% do range(a * 2) %}{{ s ~ 'x' }}",
        ];
        for source in cases {
            let plain = env.render_str(source, &ctx).unwrap();
            let sized = env
                .render_str(&guarded(source), &ctx)
                .map_err(|e| e.to_string());
            assert_eq!(sized, Ok(plain), "{source} -> {}", guarded(source));
            assert_ne!(guarded(source), source, "{source} has an operator");
        }
    }

    #[test]
    fn expressions_are_sized_too() {
        let g = guard("'x' * n ~ y", true).unwrap();
        assert_eq!(
            g,
            "(('x')|pplay_operand * (n)|pplay_times)|pplay_operand ~ (y)|pplay_concat"
        );
    }

    #[test]
    fn a_repetition_that_does_not_fit_is_refused_before_it_is_built() {
        let mut env = Environment::new();
        register(&mut env);
        let source = guarded("{{ 'x' * 100000000 ~ 'x' * 100000000 }}");
        let (r, over) = crate::memory::metered(16 << 20, || env.render_str(&source, ()));
        assert!(r.is_err());
        assert!(over);
        let (r, over) = crate::memory::metered(16 << 20, || {
            env.render_str(&guarded("{{ 'ab' * 1000 ~ 'c' }}"), ())
        });
        assert_eq!(r.map(|s| s.len()).ok(), Some(2001));
        assert!(!over);
    }

    #[test]
    fn sized_filters_give_what_minijinja_gives() {
        let plain = Environment::new();
        let mut sized = Environment::new();
        register(&mut sized);
        let cases = [
            "{{ 'ab'|list }}",
            "{{ 'a b\nc'|lines|list }}",
            "{{ 'a,b'|split(',') }}",
            "{{ 'a b  c'|split }}",
            "{{ 'abc'|replace('b', 'xx') }}",
            "{{ 'abc'|replace('', '-') }}",
            "{{ 'a\nb'|indent(2) }}",
            "{{ 'a\nb'|indent(2, true) }}",
            "{{ [1, 2]|join('-') }}",
            "{{ 'x'|join }}",
            "{{ '%-5s|%.2f'|format('a', 1.5) }}",
            "{{ [1, 2, 3]|batch(2, 0)|list }}",
            "{{ [1, 'a']|string }}",
            "{{ {'a': [1]}|pprint }}",
        ];
        for source in cases {
            let want = plain.render_str(source, ()).map_err(|e| e.to_string());
            let got = sized.render_str(source, ()).map_err(|e| e.to_string());
            assert_eq!(got, want, "{source}");
        }
    }

    #[test]
    fn filters_that_would_build_too_much_are_refused_before_they_do() {
        let mut env = Environment::new();
        register(&mut env);
        let ctx = minijinja::context! {
            xs => (0..2000).collect::<Vec<_>>(),
            big => vec!["y".repeat(2000); 1000],
        };
        let cases = [
            "{{ ('x' * 100000)|replace('x', 'y' * 100) }}",
            "{{ 'a'|indent(100000000) }}",
            "{{ ('\n' * 100000)|lines|length }}",
            "{{ ('a,' * 100000)|split(',')|length }}",
            "{{ ('a ' * 100000)|split|length }}",
            "{{ ('x' * 100000)|list|length }}",
            "{{ '%100000000s'|format('a') }}",
            "{{ [1]|batch(100000000, 0)|list|length }}",
            "{{ xs|join('y' * 1000) }}",
            "{{ big|string|length }}",
            "{{ big|pprint|length }}",
            "{{ xs * 100000 }}",
        ];
        for source in cases {
            let source = guarded(source);
            let (r, over) = crate::memory::metered(1 << 20, || env.render_str(&source, &ctx));
            assert!(r.is_err() && over, "{source}: {r:?}");
        }
    }
}
