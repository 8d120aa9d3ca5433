//! The music helpers in playbooks, over loopback HTTP against the
//! simulator: what they write is what Producer Pal of the run's generation
//! reads, `steps` is both the function and the outcomes, and `csv()` reads
//! beside the file that calls it.

mod common;

use common::Test;
use common::cmd::Test as Cmd;
use insta::assert_snapshot;
use pplay::notation::{self, Meter};
use pplay::protocol::Generation;
use pplay::sim::{Generation as Imitated, SimOptions};

/// A playbook that is the same on 1.4 and 2.x: its notes come from a var
/// and from the args, both written by the helpers.
const BOTH: &str = r#"name: helpers
vars:
  kick: '{{ steps("x...x...x...x...", "C1") }}'
steps:
  - tool: ppal-create-clip
    args:
      name: Kick
      notes: "{{ kick }}"
  - tool: ppal-create-clip
    args:
      name: Chords
      notes: '{{ steps("x...x...", chord("Am7", 2), grid="1/8", length="1/2", velocity=80) }}'
"#;

/// (pitch, start, duration, velocity) of what `generation` reads in `text`.
fn heard(text: &str, generation: Generation) -> Vec<(u8, f64, f64, u8)> {
    let read = notation::interpret(text, generation, Meter::default())
        .unwrap_or_else(|e| panic!("`{text}`: {}", e.message));
    (read.notes.iter())
        .map(|n| (n.pitch, n.start, n.duration, n.velocity))
        .collect()
}

/// The `notes` of every call a dry run plans on the simulator of `imitated`
/// (calls without notes left out).
async fn planned_notes(yaml: &str, imitated: Imitated) -> Vec<String> {
    let out = Test::new(yaml)
        .sim_options(SimOptions::for_generation(imitated))
        .dry_run()
        .run()
        .await;
    assert_eq!(out.exit_code, 0, "{}", out.report);
    (out.planned().into_iter())
        .filter_map(|(_, args, _)| Some(args.get("notes")?.as_str()?.to_owned()))
        .collect()
}

#[tokio::test]
async fn the_same_playbook_writes_each_generations_notation() {
    let v1 = planned_notes(BOTH, Imitated::V1_4).await;
    let v2 = planned_notes(BOTH, Imitated::V2_3).await;
    assert_ne!(v1, v2, "1.4 and 2.x write a 1/16 note differently");
    let kicks: Vec<_> = (0..4).map(|i| (36, f64::from(i), 0.25, 100)).collect();
    // Am7 in octave 2: A2 C3 E3 G3, on beats 1 and 3, half notes.
    let chords: Vec<_> = [0.0, 2.0]
        .into_iter()
        .flat_map(|t| [57, 60, 64, 67].map(|p| (p, t, 2.0, 80)))
        .collect();
    for (written, g) in [(&v1, Generation::V1), (&v2, Generation::V2)] {
        assert_eq!(heard(&written[0], g), kicks, "{written:?}");
        assert_eq!(heard(&written[1], g), chords, "{written:?}");
    }
}

#[tokio::test]
async fn steps_is_the_pattern_function_and_the_outcomes_in_one_playbook() {
    let out = Test::new(
        r#"name: both steps
steps:
  - id: track
    tool: ppal-create-track
    args: { path: t+, name: Drums, type: midi }
  - tool: ppal-create-clip
    args:
      path: "{{ steps.track.result.path }}/s0"
      name: "kick on {{ steps.track.result.path }}"
      notes: '{{ steps("x...x...", "C1") }}'
      length: 1bar
"#,
    )
    .sim_options(SimOptions::for_generation(Imitated::V2_3))
    .run()
    .await;
    assert_eq!(out.exit_code, 0, "{}", out.report);
    let sent = out.sent();
    let (tool, args) = &sent[1];
    assert_eq!(tool, "ppal-create-clip");
    assert!(
        args["name"].as_str().unwrap().starts_with("kick on "),
        "{args}"
    );
    assert!(args["path"].as_str().unwrap().ends_with("/s0"), "{args}");
    let starts: Vec<f64> = heard(args["notes"].as_str().unwrap(), Generation::V2)
        .iter()
        .map(|n| n.1)
        .collect();
    assert_eq!(starts, [0.0, 1.0]);
}

#[tokio::test]
async fn an_included_file_reads_the_table_beside_it() {
    let out = Test::new(
        r#"name: tables
vars:
  top: '{{ csv("hits.csv") }}'
steps:
  - include: parts/drums.yaml
  - tool: ppal-create-clip
    args: { name: "{{ top[0].name }}", notes: "{{ top[0].pitch }} 1|1" }
"#,
    )
    .file("hits.csv", "name,pitch\nTop,C3\n")
    .file(
        "parts/drums.yaml",
        r#"name: drums
vars:
  rows: '{{ csv("hits.csv") }}'
steps:
  - tool: ppal-create-clip
    loop: "{{ rows }}"
    args:
      name: "{{ item.name }}"
      notes: '{{ steps(item.pattern, item.pitch) }}'
"#,
    )
    .file(
        "parts/hits.csv",
        "name,pitch,pattern\nKick,C1,x...x...\nHat,F#1,..x...x.\n",
    )
    .dry_run()
    .run()
    .await;
    assert_eq!(out.exit_code, 0, "{}", out.report);
    let names: Vec<String> = (out.planned().iter())
        .map(|(_, a, _)| a["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["Kick", "Hat", "Top"]);
}

#[test]
fn a_table_outside_the_project_is_a_located_error() {
    let outside = tempfile::tempdir().unwrap();
    let table = outside.path().join("secret.csv");
    std::fs::write(&table, "a\n1\n").unwrap();
    let yaml = format!(
        "name: outside\nvars:\n  rows: '{{{{ csv(\"{}\") }}}}'\nsteps:\n  - tool: ppal-create-clip\n    args: {{ name: '{{{{ rows[0].a }}}}' }}\n",
        table.display()
    );
    let report = Test::new(&yaml).check().unwrap_err();
    let report = report.replace(&outside.path().display().to_string(), "<outside>");
    assert_snapshot!(report);
}

#[test]
fn notes_draws_a_piano_roll_and_lists_the_notes() {
    Cmd::new()
        .args([
            "notes",
            "v100 C1 1|1 1|2 1|3 1|4 v60 F#1 1|1.5 1|3.5 n/2 v127 A2 C3 E3 2|1",
        ])
        .env("NO_COLOR", "1")
        .stdout_snapshot("notes_roll_2x")
        .run();
    // 1.4 reads its own notation, here in 3/4.
    Cmd::new()
        .args(["notes", "C1 1|1 t0.5 D1 1|2 2|3", "--producer-pal", "1.4"])
        .args(["--time-signature", "3/4"])
        .env("NO_COLOR", "1")
        .stdout_snapshot("notes_roll_1_4")
        .run();
}

#[test]
fn notes_json_is_the_notes_as_data() {
    let out = Cmd::new()
        .args(["notes", "v90 C3 E3 1|1 n/8 G3 1|2.5", "--json"])
        .run();
    let notes = out.json()["notes"].as_array().unwrap().clone();
    let got: Vec<(u64, &str, f64, f64, u64)> = (notes.iter())
        .map(|n| {
            (
                n["pitch"].as_u64().unwrap(),
                n["position"].as_str().unwrap(),
                n["start"].as_f64().unwrap(),
                n["duration"].as_f64().unwrap(),
                n["velocity"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (60, "1|1", 0.0, 1.0, 90),
            (64, "1|1", 0.0, 1.0, 90),
            (67, "1|2.5", 1.5, 0.5, 90)
        ]
    );
    // The simulator's names for a 2.x release read it as 2.x does.
    let read_by = |pp: &str| {
        let args = [
            "notes",
            "v90 C3 E3 1|1 n/8 G3 1|2.5",
            "--json",
            "--producer-pal",
            pp,
        ];
        Cmd::new().args(args).run().json()
    };
    assert_eq!(read_by("2.3"), read_by("2.x"));
    assert_eq!(read_by("2.4"), read_by("2.x"));
}

#[test]
fn a_bad_notes_string_is_the_checks_error() {
    Cmd::new()
        .args(["notes", "C1 1|1 H2 1|2"])
        .status(2)
        .stderr_snapshot("notes_bad_string")
        .run();
    // 2.x's note values are no 1.4 notation.
    Cmd::new()
        .args(["notes", "n/4 C1 1|1", "--producer-pal", "1.4"])
        .status(2)
        .stderr_has("Producer Pal 1.x accepts")
        .run();
}

#[test]
fn a_dry_run_draws_each_planned_clip() {
    Cmd::new()
        .args([
            "run",
            "playbooks/drum-table.yaml",
            "--sim",
            "--dry-run",
            "--piano-roll",
        ])
        .env("NO_COLOR", "1")
        .stdout_snapshot("dry_run_piano_roll")
        .run();
    // Without the flag, the calls only.
    Cmd::new()
        .args(["run", "playbooks/drum-table.yaml", "--sim", "--dry-run"])
        .stdout_lacks("notes:")
        .run();
    // The flag is for a dry run.
    Cmd::new()
        .args(["run", "playbooks/drum-table.yaml", "--sim", "--piano-roll"])
        .status(2)
        .stderr_has("--dry-run")
        .run();
}

#[test]
fn the_roll_is_coloured_only_under_the_usual_rules() {
    let roll = |env: (&str, &str)| {
        Cmd::new()
            .args(["notes", "C1 1|1 1|3"])
            .env(env.0, env.1)
            .run()
            .stdout
    };
    assert!(roll(("CLICOLOR_FORCE", "1")).contains('\u{1b}'));
    assert!(!roll(("NO_COLOR", "1")).contains('\u{1b}'));
    // Not a terminal, nothing forced: plain.
    assert!(!roll(("PPAL_URL", "http://127.0.0.1:9")).contains('\u{1b}'));
}

/// The README's two drum playbooks, by their names.
fn readme_playbook(name: &str) -> String {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = readme.find(&format!("```yaml\nname: {name}\n")).unwrap() + "```yaml\n".len();
    let len = readme[start..].find("```").unwrap();
    readme[start..start + len].to_owned()
}

#[tokio::test]
async fn the_readmes_batch_job_writes_the_same_notes_with_the_helpers() {
    let by_hand = planned_notes(&readme_playbook("Drums by hand"), Imitated::V2_3).await;
    let helped = planned_notes(&readme_playbook("Drums from patterns"), Imitated::V2_3).await;
    assert_eq!(by_hand.len(), 3);
    assert_eq!(helped, by_hand);
}
