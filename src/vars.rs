//! Variables from the command line: `--var NAME=VALUE` and `--vars-file`.
//!
//! They become the overrides a check applies over the playbook's top-level
//! `vars` (see [`crate::check::CheckOptions`]).

use std::path::{Path, PathBuf};

use serde_json::Value as Json;

use crate::diagnostic::{Diagnostic, SourceFile};
use crate::yaml::Value;

/// The `--vars-file` values, then the `--var` values (later ones win), or
/// every problem with them.
pub fn overrides(
    vars_files: &[PathBuf],
    vars: &[String],
) -> Result<Vec<(String, Json)>, Vec<Diagnostic>> {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for f in vars_files {
        match read_vars_file(f) {
            Ok(v) => out.extend(v),
            Err(d) => errors.push(d),
        }
    }
    for v in vars {
        match parse_var(v) {
            Ok(pair) => out.push(pair),
            Err(e) => errors.push(
                Diagnostic::error("pplay::var", format!("--var {e}"))
                    .help("write --var NAME=VALUE"),
            ),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
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
    if let Some(meaning) = crate::playbook::template_keyword(name) {
        return Err(format!(
            "`{name}` cannot be a variable name: a template reads `{name}` as {meaning}"
        ));
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
pub fn read_vars_file(path: &Path) -> Result<Vec<(String, Json)>, Diagnostic> {
    let text = crate::playbook::read_regular_file(path).map_err(|e| {
        Diagnostic::error(
            "pplay::vars-file",
            format!("cannot read vars file {}: {e}", path.display()),
        )
    })?;
    let file = SourceFile::new(path, text);
    let node = crate::yaml::parse(file.text())
        .map_err(|e| crate::playbook::syntax_error(&file, &e, "the vars file"))?;
    match &node.value {
        Value::Map(entries) => {
            if let Some(d) = entries.iter().find_map(|(k, _)| bad_name(&file, k)) {
                return Err(d);
            }
            Ok(entries
                .iter()
                .map(|(k, v)| (k.name.clone(), v.to_json()))
                .collect())
        }
        Value::Null => Ok(Vec::new()),
        _ => Err(Diagnostic::error(
            "pplay::vars-file",
            "a vars file must be a mapping of names to values",
        )
        .in_file(&file)
        .label(node.span, format!("found {}", node.kind()))),
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
