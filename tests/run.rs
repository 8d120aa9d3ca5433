//! Running playbooks over loopback HTTP, against the simulator or the
//! scripted test server.

mod common;

use std::sync::Arc;

use common::{Answer, Test, TestServer};
use insta::assert_snapshot;
use pplay::event::{Event, StepStatus};
use serde_json::{Value as Json, json};

#[tokio::test]
async fn a_single_expression_keeps_its_type() {
    let server = Arc::new(TestServer::start(|_, _| Answer::ok(json!({"ok": true}))).await);
    let out = Test::new(
        r#"name: types
vars:
  n: 3
  xs: [a, b]
  on: true
  tempo: 124
  label: "{{ n }} parts"
steps:
  - tool: ppal-update-live-set
    args:
      tempo: "{{ tempo }}"
      timeSignature: "{{ n }}/4"
  - tool: ppal-raw-live-api
    args:
      path: "{{ label }}"
      operations:
        - { type: call, method: m, args: "{{ xs }}" }
        - { type: set, property: p, value: " {{ on }} " }
"#,
    )
    .server(server.clone())
    .run()
    .await;
    assert_eq!(out.exit_code, 0, "{}", out.report);
    let reqs = server.requests();
    assert_eq!(reqs[0].body, json!({"tempo": 124, "timeSignature": "3/4"}));
    assert_eq!(
        reqs[1].body,
        json!({"path": "3 parts", "operations": [
            {"type": "call", "method": "m", "args": ["a", "b"]},
            {"type": "set", "property": "p", "value": true}
        ]})
    );
    // Every call asks for JSON; timeoutMs only when the step has one.
    assert_eq!(reqs[0].query, "format=json");
}

/// Each call's URL names its own tool and timeout, also where the client
/// reuses the previous call's URL.
#[tokio::test]
async fn timeout_ms_goes_on_the_query() {
    let server = Arc::new(TestServer::start(|_, _| Answer::ok(json!({}))).await);
    let out = Test::new(
        "name: t\ndefaults: { timeoutMs: 5000 }\nsteps:\n  - tool: ppal-connect\n  - tool: ppal-connect\n  - tool: ppal-connect\n    timeoutMs: 250\n  - tool: ppal-read-live-set\n    timeoutMs: 250\n  - tool: ppal-connect\n",
    )
    .server(server.clone())
    .run()
    .await;
    assert_eq!(out.exit_code, 0, "{}", out.report);
    let calls: Vec<(String, String)> = server
        .requests()
        .into_iter()
        .map(|r| (r.tool, r.query))
        .collect();
    let (connect, read) = ("ppal-connect", "ppal-read-live-set");
    let (slow, quick) = ("format=json&timeoutMs=5000", "format=json&timeoutMs=250");
    assert_eq!(
        calls,
        [
            (connect, slow),
            (connect, slow),
            (connect, quick),
            (read, quick),
            (connect, slow)
        ]
        .map(|(t, q)| (t.to_owned(), q.to_owned()))
    );
}

#[tokio::test]
async fn captures_and_step_outcomes_flow_to_later_steps() {
    let out = Test::new(
        r#"name: flow
steps:
  - id: kick
    tool: ppal-create-track
    args: { name: Kick }
    capture:
      kick_track: result.trackIndex
      kick_id: result.id
  - tool: ppal-create-track
    args: { name: Bass }
  - tool: ppal-create-clip
    args:
      slot: "{{ kick_track }}/0"
      notes: C1 1|1 1|2
  - tool: ppal-update-track
    args:
      ids: "{{ steps.kick.result.id }}"
      name: "Kick {{ steps.kick.isError }} {{ steps.kick.warnings | length }}"
"#,
    )
    .run()
    .await;
    assert_eq!(out.exit_code, 0, "{}", out.report);
    let sent = out.sent();
    assert_eq!(sent[2].1, json!({"slot": "0/0", "notes": "C1 1|1 1|2"}));
    assert_eq!(
        sent[3].1["ids"],
        json!(out.live_set.as_ref().unwrap().tracks[0].id)
    );
    assert_eq!(out.live_set.unwrap().tracks[0].name, "Kick False 0");
}

#[tokio::test]
async fn vars_use_earlier_vars_and_overrides_win() {
    let server = Arc::new(TestServer::start(|_, _| Answer::ok(json!({}))).await);
    let out = Test::new(
        "name: v\nvars:\n  base: 100\n  tempo: \"{{ base + 20 }}\"\n  title: \"At {{ tempo }}\"\nsteps:\n  - tool: ppal-update-live-set\n    args: { tempo: \"{{ tempo }}\", scale: \"{{ title }}\" }\n",
    )
    .var("base", json!(110))
    .server(server.clone())
    .run()
    .await;
    assert_eq!(out.exit_code, 0, "{}", out.report);
    assert_eq!(
        server.requests()[0].body,
        json!({"tempo": 130, "scale": "At 130"})
    );
}

#[tokio::test]
async fn loops_expose_item_and_loop_and_keep_a_list_of_outcomes() {
    let out = Test::new(
        r#"name: loops
vars:
  names: [A, B, C]
steps:
  - id: made
    tool: ppal-create-track
    loop: "{{ names }}"
    args:
      name: "{{ item }}-{{ loop.index0 }}-{{ loop.index }}-{{ loop.first }}-{{ loop.last }}-{{ loop.length }}"
  - tool: ppal-create-clip
    loop: zip(steps.made, [0, 1])
    args: { slot: "{{ item[0].result.trackIndex }}/{{ item[1] }}" }
  - tool: ppal-create-scene
    loop: product([1, 2], ["x"])
    args: { sceneIndex: 0, name: "{{ item[0] }}{{ item[1] }}" }
"#,
    )
    .run()
    .await;
    assert_eq!(out.exit_code, 0, "{}", out.report);
    let set = out.live_set.unwrap();
    let names: Vec<&str> = set.tracks.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "A-0-1-True-False-3",
            "B-1-2-False-False-3",
            "C-2-3-False-True-3"
        ]
    );
    assert_eq!(set.clip_count(), 2);
    assert_eq!(set.scenes[0].name, "2x");
    assert_eq!(out.summary.calls, 7);
}

#[tokio::test]
async fn a_loop_too_long_at_run_time_is_refused_before_sending() {
    let out = Test::new(
        "name: l\nsteps:\n  - id: list\n    tool: ppal-read-live-set\n    args: { include: [scenes] }\n  - tool: ppal-read-scene\n    loop: steps.list.result.scenes\n    args: { sceneIndex: 0 }\n",
    )
    .max_iterations(5)
    .run()
    .await;
    assert_eq!(out.exit_code, 1);
    assert_eq!(out.summary.calls, 1);
    assert_snapshot!(out.report);
}

#[tokio::test]
async fn when_skips_and_reports_the_condition() {
    let out = Test::new(
        "name: w\nvars: { ready: false }\nsteps:\n  - tool: ppal-connect\n    when: ready\n  - tool: ppal-connect\n    when: \"{{ not ready }}\"\n",
    )
    .run()
    .await;
    assert_eq!(out.exit_code, 0);
    assert_eq!(out.summary.skipped, 1);
    let skipped = out.events.iter().find_map(|e| match e {
        Event::StepFinished {
            status: StepStatus::Skipped,
            message,
            ..
        } => message.clone(),
        _ => None,
    });
    assert_eq!(skipped.as_deref(), Some("when: ready"));
}

#[tokio::test]
async fn a_false_expectation_shows_the_values_it_read() {
    let out = Test::new(
        "name: e\nsteps:\n  - tool: ppal-create-track\n  - tool: ppal-read-live-set\n    expect:\n      - result.tempo == 120\n      - result.trackCount >= 2\n  - tool: ppal-connect\n",
    )
    .run()
    .await;
    assert_eq!(out.exit_code, 1);
    assert!(
        out.report.contains("result.trackCount was 1"),
        "{}",
        out.report
    );
    assert_eq!(out.summary.calls, 2, "nothing is sent after a failure");
    assert_snapshot!(out.report);
}

#[tokio::test]
async fn every_false_expectation_of_a_step_is_reported() {
    let out = Test::new(
        "name: e\nsteps:\n  - tool: ppal-read-live-set\n    expect:\n      - result.tempo == 99\n      - result.trackCount >= 0\n      - result.trackCount == 5\n",
    )
    .run()
    .await;
    assert_eq!(out.exit_code, 1);
    assert!(
        out.report.contains("2 expectations failed"),
        "{}",
        out.report
    );
    assert!(out.report.contains("result.tempo was"), "{}", out.report);
    assert!(
        out.report.contains("result.trackCount was 0"),
        "{}",
        out.report
    );
    assert_snapshot!(out.report);
}

#[tokio::test]
async fn retries_after_5xx_with_a_retry_event_each() {
    let server = Arc::new(
        TestServer::start(|_, n| {
            if n < 2 {
                Answer::status(503, json!({"error": "Internal server error"}))
            } else {
                Answer::ok(json!({"id": "1"}))
            }
        })
        .await,
    );
    let out =
        Test::new("name: r\nsteps:\n  - tool: ppal-connect\n    retries: 2\n    retryDelayMs: 5\n")
            .server(server.clone())
            .run()
            .await;
    assert_eq!(out.exit_code, 0, "{}", out.report);
    assert_eq!(server.requests().len(), 3);
    let retries: Vec<(u32, u64)> = out
        .events
        .iter()
        .filter_map(|e| match e {
            Event::Retry {
                attempt, delay_ms, ..
            } => Some((*attempt, *delay_ms)),
            _ => None,
        })
        .collect();
    assert_eq!(retries.len(), 2);
    // Doubling with up to a quarter of jitter.
    assert!(
        (5..=6).contains(&retries[0].1) && (10..=12).contains(&retries[1].1),
        "{retries:?}"
    );
}

#[tokio::test]
async fn no_retry_after_a_4xx_or_a_tool_error() {
    let server = Arc::new(
        TestServer::start(|r, _| {
            if r.tool == "ppal-connect" {
                Answer::status(400, json!({"error": "Validation failed", "details": []}))
            } else {
                Answer::status(200, json!({"result": "boom", "isError": true}))
            }
        })
        .await,
    );
    for tool in ["ppal-connect", "ppal-create-track"] {
        let out = Test::new(&format!(
            "name: r\nsteps:\n  - tool: {tool}\n    retries: 3\n    retryDelayMs: 1\n"
        ))
        .server(server.clone())
        .run()
        .await;
        assert_eq!(out.exit_code, 1);
        assert_eq!(out.summary.calls, 1);
    }
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn a_server_that_ignores_timeout_ms_cannot_hang_the_run() {
    let server = Arc::new(TestServer::start(|_, _| Answer::ok(json!({})).delayed(5_000)).await);
    let started = std::time::Instant::now();
    let out = Test::new("name: t\nsteps:\n  - tool: ppal-connect\n    timeoutMs: 100\n    retries: 1\n    retryDelayMs: 1\n")
        .server(server.clone())
        .run()
        .await;
    assert_eq!(out.exit_code, 1);
    assert_eq!(server.requests().len(), 2, "a timeout is retried");
    assert!(started.elapsed() < std::time::Duration::from_secs(4));
    assert!(out.report.contains("no answer from"), "{}", out.report);
}

#[tokio::test]
async fn on_error_continue_reports_ignored_and_goes_on() {
    let out = Test::new(
        "name: c\nsteps:\n  - tool: ppal-read-clip\n    args: { slot: \"0/0\" }\n    onError: continue\n  - tool: ppal-connect\n",
    )
    .run()
    .await;
    assert_eq!(out.exit_code, 0);
    assert_eq!(out.steps()[0].1, StepStatus::Ignored);
    assert_eq!(out.steps()[1].1, StepStatus::Ok);
    assert_eq!(out.summary.ignored, 1);
}

#[tokio::test]
async fn defaults_apply_and_a_step_wins() {
    let server =
        Arc::new(TestServer::start(|_, _| Answer::status(500, json!({"error": "down"}))).await);
    let out = Test::new(
        "name: d\ndefaults: { retries: 1, retryDelayMs: 1, onError: continue, timeoutMs: 700 }\nsteps:\n  - tool: ppal-connect\n  - tool: ppal-connect\n    retries: 0\n    timeoutMs: 900\n    onError: fail\n  - tool: ppal-connect\n",
    )
    .server(server.clone())
    .run()
    .await;
    assert_eq!(out.exit_code, 1);
    let q: Vec<String> = server.requests().into_iter().map(|r| r.query).collect();
    assert_eq!(
        q,
        [
            "format=json&timeoutMs=700",
            "format=json&timeoutMs=700",
            "format=json&timeoutMs=900"
        ]
    );
    assert_eq!(
        out.steps().iter().map(|s| s.1).collect::<Vec<_>>(),
        [StepStatus::Ignored, StepStatus::Failed, StepStatus::NotRun]
    );
}

#[tokio::test]
async fn tool_error_fails_the_step_with_the_server_text() {
    let out = Test::new("name: x\nsteps:\n  - tool: ppal-read-clip\n    args: { slot: \"0/0\" }\n  - tool: ppal-connect\n")
        .run()
        .await;
    assert_eq!(out.exit_code, 1);
    assert_eq!(out.summary.calls, 1);
    assert_snapshot!(out.report);
}

#[tokio::test]
async fn validation_details_land_on_the_arg_nodes() {
    let server = Arc::new(
        TestServer::start(|_, _| {
            Answer::status(
                400,
                json!({"error": "Validation failed", "details": [
                    {"code": "too_big", "path": ["tempo"], "message": "Too big: expected number to be <=999"},
                    {"code": "custom", "path": ["locatorName"], "message": "Unknown locator"}
                ]}),
            )
        })
        .await,
    );
    let out = Test::new("name: x\nsteps:\n  - tool: ppal-update-live-set\n    args:\n      tempo: 120\n      locatorName: Verse\n")
        .server(server)
        .run()
        .await;
    assert_eq!(out.exit_code, 1);
    assert_snapshot!(out.report);
}

#[tokio::test]
async fn a_404_says_unknown_or_disabled() {
    let out = Test::new("name: x\nsteps:\n  - tool: ppal-playback\n    args: { action: stop }\n")
        .server(Arc::new(
            TestServer::start(|r, _| {
                Answer::status(
                    404,
                    json!({"error": format!("Unknown or disabled tool: {}", r.tool)}),
                )
            })
            .await,
        ))
        .run()
        .await;
    assert_eq!(out.exit_code, 1);
    assert_snapshot!(out.report);
}

#[tokio::test]
async fn warnings_are_shown_and_counted() {
    let out = Test::new(
        "name: w\nsteps:\n  - id: t\n    tool: ppal-create-track\n    capture: { id: result.id }\n  - tool: ppal-update-track\n    args: { ids: \"{{ id }},999\", mute: true }\n",
    )
    .run()
    .await;
    assert_eq!(out.exit_code, 0);
    assert_eq!(out.summary.warnings, 1);
    assert_snapshot!(out.report);
}

#[tokio::test]
async fn rendered_args_are_validated_before_sending() {
    let server = Arc::new(TestServer::start(|_, _| Answer::ok(json!({}))).await);
    // A loop's item is known only at run time: the run checks it.
    let out = Test::new("name: x\nsteps:\n  - tool: ppal-update-live-set\n    loop: [5000]\n    args: { tempo: \"{{ item }}\" }\n")
        .server(server.clone())
        .run()
        .await;
    assert_eq!(out.exit_code, 1);
    assert!(server.requests().is_empty(), "nothing was sent");
    assert_snapshot!(out.report);
    // A value from the vars alone is checked before the run starts.
    let out = Test::new("name: x\nvars: { t: 5000 }\nsteps:\n  - tool: ppal-update-live-set\n    args: { tempo: \"{{ t }}\" }\n")
        .server(server.clone())
        .run()
        .await;
    assert_eq!(out.exit_code, 2);
    assert!(out.report.contains("after rendering"), "{}", out.report);
    assert!(server.requests().is_empty(), "nothing was sent");
}

#[tokio::test]
async fn an_unreachable_server_is_exit_3() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = Test::new("name: x\nsteps:\n  - tool: ppal-connect\n  - tool: ppal-connect\n")
        .url(&format!("http://127.0.0.1:{port}"))
        .run()
        .await;
    assert_eq!(out.exit_code, 3);
    let error = out
        .events
        .iter()
        .find_map(|e| match e {
            Event::RunFinished { error, .. } => error.clone(),
            _ => None,
        })
        .expect("the run says why it stopped");
    assert!(
        error.contains(&format!("http://127.0.0.1:{port}")),
        "{error}"
    );
    assert!(
        error.contains("Is Ableton Live running with the Producer Pal device?"),
        "{error}"
    );
    assert_eq!(out.summary.calls, 0, "a refused call was never sent");
    assert_eq!(
        out.sent().len(),
        1,
        "nothing is tried after the refused call"
    );
}

#[tokio::test]
async fn a_legacy_server_with_string_results_and_inline_warnings() {
    let out = Test::new(
        "name: legacy\nsteps:\n  - tool: ppal-create-track\n    capture: { idx: result.trackIndex, id: result.id }\n  - tool: ppal-update-track\n    args: { ids: \"{{ id }},77\", name: x }\n    capture: { w: warnings }\n  - tool: ppal-create-clip\n    args: { slot: \"{{ idx }}/0\", notes: C1 1|1 }\n    expect: result.noteCount == 1\n",
    )
    .sim(|o| o.legacy = true)
    .run()
    .await;
    assert_eq!(out.exit_code, 0, "{}", out.report);
    assert_eq!(out.summary.warnings, 1);
}

#[tokio::test]
async fn stop_after_the_call_in_flight_when_cancelled() {
    let out = Test::new(
        "name: c\nsteps:\n  - tool: ppal-connect\n    loop: range(10)\n  - tool: ppal-connect\n",
    )
    .cancel_after_calls(3)
    .run()
    .await;
    assert_eq!(out.exit_code, 130);
    assert_eq!(out.summary.calls, 3);
    assert!(matches!(
        out.events.last(),
        Some(Event::RunFinished {
            interrupted: true,
            ..
        })
    ));
}

#[tokio::test]
async fn dry_run_renders_calls_with_placeholders_and_sends_nothing() {
    let server = Arc::new(TestServer::start(|_, _| Answer::ok(json!({}))).await);
    let out = Test::new(
        r#"name: dry
vars: { tempo: 124 }
steps:
  - tool: ppal-update-live-set
    args: { tempo: "{{ tempo }}" }
  - id: kick
    tool: ppal-create-track
    capture: { kick_track: result.trackIndex }
  - tool: ppal-create-clip
    loop: range(2)
    timeoutMs: 20000
    args:
      slot: "{{ kick_track }}/{{ item }}"
      name: "{{ steps.kick.result.id }}"
"#,
    )
    .server(server.clone())
    .dry_run()
    .run()
    .await;
    assert_eq!(out.exit_code, 0);
    assert!(server.requests().is_empty());
    let planned = out.planned();
    assert_eq!(planned.len(), 4);
    assert_eq!(planned[0].1, json!({"tempo": 124}));
    assert_eq!(
        planned[2].1,
        json!({"slot": "<steps.kick.result.trackIndex>/0", "name": "<steps.kick.result.id>"})
    );
    assert_eq!(planned[3].2, Some(20000));
}

#[tokio::test]
async fn includes_run_with_their_vars_and_share_captures() {
    let out = Test::new(
        "name: main\nsteps:\n  - include: parts/track.yaml\n    vars: { label: Lead }\n  - include: parts/track.yaml\n  - tool: ppal-create-clip\n    args: { slot: \"{{ made }}/0\" }\n",
    )
    .file(
        "parts/track.yaml",
        "name: part\nvars: { label: Pad }\nsteps:\n  - tool: ppal-create-track\n    args: { name: \"{{ label }}\" }\n    capture: { made: result.trackIndex }\n",
    )
    .run()
    .await;
    assert_eq!(out.exit_code, 0, "{}", out.report);
    let set = out.live_set.unwrap();
    let names: Vec<&str> = set.tracks.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["Lead", "Pad"]);
    assert!(set.tracks[1].slots[0].is_some());
}

#[tokio::test]
async fn a_failure_inside_an_include_points_into_that_file() {
    let out = Test::new("name: main\nsteps:\n  - include: part.yaml\n")
        .file(
            "part.yaml",
            "name: part\nsteps:\n  - tool: ppal-read-clip\n    args: { slot: \"0/0\" }\n",
        )
        .run()
        .await;
    assert_eq!(out.exit_code, 1);
    assert!(out.report.contains("part.yaml:3:"), "{}", out.report);
}

#[tokio::test]
async fn a_template_that_gives_a_number_where_text_is_expected() {
    let out = Test::new(
        "name: x\nsteps:\n  - tool: ppal-create-track\n    capture: { lead: result.trackIndex }\n  - tool: ppal-update-track\n    args: { ids: \"{{ lead }}\", mute: true }\n",
    )
    .run()
    .await;
    assert_eq!(out.exit_code, 1);
    assert_eq!(out.summary.calls, 1, "the second call is not sent");
    assert_snapshot!(out.report);
}

// ---- Producer Pal 2.x ----

fn catalog_2_3(live_api: bool) -> Json {
    pplay::catalog::Release::V2_3_0.document(live_api)
}

fn timed_out() -> Answer {
    Answer::status(
        504,
        json!({"error": "Tool call timed out after 100ms", "errorCode": "timeout"}),
    )
}

#[tokio::test]
async fn a_504_is_sent_once_on_a_tool_that_changes_the_set() {
    let server = Arc::new(TestServer::with_catalog(catalog_2_3(false), |_, _| timed_out()).await);
    let out = Test::new(
        "name: t\nsteps:\n  - tool: ppal-create-clip\n    args: { path: t0/s0, notes: C1 1|1 }\n    retries: 2\n    retryDelayMs: 1\n",
    )
    .server(server.clone())
    .run()
    .await;
    assert_eq!(out.exit_code, 1);
    assert_eq!(
        server.requests().len(),
        1,
        "never re-sent: it may have reached Live"
    );
    assert!(
        out.report
            .contains("timed out on Producer Pal: Tool call timed out after 100ms"),
        "{}",
        out.report
    );
    assert!(out.report.contains("add `resend: true`"), "{}", out.report);
}

#[tokio::test]
async fn a_504_is_resent_on_a_read_only_tool_and_when_the_step_accepts_it() {
    let server = Arc::new(TestServer::with_catalog(catalog_2_3(false), |_, _| timed_out()).await);
    let out = Test::new(
        "name: t\nsteps:\n  - tool: ppal-read-live-set\n    retries: 2\n    retryDelayMs: 1\n",
    )
    .server(server.clone())
    .run()
    .await;
    assert_eq!(out.exit_code, 1);
    assert_eq!(
        server.requests().len(),
        3,
        "read-only: sent again each retry"
    );
    assert!(
        out.report.contains("gave up after 3 attempts"),
        "{}",
        out.report
    );

    let server = Arc::new(
        TestServer::with_catalog(catalog_2_3(false), |_, n| {
            if n == 0 {
                timed_out()
            } else {
                Answer::ok(json!({"id": "7", "path": "t0/s0"}))
            }
        })
        .await,
    );
    let out = Test::new(
        "name: t\nsteps:\n  - tool: ppal-create-clip\n    args: { path: t0/s0 }\n    retries: 1\n    retryDelayMs: 1\n    resend: true\n",
    )
    .server(server.clone())
    .run()
    .await;
    assert_eq!(out.exit_code, 0, "{}", out.report);
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn a_5xx_on_a_set_changing_tool_is_not_resent_but_a_refused_connection_is_retried() {
    let server = Arc::new(
        TestServer::start(|_, _| Answer::status(500, json!({"error": "Internal server error"})))
            .await,
    );
    let out = Test::new("name: t\nsteps:\n  - tool: ppal-create-track\n    args: { trackIndex: 0 }\n    retries: 3\n    retryDelayMs: 1\n")
        .server(server.clone())
        .run()
        .await;
    assert_eq!(out.exit_code, 1);
    assert_eq!(server.requests().len(), 1);

    // Nothing listens: the call never left, so every retry is made.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = Test::new("name: t\nsteps:\n  - tool: ppal-create-track\n    args: { trackIndex: 0 }\n    retries: 2\n    retryDelayMs: 1\n")
        .url(&format!("http://127.0.0.1:{port}"))
        .run()
        .await;
    assert_eq!(out.exit_code, 3);
    assert_eq!(out.sent().len(), 3, "every attempt is made");
    assert_eq!(out.summary.calls, 0, "and none was sent");
}

#[tokio::test]
async fn appended_blocks_are_kept_in_the_step_record() {
    let server = Arc::new(
        TestServer::with_catalog(catalog_2_3(false), |_, _| {
            Answer::status(
                200,
                json!({"result": {"connected": true}, "isError": false, "appended": ["Tip one", "Tip two"]}),
            )
        })
        .await,
    );
    let out = Test::new(
        "name: t\nsteps:\n  - id: hello\n    tool: ppal-connect\n  - tool: ppal-read-live-set\n    expect: steps.hello.appended == ['Tip one', 'Tip two']\n",
    )
    .server(server.clone())
    .run()
    .await;
    assert_eq!(out.exit_code, 0, "{}", out.report);
    let appended: Vec<Vec<String>> = out
        .events
        .iter()
        .filter_map(|e| match e {
            Event::CallFinished { appended, .. } => Some(appended.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(appended[0], ["Tip one", "Tip two"]);
}

#[tokio::test]
async fn the_profile_is_sent_on_the_catalog_read_and_on_every_call() {
    let server =
        Arc::new(TestServer::with_catalog(catalog_2_3(true), |_, _| Answer::ok(json!({}))).await);
    let out = Test::new(
        "name: t\nproducerPal:\n  liveApi: true\n  notation: stark\n  smallModelMode: false\n  disabledTools: [ppal-library, ppal-context]\nsteps:\n  - tool: ppal-live-api\n    args: { operations: [{ type: get, property: tempo }] }\n  - tool: ppal-connect\n",
    )
    .server(server.clone())
    .run()
    .await;
    assert_eq!(out.exit_code, 0, "{}", out.report);
    let want: Vec<(String, String)> = [
        ("x-producer-pal-disabled-tools", "ppal-library,ppal-context"),
        ("x-producer-pal-live-api", "true"),
        ("x-producer-pal-notation", "stark"),
        ("x-producer-pal-small-model-mode", "false"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    assert_eq!(server.catalog_reads(), vec![want.clone()]);
    let calls = server.requests();
    assert_eq!(calls.len(), 2);
    assert!(calls.iter().all(|r| r.profile == want), "{calls:?}");
}

#[tokio::test]
async fn the_timeout_range_follows_the_generation() {
    let yaml = "name: t\nsteps:\n  - tool: ppal-connect\n    timeoutMs: 58000\n";
    // 1.4 takes up to 60000.
    assert!(Test::new(yaml).check().is_ok());
    let two = pplay::catalog::Catalog::pinned_release(pplay::catalog::Release::V2_3_0, false);
    let err = Test::new(yaml).check_against(&two).unwrap_err();
    insta::assert_snapshot!(err);
    // A rendered value is checked before sending, too: at check time when
    // it depends only on vars, at run time when it reads a loop's item.
    let server =
        Arc::new(TestServer::with_catalog(catalog_2_3(false), |_, _| Answer::ok(json!({}))).await);
    let out = Test::new(
        "name: t\nvars: { t: 58000 }\nsteps:\n  - tool: ppal-connect\n    timeoutMs: \"{{ t }}\"\n",
    )
    .server(server.clone())
    .run()
    .await;
    assert_eq!(out.exit_code, 2);
    assert!(
        out.report.contains("not an integer from 1 to 55000"),
        "{}",
        out.report
    );
    let out = Test::new(
        "name: t\nsteps:\n  - tool: ppal-connect\n    loop: [58000]\n    timeoutMs: \"{{ item }}\"\n",
    )
    .server(server.clone())
    .run()
    .await;
    assert_eq!(out.exit_code, 1);
    assert!(server.requests().is_empty());
    assert!(
        out.report.contains("not an integer from 1 to 55000"),
        "{}",
        out.report
    );
}

#[tokio::test]
async fn deprecated_arguments_warn_and_are_sent_as_written() {
    let yaml = "name: t\nsteps:\n  - tool: ppal-create-clip\n    args:\n      slot: \"0/1\"\n      notes: C1 1|1\n  - tool: ppal-update-clip\n    args: { ids: \"3\", arrangementStart: \"5|1\", nmae: x }\n";
    let two = pplay::catalog::Catalog::pinned_release(pplay::catalog::Release::V2_3_0, false);
    // `nmae` stays an error; the hidden ones are warnings beside it.
    insta::assert_snapshot!(
        "deprecated_with_an_unknown",
        Test::new(yaml).check_against(&two).unwrap_err()
    );
    let yaml = "name: t\nsteps:\n  - tool: ppal-create-clip\n    args:\n      slot: \"0/{{ 1 }}\"\n      notes: C1 1|1\n";
    let (_, warnings) = Test::new(yaml).check_against(&two).unwrap();
    insta::assert_snapshot!("deprecated_slot", warnings);
    let server = Arc::new(
        TestServer::with_catalog(catalog_2_3(false), |_, _| Answer::ok(json!({"id": "1"}))).await,
    );
    let out = Test::new(yaml).server(server.clone()).run().await;
    assert_eq!(out.exit_code, 0, "{}", out.report);
    assert_eq!(
        server.requests()[0].body,
        json!({"slot": "0/1", "notes": "C1 1|1"})
    );
}

#[tokio::test]
async fn calling_the_live_api_tool_without_it_hints_at_the_profile() {
    let two = pplay::catalog::Catalog::pinned_release(pplay::catalog::Release::V2_3_0, false);
    let err = Test::new("name: t\nsteps:\n  - tool: ppal-live-api\n    args: { operations: [] }\n")
        .check_against(&two)
        .unwrap_err();
    assert!(err.contains("liveApi: true }` to the playbook"), "{err}");
}

#[tokio::test]
async fn an_include_step_var_of_the_same_name_passes_the_callers_value() {
    // The caller hands its own `parts` (and a value derived from it) to an
    // included file whose defaults use the same names: the step's vars win,
    // evaluated where the step is written.
    let out = Test::new(
        "name: main\nvars:\n  parts: [Kick, Snare]\nsteps:\n  - include: make.yaml\n    vars:\n      parts: \"{{ parts }}\"\n      prefix: \"{{ parts | length }}x\"\n",
    )
    .file(
        "make.yaml",
        "name: make\nvars:\n  parts: []\n  prefix: none\n  label: \"{{ prefix }}-\"\nsteps:\n  - tool: ppal-create-track\n    loop: parts\n    args: { name: \"{{ label }}{{ item }}\" }\n",
    )
    .run()
    .await;
    assert_eq!(out.exit_code, 0, "{}", out.report);
    let set = out.live_set.unwrap();
    let names: Vec<&str> = set.tracks.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["2x-Kick", "2x-Snare"]);
}

#[tokio::test]
async fn mappings_keep_their_file_order_everywhere() {
    // Tracks built from a mapping come out in the order the user wrote it:
    // playbook vars, a --var/--vars-file value, a captured object, and both
    // `| items` and `.items()`.
    let server = Arc::new(
        TestServer::start(|_, _| Answer::ok(json!({"zeta": 1, "alpha": 2, "mid": 3}))).await,
    );
    let out = Test::new(
        r#"name: order
vars:
  kits: { Snare: 1, Kick: 2, Hats: 3 }
steps:
  - tool: ppal-create-track
    loop: kits | items
    args: { name: "{{ item[0] }}" }
  - tool: ppal-create-track
    loop: extra.items()
    args: { name: "{{ item[0] }}" }
  - tool: ppal-read-live-set
    capture: { got: result }
  - tool: ppal-create-track
    loop: got | items
    args: { name: "{{ item[0] }}" }
"#,
    )
    .var("extra", json!({"Pad": 1, "Bass": 2}))
    .server(server.clone())
    .run()
    .await;
    assert_eq!(out.exit_code, 0, "{}", out.report);
    let names: Vec<String> = server
        .requests()
        .iter()
        .filter_map(|r| {
            r.body
                .get("name")
                .and_then(|n| n.as_str())
                .map(String::from)
        })
        .collect();
    assert_eq!(
        names,
        [
            "Snare", "Kick", "Hats", "Pad", "Bass", "zeta", "alpha", "mid"
        ]
    );
}

/// The message of every step end with `status`, in order.
fn messages(out: &common::Outcome, status: StepStatus) -> Vec<String> {
    out.events
        .iter()
        .filter_map(|e| match e {
            Event::StepFinished {
                status: s, message, ..
            } if *s == status => Some(message.clone().unwrap_or_default()),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn a_loop_with_no_items_and_the_steps_of_a_skipped_include_are_skipped_by_name() {
    let out = Test::new(
        "name: s\nvars: { kits: [], go: false, part: Bass }\nsteps:\n  - name: \"{{ kits | length }} kits\"\n    tool: ppal-connect\n    loop: kits\n  - include: part.yaml\n    when: go\n  - tool: ppal-connect\n",
    )
    .file(
        "part.yaml",
        "name: p\nsteps:\n  - name: \"Make {{ part }}\"\n    tool: ppal-connect\n  - tool: ppal-connect\n",
    )
    .run()
    .await;
    assert_eq!(out.exit_code, 0, "{}", out.report);
    assert_eq!(out.summary.skipped, 3);
    assert_eq!(out.summary.calls, 1);
    assert_eq!(
        out.steps(),
        [
            ("0 kits".to_owned(), StepStatus::Skipped),
            ("Make Bass".to_owned(), StepStatus::Skipped),
            ("ppal-connect".to_owned(), StepStatus::Skipped),
            ("ppal-connect".to_owned(), StepStatus::Ok),
        ]
    );
    assert_eq!(
        messages(&out, StepStatus::Skipped),
        [
            "the loop has no items",
            "when: go, on `include: part.yaml`",
            "when: go, on `include: part.yaml`"
        ]
    );
}

#[tokio::test]
async fn after_ctrl_c_the_iterations_never_reached_are_reported_as_not_run() {
    let out = Test::new(
        "name: c\nsteps:\n  - tool: ppal-connect\n    loop: range(5)\n  - name: Last\n    tool: ppal-connect\n",
    )
    .cancel_after_calls(2)
    .run()
    .await;
    assert_eq!(out.exit_code, 130);
    let not_run: Vec<String> = out
        .events
        .iter()
        .filter_map(|e| match e {
            Event::StepFinished {
                step,
                status: StepStatus::NotRun,
                ..
            } => Some(match step.iteration {
                Some(it) => format!("{} [{}/{}]", step.name, it.index0 + 1, it.length),
                None => step.name.clone(),
            }),
            _ => None,
        })
        .collect();
    assert_eq!(
        not_run,
        [
            "ppal-connect [3/5]",
            "ppal-connect [4/5]",
            "ppal-connect [5/5]",
            "Last"
        ]
    );
    assert_eq!(out.summary.not_run, 4);
    assert_eq!(out.summary.calls, 2);
}

#[tokio::test]
async fn the_playbook_name_is_rendered_with_the_vars() {
    let out = Test::new(
        "name: \"Set at {{ tempo }} bpm\"\nvars: { tempo: 128 }\nsteps:\n  - tool: ppal-connect\n",
    )
    .run()
    .await;
    let name = out.events.iter().find_map(|e| match e {
        Event::RunStarted { name, .. } => Some(name.clone()),
        _ => None,
    });
    assert_eq!(name.as_deref(), Some("Set at 128 bpm"));
}

#[tokio::test]
async fn a_string_var_sent_as_a_number_is_fixed_in_the_var_or_with_int() {
    let out = Test::new(
        "name: t\nvars: { tempo: \"130\" }\nsteps:\n  - tool: ppal-update-live-set\n    args: { tempo: \"{{ tempo }}\" }\n",
    )
    .run()
    .await;
    // The value depends only on the vars: the check catches it.
    assert_eq!(out.exit_code, 2, "{}", out.report);
    assert!(!out.report.contains("remove the quotes"), "{}", out.report);
    assert_snapshot!(out.report);
}

#[tokio::test]
async fn a_step_with_retries_is_not_told_to_add_retries() {
    let server =
        Arc::new(TestServer::start(|_, _| Answer::status(503, json!({"error": "busy"}))).await);
    let playbook = "name: r\nsteps:\n  - tool: ppal-connect\n    retries: 1\n    retryDelayMs: 1\n";
    // The retries used up.
    let out = Test::new(playbook).server(server.clone()).run().await;
    assert_eq!(out.exit_code, 1);
    assert_eq!(server.requests().len(), 2);
    assert!(!out.report.contains("add `retries:`"), "{}", out.report);
    assert_snapshot!(out.report);
    // Ctrl-C before the retry.
    let out = Test::new(playbook)
        .server(server.clone())
        .cancel_after_calls(1)
        .run()
        .await;
    assert_eq!(out.exit_code, 130);
    assert!(!out.report.contains("add `retries:`"), "{}", out.report);
}

/// A step's name that cannot be rendered fails the step at the name, rather
/// than reporting the written template as if it were the name.
#[tokio::test]
async fn a_name_that_cannot_be_rendered_fails_the_step_at_the_name() {
    let out = Test::new(
        "name: n\nsteps:\n  - id: pads\n    tool: ppal-read-live-set\n    loop: []\n  - tool: ppal-connect\n    name: \"after {{ steps.pads[0].result.tempo }}\"\n  - tool: ppal-connect\n",
    )
    .run()
    .await;
    assert_eq!(out.exit_code, 1, "{}", out.report);
    assert_eq!(out.summary.calls, 0, "nothing is sent for or after it");
    assert_snapshot!(out.report);
}

/// A path rendered at run time that 2.x would refuse is not sent: the step
/// fails at the argument that rendered it.
#[tokio::test]
async fn a_rendered_bad_path_fails_at_its_argument_before_sending() {
    let out = Test::new(
        "name: p\nvars: { slot: \"t1/s\" }\nsteps:\n  - id: c\n    tool: ppal-connect\n  - tool: ppal-create-clip\n    args:\n      path: \"{{ slot if steps.c else 1 }}\"\n      notes: \"C3 1|1\"\n",
    )
    .sim(|o| *o = pplay::sim::SimOptions::for_generation(pplay::sim::Generation::V2_3))
    .run()
    .await;
    assert_eq!(out.exit_code, 1, "{}", out.report);
    assert_eq!(out.summary.calls, 1, "only ppal-connect is sent");
    assert_snapshot!(out.report);
}

/// A batch of 500 clips from a pattern table in `vars`, one pattern bad:
/// the check renders `notes` for every item and refuses the playbook, so
/// not one call reaches the simulator.
#[tokio::test]
async fn a_batch_with_one_bad_pattern_sends_nothing() {
    let mut yaml = String::from("name: batch\nvars:\n  patterns:\n");
    for i in 0..500 {
        let p = if i == 250 {
            "C3 1|1 H2 1|2"
        } else {
            "C3 1|1 E3 1|2"
        };
        yaml.push_str(&format!("    - {{ slot: {i}, notes: \"{p}\" }}\n"));
    }
    yaml.push_str("steps:\n  - tool: ppal-create-track\n    args: { type: midi }\n  - tool: ppal-create-clip\n    loop: \"{{ patterns }}\"\n    args:\n      slot: \"0/{{ item.slot }}\"\n      notes: \"{{ item.notes }}\"\n");
    let out = Test::new(&yaml).run().await;
    assert_eq!(out.exit_code, 2, "{}", out.report);
    assert!(out.sent().is_empty(), "{:?}", out.sent());
    assert!(!out.report.contains("unknown-arg"), "{}", out.report);
    assert!(
        out.report.contains("iteration 251 of 500"),
        "{}",
        out.report
    );
}

/// A `notes` known only once a capture is read is read right after it is
/// rendered: a bad one fails its step unsent, and the run stops there.
#[tokio::test]
async fn notes_from_a_capture_are_read_before_the_call_is_sent() {
    let server = Arc::new(
        TestServer::start(|_, _| Answer::ok(json!({"id": "1", "name": "C3 1|1 H2 1|2"}))).await,
    );
    let out = Test::new(
        "name: c\nsteps:\n  - tool: ppal-create-track\n    args: { type: midi }\n    capture: { pattern: result.name }\n  - tool: ppal-create-clip\n    args: { slot: \"0/0\", notes: \"{{ pattern }}\" }\n",
    )
    .server(server.clone())
    .run()
    .await;
    assert_eq!(out.exit_code, 1, "{}", out.report);
    let sent: Vec<String> = server.requests().into_iter().map(|r| r.tool).collect();
    assert_eq!(sent, ["ppal-create-track"]);
    assert!(out.report.contains("`notes` as rendered"), "{}", out.report);
    assert!(out.report.contains("`H2` is not a pitch"), "{}", out.report);
}
