//! `pplay schema`: pull the live catalog, compare two catalogs, and write
//! the JSON Schema editors use for playbooks.

use super::output::{self, errln, outln};
use foldhash::{HashSet, HashSetExt};
use std::path::{Path, PathBuf};

use super::failure::{Failure, print_diagnostics};
use super::{Source, catalog, url};
use crate::catalog::{Catalog, Release};
use crate::exit;
use crate::report::ColorChoice;

/// Writes `text` to `output`, or to stdout.
fn write_out(output: Option<&Path>, text: &str) -> Result<i32, Failure> {
    match output {
        Some(p) => {
            std::fs::write(p, text)
                .map_err(|e| Failure::Invalid(format!("cannot write {}: {e}", p.display())))?;
            errln!("wrote {}", p.display());
        }
        None => output::out_raw(text),
    }
    Ok(exit::OK)
}

pub async fn pull(source: Source, output: Option<PathBuf>) -> Result<i32, Failure> {
    if source.tools.is_some() {
        return Err(Failure::Invalid(
            "`schema pull` reads the live catalog from --url; --tools does not apply".into(),
        ));
    }
    let client = url::client_of_source(&source)?;
    let served = catalog::fetch(&client).await?.document();
    let mut text = serde_json::to_string_pretty(&served).expect("JSON");
    text.push('\n');
    write_out(output.as_deref(), &text)
}

pub fn diff(
    old: PathBuf,
    new: PathBuf,
    playbooks: Vec<PathBuf>,
    color: ColorChoice,
) -> Result<i32, Failure> {
    let (old_c, new_c) = (catalog::read(&old)?, catalog::read(&new)?);
    let changes = crate::diff::diff(&old_c, &new_c);
    if changes.is_empty() {
        outln!(
            "no differences between {} and {}",
            old.display(),
            new.display()
        );
    } else {
        for c in &changes {
            outln!("{c}");
        }
        let migratable = crate::diff::migratable(&old_c, &new_c, &changes);
        if migratable > 0 {
            outln!(
                "hint: `pplay migrate FILE...` rewrites playbooks for {migratable} of these changes (old arguments to their new form, comments kept); see docs/generations.md, \"Migrating to Producer Pal 2.x\""
            );
        }
    }
    let mut affected_any = false;
    // A file several playbooks include is reported under the first.
    let mut shown = HashSet::new();
    for p in &playbooks {
        let pb = match crate::playbook::load(p) {
            Ok(pb) => pb,
            Err(d) => {
                print_diagnostics(&d, color);
                return Ok(exit::INVALID);
            }
        };
        let hits = crate::diff::affected(&pb, &changes);
        if hits.steps == 0 {
            outln!("✓ {}: not affected", p.display());
            continue;
        }
        affected_any = true;
        let total = hits.findings.len();
        let fresh: Vec<_> = hits
            .findings
            .into_iter()
            .filter(|d| shown.insert(finding_key(d)))
            .collect();
        let earlier = match total - fresh.len() {
            0 => String::new(),
            n => format!(" ({n} of the findings shown above)"),
        };
        outln!(
            "✗ {}: {} step{} affected{earlier}",
            p.display(),
            hits.steps,
            if hits.steps == 1 { "" } else { "s" }
        );
        print_diagnostics(&fresh, color);
    }
    Ok(if affected_any {
        exit::STEP_FAILED
    } else {
        exit::OK
    })
}

/// What makes two findings the same: the file (however it was named), the
/// place and the message.
fn finding_key(d: &crate::diagnostic::Diagnostic) -> (Option<PathBuf>, usize, String) {
    let file = d.file.as_ref().map(|f| {
        f.path()
            .canonicalize()
            .unwrap_or_else(|_| f.path().to_path_buf())
    });
    let at = d.labels.first().map_or(0, |l| l.span.offset());
    (file, at, d.message.clone())
}

pub async fn playbook_schema(source: Source, output: Option<PathBuf>) -> Result<i32, Failure> {
    let cat = if source.tools.is_none() && source.url.is_none() {
        Catalog::pinned_release(Release::V2_3_0, false)
    } else {
        let client = url::client_of_source(&source)?;
        catalog::load(source.tools.as_deref(), &client).await?
    };
    write_out(output.as_deref(), &crate::editor_schema::generate(&cat))
}
