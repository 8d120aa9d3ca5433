//! `ensure:` and `pplay plan` over loopback HTTP on the in-process
//! simulator, both generations: a setup run twice changes the set once.

mod common;

use common::Test;
use pplay::event::{Change, Event, StepStatus};
use pplay::sim::{self, Generation, SimOptions};

const QUICKSTART_2: &str = include_str!("../playbooks/quickstart.yaml");
const QUICKSTART_1_4: &str = include_str!("../playbooks/producer-pal-1.4/quickstart.yaml");

fn statuses(out: &common::Outcome) -> Vec<StepStatus> {
    out.steps().into_iter().map(|(_, s)| s).collect()
}

/// What the set holds, less the simulator's count of the calls it took.
fn snapshot(s: &sim::SimHandle) -> String {
    let text = format!("{:?}", s.live_set());
    let (head, tail) = text.split_once(" calls: ").expect("the set counts calls");
    let (_, rest) = tail.split_once(',').expect("a field follows");
    format!("{head}{rest}")
}

async fn converges(generation: Generation, playbook: &str) {
    let s = sim::start(SimOptions::for_generation(generation))
        .await
        .unwrap();
    let first = Test::new(playbook).url(&s.url()).run().await;
    assert_eq!(first.exit_code, 0, "{}", first.report);
    let changed = statuses(&first)
        .iter()
        .filter(|s| **s == StepStatus::Changed)
        .count();
    // Everything but the two reads (connect, the read-back) changed the set.
    assert_eq!(changed, first.summary.steps - 2);
    assert_eq!(first.summary.changed, changed);
    let after_first = snapshot(&s);
    let second = Test::new(playbook).url(&s.url()).run().await;
    assert_eq!(second.exit_code, 0, "{}", second.report);
    assert_eq!(second.summary.changed, 0, "{:?}", second.steps());
    assert_eq!(second.summary.ok, second.summary.steps);
    assert_eq!(snapshot(&s), after_first, "the second run changed the set");
    // Nothing set-changing was sent the second time.
    let writes: Vec<String> = second
        .sent()
        .into_iter()
        .map(|(t, _)| t)
        .filter(|t| !t.contains("-read-") && t != "ppal-connect")
        .collect();
    assert!(writes.is_empty(), "{writes:?}");
}

#[tokio::test]
async fn quickstart_run_twice_on_2x_changes_the_set_once() {
    converges(Generation::V2_3, QUICKSTART_2).await;
}

#[tokio::test]
async fn quickstart_run_twice_on_1_4_changes_the_set_once() {
    converges(Generation::V1_4, QUICKSTART_1_4).await;
}

#[tokio::test]
async fn a_changed_var_changes_only_its_target() {
    let s = sim::start(SimOptions::for_generation(Generation::V2_3))
        .await
        .unwrap();
    let first = Test::new(QUICKSTART_2).url(&s.url()).run().await;
    assert_eq!(first.exit_code, 0, "{}", first.report);
    let second = Test::new(QUICKSTART_2)
        .url(&s.url())
        .var("tempo", serde_json::json!(128))
        .run()
        .await;
    assert_eq!(second.exit_code, 0, "{}", second.report);
    assert_eq!(second.summary.changed, 1, "{:?}", second.steps());
    let sent: Vec<_> = second
        .sent()
        .into_iter()
        .filter(|(t, _)| t == "ppal-update-live-set")
        .collect();
    // Only the differing argument went: the time signature was right.
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].1, serde_json::json!({"tempo": 128}));
    assert_eq!(s.live_set().tempo, 128.0);
}

fn changes(out: &common::Outcome) -> Vec<Change> {
    out.events
        .iter()
        .filter_map(|e| match e {
            Event::Change { change, .. } => Some(change.clone()),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn plan_names_the_change_and_writes_nothing() {
    let s = sim::start(SimOptions::for_generation(Generation::V2_3))
        .await
        .unwrap();
    let empty = snapshot(&s);
    let plan = Test::new(QUICKSTART_2).url(&s.url()).plan().run().await;
    // Something would change: exit 1, and the set is as it was.
    assert_eq!(plan.exit_code, 1, "{}", plan.report);
    assert_eq!(snapshot(&s), empty);
    let sent: Vec<String> = plan.sent().into_iter().map(|(t, _)| t).collect();
    assert!(
        sent.iter()
            .all(|t| t.contains("-read-") || t == "ppal-connect"),
        "{sent:?}"
    );
    assert!(changes(&plan).contains(&Change::Create {
        kind: "track",
        name: "Kick".into()
    }));
    let run = Test::new(QUICKSTART_2).url(&s.url()).run().await;
    assert_eq!(run.exit_code, 0, "{}", run.report);
    let same = Test::new(QUICKSTART_2).url(&s.url()).plan().run().await;
    assert_eq!(same.exit_code, 0, "{}", same.report);
    let tempo = Test::new(QUICKSTART_2)
        .url(&s.url())
        .var("tempo", serde_json::json!(128))
        .plan()
        .run()
        .await;
    assert_eq!(tempo.exit_code, 1);
    let updates: Vec<_> = changes(&tempo)
        .into_iter()
        .filter_map(|c| match c {
            Change::Update(d) => Some(d),
            _ => None,
        })
        .collect();
    assert_eq!(updates.len(), 1);
    assert_eq!(updates[0][0].field, "tempo");
    assert_eq!(s.live_set().tempo, 124.0, "the plan wrote the tempo");
}

#[test]
fn a_bad_ensure_is_reported_at_its_place() {
    let out = Test::new(
        r#"name: bad ensure
steps:
  - tool: ppal-create-track
    ensure: { nmae: Kick }
    args: { name: Kick }
  - tool: ppal-delete
    ensure: true
    args: { ids: "1", type: track }
  - tool: ppal-update-track
    ensure: { name: Kick }
    args: { ids: "1", name: Kick }
  - tool: ppal-create-scene
    ensure: true
    args: { name: Verse }
  - tool: ppal-create-track
    ensure: 3
"#,
    )
    .check()
    .unwrap_err();
    insta::assert_snapshot!(out);
}

#[tokio::test]
async fn session_setup_run_twice_changes_nothing_the_second_time() {
    let playbook = include_str!("../playbooks/session-setup.yaml");
    let s = sim::start(SimOptions::for_generation(Generation::V2_3))
        .await
        .unwrap();
    let first = Test::new(playbook).url(&s.url()).run().await;
    assert_eq!(first.exit_code, 0, "{}", first.report);
    assert!(first.summary.changed > 0);
    let after_first = snapshot(&s);
    let second = Test::new(playbook).url(&s.url()).run().await;
    assert_eq!(second.exit_code, 0, "{}", second.report);
    assert_eq!(second.summary.changed, 0, "{:?}", second.steps());
    assert_eq!(snapshot(&s), after_first);
}

/// `pplay` as the user runs it.
fn pplay(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_pplay"))
        .args(args)
        .env_remove("PPAL_URL")
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

#[test]
fn a_resumed_run_restores_an_ensured_step_instead_of_reading_it_again() {
    let sim = common::SimProcess::start(&["--producer-pal", "2.3"]);
    let dir = tempfile::tempdir().unwrap();
    let pb = dir.path().join("pb.yaml");
    std::fs::write(
        &pb,
        r#"name: resumable
steps:
  - name: Kick
    tool: ppal-create-track
    ensure: { name: Kick }
    args: { path: t+, name: Kick, type: midi }
  - name: The second track is there
    tool: ppal-read-track
    args: { path: t1 }
"#,
    )
    .unwrap();
    let journal = dir.path().join("run.journal");
    let (pb, journal) = (pb.to_str().unwrap(), journal.to_str().unwrap());
    let first = pplay(&["run", pb, "--url", &sim.url, "--journal", journal]);
    let text = String::from_utf8_lossy(&first.stdout).into_owned();
    assert_eq!(first.status.code(), Some(1), "{text}");
    assert!(text.contains("1 changed, 0 ok"), "{text}");
    // The set gets its second track from elsewhere; the run is resumed.
    let made = pplay(&[
        "call",
        "ppal-create-track",
        r#"{"path": "t+", "name": "Bass"}"#,
        "--url",
        &sim.url,
    ]);
    assert!(made.status.success());
    let resumed = pplay(&["run", pb, "--url", &sim.url, "--resume", journal]);
    let text = String::from_utf8_lossy(&resumed.stdout).into_owned();
    assert_eq!(resumed.status.code(), Some(0), "{text}");
    // Kick is restored from the journal: neither a change nor read again.
    assert!(text.contains("↺ Kick"), "{text}");
    assert!(text.contains("0 changed, 1 ok"), "{text}");
    assert!(text.contains("1 restored from the journal"), "{text}");
}

#[test]
fn pplay_plan_prints_the_changes_and_exits_by_them() {
    let plan = pplay(&["plan", "playbooks/quickstart.yaml", "--sim"]);
    let text = String::from_utf8_lossy(&plan.stdout).into_owned();
    assert_eq!(plan.status.code(), Some(1), "{text}");
    assert!(text.contains("(plan: only reads are sent)"), "{text}");
    assert!(text.contains("~ tempo 120.0 -> 124"), "{text}");
    assert!(text.contains("+ create track Kick"), "{text}");
    let json = pplay(&["plan", "playbooks/quickstart.yaml", "--sim", "--json"]);
    let events = String::from_utf8_lossy(&json.stdout).into_owned();
    assert!(
        events.contains(r#""change":{"kind":"create","object":"track","name":"Bass"}"#),
        "{events}"
    );
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.yaml");
    std::fs::write(
        &bad,
        "name: bad\nsteps:\n  - tool: ppal-delete\n    ensure: true\n    args: { path: t0 }\n",
    )
    .unwrap();
    let out = pplay(&["plan", bad.to_str().unwrap(), "--sim"]);
    assert_eq!(out.status.code(), Some(2));
}

#[tokio::test]
async fn plan_on_1_4_names_the_track_it_would_create() {
    let s = sim::start(SimOptions::for_generation(Generation::V1_4))
        .await
        .unwrap();
    let before = snapshot(&s);
    let plan = Test::new(QUICKSTART_1_4).url(&s.url()).plan().run().await;
    assert_eq!(plan.exit_code, 1, "{}", plan.report);
    assert_eq!(snapshot(&s), before);
    assert!(changes(&plan).contains(&Change::Create {
        kind: "track",
        name: "Bass".into()
    }));
}

/// The send level to the first return track (A-Reverb) of regular track
/// `t`, as the simulator holds it.
fn reverb_send(s: &sim::SimHandle, t: usize) -> Option<f64> {
    let set = s.live_set();
    set.tracks[t].sends.get(&set.returns[0].id).copied()
}

#[tokio::test]
async fn the_techno_template_compares_its_two_track_send_and_resends_only_a_drift() {
    for (generation, playbook, retune) in [
        (
            Generation::V2_3,
            include_str!("../playbooks/techno-template.yaml"),
            r#"{"path": "t4", "sendReturn": "A-Reverb", "sendGainDb": -20}"#,
        ),
        (
            Generation::V1_4,
            include_str!("../playbooks/producer-pal-1.4/techno-template.yaml"),
            r#"{"ids": "{{ pad }}", "sendReturn": "A-Reverb", "sendGainDb": -20}"#,
        ),
    ] {
        let s = sim::start(SimOptions::for_generation(generation))
            .await
            .unwrap();
        let first = Test::new(playbook).url(&s.url()).run().await;
        assert_eq!(first.exit_code, 0, "{}", first.report);
        // The simulator keeps the send: Bass (t2) and Pad (t4) at -12 dB.
        assert_eq!(reverb_send(&s, 2), Some(-12.0), "{generation:?}");
        assert_eq!(reverb_send(&s, 4), Some(-12.0), "{generation:?}");
        assert_eq!(reverb_send(&s, 0), None, "{generation:?}");
        let send_step = |out: &common::Outcome| {
            out.steps()
                .into_iter()
                .find(|(n, _)| n.starts_with("Send "))
                .map(|(_, st)| st)
        };
        let second = Test::new(playbook).url(&s.url()).run().await;
        assert_eq!(second.exit_code, 0, "{}", second.report);
        assert_eq!(second.summary.changed, 0, "{:?}", second.steps());
        assert_eq!(send_step(&second), Some(StepStatus::Ok));
        // Someone turns Pad's send down: the next run sets it back, and
        // says which level it found.
        let pad = s.live_set().tracks[4].id.clone();
        let retune = retune.replace("{{ pad }}", &pad);
        let tool =
            format!("name: retune\nsteps:\n  - tool: ppal-update-track\n    args: {retune}\n");
        let out = Test::new(&tool).url(&s.url()).run().await;
        assert_eq!(out.exit_code, 0, "{}", out.report);
        assert_eq!(reverb_send(&s, 4), Some(-20.0));
        // A plan sees the drift and leaves it.
        let plan = Test::new(playbook).url(&s.url()).plan().run().await;
        assert_eq!(plan.exit_code, 1, "{}", plan.report);
        assert_eq!(plan.summary.changed, 1, "{:?}", plan.steps());
        assert_eq!(reverb_send(&s, 4), Some(-20.0));
        let third = Test::new(playbook).url(&s.url()).run().await;
        assert_eq!(third.exit_code, 0, "{}", third.report);
        assert_eq!(third.summary.changed, 1, "{:?}", third.steps());
        assert_eq!(send_step(&third), Some(StepStatus::Changed));
        let updates: Vec<_> = changes(&third)
            .into_iter()
            .filter_map(|c| match c {
                Change::Update(d) => Some(d),
                _ => None,
            })
            .collect();
        assert_eq!(updates.len(), 1, "{updates:?}");
        assert_eq!(updates[0][0].field, "sendGainDb");
        assert_eq!(updates[0][0].current, Some(serde_json::json!(-20.0)));
        assert_eq!(reverb_send(&s, 4), Some(-12.0), "{generation:?}");
    }
}

#[tokio::test]
async fn the_composed_set_run_again_changes_nothing() {
    composed_set_converges(Generation::V2_3, "playbooks").await;
}

#[tokio::test]
async fn the_composed_set_on_1_4_run_again_changes_nothing() {
    composed_set_converges(Generation::V1_4, "playbooks/producer-pal-1.4").await;
}

/// Runs a folder's composed set (with its parts) twice on a fresh simulator
/// of `generation`: the second run changes nothing and leaves the same set.
async fn composed_set_converges(generation: Generation, folder: &str) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(folder);
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap();
    let (main, drums, bass) = (
        read("composed-set.yaml"),
        read("parts/drums.yaml"),
        read("parts/bass.yaml"),
    );
    let s = sim::start(SimOptions::for_generation(generation))
        .await
        .unwrap();
    let test = || {
        Test::new(&main)
            .url(&s.url())
            .file("parts/drums.yaml", &drums)
            .file("parts/bass.yaml", &bass)
    };
    let first = test().run().await;
    assert_eq!(first.exit_code, 0, "{}", first.report);
    let after_first = snapshot(&s);
    let second = test().run().await;
    assert_eq!(second.exit_code, 0, "{}", second.report);
    assert_eq!(second.summary.changed, 0, "{:?}", second.steps());
    assert_eq!(snapshot(&s), after_first);
}

/// Writes that changed nothing but the view: `ppal-select` (read-only on
/// 2.x, unmarked on 1.4) may be sent again, it moves no content.
fn content_writes(out: &common::Outcome) -> Vec<String> {
    out.sent()
        .into_iter()
        .map(|(t, _)| t)
        .filter(|t| !t.contains("-read-") && t != "ppal-connect" && t != "ppal-select")
        .collect()
}

#[tokio::test]
async fn selection_is_view_state_and_no_change_on_both_generations() {
    for (generation, playbook) in [
        (
            Generation::V1_4,
            include_str!("../playbooks/producer-pal-1.4/session-setup.yaml"),
        ),
        (
            Generation::V2_3,
            include_str!("../playbooks/session-setup.yaml"),
        ),
    ] {
        selection_is_no_change(generation, playbook).await;
    }
}

async fn selection_is_no_change(generation: Generation, playbook: &str) {
    let s = sim::start(SimOptions::for_generation(generation))
        .await
        .unwrap();
    let first = Test::new(playbook).url(&s.url()).run().await;
    assert_eq!(first.exit_code, 0, "{}", first.report);
    let after_first = snapshot(&s);
    let second = Test::new(playbook).url(&s.url()).run().await;
    assert_eq!(second.exit_code, 0, "{}", second.report);
    assert_eq!(second.summary.changed, 0, "{:?}", second.steps());
    assert_eq!(snapshot(&s), after_first);
    // The selection is still made (the user asked for the view), as `ok`.
    let select = second
        .steps()
        .into_iter()
        .find(|(n, _)| n.starts_with("Show the session view"))
        .expect("the select step ran");
    assert_eq!(select.1, StepStatus::Ok);
    assert!(second.sent().iter().any(|(t, _)| t == "ppal-select"));
    assert!(content_writes(&second).is_empty(), "{:?}", second.sent());
    // A plan of the same set sends no select (not even on 2.x, where it is
    // marked read-only: it moves the view) and finds nothing to change.
    let plan = Test::new(playbook).url(&s.url()).plan().run().await;
    assert_eq!(plan.exit_code, 0, "{}", plan.report);
    assert!(!plan.sent().iter().any(|(t, _)| t == "ppal-select"));
    assert!(changes(&plan).contains(&Change::Same { why: "view only" }));
}

#[tokio::test]
async fn a_plan_remembers_the_creates_it_would_make() {
    let playbook = r#"name: twice asked
steps:
  - name: Kick
    tool: ppal-create-track
    ensure: { name: Kick }
    args: { path: t+, name: Kick, type: midi }
  - name: Kick again
    tool: ppal-create-track
    ensure: { name: Kick }
    args: { path: t+, name: Kick, type: midi }
  - name: Bass, made without ensure
    tool: ppal-create-track
    args: { path: t+, name: Bass }
  - name: Bass, asked for
    tool: ppal-create-track
    ensure: { name: Bass }
    args: { path: t+, name: Bass }
  - name: Pad
    tool: ppal-create-track
    ensure: { name: Pad }
    args: { path: t+, name: Pad }
"#;
    let s = sim::start(SimOptions::for_generation(Generation::V2_3))
        .await
        .unwrap();
    let plan = Test::new(playbook).url(&s.url()).plan().run().await;
    assert_eq!(plan.exit_code, 1, "{}", plan.report);
    let earlier = Change::Same {
        why: "created earlier in this plan",
    };
    let lines: Vec<Change> = changes(&plan);
    assert_eq!(
        lines,
        vec![
            Change::Create {
                kind: "track",
                name: "Kick".into()
            },
            earlier.clone(),
            Change::Send {
                tool: "ppal-create-track".into(),
                args: serde_json::json!({"path": "t+", "name": "Bass"}),
            },
            earlier,
            Change::Create {
                kind: "track",
                name: "Pad".into()
            },
        ]
    );
    let statuses = statuses(&plan);
    assert_eq!(statuses[1], StepStatus::Ok);
    assert_eq!(statuses[3], StepStatus::Ok);
    assert_eq!(plan.summary.changed, 3);
    // What the run then does agrees with the plan: three tracks made.
    let run = Test::new(playbook).url(&s.url()).run().await;
    assert_eq!(run.exit_code, 0, "{}", run.report);
    assert_eq!(run.summary.changed, 3, "{:?}", run.steps());
    assert_eq!(s.live_set().tracks.len(), 3);
}

#[test]
fn a_plan_takes_no_journal() {
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("plan.journal");
    let journal = journal.to_str().unwrap();
    for flag in ["--journal", "--resume"] {
        let out = pplay(&["plan", "playbooks/quickstart.yaml", "--sim", flag, journal]);
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(
            err.contains(&format!("`pplay plan` takes no {flag}")),
            "{err}"
        );
        assert!(out.stdout.is_empty(), "nothing was planned");
        assert!(
            !std::path::Path::new(journal).exists(),
            "no journal written"
        );
    }
}

/// Every recipe shipped in `folder`, with the files beside it.
fn recipes(folder: &str) -> Vec<(String, String)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(folder);
    let mut out: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&p).unwrap())
        })
        .collect();
    out.sort();
    out
}

/// The strongest check of the recipes: each one, run twice on a fresh
/// simulator of each generation, changes nothing the second time (no
/// content write is sent, the set is the same).
#[tokio::test]
async fn every_shipped_recipe_converges_on_both_generations() {
    for (generation, folder) in [
        (Generation::V2_3, "playbooks"),
        (Generation::V1_4, "playbooks/producer-pal-1.4"),
    ] {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(folder);
        let part = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap();
        let (drums, bass) = (part("parts/drums.yaml"), part("parts/bass.yaml"));
        let found = recipes(folder);
        let tables: Vec<(String, String)> = (std::fs::read_dir(&dir).unwrap())
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "csv"))
            .map(|p| {
                let name = p.file_name().unwrap().to_string_lossy().into_owned();
                (name, std::fs::read_to_string(&p).unwrap())
            })
            .collect();
        assert!(found.len() >= 5, "{folder}: {found:?}");
        for (name, text) in found {
            let s = sim::start(SimOptions::for_generation(generation))
                .await
                .unwrap();
            let test = || {
                let t = Test::new(&text)
                    .url(&s.url())
                    .file("parts/drums.yaml", &drums)
                    .file("parts/bass.yaml", &bass);
                // The tables a recipe reads beside it.
                tables.iter().fold(t, |t, (n, table)| t.file(n, table))
            };
            let first = test().run().await;
            assert_eq!(first.exit_code, 0, "{folder}/{name}: {}", first.report);
            assert!(first.summary.changed > 0, "{folder}/{name}");
            let after_first = snapshot(&s);
            let second = test().run().await;
            assert_eq!(second.exit_code, 0, "{folder}/{name}: {}", second.report);
            assert_eq!(
                second.summary.changed,
                0,
                "{folder}/{name}: {:?}",
                second.steps()
            );
            assert!(
                content_writes(&second).is_empty(),
                "{folder}/{name}: {:?}",
                second.sent()
            );
            assert_eq!(snapshot(&s), after_first, "{folder}/{name}");
        }
    }
}
