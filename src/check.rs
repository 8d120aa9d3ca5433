//! Checking a loaded playbook against the tool catalog, before any call.
//!
//! [`check`] compiles every template once and walks the steps in run order,
//! tracking which names are defined where, and reports every problem it finds
//! in one pass: unknown tools and args, literal args that break the schema,
//! missing required args, undefined names, bad loops. The compiled result,
//! [`Checked`], is what the runner executes, so nothing is compiled twice.

use std::collections::BTreeMap;
use std::sync::Arc;

use minijinja::Environment;
use minijinja::value::{Value as MjValue, ValueKind};
use serde_json::Value as Json;

use crate::catalog::{ArgIssue, Catalog, PathSeg, Tool};
use crate::diagnostic::{Diagnostic, SourceFile, did_you_mean};
use crate::playbook::{Action, Playbook, Step};
use crate::template::{Compiled, FUNCTIONS, TemplateError};
use crate::yaml::{Node, Span, Value};

/// The default cap on a loop's length (`--max-iterations`).
pub const DEFAULT_MAX_ITERATIONS: usize = 10_000;

/// What the command line adds to a check.
#[derive(Debug, Clone)]
pub struct CheckOptions {
    /// `--vars-file` then `--var` values, later ones winning.
    pub overrides: Vec<(String, Json)>,
    pub max_iterations: usize,
}

impl Default for CheckOptions {
    fn default() -> Self {
        CheckOptions {
            overrides: Vec::new(),
            max_iterations: DEFAULT_MAX_ITERATIONS,
        }
    }
}

/// A step with its templates compiled and its tool looked up.
pub struct CheckedStep<'e, 's> {
    pub step: &'s Step,
    /// Position in run order, includes expanded.
    pub index: usize,
    /// How events name the step, before its name is rendered.
    pub origin: crate::event::StepRef,
    pub tool: Option<&'s Tool>,
    pub name: Option<Compiled<'e, 's>>,
    pub args: Option<Compiled<'e, 's>>,
    pub timeout_ms: Option<Compiled<'e, 's>>,
    pub capture: Vec<(&'s str, Compiled<'e, 's>)>,
    pub when: Option<Compiled<'e, 's>>,
    pub loop_: Option<Compiled<'e, 's>>,
    /// A loop whose length was known at check time.
    pub loop_len: Option<usize>,
    pub expect: Vec<Compiled<'e, 's>>,
    /// For an include: its vars (the included file's, then the step's).
    pub include_vars: Vec<(&'s str, Compiled<'e, 's>)>,
    pub include_steps: Vec<CheckedStep<'e, 's>>,
    pub retries: u32,
    pub retry_delay_ms: u64,
    pub on_error: crate::playbook::OnError,
    pub default_timeout: Option<Compiled<'e, 's>>,
}

/// A playbook that passed the check, ready to run.
pub struct Checked<'e, 's> {
    pub playbook: &'s Playbook,
    /// The top-level vars, evaluated (overrides applied).
    pub vars: BTreeMap<String, MjValue>,
    pub steps: Vec<CheckedStep<'e, 's>>,
    /// Steps in run order, includes expanded.
    pub step_count: usize,
    /// Calls known in advance, when every loop's length is known.
    pub planned_calls: Option<usize>,
    pub max_iterations: usize,
}

/// The default delay before a first retry.
pub const DEFAULT_RETRY_DELAY_MS: u64 = 500;

/// Checks `pb` and compiles it; on any problem, returns them all.
pub fn check<'e, 's>(
    env: &'e Environment<'s>,
    pb: &'s Playbook,
    catalog: &'s Catalog,
    opts: &CheckOptions,
) -> Result<Checked<'e, 's>, Vec<Diagnostic>> {
    let mut c = Checker {
        env,
        catalog,
        opts,
        diags: Vec::new(),
        known: Vec::new(),
        ids: Vec::new(),
        index: 0,
        planned: Some(0),
        var_values: BTreeMap::new(),
    };
    let vars = c.top_vars(pb);
    let steps = c.steps(pb, &pb.steps, &pb.file);
    if c.diags.is_empty() {
        return Ok(Checked {
            playbook: pb,
            vars,
            steps,
            step_count: c.index,
            planned_calls: c.planned,
            max_iterations: opts.max_iterations,
        });
    }
    Err(crate::diagnostic::in_file_order(c.diags))
}

/// The playbook's `url`, rendered with its vars (it may be a template), so
/// the catalog can be fetched before the full check.
pub fn playbook_url(pb: &Playbook, opts: &CheckOptions) -> Result<Option<String>, Vec<Diagnostic>> {
    let Some(node) = &pb.url else { return Ok(None) };
    let Some(text) = node.as_str() else {
        return Ok(None);
    };
    if !crate::template::is_template(text) {
        return Ok(Some(text.to_owned()));
    }
    let env = crate::template::environment();
    let catalog = Catalog::empty();
    let mut c = Checker {
        env: &env,
        catalog: &catalog,
        opts,
        diags: Vec::new(),
        known: Vec::new(),
        ids: Vec::new(),
        index: 0,
        planned: None,
        var_values: BTreeMap::new(),
    };
    let vars = c.top_vars(pb);
    let compiled = c.compile(&pb.file, node);
    if let Some(u) = &compiled {
        c.names(&pb.file, u, &[]);
    }
    if !c.diags.is_empty() {
        return Err(c.diags);
    }
    let ctx = MjValue::from_iter(vars);
    match compiled.map(|u| u.render(&ctx)) {
        Some(Ok(Json::String(s))) => Ok(Some(s)),
        Some(Ok(other)) => Err(vec![
            Diagnostic::error(
                "pplay::url",
                format!("`url` must render to a string, not {other}"),
            )
            .in_file(&pb.file)
            .label(node.span, "here"),
        ]),
        Some(Err(e)) => Err(vec![
            Diagnostic::error(
                "pplay::url",
                format!("`url` cannot be rendered: {}", e.message),
            )
            .in_file(&pb.file)
            .label(e.span, "here"),
        ]),
        None => Ok(None),
    }
}

/// Reads a `--var NAME=VALUE` argument; VALUE is a YAML scalar.
pub fn parse_var(arg: &str) -> Result<(String, Json), String> {
    let (name, value) = arg
        .split_once('=')
        .ok_or_else(|| format!("`{arg}` is not NAME=VALUE"))?;
    if !crate::playbook::valid_var(name) {
        return Err(format!("`{name}` is not a valid variable name"));
    }
    let v = if value.trim().is_empty() {
        Json::String(String::new())
    } else {
        match crate::yaml::parse(value) {
            Ok(n) if !matches!(n.value, Value::Seq(_) | Value::Map(_)) => n.to_json(),
            _ => Json::String(value.to_owned()),
        }
    };
    Ok((name.to_owned(), v))
}

/// Reads a `--vars-file`: a YAML mapping of names to values.
pub fn read_vars_file(path: &std::path::Path) -> Result<Vec<(String, Json)>, Diagnostic> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Diagnostic::error(
            "pplay::vars-file",
            format!("cannot read vars file {}: {e}", path.display()),
        )
    })?;
    let file = SourceFile::new(path, text);
    let node = crate::yaml::parse(file.text()).map_err(|e| {
        Diagnostic::error(
            "pplay::vars-file",
            format!("vars file {} is not valid YAML: {e}", path.display()),
        )
    })?;
    match &node.value {
        Value::Map(entries) => Ok(entries
            .iter()
            .map(|(k, v)| (k.name.clone(), v.to_json()))
            .collect()),
        Value::Null => Ok(Vec::new()),
        _ => Err(Diagnostic::error(
            "pplay::vars-file",
            "a vars file must be a mapping of names to values",
        )
        .in_file(&file)
        .label(node.span, format!("found {}", node.kind()))),
    }
}

struct Checker<'e, 's, 'o> {
    env: &'e Environment<'s>,
    catalog: &'s Catalog,
    opts: &'o CheckOptions,
    diags: Vec<Diagnostic>,
    /// Names defined so far, in run order.
    known: Vec<String>,
    /// Step ids defined so far.
    ids: Vec<String>,
    index: usize,
    planned: Option<usize>,
    /// Values of the vars known at check time, for loops.
    var_values: BTreeMap<String, MjValue>,
}

impl<'e: 's, 's> Checker<'e, 's, '_> {
    fn template_errors(&mut self, file: &Arc<SourceFile>, errors: Vec<TemplateError>) {
        for e in errors {
            self.diags.push(
                Diagnostic::error("pplay::template", format!("template error: {}", e.message))
                    .in_file(file)
                    .label(e.span, "in this template"),
            );
        }
    }

    fn compile(&mut self, file: &Arc<SourceFile>, node: &'s Node) -> Option<Compiled<'e, 's>> {
        match Compiled::new(self.env, node) {
            Ok(c) => Some(c),
            Err(errors) => {
                self.template_errors(file, errors);
                None
            }
        }
    }

    fn compile_expr(
        &mut self,
        file: &Arc<SourceFile>,
        node: &'s Node,
        what: &str,
    ) -> Option<Compiled<'e, 's>> {
        match Compiled::expression(self.env, node) {
            Ok(c) => Some(c),
            Err(e) => {
                self.diags.push(
                    Diagnostic::error(
                        "pplay::expression",
                        format!("this {what} does not parse: {}", e.message),
                    )
                    .in_file(file)
                    .label(e.span, "not a valid expression")
                    .help("write a MiniJinja expression such as `result.trackCount >= 1`"),
                );
                None
            }
        }
    }

    /// Reports names that nothing defines at this point.
    fn names(&mut self, file: &Arc<SourceFile>, c: &Compiled<'e, 's>, extra: &[&str]) {
        let mut used = Vec::new();
        c.names(&mut used);
        for (name, span) in used {
            let top = name.split('.').next().unwrap_or(&name);
            if top == "steps" {
                if let Some(id) = name.split('.').nth(1)
                    && !self.ids.iter().any(|i| i == id)
                {
                    let help = did_you_mean(id, self.ids.iter().map(String::as_str))
                        .map(|s| format!("did you mean `steps.{s}`?"))
                        .unwrap_or_else(|| {
                            "`steps.<id>` reads the outcome of an earlier step with that `id`"
                                .into()
                        });
                    self.diags.push(
                        Diagnostic::error(
                            "pplay::undefined",
                            format!("no earlier step has the id `{id}`"),
                        )
                        .in_file(file)
                        .label(span, format!("`steps.{id}` is used here"))
                        .help(help),
                    );
                }
                continue;
            }
            if self.known.iter().any(|k| k == top)
                || extra.contains(&top)
                || FUNCTIONS.contains(&top)
            {
                continue;
            }
            let candidates = self
                .known
                .iter()
                .map(String::as_str)
                .chain(extra.iter().copied())
                .chain(["steps"]);
            let help = did_you_mean(top, candidates)
                .map(|s| format!("did you mean `{s}`?"))
                .unwrap_or_else(|| {
                    "define it under `vars`, capture it from an earlier step, or pass --var".into()
                });
            self.diags.push(
                Diagnostic::error("pplay::undefined", format!("`{top}` is not defined"))
                    .in_file(file)
                    .label(span, format!("`{top}` is used here"))
                    .help(help),
            );
        }
    }

    fn define(&mut self, name: &str) {
        if !self.known.iter().any(|k| k == name) {
            self.known.push(name.to_owned());
        }
    }

    fn top_vars(&mut self, pb: &'s Playbook) -> BTreeMap<String, MjValue> {
        let file = &pb.file;
        let mut values = BTreeMap::new();
        let overrides: BTreeMap<&str, &Json> = self
            .opts
            .overrides
            .iter()
            .map(|(k, v)| (k.as_str(), v))
            .collect();
        for (k, node) in &pb.vars {
            if !crate::playbook::valid_var(&k.name) {
                self.diags.push(
                    Diagnostic::error(
                        "pplay::var-name",
                        format!("`{}` is not a valid variable name", k.name),
                    )
                    .in_file(file)
                    .label(k.span, "not a name")
                    .help("use letters, digits and `_`, not starting with a digit"),
                );
                continue;
            }
            if let Some(v) = overrides.get(k.name.as_str()) {
                values.insert(k.name.clone(), crate::template::from_json(v));
                self.define(&k.name);
                continue;
            }
            if let Some(c) = self.compile(file, node) {
                self.names(file, &c, &[]);
                let ctx = MjValue::from_iter(
                    values
                        .iter()
                        .map(|(k, v): (&String, &MjValue)| (k.clone(), v.clone())),
                );
                match c.eval(&ctx) {
                    Ok(v) => {
                        values.insert(k.name.clone(), v);
                    }
                    Err(e) if self.diags.is_empty() => self.diags.push(
                        Diagnostic::error(
                            "pplay::template",
                            format!("var `{}` cannot be evaluated: {}", k.name, e.message),
                        )
                        .in_file(file)
                        .label(e.span, "here"),
                    ),
                    Err(_) => {}
                }
            }
            self.define(&k.name);
        }
        for (k, v) in &self.opts.overrides {
            if !values.contains_key(k) {
                values.insert(k.clone(), crate::template::from_json(v));
                self.define(k);
            }
        }
        self.var_values = values.clone();
        values
    }

    fn steps(
        &mut self,
        pb: &'s Playbook,
        steps: &'s [Step],
        file: &Arc<SourceFile>,
    ) -> Vec<CheckedStep<'e, 's>> {
        steps.iter().map(|s| self.step(pb, s, file)).collect()
    }

    fn step(
        &mut self,
        pb: &'s Playbook,
        step: &'s Step,
        file: &Arc<SourceFile>,
    ) -> CheckedStep<'e, 's> {
        let index = self.index;
        self.index += 1;
        let loop_extra: &[&str] = if step.loop_.is_some() {
            &["item", "loop"]
        } else {
            &[]
        };
        let after_extra: Vec<&str> = loop_extra
            .iter()
            .copied()
            .chain(["result", "warnings"])
            .collect();

        let when = step
            .when
            .as_ref()
            .and_then(|w| self.compile_expr(file, w, "`when` condition"));
        if let Some(w) = &when {
            self.names(file, w, loop_extra);
        }
        let (loop_, loop_len) = match &step.loop_ {
            Some(l) => self.loop_(file, l),
            None => (None, Some(1)),
        };
        let name = step.name.as_ref().and_then(|n| self.compile(file, n));
        if let Some(n) = &name {
            self.names(file, n, loop_extra);
        }
        let timeout_node = step.timeout_ms.as_ref().or(pb.defaults.timeout_ms.as_ref());
        let timeout_ms = timeout_node.and_then(|t| self.compile(&pb.file, t));
        if let Some(t) = &timeout_ms {
            self.names(file, t, loop_extra);
        }
        let mut checked = CheckedStep {
            step,
            index,
            origin: crate::event::StepRef::for_step(step, index),
            tool: None,
            name,
            args: None,
            timeout_ms,
            capture: Vec::new(),
            when,
            loop_,
            loop_len,
            expect: Vec::new(),
            include_vars: Vec::new(),
            include_steps: Vec::new(),
            retries: step
                .retries
                .as_ref()
                .or(pb.defaults.retries.as_ref())
                .map_or(0, |r| r.value),
            retry_delay_ms: step
                .retry_delay_ms
                .as_ref()
                .or(pb.defaults.retry_delay_ms.as_ref())
                .map_or(DEFAULT_RETRY_DELAY_MS, |r| r.value),
            on_error: step
                .on_error
                .as_ref()
                .or(pb.defaults.on_error.as_ref())
                .map(|o| o.value)
                .unwrap_or_default(),
            default_timeout: None,
        };
        match &step.action {
            Action::Call { tool, args } => {
                if let Some(n) = loop_len {
                    self.planned = self.planned.map(|p| p + n);
                } else {
                    self.planned = None;
                }
                let compiled = self.compile(file, args);
                if let Some(a) = &compiled {
                    self.names(file, a, loop_extra);
                }
                match self.catalog.get(&tool.value) {
                    Some(t) => {
                        checked.tool = Some(t);
                        if let Some(a) = &compiled {
                            self.args(file, t, tool.span, args, a);
                        }
                    }
                    None => {
                        let help = did_you_mean(&tool.value, self.catalog.names())
                            .map(|s| format!("did you mean `{s}`?"))
                            .unwrap_or_else(|| {
                                "`pplay tools` lists the tools the device offers".into()
                            });
                        self.diags.push(
                            Diagnostic::error(
                                "pplay::unknown-tool",
                                format!("unknown tool `{}`", tool.value),
                            )
                            .in_file(file)
                            .label(tool.span, "not in the tool list")
                            .help(help),
                        );
                    }
                }
                checked.args = compiled;
                for e in &step.expect {
                    if let Some(c) = self.compile_expr(file, e, "`expect` expression") {
                        self.names(file, &c, &after_extra);
                        checked.expect.push(c);
                    }
                }
                for (k, v) in &step.capture {
                    if let Some(c) = self.compile_expr(file, v, "capture") {
                        self.names(file, &c, &after_extra);
                        checked.capture.push((k.name.as_str(), c));
                    }
                }
                for (k, _) in &step.capture {
                    self.define(&k.name);
                }
            }
            Action::Include { vars, playbook, .. } => {
                let inc_file = &playbook.file;
                // The included file's vars are defaults; the step's win.
                let defaults = playbook.vars.iter().map(|(k, v)| (k, v, inc_file));
                let given = vars.iter().map(|(k, v)| (k, v, file));
                for (k, v, f) in defaults.chain(given) {
                    if let Some(c) = self.compile(f, v) {
                        self.names(f, &c, &[]);
                        checked.include_vars.push((k.name.as_str(), c));
                    }
                    self.define(&k.name);
                }
                checked.include_steps = self.steps(playbook, &playbook.steps, inc_file);
            }
        }
        if let Some(id) = &step.id {
            self.ids.push(id.value.clone());
        }
        checked
    }

    fn loop_(
        &mut self,
        file: &Arc<SourceFile>,
        node: &'s Node,
    ) -> (Option<Compiled<'e, 's>>, Option<usize>) {
        let max = self.opts.max_iterations;
        let too_long = |n: usize| loop_too_long(file, node.span, n, max);
        match &node.value {
            Value::Seq(items) => {
                if items.len() > max {
                    self.diags.push(too_long(items.len()));
                }
                let c = self.compile(file, node);
                if let Some(c) = &c {
                    self.names(file, c, &[]);
                }
                (c, Some(items.len()))
            }
            // The loader has reported a loop that is neither.
            Value::Str(_) => {
                let Some(c) = self.compile_expr(file, node, "`loop`") else {
                    return (None, None);
                };
                self.names(file, &c, &[]);
                let mut used = Vec::new();
                c.names(&mut used);
                let knowable = used.iter().all(|(n, _)| {
                    let top = n.split('.').next().unwrap_or(n);
                    self.var_values.contains_key(top) || FUNCTIONS.contains(&top)
                });
                if !knowable {
                    return (Some(c), None);
                }
                let ctx =
                    MjValue::from_iter(self.var_values.iter().map(|(k, v)| (k.clone(), v.clone())));
                match c.eval(&ctx) {
                    Ok(v) => match loop_items(&v) {
                        Ok(items) => {
                            if items.len() > max {
                                self.diags.push(too_long(items.len()));
                            }
                            (Some(c), Some(items.len()))
                        }
                        Err(kind) => {
                            self.diags.push(loop_not_a_sequence(file, node.span, kind));
                            (None, None)
                        }
                    },
                    Err(e) => {
                        self.diags.push(
                            Diagnostic::error(
                                "pplay::loop",
                                format!("`loop` cannot be evaluated: {}", e.message),
                            )
                            .in_file(file)
                            .label(node.span, "here"),
                        );
                        (None, None)
                    }
                }
            }
            _ => (None, None),
        }
    }

    /// Unknown, missing and ill-typed arguments, from what is literal.
    fn args(
        &mut self,
        file: &Arc<SourceFile>,
        tool: &Tool,
        tool_span: Span,
        node: &Node,
        compiled: &Compiled<'e, 's>,
    ) {
        let Some(entries) = node.as_map() else { return };
        let templated = compiled.templated_keys();
        let literal: serde_json::Map<String, Json> = entries
            .iter()
            .filter(|(k, _)| !templated.contains(&k.name.as_str()))
            .map(|(k, v)| (k.name.clone(), v.to_json()))
            .collect();
        // Unknown keys are reported for templated values too.
        let mut with_unknown = literal.clone();
        for k in &templated {
            if tool.param(k).is_none() {
                with_unknown.insert((*k).to_owned(), Json::Null);
            }
        }
        let issues = tool.check_args(&Json::Object(with_unknown), &templated);
        for issue in issues {
            self.diags
                .push(arg_diagnostic(file, &tool.name, tool_span, node, &issue));
        }
    }
}

/// A loop longer than `--max-iterations`, found at check or run time.
pub fn loop_too_long(file: &Arc<SourceFile>, span: Span, n: usize, max: usize) -> Diagnostic {
    Diagnostic::error(
        "pplay::loop-too-long",
        format!("this loop has {n} iterations, more than the limit of {max}"),
    )
    .in_file(file)
    .label(span, format!("{n} iterations"))
    .help("split the job, or raise the limit with --max-iterations")
}

/// A loop whose value is not a sequence, found at check or run time.
pub fn loop_not_a_sequence(file: &Arc<SourceFile>, span: Span, kind: &str) -> Diagnostic {
    Diagnostic::error(
        "pplay::loop-type",
        format!("`loop` must give a sequence, but this gives {kind}"),
    )
    .in_file(file)
    .label(span, format!("this is {kind}"))
    .help("use a list, `range(n)`, `zip(a, b)` or `product(a, b)`")
}

/// The items of a loop value, or the kind of value it is instead.
pub fn loop_items(v: &MjValue) -> Result<Vec<MjValue>, &'static str> {
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

/// A schema problem in the args, labelled at the node it concerns.
pub fn arg_diagnostic(
    file: &Arc<SourceFile>,
    tool: &str,
    tool_span: Span,
    args: &Node,
    issue: &ArgIssue,
) -> Diagnostic {
    let code = if issue.key.is_some() {
        "pplay::unknown-arg"
    } else if issue.message.starts_with("missing") {
        "pplay::missing-arg"
    } else {
        "pplay::arg"
    };
    let (span, label) = match locate(args, &issue.path, issue.key.is_some()) {
        Some(span) if !issue.path.is_empty() => (
            span,
            if issue.key.is_some() {
                "unknown"
            } else {
                "this value"
            },
        ),
        _ => (
            tool_span,
            if issue.message.starts_with("missing") {
                "needs it"
            } else {
                "here"
            },
        ),
    };
    let label = if issue.message.starts_with("missing") {
        format!("`{tool}` needs it")
    } else {
        label.to_owned()
    };
    Diagnostic::error(code, issue.message.clone())
        .in_file(file)
        .label(span, label)
        .maybe_help(issue.help.clone())
}

/// The span of the node at `path` in an args tree (its key, for `key`).
pub fn locate(args: &Node, path: &[PathSeg], key: bool) -> Option<Span> {
    let (key_span, node) = node_at(args, path)?;
    if key {
        key_span.or(Some(node.span))
    } else {
        Some(node.span)
    }
}

/// The node at `path` in an args tree, with the span of its key when the
/// last step is a mapping key.
pub fn node_at<'n>(args: &'n Node, path: &[PathSeg]) -> Option<(Option<Span>, &'n Node)> {
    let mut node = args;
    let mut key_span = None;
    for seg in path {
        match (seg, &node.value) {
            (PathSeg::Key(k), Value::Map(entries)) => {
                let (kk, v) = entries.iter().find(|(kk, _)| kk.name == *k)?;
                key_span = Some(kk.span);
                node = v;
            }
            (PathSeg::Index(i), Value::Seq(items)) => {
                node = items.get(*i)?;
                key_span = None;
            }
            _ => return None,
        }
    }
    Some((key_span, node))
}
