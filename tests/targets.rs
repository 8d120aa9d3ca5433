//! Results that report per target (Producer Pal 2.4): a skipped target
//! fails the step, an explained one warns, both located; against a
//! purpose-built server answering that way and the simulator in 2.4 mode.

mod common;

use std::sync::Arc;

use common::cmd;
use common::{Test, TestServer};
use pplay::event::{Event, StepStatus, TargetOutcome};
use pplay::sim::{Imitated, SimOptions};
use serde_json::{Value, json};

/// A server that skips `t5`, explaining it under `key`.
async fn skipping_t5(key: &'static str) -> Arc<TestServer> {
    Arc::new(
        TestServer::per_target(move |p| {
            if p == "t5" {
                json!({"path": p, "ok": false, key: "there is no track t5"})
            } else {
                json!({"id": "1", "path": p})
            }
        })
        .await,
    )
}

const MUTE_THREE: &str = r#"name: Mute
steps:
  - name: Mute three
    tool: ppal-update-track
    args: { path: "t0,t5,t1", mute: true }
    retries: 3
    resend: true
  - tool: ppal-connect
"#;

fn targets(events: &[Event]) -> Vec<Vec<TargetOutcome>> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Targets { targets, .. } => Some(targets.clone()),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn a_skipped_target_fails_the_step_and_is_never_sent_again() {
    let server = skipping_t5("detail").await;
    let out = Test::new(MUTE_THREE).server(server.clone()).run().await;
    assert_eq!(out.exit_code, 1, "{}", out.report);
    assert_eq!(
        out.steps()[0],
        ("Mute three".to_owned(), StepStatus::Failed)
    );
    assert_eq!(out.steps()[1].1, StepStatus::NotRun);
    // Retries and `resend: true` notwithstanding: the call reached Live.
    assert_eq!(server.requests().len(), 1);
    assert_eq!(
        targets(&out.events),
        [vec![
            TargetOutcome {
                target: "t0".into(),
                ok: true,
                explanation: None
            },
            TargetOutcome {
                target: "t5".into(),
                ok: false,
                explanation: Some("there is no track t5".into())
            },
            TargetOutcome {
                target: "t1".into(),
                ok: true,
                explanation: None
            },
        ]]
    );
    insta::assert_snapshot!("a_skipped_target", out.report);
}

#[tokio::test]
async fn any_explanation_key_is_read_and_on_error_continue_applies() {
    for key in ["detail", "reason", "note"] {
        let yaml = MUTE_THREE.replace(
            "    retries: 3\n    resend: true\n",
            "    onError: continue\n",
        );
        let out = Test::new(&yaml).server(skipping_t5(key).await).run().await;
        assert_eq!(out.exit_code, 0, "{key}: {}", out.report);
        assert_eq!(out.steps()[0].1, StepStatus::Ignored, "{key}");
        assert_eq!(out.steps().len(), 2, "{key}: the next step ran");
        assert!(
            out.report
                .contains("`ppal-update-track` skipped 1 of 3 targets: t5 (there is no track t5)"),
            "{key}: {}",
            out.report
        );
    }
}

#[tokio::test]
async fn a_templated_path_list_is_located_at_the_step() {
    let yaml = r#"name: Mute
vars: { which: "t0,t5" }
steps:
  - tool: ppal-update-track
    args: { path: "{{ which }}", mute: true }
"#;
    let out = Test::new(yaml)
        .server(skipping_t5("detail").await)
        .run()
        .await;
    assert_eq!(out.exit_code, 1);
    insta::assert_snapshot!("a_skipped_target_templated", out.report);
}

#[tokio::test]
async fn an_explanation_on_a_target_that_landed_is_a_located_warning() {
    let server = TestServer::per_target(|p| {
        if p == "t0/s0" {
            json!({"id": "9", "path": p, "detail": "overwrote the existing clip at t0/s0"})
        } else {
            json!({"id": "8", "path": p})
        }
    })
    .await;
    let yaml = r#"name: Clips
steps:
  - tool: ppal-create-clip
    args:
      path: t1/s0,t0/s0
      notes: C1 1|1
"#;
    let out = Test::new(yaml).server(Arc::new(server)).run().await;
    assert_eq!(out.exit_code, 0, "{}", out.report);
    assert_eq!(out.summary.warnings, 1);
    insta::assert_snapshot!("an_explained_target", out.report);
}

fn two_four() -> SimOptions {
    Imitated::V2_4Candidate.options()
}

#[tokio::test]
async fn the_2_4_simulator_skips_a_missing_track_and_the_step_fails() {
    let yaml = r#"name: Mute
steps:
  - tool: ppal-create-track
    args: { count: 2 }
  - name: Mute three
    tool: ppal-update-track
    args: { path: "t0,t5,t1", mute: true }
"#;
    let out = Test::new(yaml).sim_options(two_four()).run().await;
    assert_eq!(out.exit_code, 1, "{}", out.report);
    assert!(
        out.report
            .contains("`ppal-update-track` skipped 1 of 3 targets: t5 (there is no track t5"),
        "{}",
        out.report
    );
    // The other two were muted.
    let set = out.live_set.unwrap();
    assert!(set.tracks.iter().all(|t| t.mute));
    // `count` is deprecated in 2.4: the candidate warns, in its words.
    assert!(
        out.report
            .contains(r#"param "count" is deprecated and will be removed"#),
        "{}",
        out.report
    );
    // On 2.3, the same call is an error result as a whole.
    let out = Test::new(yaml)
        .sim_options(SimOptions::for_generation(pplay::sim::Generation::V2_3))
        .run()
        .await;
    assert_eq!(out.exit_code, 1);
    assert!(out.report.contains("tool-error"), "{}", out.report);
}

#[tokio::test]
async fn the_2_4_simulator_overwrites_an_occupied_slot_with_a_warning() {
    let yaml = r#"name: Clips
steps:
  - tool: ppal-create-track
  - tool: ppal-create-clip
    args: { path: t0/s0, notes: C1 1|1 }
  - tool: ppal-create-clip
    args: { path: "t0/s0", notes: C1 1|1 D1 1|2 }
"#;
    let out = Test::new(yaml).sim_options(two_four()).run().await;
    assert_eq!(out.exit_code, 0, "{}", out.report);
    assert!(
        out.report
            .contains("ppal-create-clip: t0/s0: overwrote the existing clip at t0/s0"),
        "{}",
        out.report
    );
    let set = out.live_set.unwrap();
    assert_eq!(set.tracks[0].slots[0].as_ref().unwrap().note_count, 2);
}

const JSON_PLAYBOOK: &str = r#"name: Mute
steps:
  - tool: ppal-create-track
    args: { path: "t+,t+" }
  - name: Mute three
    tool: ppal-update-track
    args: { path: "t0,t5,t1", mute: true }
"#;

#[test]
fn json_events_and_junit_carry_each_targets_outcome() {
    let out = cmd::Test::new()
        .arg("run")
        .playbook("mute.yaml", JSON_PLAYBOOK)
        .args(["--sim", "--producer-pal", "2.4", "--json", "--junit"])
        .arg_scratch("report.xml")
        .status(1)
        .run();
    let lines = out.json_lines();
    let t: Vec<&Value> = lines.iter().filter(|l| l["event"] == "targets").collect();
    assert_eq!(t.len(), 1, "{lines:?}");
    assert_eq!(t[0]["step"]["name"], json!("Mute three"));
    assert_eq!(t[0]["targets"][0], json!({"target": "t0", "ok": true}));
    assert_eq!(t[0]["targets"][1]["target"], json!("t5"));
    assert_eq!(t[0]["targets"][1]["ok"], json!(false));
    assert!(t[0]["targets"][1]["explanation"].is_string());
    let report = out.read("report.xml");
    assert!(report.contains("t0: done"), "{report}");
    assert!(
        report.contains("t5: skipped: there is no track t5"),
        "{report}"
    );
}
