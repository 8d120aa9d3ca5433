//! `pplay migrate`: carries playbooks from Producer Pal 1.4 to 2.x.

use std::path::PathBuf;

use clap::Args;

use super::failure::{Failure, print_diagnostics};
use super::output::{self, errln};
use crate::exit;
use crate::migrate::{self, Migrated};
use crate::report::ColorChoice;

/// `pplay migrate`.
#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// Playbooks to migrate (the files they include are migrated too)
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Rewrite the files in place instead of printing them
    #[arg(long, conflicts_with_all = ["check", "diff"])]
    pub write: bool,
    /// Change nothing; exit 1 when a file would change
    #[arg(long)]
    pub check: bool,
    /// Print a unified diff instead of the migrated text
    #[arg(long)]
    pub diff: bool,
    /// When to colour the notes
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

pub fn migrate(args: MigrateArgs) -> Result<i32, Failure> {
    let ms = match migrate::migrate_paths(&args.files) {
        Ok(ms) => ms,
        Err(d) => {
            print_diagnostics(&d, args.color);
            errln!("error: the playbook does not load; nothing was migrated");
            return Ok(exit::INVALID);
        }
    };
    for m in &ms {
        show(&args, m, ms.len() > 1)?;
    }
    let notes: Vec<_> = ms.iter().flat_map(|m| m.notes.iter().cloned()).collect();
    // Information (what the 2.4 candidate deprecates) leaves nothing to do.
    for m in &ms {
        let mut shown = m.notes.clone();
        shown.extend(m.info.iter().cloned());
        print_diagnostics(&crate::diagnostic::in_file_order(shown), args.color);
    }
    let changed = ms.iter().filter(|m| m.changed()).count();
    errln!("{}", summary(&args, ms.len(), changed, notes.len()));
    Ok(if !notes.is_empty() || (args.check && changed > 0) {
        exit::STEP_FAILED
    } else {
        exit::OK
    })
}

/// One file's migrated text, its diff, or the file written back.
fn show(args: &MigrateArgs, m: &Migrated, several: bool) -> Result<(), Failure> {
    if args.diff {
        if m.changed() {
            output::out_raw(migrate::unified_diff(m));
        }
    } else if args.write {
        if m.changed() {
            migrate::write(m)
                .map_err(|e| Failure::Invalid(format!("cannot write {}: {e}", m.path.display())))?;
        }
    } else if !args.check {
        if several {
            output::out_raw(format!("==> {} <==\n", m.path.display()));
        }
        output::out_raw(&m.text);
    }
    Ok(())
}

fn summary(args: &MigrateArgs, files: usize, changed: usize, notes: usize) -> String {
    let verb = if args.write {
        "rewritten"
    } else if args.check {
        "would change"
    } else {
        "changed"
    };
    let mut s = format!(
        "{files} file{}: {changed} {verb}",
        if files == 1 { "" } else { "s" }
    );
    if notes > 0 {
        s.push_str(&format!(
            "; {notes} thing{} left for a person",
            if notes == 1 { "" } else { "s" }
        ));
    }
    s
}
