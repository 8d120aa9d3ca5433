//! The simulator against the REST contract, point by point, over HTTP.

use pplay::sim::{self, SimHandle, SimOptions};
use serde_json::{Value, json};

async fn start(f: impl FnOnce(&mut SimOptions)) -> SimHandle {
    let mut o = SimOptions::default();
    f(&mut o);
    sim::start(o).await.unwrap()
}

async fn post(s: &SimHandle, path: &str, body: &str) -> (u16, Value) {
    let r = reqwest::Client::new()
        .post(format!("{}{path}", s.url()))
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap())
}

#[tokio::test]
async fn lists_the_pinned_catalog() {
    let s = start(|_| {}).await;
    let body: Value = reqwest::get(format!("{}/api/tools", s.url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let names: Vec<&str> = body["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 21);
    assert!(names.contains(&"ppal-raw-live-api"));
    assert_eq!(
        body["tools"][0]["annotations"],
        json!({"readOnlyHint": true, "destructiveHint": false})
    );
}

#[tokio::test]
async fn unknown_tool_is_a_404() {
    let s = start(|_| {}).await;
    let (st, b) = post(&s, "/api/tools/ppal-nope?format=json", "{}").await;
    assert_eq!(
        (st, b),
        (404, json!({"error": "Unknown or disabled tool: ppal-nope"}))
    );
}

#[tokio::test]
async fn format_json_compact_default_and_invalid() {
    let s = start(|_| {}).await;
    let (_, j) = post(&s, "/api/tools/ppal-read-live-set?format=json", "{}").await;
    assert_eq!(j["result"]["tempo"], json!(120.0));
    assert_eq!(j["isError"], json!(false));
    let (_, c) = post(&s, "/api/tools/ppal-read-live-set?format=compact", "{}").await;
    let text = c["result"].as_str().unwrap();
    assert!(
        text.starts_with("{tempo:120.0,timeSignature:\"4/4\""),
        "{text}"
    );
    assert!(!text.contains(' '));
    let (_, d) = post(&s, "/api/tools/ppal-read-live-set", "{}").await;
    assert!(
        d["result"].is_string(),
        "no ?format: the device default (compact)"
    );
    let (st, e) = post(&s, "/api/tools/ppal-read-live-set?format=xml", "{}").await;
    assert_eq!(st, 400);
    assert!(e["error"].as_str().unwrap().contains("format"));

    let sj = start(|o| o.default_format = pplay::protocol::Format::Json).await;
    let (_, d) = post(&sj, "/api/tools/ppal-read-live-set", "{}").await;
    assert!(d["result"].is_object(), "--default-format json");
}

#[tokio::test]
async fn timeout_ms_is_validated() {
    let s = start(|_| {}).await;
    for bad in ["0", "-5", "60001", "abc", "1.5"] {
        let (st, _) = post(
            &s,
            &format!("/api/tools/ppal-connect?timeoutMs={bad}"),
            "{}",
        )
        .await;
        assert_eq!(st, 400, "timeoutMs={bad}");
    }
    let (st, _) = post(
        &s,
        "/api/tools/ppal-connect?timeoutMs=60000&format=json",
        "{}",
    )
    .await;
    assert_eq!(st, 200);
}

#[tokio::test]
async fn a_call_past_its_timeout_answers_is_error() {
    let s = start(|o| o.latency_ms = 200).await;
    let (st, b) = post(
        &s,
        "/api/tools/ppal-create-clip?format=json&timeoutMs=50",
        "{}",
    )
    .await;
    assert_eq!(st, 200);
    assert_eq!(
        b,
        json!({"result": "Tool call 'ppal-create-clip' timed out after 50ms", "isError": true})
    );
}

#[tokio::test]
async fn validation_fills_defaults_drops_unknown_keys_and_coerces() {
    let s = start(|_| {}).await;
    // `include` is required with a default: {} is fine; unknown keys are dropped.
    let (st, _) = post(
        &s,
        "/api/tools/ppal-read-live-set?format=json",
        r#"{"bogus": 1}"#,
    )
    .await;
    assert_eq!(st, 200);
    // "130" is accepted for a number, 12 for a string.
    let (st, b) = post(
        &s,
        "/api/tools/ppal-update-live-set?format=json",
        r#"{"tempo": "130"}"#,
    )
    .await;
    assert_eq!((st, b["result"]["tempo"].clone()), (200, json!(130.0)));
    let (st, b) = post(
        &s,
        "/api/tools/ppal-create-track?format=json",
        r#"{"name": 12}"#,
    )
    .await;
    assert_eq!(st, 200);
    assert_eq!(b["result"]["trackIndex"], json!(0));
    assert_eq!(s.live_set().tracks[0].name, "12");
    // The coercion trap: a missing `ids` becomes the text "undefined" and fails in Live.
    let (st, b) = post(
        &s,
        "/api/tools/ppal-update-track?format=json",
        r#"{"mute": true}"#,
    )
    .await;
    assert_eq!(st, 200);
    assert_eq!(b["isError"], json!(true));
    assert!(b["result"].as_str().unwrap().contains("undefined"));
}

#[tokio::test]
async fn validation_failure_is_a_400_with_zod_details() {
    let s = start(|_| {}).await;
    let (st, b) = post(
        &s,
        "/api/tools/ppal-update-live-set?format=json",
        r#"{"tempo": 5000, "locatorOperation": "move"}"#,
    )
    .await;
    assert_eq!(st, 400);
    assert_eq!(b["error"], json!("Validation failed"));
    let details = b["details"].as_array().unwrap();
    assert_eq!(details.len(), 2);
    for d in details {
        assert!(
            d["code"].is_string() && d["path"].is_array() && d["message"].is_string(),
            "{d}"
        );
    }
    assert!(
        details
            .iter()
            .any(|d| d["path"] == json!(["tempo"]) && d["code"] == json!("too_big"))
    );
    assert!(
        details.iter().any(
            |d| d["path"] == json!(["locatorOperation"]) && d["code"] == json!("invalid_value")
        )
    );
    let (st, _) = post(&s, "/api/tools/ppal-connect?format=json", "not json").await;
    assert_eq!(st, 400);
}

#[tokio::test]
async fn warnings_as_an_array_in_json_and_inline_in_compact() {
    let s = start(|_| {}).await;
    let (_, t) = post(&s, "/api/tools/ppal-create-track?format=json", "{}").await;
    let id = t["result"]["id"].as_str().unwrap().to_owned();
    let body = format!(r#"{{"ids": "{id},99", "mute": true}}"#);
    let (_, j) = post(&s, "/api/tools/ppal-update-track?format=json", &body).await;
    assert_eq!(
        j["warnings"],
        json!(["updateTrack: no track with id \"99\", skipped"])
    );
    let (_, c) = post(&s, "/api/tools/ppal-update-track?format=compact", &body).await;
    assert_eq!(
        c["result"],
        json!(format!(
            "{{id:\"{id}\"}}\nWARNING: updateTrack: no track with id \"99\", skipped"
        ))
    );
    assert!(c.get("warnings").is_none());
}

#[tokio::test]
async fn legacy_ignores_format_and_timeout_and_answers_strings() {
    let s = start(|o| o.legacy = true).await;
    let (st, b) = post(
        &s,
        "/api/tools/ppal-read-live-set?format=bogus&timeoutMs=0",
        "{}",
    )
    .await;
    assert_eq!(st, 200);
    assert!(b["result"].is_string());
    let parsed = pplay::client::parse_result_text(b["result"].as_str().unwrap());
    assert_eq!(parsed["timeSignature"], json!("4/4"));
}

#[tokio::test]
async fn fail_tool_and_disable_tool() {
    let s = start(|o| {
        o.fail_tools = vec!["ppal-connect".into()];
        o.disable_tools = vec!["ppal-playback".into()];
    })
    .await;
    let (st, b) = post(&s, "/api/tools/ppal-connect?format=json", "{}").await;
    assert_eq!((st, b["isError"].clone()), (200, json!(true)));
    let (st, _) = post(
        &s,
        "/api/tools/ppal-playback?format=json",
        r#"{"action": "stop"}"#,
    )
    .await;
    assert_eq!(st, 404);
    let body: Value = reqwest::get(format!("{}/api/tools", s.url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        !body["tools"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["name"] == "ppal-playback")
    );
}

#[tokio::test]
async fn latency_delays_each_call() {
    let s = start(|o| o.latency_ms = 120).await;
    let t0 = std::time::Instant::now();
    let (st, _) = post(&s, "/api/tools/ppal-connect?format=json", "{}").await;
    assert_eq!(st, 200);
    assert!(t0.elapsed() >= std::time::Duration::from_millis(120));
}

#[tokio::test]
async fn a_stateful_live_set() {
    let s = start(|_| {}).await;
    let (_, a) = post(
        &s,
        "/api/tools/ppal-create-track?format=json",
        r#"{"name": "Kick"}"#,
    )
    .await;
    let (_, b) = post(
        &s,
        "/api/tools/ppal-create-track?format=json",
        r#"{"type": "return", "name": "C-Verb"}"#,
    )
    .await;
    assert!(a["result"]["id"].is_string());
    assert_eq!(a["result"]["trackIndex"], json!(0));
    assert_eq!(b["result"]["returnTrackIndex"], json!(2));
    let (_, c) = post(
        &s,
        "/api/tools/ppal-create-clip?format=json",
        r#"{"slot": "0/1", "notes": "C1 1|1 1|2 1|3 1|4", "length": "1:0"}"#,
    )
    .await;
    assert_eq!(c["result"]["noteCount"], json!(4));
    let clip_id = c["result"]["id"].as_str().unwrap().to_owned();
    let (_, r) = post(
        &s,
        "/api/tools/ppal-read-clip?format=json",
        r#"{"slot": "0/1", "include": ["notes"]}"#,
    )
    .await;
    assert_eq!(r["result"]["id"], json!(clip_id));
    assert_eq!(r["result"]["notes"], json!("C1 1|1 1|2 1|3 1|4"));
    let (_, t) = post(
        &s,
        "/api/tools/ppal-read-track?format=json",
        r#"{"trackIndex": 0, "include": ["session-clips"]}"#,
    )
    .await;
    assert_eq!(t["result"]["sessionClips"][0]["slot"], json!("0/1"));
    let (_, set) = post(
        &s,
        "/api/tools/ppal-read-live-set?format=json",
        r#"{"include": ["tracks", "scenes"]}"#,
    )
    .await;
    assert_eq!(set["result"]["trackCount"], json!(1));
    assert_eq!(set["result"]["scenes"].as_array().unwrap().len(), 8);
    // Devices by name and path, duplicate, delete, playback, select.
    let (_, d) = post(
        &s,
        "/api/tools/ppal-create-device?format=json",
        r#"{"deviceName": "Drift", "path": "t0"}"#,
    )
    .await;
    assert_eq!(d["result"]["path"], json!("t0/d0"));
    let (_, dup) = post(
        &s,
        "/api/tools/ppal-duplicate?format=json",
        &format!(
            r#"{{"id": "{}", "type": "track"}}"#,
            a["result"]["id"].as_str().unwrap()
        ),
    )
    .await;
    assert_eq!(dup["result"]["trackIndex"], json!(1));
    assert_eq!(s.live_set().tracks[1].devices.len(), 1);
    let (_, del) = post(
        &s,
        "/api/tools/ppal-delete?format=json",
        &format!(r#"{{"ids": "{clip_id}", "type": "clip"}}"#),
    )
    .await;
    assert_eq!(del["result"]["deleted"], json!(true));
    let (_, p) = post(
        &s,
        "/api/tools/ppal-playback?format=json",
        r#"{"action": "play-scene", "sceneIndex": 0}"#,
    )
    .await;
    assert_eq!(p["result"]["isPlaying"], json!(true));
    let (_, sel) = post(
        &s,
        "/api/tools/ppal-select?format=json",
        r#"{"view": "arrangement"}"#,
    )
    .await;
    assert_eq!(sel["result"]["view"], json!("arrangement"));
    let (_, ls) = post(&s, "/api/tools/ppal-update-live-set?format=json", r#"{"tempo": 99, "scale": "D Minor", "locatorOperation": "create", "locatorTime": "9|1", "locatorName": "Drop"}"#).await;
    assert_eq!(ls["result"]["scale"], json!("D Minor"));
    assert_eq!(s.live_set().locators[0].name, "Drop");
}

#[tokio::test]
async fn bad_references_answer_is_error_with_a_clear_text() {
    let s = start(|_| {}).await;
    for (tool, body, text) in [
        (
            "ppal-read-clip",
            r#"{"slot": "0/0"}"#,
            "Track index 0 is out of range",
        ),
        (
            "ppal-read-track",
            r#"{"trackId": "404"}"#,
            "No track with id 404",
        ),
        (
            "ppal-delete",
            r#"{"ids": "404", "type": "scene"}"#,
            "nothing of type scene matched",
        ),
        (
            "ppal-create-device",
            r#"{"deviceName": "Moog", "path": "t0"}"#,
            "Unknown device 'Moog'",
        ),
    ] {
        let (st, b) = post(&s, &format!("/api/tools/{tool}?format=json"), body).await;
        assert_eq!((st, b["isError"].clone()), (200, json!(true)), "{tool}");
        assert!(b["result"].as_str().unwrap().contains(text), "{tool}: {b}");
    }
    // A count the simulator will not allocate.
    let (st, b) = post(
        &s,
        "/api/tools/ppal-create-track?format=json",
        r#"{"count": 1000000000}"#,
    )
    .await;
    assert_eq!((st, b["isError"].clone()), (200, json!(true)));
    // An empty slot in an existing track.
    post(&s, "/api/tools/ppal-create-track?format=json", "{}").await;
    let (_, b) = post(
        &s,
        "/api/tools/ppal-read-clip?format=json",
        r#"{"slot": "0/3"}"#,
    )
    .await;
    assert_eq!(b["result"], json!("No clip in slot 0/3"));
}

#[tokio::test]
async fn serves_another_catalog() {
    let catalog = json!({"tools": [{"name": "x-tool", "title": "X", "inputSchema": {"type": "object", "properties": {}}}]});
    let s = start(|o| o.catalog = catalog).await;
    let (st, b) = post(&s, "/api/tools/x-tool?format=json", "{}").await;
    assert_eq!(
        st, 200,
        "a tool outside the model answers a plausible success"
    );
    assert_eq!(b["isError"], json!(false));
}

/// 1.4 reads notes as Producer Pal 1.4.6 does: repeats and bar copies count,
/// read-clip answers them in 1.4 notation, and a bad string is its tool error.
#[tokio::test]
async fn notes_are_interpreted_as_producer_pal_1_4_does() {
    let s = start(|_| {}).await;
    post(
        &s,
        "/api/tools/ppal-create-track?format=json",
        r#"{"name": "Drums"}"#,
    )
    .await;
    let (_, c) = post(
        &s,
        "/api/tools/ppal-create-clip?format=json",
        r#"{"slot": "0/0", "notes": "t0.5 C1 1|1x4@1 D1 1|2 @2=1", "timeSignature": "4/4"}"#,
    )
    .await;
    assert_eq!(c["result"]["noteCount"], json!(10));
    let (_, r) = post(
        &s,
        "/api/tools/ppal-read-clip?format=json",
        r#"{"slot": "0/0", "include": ["notes"]}"#,
    )
    .await;
    assert_eq!(
        r["result"]["notes"],
        json!("t0.5 C1 1|1 1|2 1|3 1|4 D1 1|2 C1 2|1 2|2 2|3 2|4 D1 2|2")
    );
    let (st, e) = post(
        &s,
        "/api/tools/ppal-create-clip?format=json",
        r#"{"slot": "0/1", "notes": "C1 1|1 H2 1|2"}"#,
    )
    .await;
    assert_eq!(
        (st, e),
        (
            200,
            json!({"isError": true, "result": "Error executing tool 'ppal-create-clip': bar|beat syntax error at position 7 (line 1, column 8): Expected bar copy operation, time position, probability value, velocity value, duration value but \"H\" found"})
        )
    );
    assert!(
        s.live_set().tracks[0].slots[1].is_none(),
        "a refused clip is not made"
    );
}

/// 1.4 reads a track's sends under `mixer` with the return's name (no id),
/// in the live set's track list too, and sets one by letter or name.
#[tokio::test]
async fn sends_are_kept_and_read_under_mixer_on_1_4() {
    let s = start(|_| {}).await;
    let call = |tool: &str, body: Value| {
        let (s, tool) = (&s, tool.to_owned());
        async move {
            let (st, b) = post(
                s,
                &format!("/api/tools/{tool}?format=json"),
                &body.to_string(),
            )
            .await;
            assert_eq!(st, 200, "{b}");
            let text = b["result"].as_str().unwrap_or_default().to_owned();
            serde_json::from_str::<Value>(&text).unwrap_or(b["result"].clone())
        }
    };
    let made = call("ppal-create-track", json!({"name": "Pad"})).await;
    let id = made["id"].as_str().unwrap().to_owned();
    call(
        "ppal-update-track",
        json!({"ids": id, "sendReturn": "B-Delay", "sendGainDb": -18, "gainDb": -3}),
    )
    .await;
    let set = call(
        "ppal-read-live-set",
        json!({"include": ["tracks", "mixer"]}),
    )
    .await;
    let track = &set["tracks"][0];
    assert_eq!(track["gainDb"], json!(-3.0), "{set}");
    assert_eq!(
        track["sends"],
        json!([{"gainDb": -70.0, "return": "A-Reverb"}, {"gainDb": -18.0, "return": "B-Delay"}])
    );
    let read = call("ppal-read-track", json!({"trackIndex": 0, "include": []})).await;
    assert!(read.get("sends").is_none(), "{read}");
}
