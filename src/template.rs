//! MiniJinja templates and expressions, compiled once per playbook.
//!
//! A string that is exactly one `{{ expression }}` keeps the type of the
//! value (`"{{ n }}"` sends the number 3); any other string with template
//! syntax renders to text; everything else is a literal. [`Compiled`] is that
//! decision made once for a whole YAML subtree, so rendering a step for the
//! ten-thousandth time only evaluates, never parses.

use std::collections::BTreeSet;
use std::sync::Arc;

use minijinja::value::{Object, Value as MjValue};
use minijinja::{Environment, Expression, Template, UndefinedBehavior};
use serde_json::Value as Json;

use crate::yaml::{Node, Span, Value};

/// Functions the playbook templates can call, besides the variables.
pub const FUNCTIONS: &[&str] = &[
    "range",
    "dict",
    "namespace",
    "debug",
    "zip",
    "product",
    "lipsum",
    "cycler",
    "joiner",
];

/// The environment every playbook template runs in: strict about undefined
/// names, with `zip` and `product` for building loop tables.
pub fn environment<'s>() -> Environment<'s> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.add_function("zip", zip);
    env.add_function("product", product);
    env
}

fn seqs(args: &[MjValue]) -> Result<Vec<Vec<MjValue>>, minijinja::Error> {
    args.iter()
        .map(|a| a.try_iter().map(|it| it.collect::<Vec<_>>()))
        .collect()
}

/// `zip(a, b, ...)`: lists of the n-th elements, as long as the shortest input.
fn zip(args: minijinja::value::Rest<MjValue>) -> Result<MjValue, minijinja::Error> {
    let lists = seqs(&args)?;
    let n = lists.iter().map(Vec::len).min().unwrap_or(0);
    Ok(MjValue::from(
        (0..n)
            .map(|i| MjValue::from(lists.iter().map(|l| l[i].clone()).collect::<Vec<_>>()))
            .collect::<Vec<_>>(),
    ))
}

/// `product(a, b, ...)`: every combination, the last input varying fastest.
fn product(args: minijinja::value::Rest<MjValue>) -> Result<MjValue, minijinja::Error> {
    let lists = seqs(&args)?;
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
    if lists.is_empty() {
        out.clear();
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
            Some(d) => format!("{}: {d}", e.kind()),
            None => e.kind().to_string(),
        };
        if e.kind() == minijinja::ErrorKind::UndefinedError {
            message.push_str(" (a name or attribute used here is not defined)");
        }
        TemplateError { span, message }
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

/// A YAML subtree with every template in it compiled.
pub enum Compiled<'e, 's> {
    Literal(Json),
    Expr {
        expr: Expression<'e, 's>,
        source: &'s str,
        span: Span,
    },
    Text {
        tpl: Template<'e, 's>,
        span: Span,
    },
    Seq(Vec<Compiled<'e, 's>>),
    Map(Vec<(&'s str, Compiled<'e, 's>)>),
}

impl<'e, 's> Compiled<'e, 's> {
    /// Compiles a value tree; every syntax error in it is returned.
    pub fn new(env: &'e Environment<'s>, node: &'s Node) -> Result<Self, Vec<TemplateError>> {
        let mut errors = Vec::new();
        let c = Self::build(env, node, &mut errors);
        if errors.is_empty() {
            Ok(c)
        } else {
            Err(errors)
        }
    }

    fn build(env: &'e Environment<'s>, node: &'s Node, errors: &mut Vec<TemplateError>) -> Self {
        match &node.value {
            Value::Str(s) if is_template(s) => {
                if let Some(src) = single_expression(s) {
                    match env.compile_expression(src) {
                        Ok(expr) => {
                            return Compiled::Expr {
                                expr,
                                source: src,
                                span: node.span,
                            };
                        }
                        Err(e) => errors.push(TemplateError::from_mj(node.span, &e)),
                    }
                } else {
                    match env.template_from_str(s) {
                        Ok(tpl) => {
                            return Compiled::Text {
                                tpl,
                                span: node.span,
                            };
                        }
                        Err(e) => errors.push(TemplateError::from_mj(node.span, &e)),
                    }
                }
                Compiled::Literal(Json::Null)
            }
            Value::Seq(items) if items.iter().any(has_template) => {
                Compiled::Seq(items.iter().map(|n| Self::build(env, n, errors)).collect())
            }
            Value::Map(entries) if entries.iter().any(|(_, v)| has_template(v)) => Compiled::Map(
                entries
                    .iter()
                    .map(|(k, v)| (k.name.as_str(), Self::build(env, v, errors)))
                    .collect(),
            ),
            _ => Compiled::Literal(node.to_json()),
        }
    }

    /// A bare expression (`when`, `expect`, `capture`, a string `loop`).
    pub fn expression(env: &'e Environment<'s>, node: &'s Node) -> Result<Self, TemplateError> {
        match &node.value {
            Value::Str(s) => {
                let src = expression_source(s);
                env.compile_expression(src)
                    .map(|expr| Compiled::Expr {
                        expr,
                        source: src,
                        span: node.span,
                    })
                    .map_err(|e| TemplateError::from_mj(node.span, &e))
            }
            _ => Ok(Compiled::Literal(node.to_json())),
        }
    }

    pub fn is_literal(&self) -> bool {
        matches!(self, Compiled::Literal(_))
    }

    /// Evaluates to a MiniJinja value (used for expressions and loops).
    pub fn eval(&self, ctx: &MjValue) -> Result<MjValue, TemplateError> {
        match self {
            Compiled::Expr { expr, span, .. } => expr
                .eval(ctx)
                .map_err(|e| TemplateError::from_mj(*span, &e)),
            other => other.render(ctx).map(|j| MjValue::from_serialize(&j)),
        }
    }

    /// Renders to the JSON that is sent.
    pub fn render(&self, ctx: &MjValue) -> Result<Json, TemplateError> {
        match self {
            Compiled::Literal(j) => Ok(j.clone()),
            Compiled::Expr { expr, span, .. } => {
                let v = expr
                    .eval(ctx)
                    .map_err(|e| TemplateError::from_mj(*span, &e))?;
                to_json(&v, *span)
            }
            Compiled::Text { tpl, span } => tpl
                .render(ctx)
                .map(Json::String)
                .map_err(|e| TemplateError::from_mj(*span, &e)),
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
    /// names, and `steps.<id>` paths.
    pub fn names(&self, out: &mut Vec<(String, Span)>) {
        match self {
            Compiled::Literal(_) => {}
            Compiled::Expr { expr, span, .. } => {
                collect(expr.undeclared_variables(true), *span, out)
            }
            Compiled::Text { tpl, span } => collect(tpl.undeclared_variables(true), *span, out),
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

    /// The source of a bare expression, for reports.
    pub fn source(&self) -> Option<&'s str> {
        match self {
            Compiled::Expr { source, .. } => Some(source),
            _ => None,
        }
    }
}

fn collect(names: std::collections::HashSet<String>, span: Span, out: &mut Vec<(String, Span)>) {
    let sorted: BTreeSet<String> = names.into_iter().collect();
    out.extend(sorted.into_iter().map(|n| (n, span)));
}

fn has_template(n: &Node) -> bool {
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

pub fn placeholder(path: impl Into<String>) -> MjValue {
    MjValue::from_object(Placeholder(path.into()))
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
