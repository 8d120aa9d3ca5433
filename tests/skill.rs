//! The agent skill in `skills/pplay/SKILL.md`: its front matter is what
//! coding agents read, and every playbook it shows checks clean and runs on
//! the simulator, so an assistant learns from examples that work.

mod common;

use common::Test;
use pplay::catalog::{Catalog, Release};
use pplay::sim::{Generation, SimOptions};

const SKILL: &str = include_str!("../skills/pplay/SKILL.md");

/// The fenced blocks of `lang` in `text`.
fn blocks<'a>(text: &'a str, lang: &str) -> Vec<&'a str> {
    let open = format!("```{lang}\n");
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find(&open) {
        let body = &rest[at + open.len()..];
        let end = body.find("```").expect("an unclosed block");
        out.push(&body[..end]);
        rest = &body[end + 3..];
    }
    out
}

#[test]
fn the_front_matter_names_and_describes_the_skill() {
    let front = SKILL
        .strip_prefix("---\n")
        .and_then(|s| s.split_once("\n---\n"))
        .map(|(f, _)| f)
        .expect("front matter between --- lines");
    let name = front.lines().find_map(|l| l.strip_prefix("name: "));
    assert_eq!(name, Some("pplay"));
    let description = front
        .lines()
        .find_map(|l| l.strip_prefix("description: "))
        .unwrap_or("");
    assert!(description.len() > 40, "a description says when to use it");
}

#[tokio::test]
async fn every_playbook_in_the_skill_checks_and_runs() {
    let playbooks = blocks(SKILL, "yaml");
    assert!(playbooks.len() >= 2, "the skill shows playbooks");
    let catalog = Catalog::pinned_release(Release::V2_3_0, false);
    for pb in playbooks {
        let checked = Test::new(pb).check_against(&catalog);
        assert!(checked.is_ok(), "{pb}\n{}", checked.unwrap_err());
        let out = Test::new(pb)
            .sim(|o| *o = SimOptions::for_generation(Generation::V2_3))
            .run()
            .await;
        assert_eq!(out.exit_code, 0, "{pb}\n{}", out.report);
    }
}

#[test]
fn the_problem_line_it_shows_has_the_shape_check_json_writes() {
    let lines = blocks(SKILL, "json");
    assert_eq!(lines.len(), 1);
    let shown: serde_json::Value = serde_json::from_str(lines[0].trim()).unwrap();
    let broken = "name: broken\nvars:\n  tempo: 120\nsteps:\n  - tool: ppal-update-live-set\n    args:\n      tempo: \"{{ tempo }}\"\n  - tool: ppal-create-trak\n    args:\n      path: t+\n";
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("playbook.yaml"), broken).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_pplay"))
        .args(["check", "--json", "playbook.yaml", "--tools"])
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/schemas/producer-pal-2.3.0.json"
        ))
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let written: serde_json::Value =
        serde_json::from_str(String::from_utf8_lossy(&out.stdout).trim()).unwrap();
    assert_eq!(written, shown);
}
