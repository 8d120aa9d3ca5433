//! The fault matrix: a short playbook against every way the simulator can
//! misbehave on purpose. For each fault: the exit code, the message and the
//! line it points at, how many times the faulty call was sent, and that no
//! call after the failing step was sent.

mod common;

use common::Test;
use pplay::event::{Event, StepStatus};
use pplay::sim::faults::{Fault, FaultKind};

/// Step 2 is the faulty one; a read-only tool, so a transport failure may be
/// re-sent once (`retries: 1`).
const PLAYBOOK: &str = "\
name: faults
steps:
  - tool: ppal-connect
  - tool: ppal-read-live-set
    args: { include: [tracks] }
    timeoutMs: 300
    retries: 1
    retryDelayMs: 10
  - tool: ppal-update-live-set
    args: { tempo: 120 }
";

/// The line of the faulty step's `tool:`.
const FAULTY_LINE: &str = "playbook.yaml:4:";

struct Expected {
    fault: FaultKind,
    /// Times the faulty call is sent.
    sends: usize,
    /// Words the failure message must hold.
    message: &'static str,
}

fn matrix() -> Vec<Expected> {
    use FaultKind::*;
    let e = |fault, sends, message| Expected {
        fault,
        sends,
        message,
    };
    vec![
        // No answer, or a broken one: the call may not have run, and a
        // read-only call may be sent again.
        e(Reset, 2, "connection"),
        e(Close, 2, "connection"),
        e(Hang, 2, "no answer"),
        e(Drip, 2, "no answer"),
        // An answer that is not Producer Pal's: never sent again.
        e(NotJson, 1, "not Producer Pal's JSON"),
        e(WrongShape, 1, "isError"),
        e(Oversized, 1, "larger than"),
        e(Redirect, 1, "redirect"),
    ]
}

fn sends(events: &[Event], tool: &str) -> usize {
    events
        .iter()
        .filter(|e| matches!(e, Event::CallSent { tool: t, .. } if &**t == tool))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fault_fails_its_step_at_its_line_and_stops_the_run() {
    for x in matrix() {
        let fault = Fault {
            kind: x.fault,
            tool: Some("ppal-read-live-set".into()),
        };
        let out = Test::new(PLAYBOOK)
            .sim(|o| o.faults = vec![fault])
            .run()
            .await;
        let name = format!("{:?}", x.fault);
        assert_eq!(out.exit_code, 1, "{name}: {}", out.report);
        assert!(
            out.report.contains(x.message),
            "{name}: message lacks `{}`:\n{}",
            x.message,
            out.report
        );
        assert!(
            out.report.contains(FAULTY_LINE),
            "{name}: not shown at the faulty step:\n{}",
            out.report
        );
        assert_eq!(
            sends(&out.events, "ppal-read-live-set"),
            x.sends,
            "{name}: sends"
        );
        assert_eq!(sends(&out.events, "ppal-connect"), 1, "{name}");
        assert_eq!(
            sends(&out.events, "ppal-update-live-set"),
            0,
            "{name}: a call after the failing step was sent"
        );
        let statuses: Vec<StepStatus> = out.steps().into_iter().map(|(_, s)| s).collect();
        assert_eq!(
            statuses,
            [StepStatus::Ok, StepStatus::Failed, StepStatus::NotRun],
            "{name}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fault_for_one_tool_leaves_the_others_alone() {
    let fault = Fault {
        kind: FaultKind::NotJson,
        tool: Some("ppal-delete".into()),
    };
    let out = Test::new(PLAYBOOK)
        .sim(|o| o.faults = vec![fault])
        .run()
        .await;
    assert_eq!(out.exit_code, 0, "{}", out.report);
    assert_eq!(sends(&out.events, "ppal-update-live-set"), 1);
}

/// A server that answers every call 400 with a plain-text body, counting
/// the calls.
async fn plain_400() -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use axum::routing::{get, post};
    use std::sync::atomic::{AtomicUsize, Ordering};
    let calls = std::sync::Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let app = axum::Router::new()
        .route(
            "/api/tools",
            get(|| async { pplay::catalog::PINNED.to_owned() }),
        )
        .route(
            "/api/tools/{name}",
            post(move || {
                let counter = counter.clone();
                async move {
                    counter.fetch_add(1, Ordering::SeqCst);
                    (
                        axum::http::StatusCode::BAD_REQUEST,
                        "Bad Request: no such thing",
                    )
                }
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (url, calls)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_400_with_a_text_body_is_the_servers_answer_and_is_not_sent_again() {
    let (url, calls) = plain_400().await;
    let out = Test::new(PLAYBOOK).url(&url).run().await;
    assert_eq!(out.exit_code, 1, "{}", out.report);
    assert!(out.report.contains("no such thing"), "{}", out.report);
    assert!(!out.report.contains("connection"), "{}", out.report);
    assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 1);
}

#[test]
fn the_sim_command_takes_fault_flags() {
    let sim =
        common::SimProcess::start(&["--fault", "not-json:ppal-connect", "--fault", "redirect"]);
    let call = |tool: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_pplay"))
            .args(["call", tool, "--url", &sim.url])
            .env_remove("PPAL_URL")
            .output()
            .unwrap()
    };
    let out = call("ppal-connect");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("not Producer Pal's JSON"), "{stderr}");
    let out = call("ppal-read-live-set");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("redirects are not followed"), "{stderr}");
}

/// Runs `playbook` with `--json` against a simulator process started with
/// `sim_flags`, kills the simulator when the `nth` event named `event`
/// appears, and returns the exit code and the closing summary.
fn run_until_the_server_dies(
    playbook: &str,
    sim_flags: &[&str],
    event: &str,
    nth: usize,
) -> (Option<i32>, serde_json::Value, Vec<serde_json::Value>) {
    use std::io::BufRead;
    let mut sim = common::SimProcess::start(sim_flags);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("batch.yaml");
    std::fs::write(&file, playbook).unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_pplay"))
        .args(["run", "--json", "--url", &sim.url])
        .arg(&file)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = Vec::new();
    let mut seen = 0;
    for line in std::io::BufReader::new(child.stdout.take().unwrap()).lines() {
        let v: serde_json::Value = serde_json::from_str(&line.unwrap()).unwrap();
        if v["event"] == event {
            seen += 1;
            if seen == nth {
                sim.kill();
            }
        }
        lines.push(v);
    }
    let code = child.wait().unwrap().code();
    let last = lines.last().cloned().unwrap_or_default();
    (code, last, lines)
}

/// A batch of read-only calls; the simulator dies during the run.
const BATCH: &str = "name: batch\nsteps:\n  - tool: ppal-read-live-set\n    loop: range(6)\n";

#[test]
fn a_server_that_dies_during_a_call_stops_the_run_with_exit_3() {
    // Each call takes 400 ms: the third is in flight when the server dies
    // (it is sent as soon as the second step ends).
    let (code, last, _) =
        run_until_the_server_dies(BATCH, &["--latency-ms", "400"], "step_finished", 2);
    assert_eq!(code, Some(3), "{last}");
    assert_eq!(last["summary"]["calls"], 3, "{last}");
    assert_eq!(last["summary"]["failed"], 1, "{last}");
    assert_eq!(last["summary"]["notRun"], 3, "{last}");
    assert!(
        last["error"].as_str().unwrap().contains("went away"),
        "{last}"
    );
}

#[test]
fn a_server_that_dies_between_calls_stops_the_run_with_exit_3_and_counts_only_sent_calls() {
    // Every call is reset; the server dies while the run waits to send the
    // first one again, so the next attempt finds nothing listening.
    let retried = format!("{BATCH}    retries: 1\n    retryDelayMs: 800\n");
    let (code, last, lines) = run_until_the_server_dies(
        &retried,
        &["--fault", "reset:ppal-read-live-set"],
        "retry",
        1,
    );
    assert_eq!(code, Some(3), "{last}");
    let refused = lines
        .iter()
        .filter(|l| l["event"] == "call_finished" && l["status"].is_null())
        .count();
    assert_eq!(refused, 2, "one reset, one refused: {lines:?}");
    assert_eq!(
        last["summary"]["calls"], 1,
        "the refused attempt was never sent: {last}"
    );
    assert_eq!(last["summary"]["failed"], 1, "{last}");
    assert!(
        last["error"].as_str().unwrap().contains("could not reach"),
        "{last}"
    );
}
