//! `pplay init`: a starter playbook, and the editor schema it names.

use super::output::outln;
use std::path::{Path, PathBuf};

use super::failure::Failure;
use crate::catalog::{Catalog, Release};
use crate::exit;

/// The playbook `pplay init` writes: written for Producer Pal 2.x (objects
/// named by `path`), it passes `pplay check` against the pinned 2.3 catalog.
pub const STARTER: &str = r#"# yaml-language-server: $schema=playbook.schema.json
name: My first playbook
description: Sets the tempo, adds a drum track with a one-bar beat, and reads the set back.
vars:
  tempo: 120
defaults:
  timeoutMs: 10000

steps:
  - name: Set the tempo to {{ tempo }}
    tool: ppal-update-live-set
    args:
      tempo: "{{ tempo }}"

  - id: drums
    tool: ppal-create-track
    args: { path: t+, name: Drums, type: midi }
    capture:
      drums: result.path

  - name: A one-bar beat
    tool: ppal-create-clip
    args:
      path: "{{ drums }}/s0"
      notes: C1 1|1 1|3 D1 1|2 1|4
      length: 1bar
    expect: result.noteCount == 4

  - tool: ppal-read-live-set
    args: { include: [tracks] }
    expect: result.trackCount >= 1
"#;

pub fn init(file: PathBuf, force: bool) -> Result<i32, Failure> {
    if file.exists() && !force {
        return Err(Failure::Invalid(format!(
            "{} exists; pass --force to overwrite it",
            file.display()
        )));
    }
    // Missing folders are made, as `init` is how a project starts.
    let dir = file.parent().unwrap_or(Path::new(""));
    if !dir.as_os_str().is_empty() && !dir.is_dir() {
        std::fs::create_dir_all(dir)
            .map_err(|e| Failure::Invalid(format!("cannot create {}: {e}", dir.display())))?;
    }
    // The editor schema the starter names, beside it, unless one is there.
    let schema = dir.join(crate::editor_schema::FILE_NAME);
    if !schema.exists() {
        std::fs::write(
            &schema,
            crate::editor_schema::generate(&Catalog::pinned_release(Release::V2_3_0, false)),
        )
        .map_err(|e| Failure::Invalid(format!("cannot write {}: {e}", schema.display())))?;
        outln!(
            "wrote {} (the editor schema for the pinned Producer Pal 2.3 catalog)",
            schema.display()
        );
    }
    std::fs::write(&file, STARTER)
        .map_err(|e| Failure::Invalid(format!("cannot write {}: {e}", file.display())))?;
    outln!(
        "wrote {}; try `pplay run {} --sim`",
        file.display(),
        file.display()
    );
    Ok(exit::OK)
}
