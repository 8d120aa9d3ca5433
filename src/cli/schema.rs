//! `pplay schema`: pull the live catalog, compare two catalogs, and write
//! the JSON Schema editors use for playbooks.

use std::path::{Path, PathBuf};

use super::failure::{Failure, print_diagnostics};
use super::{Source, catalog, url};
use crate::catalog::Catalog;
use crate::client::Client;
use crate::exit;
use crate::report::ColorChoice;

/// Writes `text` to `output`, or to stdout.
fn write_out(output: Option<&Path>, text: &str) -> Result<i32, Failure> {
    match output {
        Some(p) => {
            std::fs::write(p, text)
                .map_err(|e| Failure::Invalid(format!("cannot write {}: {e}", p.display())))?;
            eprintln!("wrote {}", p.display());
        }
        None => print!("{text}"),
    }
    Ok(exit::OK)
}

pub async fn pull(source: Source, output: Option<PathBuf>) -> Result<i32, Failure> {
    if source.tools.is_some() {
        return Err(Failure::Invalid(
            "`schema pull` reads the live catalog from --url; --tools does not apply".into(),
        ));
    }
    let client = Client::new(&url::of_source(&source));
    let (raw, _) = catalog::fetch(&client).await?;
    let mut text = serde_json::to_string_pretty(&raw).expect("JSON");
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
        println!(
            "no differences between {} and {}",
            old.display(),
            new.display()
        );
    } else {
        for c in &changes {
            println!("{c}");
        }
    }
    let mut affected_any = false;
    for p in &playbooks {
        let pb = match crate::playbook::load(p) {
            Ok(pb) => pb,
            Err(d) => {
                print_diagnostics(&d, color);
                return Ok(exit::INVALID);
            }
        };
        let hits = crate::diff::affected(&pb, &changes);
        if hits.is_empty() {
            println!("✓ {}: not affected", p.display());
        } else {
            affected_any = true;
            println!(
                "✗ {}: {} step{} affected",
                p.display(),
                hits.len(),
                if hits.len() == 1 { "" } else { "s" }
            );
            print_diagnostics(&hits, color);
        }
    }
    Ok(if affected_any {
        exit::STEP_FAILED
    } else {
        exit::OK
    })
}

pub async fn playbook_schema(source: Source, output: Option<PathBuf>) -> Result<i32, Failure> {
    let cat = if source.tools.is_none() && source.url.is_none() {
        Catalog::pinned()
    } else {
        let client = Client::new(&url::of_source(&source));
        catalog::load(source.tools.as_deref(), &client).await?
    };
    write_out(output.as_deref(), &crate::editor_schema::generate(&cat))
}
