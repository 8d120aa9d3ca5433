//! Variables from the command line: `--var NAME=VALUE` and `--vars-file`.
//!
//! They become the overrides a check applies over the playbook's top-level
//! `vars` (see [`crate::check::CheckOptions`]). Each remembers where it was
//! given, so the check can say which one no template reads.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value as Json;

use crate::diagnostic::Diagnostic;
use crate::source::SourceFile;
use crate::yaml::{Span, Value};

/// One value given from outside the playbook.
#[derive(Debug, Clone)]
pub struct Override {
    pub name: String,
    pub value: Json,
    /// Its place in a `--vars-file`; `None` for a `--var` (or a library
    /// caller's value).
    pub at: Option<Place>,
}

/// Where a vars file sets a value: the key (for a name no template reads)
/// and the value (for a value of the wrong kind).
#[derive(Debug, Clone)]
pub struct Place {
    pub file: Arc<SourceFile>,
    pub key: Span,
    pub value: Span,
}

impl Override {
    /// A value with no place in a file.
    pub fn new(name: impl Into<String>, value: Json) -> Self {
        Override {
            name: name.into(),
            value,
            at: None,
        }
    }
}

/// The `--vars-file` values, then the `--var` values (later ones win), or
/// every problem with them.
pub fn overrides(
    vars_files: &[PathBuf],
    vars: &[String],
) -> Result<Vec<Override>, Vec<Diagnostic>> {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for f in vars_files {
        match read_vars_file(f) {
            Ok(v) => out.extend(v),
            Err(d) => errors.extend(d),
        }
    }
    for v in vars {
        match parse_var(v) {
            Ok((name, value)) => out.push(Override::new(name, value)),
            Err(e) => errors.push(
                Diagnostic::error("pplay::var", format!("--var {e}"))
                    .help("write --var NAME=VALUE; a list as --var 'NAME=[a, b]'"),
            ),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// Reads a `--var NAME=VALUE` argument. VALUE is YAML: a scalar, or a flow
/// list or mapping (`[A, B]`, `{a: 1}`). Text that YAML would read as a
/// block collection (`Kick: 808`, `- x`) stays text, as a shell user meant
/// it; a value that opens a flow collection and does not parse is refused.
pub fn parse_var(arg: &str) -> Result<(String, Json), String> {
    let (name, value) = arg
        .split_once('=')
        .ok_or_else(|| format!("`{arg}` is not NAME=VALUE"))?;
    if !crate::playbook::valid_var(name) {
        return Err(format!("`{name}` is not a valid variable name"));
    }
    if let Some(meaning) = crate::playbook::template_keyword(name) {
        return Err(format!(
            "`{name}` cannot be a variable name: a template reads `{name}` as {meaning}"
        ));
    }
    if value.trim().is_empty() {
        return Ok((name.to_owned(), Json::String(String::new())));
    }
    let flow = value.trim_start().starts_with(['[', '{']);
    let v = match crate::yaml::parse(value) {
        Ok(n) if flow => {
            if let Some((_, again)) = crate::yaml::duplicate_keys(&n).first() {
                return Err(format!("{name}: the key `{}` is written twice", again.name));
            }
            n.to_json()
        }
        Ok(n) if !matches!(n.value, Value::Seq(_) | Value::Map(_)) => n.to_json(),
        Ok(_) => Json::String(value.to_owned()),
        Err(e) if flow => {
            return Err(format!(
                "{name}: `{value}` opens a YAML list or mapping but does not parse: {e}"
            ));
        }
        Err(_) => Json::String(value.to_owned()),
    };
    Ok((name.to_owned(), v))
}

/// Reads a `--vars-file`: a YAML mapping of names to values, without
/// duplicate keys (each is an error in that file, as in a playbook).
pub fn read_vars_file(path: &Path) -> Result<Vec<Override>, Vec<Diagnostic>> {
    let text = crate::playbook::read_regular_file(path).map_err(|e| {
        vec![Diagnostic::error(
            "pplay::vars-file",
            format!("cannot read vars file {}: {e}", path.display()),
        )]
    })?;
    let file = SourceFile::new(path, text);
    let node = crate::yaml::parse(file.text())
        .map_err(|e| vec![crate::playbook::syntax_error(&file, &e, "the vars file")])?;
    let dups = crate::playbook::duplicate_key_errors(&file, &node);
    if !dups.is_empty() {
        return Err(dups);
    }
    match &node.value {
        Value::Map(entries) => {
            let bad: Vec<Diagnostic> = entries
                .iter()
                .filter_map(|(k, _)| bad_name(&file, k))
                .collect();
            if !bad.is_empty() {
                return Err(bad);
            }
            Ok(entries
                .iter()
                .map(|(k, v)| Override {
                    name: k.name.to_string(),
                    value: v.to_json(),
                    at: Some(Place {
                        file: file.clone(),
                        key: k.span,
                        value: v.span,
                    }),
                })
                .collect())
        }
        Value::Null => Ok(Vec::new()),
        _ => Err(vec![
            Diagnostic::error(
                "pplay::vars-file",
                "a vars file must be a mapping of names to values",
            )
            .in_file(&file)
            .label(node.span, format!("found {}", node.kind())),
        ]),
    }
}

/// A key of a vars file no template could read, at its place in that file.
fn bad_name(file: &std::sync::Arc<SourceFile>, k: &crate::yaml::Key) -> Option<Diagnostic> {
    let d = |msg: String, label: String, help: &str| {
        Diagnostic::error("pplay::var-name", msg)
            .in_file(file)
            .label(k.span, label)
            .help(help)
    };
    if !crate::playbook::valid_var(&k.name) {
        return Some(d(
            format!("`{}` is not a valid variable name", k.name),
            "not a name".into(),
            "use letters, digits and `_`, not starting with a digit",
        ));
    }
    crate::playbook::template_keyword(&k.name).map(|meaning| {
        d(
            format!("`{}` cannot be a variable name", k.name),
            format!("a template reads `{}` as {meaning}", k.name),
            "templates would never see this value; rename it here and where the playbook uses it",
        )
    })
}
