//! Argument problems, drawn at the argument they concern.
//!
//! A schema issue (from the checker, on literal args, or from the runner, on
//! rendered ones) and a server's 400 detail both name an argument by path;
//! here a path becomes a node of the step's `args:` tree and a diagnostic
//! labelled there.

use std::sync::Arc;

use crate::arg_path::PathSeg;
use crate::catalog::ArgIssue;
use crate::diagnostic::Diagnostic;
use crate::source::SourceFile;
use crate::yaml::{Node, Span, Value};

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

/// Where a var's value was given, so a hint can say where to change it.
pub enum VarSource<'a> {
    /// The `vars` of a playbook (or of an included file).
    Playbook,
    /// A `--var` on the command line.
    CommandLine,
    /// A `--vars-file`, at this place.
    File(&'a crate::vars::Place),
}

/// Where each var given from outside the playbook (`--var`, `--vars-file`)
/// was given: the check's hints and the run's read it here alike.
#[derive(Debug, Clone, Default)]
pub struct VarSources(std::collections::BTreeMap<String, Option<crate::vars::Place>>);

impl VarSources {
    /// The overrides, the last of a name winning as it does for its value.
    pub fn new(overrides: &[crate::vars::Override]) -> Self {
        VarSources(
            overrides
                .iter()
                .map(|o| (o.name.to_string(), o.at.clone()))
                .collect(),
        )
    }

    /// Without the names a run may set again (captures, include vars): what
    /// such a var holds at run time may not come from outside.
    pub fn without(&self, reassigned: &foldhash::HashSet<String>) -> Self {
        let mut kept = self.0.clone();
        kept.retain(|name, _| !reassigned.contains(name));
        VarSources(kept)
    }

    pub fn source(&self, name: &str) -> VarSource<'_> {
        match self.0.get(name) {
            Some(Some(place)) => VarSource::File(place),
            Some(None) => VarSource::CommandLine,
            None => VarSource::Playbook,
        }
    }
}

/// Every issue of args that failed the schema after rendering, as one
/// diagnostic: the first issue leads, the others add their labels. When the
/// lead value is a var (`"{{ tempo }}"`), `source` says where that var was
/// given: the hint names that place, and a vars file's value is labelled.
pub fn rendered_diagnostic<'a>(
    file: &Arc<SourceFile>,
    tool: &str,
    tool_span: Span,
    args: &Node,
    issues: &[ArgIssue],
    source: &dyn Fn(&str) -> VarSource<'a>,
) -> Diagnostic {
    let mut d = issues
        .first()
        .map(|i| {
            let d = arg_diagnostic(file, tool, tool_span, args, i);
            match template_help(args, i, source) {
                Some((h, note)) => match note {
                    Some(n) => d.help(h).related(n),
                    None => d.help(h),
                },
                None => d,
            }
        })
        .unwrap_or_else(|| {
            Diagnostic::error("pplay::arg", "the arguments do not fit the schema").in_file(file)
        });
    d.message = format!("{} (after rendering; nothing was sent)", d.message);
    for extra in issues.iter().skip(1) {
        let e = arg_diagnostic(file, tool, tool_span, args, extra);
        d.labels.extend(e.labels.into_iter().map(|mut l| {
            l.text = Some(extra.message.clone());
            l
        }));
    }
    d
}

/// For a value a single `{{ expression }}` produced with the wrong type:
/// how to make the template give the right one (quoting or unquoting the
/// template does not help there), and, for a var from a vars file, a note
/// at its value there.
fn template_help<'a>(
    args: &Node,
    issue: &ArgIssue,
    source: &dyn Fn(&str) -> VarSource<'a>,
) -> Option<(String, Option<Diagnostic>)> {
    let (_, node) = node_at(args, &issue.path)?;
    let expr = crate::template::single_expression(node.as_str()?)?;
    let help = issue.help.as_deref()?;
    let var = crate::playbook::valid_var(expr).then(|| source(expr));
    let note = match &var {
        Some(VarSource::File(place)) => Some(
            Diagnostic::note(
                "pplay::vars-file",
                format!("`{expr}` is set in the vars file"),
            )
            .in_file(&place.file)
            .label(place.value, "this value"),
        ),
        _ => None,
    };
    if help.starts_with("quote it") {
        let h = format!(
            "the template gives a number or a boolean; write \"{{{{ {expr} | string }}}}\" to send it as text"
        );
        return Some((h, note));
    }
    // "remove the quotes: 130": the template gave text that reads as a
    // number or a boolean, most often a var written in quotes.
    let Some(text) = help.strip_prefix("remove the quotes: ") else {
        return outside_help(expr, help, var.as_ref()?).map(|h| (h, note));
    };
    let (kind, filter) = if text.parse::<i64>().is_ok() {
        ("a number", "int")
    } else if text.parse::<f64>().is_ok() {
        ("a number", "float")
    } else {
        ("true or false", "bool")
    };
    let convert = format!("write \"{{{{ {expr} | {filter} }}}}\"");
    let h = match var {
        None => format!("the template gives the text \"{text}\"; {convert}"),
        Some(VarSource::Playbook) => format!(
            "`{expr}` is the text \"{text}\": make the var {kind} (`{expr}: {text}`, without quotes), or {convert}"
        ),
        Some(VarSource::CommandLine) => format!(
            "`{expr}` is the text \"{text}\" from --var: pass it without quotes (--var {expr}={text}), or {convert}"
        ),
        Some(VarSource::File(place)) => format!(
            "`{expr}` is the text \"{text}\" in {}: make the value {kind} there (`{expr}: {text}`, without quotes), or {convert} in the playbook",
            place.file.name()
        ),
    };
    Some((h, note))
}

/// For a value of the wrong kind that came from outside the playbook: the
/// fix belongs to the `--var` or the vars file, not to the playbook line.
fn outside_help(expr: &str, help: &str, var: &VarSource<'_>) -> Option<String> {
    let fix = help.strip_prefix("write ").unwrap_or(help);
    match var {
        VarSource::Playbook => None,
        VarSource::CommandLine => Some(format!(
            "--var {expr}=... gives a string here; pass {fix} after the `=` (a bare number or true/false is read as one)"
        )),
        VarSource::File(place) => Some(format!(
            "`{expr}` is set in {}: write {fix} there",
            place.file.name()
        )),
    }
}

/// A 2.x object path that does not parse, at `at` (the target inside the
/// argument's string where the source spells it out, else the argument).
pub fn path_diagnostic(
    file: &Arc<SourceFile>,
    key: &str,
    target: &str,
    e: &crate::path::PathError,
    at: Span,
) -> Diagnostic {
    Diagnostic::error(
        "pplay::path",
        format!("`{key}` is not a Producer Pal path: {}", e.reason),
    )
    .in_file(file)
    .label(at, format!("`{target}`"))
    .help("2.x names objects by position from 0: t0, rt0, mt, s1, t0/s1, t0[5|1], t0/d0, t+ for a new one; several are comma-separated")
}

/// The first entry of a colour list that is not `#RRGGBB`, for a parameter
/// whose description (the catalog's word) says it takes `#RRGGBB` colours.
/// A blank entry is allowed where the description says blank keeps one.
/// The server takes any text here, so a misspelt colour reaches Live.
pub fn bad_colour<'t>(param: &serde_json::Value, text: &'t str) -> Option<&'t str> {
    let about = param.get("description")?.as_str()?;
    if !about.contains("#RRGGBB") {
        return None;
    }
    let blank_ok = about.contains("blank");
    text.split(',').map(str::trim).find(|entry| {
        let hex = entry.strip_prefix('#');
        let good = hex.is_some_and(|h| h.len() == 6 && h.bytes().all(|b| b.is_ascii_hexdigit()));
        !(good || (blank_ok && entry.is_empty()))
    })
}

/// A colour that is not `#RRGGBB`, at the entry.
pub fn colour_diagnostic(file: &Arc<SourceFile>, key: &str, entry: &str, at: Span) -> Diagnostic {
    Diagnostic::error(
        "pplay::colour",
        format!("`{key}` takes #RRGGBB colours, not `{entry}`"),
    )
    .in_file(file)
    .label(at, "not #RRGGBB")
    .help("write a colour as # and six hex digits, such as #FF0000 for red")
}
