//! The playbooks a server offers: each `*.yaml` directly in one of its
//! folders is a tool named after its file stem. Subfolders are not read,
//! so the parts a playbook includes (`parts/`) and other generations'
//! recipes in their own folders are not offered on their own.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rmcp::model::{Tool, ToolAnnotations};

use crate::catalog::Catalog;
use crate::check::{self, CheckOptions, CheckedStep, Loaded};
use crate::diagnostic::Diagnostic;
use crate::playbook::{self, Playbook};

/// The names the server's own tools take; a playbook may not shadow them.
pub const BUILT_IN: &[&str] = &["check_playbook", "list_tools"];

/// A playbook offered as a tool.
pub struct PlaybookTool {
    pub path: PathBuf,
    pub playbook: Playbook,
    pub tool: Tool,
}

/// A playbook that is not offered, and why.
pub struct Rejected {
    pub path: PathBuf,
    pub problems: Vec<Diagnostic>,
}

/// The playbooks of `dirs` that pass check against `catalog`, and the ones
/// that do not. `Err` when a folder cannot be read or two playbooks would
/// be the same tool.
pub fn discover(
    dirs: &[PathBuf],
    catalog: &Catalog,
) -> Result<(Vec<PlaybookTool>, Vec<Rejected>), String> {
    let mut files: Vec<(String, PathBuf)> = Vec::new();
    for dir in dirs {
        for path in yaml_files(dir)? {
            let Some(stem) = path.file_stem().and_then(|s| s.to_str()) else {
                continue;
            };
            let stem = stem.to_owned();
            if let Some((_, other)) = files.iter().find(|(s, _)| *s == stem) {
                return Err(format!(
                    "two playbooks would be the tool `{stem}`: {} and {}",
                    other.display(),
                    path.display()
                ));
            }
            if BUILT_IN.contains(&stem.as_str()) {
                return Err(format!(
                    "{}: `{stem}` is the name of one of the server's own tools",
                    path.display()
                ));
            }
            files.push((stem, path));
        }
    }
    let mut offered = Vec::new();
    let mut rejected = Vec::new();
    for (stem, path) in files {
        match offer(&stem, &path, catalog) {
            Ok(t) => offered.push(t),
            Err(problems) => rejected.push(Rejected { path, problems }),
        }
    }
    Ok((offered, rejected))
}

/// The `*.yaml` files directly in `dir`, in name order.
fn yaml_files(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot read folder {}: {e}", dir.display()))?;
    let mut out: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
        .collect();
    out.sort();
    Ok(out)
}

/// Loads and checks one playbook with its default vars; what passes becomes
/// a tool.
fn offer(stem: &str, path: &Path, catalog: &Catalog) -> Result<PlaybookTool, Vec<Diagnostic>> {
    let (pb, problems) = playbook::load_partial_with(path, &Default::default());
    let Some(pb) = pb else {
        return Err(problems);
    };
    let env = crate::template::environment();
    let loaded = Loaded::new(&env, &pb, problems, &default_options());
    let checked = check::check(&env, loaded, catalog)?;
    let read_only = steps_read_only(&checked.steps);
    let title = match &pb.name.value {
        crate::yaml::Value::Str(s) => s.to_string(),
        _ => stem.to_owned(),
    };
    let description = match &pb.description {
        Some(d) => format!("{title}: {d}"),
        None => title.clone(),
    };
    let schema = super::schema::input_schema(&pb);
    let mut tool = Tool::new(stem.to_owned(), description, Arc::new(schema));
    tool.title = Some(title);
    tool.annotations = Some(
        ToolAnnotations::new()
            .read_only(read_only)
            .destructive(!read_only),
    );
    drop(checked);
    Ok(PlaybookTool {
        path: path.to_owned(),
        playbook: pb,
        tool,
    })
}

/// The options a call starts from: no overrides, the usual loop limit.
pub fn default_options() -> CheckOptions {
    CheckOptions {
        overrides: Vec::new(),
        max_iterations: crate::loops::DEFAULT_MAX_ITERATIONS,
        notation: None,
    }
}

/// Whether every step (of includes too) calls a tool the catalog marks
/// read-only.
fn steps_read_only(steps: &[CheckedStep<'_, '_>]) -> bool {
    steps
        .iter()
        .all(|s| s.tool.is_none_or(|t| t.read_only) && steps_read_only(s.include_steps()))
}
