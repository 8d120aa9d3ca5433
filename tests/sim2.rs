//! The Producer Pal 2.3 simulator against the REST contract, point by
//! point, over HTTP; and against 2.3.0's own validation verdicts when
//! `../shared/producer-pal/validation-2.3.0.jsonl` is there.

mod common;

use common::cmd::Test;
use pplay::sim::{self, Generation, SimHandle, SimOptions};
use serde_json::{Value, json};

async fn start(f: impl FnOnce(&mut SimOptions)) -> SimHandle {
    let mut o = SimOptions::for_generation(Generation::V2_3);
    f(&mut o);
    sim::start(o).await.unwrap()
}

async fn send(s: &SimHandle, path: &str, headers: &[(&str, &str)], body: &str) -> (u16, Value) {
    let mut req = reqwest::Client::new()
        .post(format!("{}{path}", s.url()))
        .header("content-type", "application/json")
        .body(body.to_owned());
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap())
}

/// Calls a tool with no `?format` (2.3's default is JSON).
async fn call(s: &SimHandle, tool: &str, body: Value) -> (u16, Value) {
    send(s, &format!("/api/tools/{tool}"), &[], &body.to_string()).await
}

/// Calls a tool that must succeed; answers its result.
async fn ok(s: &SimHandle, tool: &str, body: Value) -> Value {
    let (st, b) = call(s, tool, body.clone()).await;
    assert_eq!(st, 200, "{tool} {body}: {b}");
    assert_eq!(b["isError"], json!(false), "{tool} {body}: {b}");
    b["result"].clone()
}

async fn tool_names(s: &SimHandle, headers: &[(&str, &str)]) -> (u16, Vec<String>, Value) {
    let mut req = reqwest::Client::new().get(format!("{}/api/tools", s.url()));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    let body: Value = r.json().await.unwrap();
    let names = body["tools"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|t| t["name"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default();
    (status, names, body)
}

/// Every key anywhere in a value.
fn keys(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                out.push(k.clone());
                keys(x, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|x| keys(x, out)),
        _ => {}
    }
}

#[tokio::test]
async fn lists_the_pinned_2_3_catalog_and_the_live_api_tool_only_on_request() {
    let s = start(|_| {}).await;
    let (st, names, body) = tool_names(&s, &[]).await;
    assert_eq!(st, 200);
    assert_eq!(names.len(), 21);
    assert!(names.contains(&"ppal-library".to_owned()));
    assert!(!names.iter().any(|n| n.contains("live-api")), "{names:?}");
    assert_eq!(
        body["tools"][0]["annotations"],
        json!({"readOnlyHint": true, "destructiveHint": false})
    );
    let (_, on, _) = tool_names(&s, &[("x-producer-pal-live-api", "true")]).await;
    assert_eq!(on.len(), 22);
    assert_eq!(on.last().unwrap(), "ppal-live-api");
    let body = r#"{"operations": [{"type": "get", "property": "tempo"}]}"#;
    let (st, b) = send(&s, "/api/tools/ppal-live-api", &[], body).await;
    assert_eq!(
        (st, b),
        (
            404,
            json!({"error": "Unknown or disabled tool: ppal-live-api"})
        )
    );
    let on = [("x-producer-pal-live-api", "true")];
    let (st, b) = send(&s, "/api/tools/ppal-live-api", &on, body).await;
    assert_eq!(st, 200);
    assert_eq!(b["result"]["results"][0]["value"], json!(120.0));
    let off = [("x-producer-pal-live-api", "false")];
    let (st, _) = send(&s, "/api/tools/ppal-live-api", &off, body).await;
    assert_eq!(st, 404);
}

#[tokio::test]
async fn profile_headers_disable_tools_shrink_the_catalog_and_pick_a_notation() {
    let s = start(|_| {}).await;
    let h = [(
        "x-producer-pal-disabled-tools",
        "ppal-playback, ppal-library",
    )];
    let (_, names, _) = tool_names(&s, &h).await;
    assert_eq!(names.len(), 19);
    assert!(!names.contains(&"ppal-playback".to_owned()));
    let (st, _) = send(&s, "/api/tools/ppal-playback", &h, r#"{"action": "stop"}"#).await;
    assert_eq!(st, 404);
    let (st, _) = send(&s, "/api/tools/ppal-playback", &[], r#"{"action": "stop"}"#).await;
    assert_eq!(st, 200, "without the header the tool is there");

    let small = [("x-producer-pal-small-model-mode", "true")];
    let (_, names, body) = tool_names(&s, &small).await;
    assert_eq!(names.len(), 21);
    let (_, _, full) = tool_names(&s, &[]).await;
    let size = |v: &Value| v.to_string().len();
    assert!(size(&body) < size(&full) / 2, "a smaller catalog");
    let props = &body["tools"][2]["inputSchema"]["properties"]["include"];
    assert!(props.get("description").is_none() && props["items"].get("enum").is_some());
    // Still validated against the full schema.
    let (st, _) = send(
        &s,
        "/api/tools/ppal-update-live-set",
        &small,
        r#"{"tempo": 5000}"#,
    )
    .await;
    assert_eq!(st, 400);

    ok(&s, "ppal-create-track", json!({})).await;
    let midi = [("x-producer-pal-notation", "midi-json")];
    let notes = json!([{"pitch": 60, "start": 0}, {"pitch": 64, "start": 1}]).to_string();
    let body = json!({"path": "t0/s0", "notes": notes}).to_string();
    let (st, b) = send(&s, "/api/tools/ppal-create-clip", &midi, &body).await;
    assert_eq!((st, b["result"]["noteCount"].clone()), (200, json!(2)));

    for (k, v) in [
        ("x-producer-pal-notation", "abc"),
        ("x-producer-pal-live-api", "yes"),
        ("x-producer-pal-small-model-mode", "1"),
    ] {
        let (st, b) = send(&s, "/api/tools/ppal-connect", &[(k, v)], "{}").await;
        assert_eq!(st, 400, "{k}: {v}");
        assert!(b["error"].as_str().unwrap().contains(k), "{b}");
        let (st, _, _) = tool_names(&s, &[(k, v)]).await;
        assert_eq!(st, 400, "GET with {k}: {v}");
    }
}

#[tokio::test]
async fn json_by_default_compact_on_request_and_appended_blocks() {
    let s = start(|_| {}).await;
    let (st, b) = call(&s, "ppal-read-live-set", json!({})).await;
    assert_eq!(st, 200);
    assert_eq!(b["result"]["tempo"], json!(120.0));
    let (_, c) = send(
        &s,
        "/api/tools/ppal-read-live-set?format=compact",
        &[],
        "{}",
    )
    .await;
    assert!(
        c["result"]
            .as_str()
            .unwrap()
            .starts_with("{tempo:120.0,timeSignature:\"4/4\"")
    );
    let (st, e) = send(&s, "/api/tools/ppal-read-live-set?format=xml", &[], "{}").await;
    assert_eq!(st, 400);
    assert!(e["error"].as_str().unwrap().contains("format"));
    let (_, b) = call(&s, "ppal-connect", json!({})).await;
    assert_eq!(b["result"]["producerPalVersion"], json!("2.3.0"));
    let appended = b["appended"].as_array().unwrap();
    assert_eq!(appended.len(), 1);
    assert!(appended[0].as_str().unwrap().contains("Simulated"));
    let (_, b) = call(&s, "ppal-read-live-set", json!({})).await;
    assert!(b.get("appended").is_none() && b.get("warnings").is_none());
}

#[tokio::test]
async fn timeout_ms_goes_up_to_55000() {
    let s = start(|_| {}).await;
    for bad in ["0", "-5", "55001", "60000", "abc", "1.5", ""] {
        let (st, b) = send(
            &s,
            &format!("/api/tools/ppal-connect?timeoutMs={bad}"),
            &[],
            "{}",
        )
        .await;
        assert_eq!(st, 400, "timeoutMs={bad}");
        assert!(b["error"].as_str().unwrap().contains("55000"), "{b}");
    }
    let (st, _) = send(&s, "/api/tools/ppal-connect?timeoutMs=55000", &[], "{}").await;
    assert_eq!(st, 200);
}

#[tokio::test]
async fn a_call_past_its_timeout_is_a_504_and_may_still_happen() {
    let s = start(|o| o.latency_ms = 200).await;
    let (st, b) = send(
        &s,
        "/api/tools/ppal-create-track?timeoutMs=50",
        &[],
        r#"{"name": "Late"}"#,
    )
    .await;
    assert_eq!(st, 504);
    assert_eq!(
        b,
        json!({"error": "Tool call 'ppal-create-track' timed out after 50ms", "errorCode": "timeout"})
    );
    let set = s.live_set();
    assert_eq!(
        set.tracks.len(),
        1,
        "Live carried the call out: a re-send makes a second track"
    );
    assert_eq!(set.tracks[0].name, "Late");
}

#[tokio::test]
async fn nulls_are_dropped_blanks_refused_and_types_strict() {
    let s = start(|_| {}).await;
    let r = ok(
        &s,
        "ppal-create-track",
        json!({"name": null, "color": null}),
    )
    .await;
    assert_eq!(r["path"], json!("t0"));
    // A required value sent as null is missing.
    let (st, b) = call(&s, "ppal-playback", json!({"action": null})).await;
    assert_eq!(st, 400);
    assert_eq!(b["error"], json!("Validation failed"));
    for blank in ["", "   "] {
        let (st, b) = call(&s, "ppal-read-track", json!({"path": blank})).await;
        assert_eq!(st, 400, "{blank:?}");
        assert_eq!(b["details"][0]["path"], json!(["path"]));
        let (st, _) = call(
            &s,
            "ppal-playback",
            json!({"action": "play-arrangement", "startTime": blank}),
        )
        .await;
        assert_eq!(st, 400);
    }
    // Blank is a value for a name.
    ok(&s, "ppal-update-track", json!({"path": "t0", "name": ""})).await;
    // 2.3.0's coercions, field by field: a numeric string for `count`, a
    // number for `path`; not for a name or a tempo.
    let r = ok(&s, "ppal-create-track", json!({"count": "2"})).await;
    assert_eq!(r[1]["path"], json!("t2"), "{r}");
    let (st, b) = call(&s, "ppal-read-track", json!({"path": 1})).await;
    assert_eq!(st, 200, "{b}");
    assert_eq!(b["isError"], json!(true), "`1` is no path: {b}");
    for (tool, body) in [
        ("ppal-update-live-set", json!({"tempo": "130"})),
        ("ppal-create-track", json!({"name": 12})),
        ("ppal-create-track", json!({"count": "two"})),
        ("ppal-create-track", json!({"count": 2.5})),
    ] {
        let (st, b) = call(&s, tool, body.clone()).await;
        assert_eq!(st, 400, "{tool} {body}");
        let d = &b["details"][0];
        assert!(d["code"].is_string() && d["path"].is_array() && d["message"].is_string());
    }
    // Unknown keys are dropped; defaults filled in.
    let r = ok(&s, "ppal-read-live-set", json!({"bogus": 1})).await;
    assert_eq!(r["trackCount"], json!(3));
}

#[tokio::test]
async fn hidden_parameters_work_with_a_warning_naming_the_replacement() {
    let s = start(|_| {}).await;
    ok(&s, "ppal-create-track", json!({"name": "Kick"})).await;
    let (st, b) = call(
        &s,
        "ppal-create-clip",
        json!({"slot": "0/1", "notes": "C1 1|1 1|2"}),
    )
    .await;
    assert_eq!(st, 200, "{b}");
    assert_eq!(b["result"]["path"], json!("t0/s1"));
    assert_eq!(
        b["warnings"],
        json!([
            "slot is deprecated; still accepted, to be removed in a later release: use path (here path: \"t0/s1\")"
        ])
    );
    let (_, b) = call(
        &s,
        "ppal-read-track",
        json!({"trackIndex": 0, "include": ["session-clips"]}),
    )
    .await;
    assert_eq!(b["result"]["name"], json!("Kick"));
    assert!(b["warnings"][0].as_str().unwrap().contains("use path"));
    let id = b["result"]["id"].as_str().unwrap().to_owned();
    let (_, b) = call(&s, "ppal-update-track", json!({"ids": id, "mute": true})).await;
    assert_eq!(b["result"]["path"], json!("t0"));
    assert_eq!(
        b["warnings"][0],
        json!(format!("ids is another name for id (here id: \"{id}\")"))
    );
    // Arrangement start and take lane fold into the path.
    let (_, b) = call(
        &s,
        "ppal-create-clip",
        json!({"trackIndex": 0, "arrangementStart": "5|1", "takeLane": "new"}),
    )
    .await;
    assert_eq!(b["result"]["path"], json!("t0/l0[5|1]"), "{b}");
    assert_eq!(b["warnings"].as_array().unwrap().len(), 3);
    // Compact answers keep them inline.
    let (_, c) = send(
        &s,
        "/api/tools/ppal-read-scene?format=compact",
        &[],
        r#"{"sceneIndex": 1}"#,
    )
    .await;
    let text = c["result"].as_str().unwrap();
    assert!(
        text.contains("\nWARNING: sceneIndex is deprecated"),
        "{text}"
    );
    // A hidden parameter that cannot be read is a 400 at its name.
    let (st, b) = call(&s, "ppal-read-track", json!({"trackIndex": "two"})).await;
    assert_eq!(st, 400);
    assert_eq!(b["details"][0]["path"], json!(["trackIndex"]));
}

#[tokio::test]
async fn the_path_grammar_through_the_live_set() {
    let s = start(|_| {}).await;
    assert_eq!(
        ok(&s, "ppal-create-track", json!({"name": "Bass"})).await["path"],
        json!("t0")
    );
    let kick = ok(
        &s,
        "ppal-create-track",
        json!({"path": "t0", "name": "Kick"}),
    )
    .await;
    assert_eq!(kick["path"], json!("t0"), "inserted before Bass");
    let two = ok(
        &s,
        "ppal-create-track",
        json!({"path": "t+", "count": 2, "name": "Pad,Lead", "type": "audio"}),
    )
    .await;
    assert_eq!(two[1]["path"], json!("t3"));
    let ret = ok(
        &s,
        "ppal-create-track",
        json!({"path": "rt+", "name": "C-Verb"}),
    )
    .await;
    assert_eq!(ret["path"], json!("rt2"));
    let sc = ok(
        &s,
        "ppal-create-scene",
        json!({"path": "s1", "name": "Intro"}),
    )
    .await;
    assert_eq!(sc["path"], json!("s1"));
    assert_eq!(
        ok(&s, "ppal-read-scene", json!({"path": "s1"})).await["name"],
        json!("Intro")
    );

    let clips = ok(
        &s,
        "ppal-create-clip",
        json!({"path": "t0/s0,t1/s0", "notes": "C1 1|1 1|3"}),
    )
    .await;
    assert_eq!(clips[0]["path"], json!("t0/s0"));
    assert_eq!(clips[1]["path"], json!("t1/s0"));
    assert_eq!(clips[1]["noteCount"], json!(2));
    let arr = ok(&s, "ppal-create-clip", json!({"path": "t1[5|1]"})).await;
    assert_eq!(arr["path"], json!("t1[5|1]"));
    let lane = ok(
        &s,
        "ppal-create-clip",
        json!({"path": "t1/l+[9|1]", "takeLaneName": "Take A"}),
    )
    .await;
    assert_eq!(lane["path"], json!("t1/l0[9|1]"));
    assert_eq!(s.live_set().tracks[1].take_lanes, vec!["Take A".to_owned()]);
    let read = ok(&s, "ppal-read-clip", json!({"path": "t1/l0[9|1]"})).await;
    assert_eq!(read["id"], lane["id"]);
    let both = ok(&s, "ppal-read-clip", json!({"path": "t0/s0,t1[5|1]"})).await;
    assert_eq!(both[1]["id"], arr["id"]);

    let dev = ok(
        &s,
        "ppal-create-device",
        json!({"deviceName": "Drift", "path": "t1"}),
    )
    .await;
    assert_eq!(dev["path"], json!("t1/d0"));
    assert_eq!(
        ok(&s, "ppal-read-device", json!({"path": "t1/d0"})).await["id"],
        dev["id"]
    );
    let on_main = ok(
        &s,
        "ppal-create-device",
        json!({"deviceName": "Limiter", "path": "mt"}),
    )
    .await;
    assert_eq!(on_main["path"], json!("mt/d0"));
    let main = ok(
        &s,
        "ppal-read-track",
        json!({"path": "mt", "include": ["devices"]}),
    )
    .await;
    assert_eq!(main["path"], json!("mt"));
    assert!(
        main.get("type").is_none(),
        "type is for regular tracks only"
    );
    assert_eq!(main["devices"][0]["path"], json!("mt/d0"));
    let rt = ok(&s, "ppal-read-track", json!({"path": "rt2"})).await;
    assert_eq!(rt["name"], json!("C-Verb"));

    ok(
        &s,
        "ppal-update-live-set",
        json!({"locatorOperation": "create", "locatorTime": "17|1", "locatorName": "Drop"}),
    )
    .await;
    let copy = ok(
        &s,
        "ppal-duplicate",
        json!({"type": "clip", "path": "t1[5|1]", "toPath": "[loc:Drop]"}),
    )
    .await;
    assert_eq!(copy["path"], json!("t1[17|1]"));
    let p = ok(
        &s,
        "ppal-playback",
        json!({"action": "play-arrangement", "startTime": "loc:Drop"}),
    )
    .await;
    assert_eq!(p["startTime"], json!("17|1"));

    // Bad paths and missing objects are tool errors with the reason.
    for (tool, body, text) in [
        (
            "ppal-read-track",
            json!({"path": "t9"}),
            "there is no track t9",
        ),
        (
            "ppal-read-track",
            json!({"path": "0/1"}),
            "invalid path '0/1'",
        ),
        (
            "ppal-read-clip",
            json!({"path": "t0/s5"}),
            "no clip at t0/s5",
        ),
        (
            "ppal-create-clip",
            json!({"path": "t0/s0"}),
            "t0/s0 already has a clip",
        ),
        (
            "ppal-create-clip",
            json!({"path": "rt0/l+[1|1]"}),
            "clips live on regular tracks",
        ),
        (
            "ppal-playback",
            json!({"action": "play-arrangement", "startTime": "loc:Nope"}),
            "no locator named 'Nope'",
        ),
    ] {
        let (st, b) = call(&s, tool, body.clone()).await;
        assert_eq!(
            (st, b["isError"].clone()),
            (200, json!(true)),
            "{tool} {body}"
        );
        let text_got = b["result"].as_str().unwrap();
        assert!(text_got.starts_with("Error: "), "{text_got}");
        assert!(text_got.contains(text), "{tool} {body}: {text_got}");
    }
}

#[tokio::test]
async fn results_are_shaped_as_2_3s() {
    let s = start(|_| {}).await;
    let t = ok(&s, "ppal-create-track", json!({"name": "Keys"})).await;
    assert_eq!(t.as_object().unwrap().len(), 2, "{t}");
    assert!(t["id"].is_string() && t["path"] == json!("t0"));
    ok(
        &s,
        "ppal-create-clip",
        json!({"path": "t0/s0,t0[3|1]", "notes": "C3 1|1"}),
    )
    .await;
    ok(&s, "ppal-update-live-set", json!({"scale": "F# Dorian"})).await;
    let set = ok(&s, "ppal-read-live-set", json!({"include": ["*"]})).await;
    assert_eq!(set["scale"], json!("Gb Dorian"), "Live's own spelling");
    assert_eq!(set["mainTrack"]["path"], json!("mt"));
    assert_eq!(set["returnTracks"][0]["path"], json!("rt0"));
    assert!(set["returnTracks"][0].get("type").is_none());
    assert_eq!(set["scenes"][3]["path"], json!("s3"));
    let track = ok(
        &s,
        "ppal-read-track",
        json!({"path": "t0", "include": ["*"]}),
    )
    .await;
    assert_eq!(track["sessionClips"][0]["path"], json!("t0/s0"));
    assert_eq!(track["arrangementClips"][0]["path"], json!("t0[3|1]"));
    let mut all = Vec::new();
    keys(&set, &mut all);
    keys(&track, &mut all);
    for gone in [
        "trackIndex",
        "returnTrackIndex",
        "sceneIndex",
        "arrangementStart",
        "masterTrack",
        "slot",
    ] {
        assert!(
            !all.contains(&gone.to_owned()),
            "{gone} is gone from 2.3 results"
        );
    }

    let p = ok(
        &s,
        "ppal-playback",
        json!({"action": "play-scene", "path": "s2", "loop": true, "loopStart": "5|1", "loopEnd": "9|1"}),
    )
    .await;
    let scene_id = s.live_set().scenes[2].id.clone();
    assert_eq!(
        p,
        json!({"isPlaying": true, "startTime": "1|1", "loop": true, "loopStart": "5|1",
               "loopEnd": "9|1", "scene": {"id": scene_id, "path": "s2", "name": ""}})
    );

    let dup = ok(
        &s,
        "ppal-duplicate",
        json!({"type": "clip", "path": "t0/s0", "toPath": "t0/s1,t0/s0"}),
    )
    .await;
    assert!(dup[0]["id"].is_string());
    assert_eq!(dup[0]["path"], json!("t0/s1"));
    assert_eq!(dup[1], json!({"path": "t0/s0", "overwritten": true}));
    let tracks = ok(
        &s,
        "ppal-duplicate",
        json!({"type": "track", "path": "t0", "count": 2}),
    )
    .await;
    assert_eq!(tracks[1]["path"], json!("t2"));
    assert_eq!(tracks[1].as_object().unwrap().len(), 2);

    // Several deletions by index mean what they meant when the call was made.
    let ids: Vec<String> = s.live_set().tracks.iter().map(|t| t.id.clone()).collect();
    let del = ok(&s, "ppal-delete", json!({"type": "track", "path": "t0,t2"})).await;
    assert_eq!(
        del,
        json!([
            {"id": ids[0], "type": "track", "deleted": true, "deletedPath": "t0"},
            {"id": ids[2], "type": "track", "deleted": true, "deletedPath": "t2"}
        ])
    );
    assert_eq!(s.live_set().tracks.len(), 1);
    assert_eq!(s.live_set().tracks[0].id, ids[1]);
}

#[tokio::test]
async fn fail_and_disable_options_apply_to_2_3_too() {
    let s = start(|o| {
        o.fail_tools = vec!["ppal-connect".into()];
        o.disable_tools = vec!["ppal-playback".into()];
    })
    .await;
    let (st, b) = call(&s, "ppal-connect", json!({})).await;
    assert_eq!((st, b["isError"].clone()), (200, json!(true)));
    let (st, _) = call(&s, "ppal-playback", json!({"action": "stop"})).await;
    assert_eq!(st, 404);
    let (_, names, _) = tool_names(&s, &[]).await;
    assert_eq!(names.len(), 20);
}

#[tokio::test]
async fn pplay_sim_serves_2_3_when_asked() {
    let sim = common::SimProcess::start(&["--producer-pal", "2.3"]);
    let client = reqwest::Client::new();
    let tools: Value = client
        .get(format!("{}/api/tools", sim.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let names: Vec<&str> = tools["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"ppal-library") && !names.contains(&"ppal-raw-live-api"));
    let r: Value = client
        .post(format!("{}/api/tools/ppal-create-track", sim.url))
        .json(&json!({"path": "t+"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["result"]["path"], json!("t0"), "JSON by default: {r}");
    let r = client
        .post(format!(
            "{}/api/tools/ppal-connect?timeoutMs=60000",
            sim.url
        ))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
}

/// 2.3.0's own verdict on 743 argument objects: where it refuses (400),
/// the simulator refuses too; where it accepts, the simulator accepts
/// every body that follows the published schema, and, modelling 2.3.0's
/// coercions, agrees with at least 95% of all verdicts. A body accepted
/// only through a coercion is still refused by pplay's own check, which
/// follows the published schema.
#[tokio::test]
async fn agrees_with_2_3_0_validation() {
    let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/producer-pal/validation-2.3.0.jsonl");
    let Ok(text) = std::fs::read_to_string(&file) else {
        common::say(
            "sim2",
            &format!(
                "SKIPPED: {} is not there; the 2.3 simulator was not compared with 2.3.0's validation",
                file.display()
            ),
        );
        return;
    };
    let s = start(|_| {}).await;
    let catalog =
        pplay::catalog::Catalog::from_value(SimOptions::for_generation(Generation::V2_3).catalog)
            .unwrap();
    let (mut refused, mut accepted, mut agree, mut coerced) = (0, 0, 0, 0);
    for (n, line) in text.lines().enumerate() {
        let case: Value = serde_json::from_str(line).unwrap();
        let tool = case["tool"].as_str().unwrap();
        let args = &case["args"];
        let (st, b) = call(&s, tool, args.clone()).await;
        assert!(
            st == 200 || st == 400,
            "line {}: {tool} {args}: {st} {b}",
            n + 1
        );
        if case["status"] == json!(st) {
            agree += 1;
        }
        if case["status"] == json!(400) {
            assert_eq!(
                st,
                400,
                "line {}: 2.3.0 refuses {tool} {args}; the simulator answered {b}",
                n + 1
            );
            refused += 1;
        } else if follows_schema(&catalog, tool, args) {
            assert_eq!(
                st,
                200,
                "line {}: {tool} {args} follows the schema: {b}",
                n + 1
            );
            accepted += 1;
        } else if st == 200 {
            // pplay's check sends none of these: the schema refuses them.
            coerced += 1;
        }
    }
    let total = text.lines().count();
    common::say(
        "sim2",
        &format!(
            "the 2.3 simulator agrees with 2.3.0's validation on {agree} of {total} argument objects ({:.1}%); {coerced} pass only through a coercion, which pplay's check refuses",
            agree as f64 * 100.0 / total as f64
        ),
    );
    assert!(
        refused > 0 && accepted > 300 && coerced > 0,
        "{refused} refused, {accepted} accepted, {coerced} coerced"
    );
    assert!(
        agree * 100 >= total * 95,
        "{agree} of {total} verdicts agree: under 95%"
    );
}

/// Whether the args, nulls dropped, pass the published schema (with
/// defaulted properties optional, as the server fills them in).
fn follows_schema(catalog: &pplay::catalog::Catalog, tool: &str, args: &Value) -> bool {
    let mut args = args.as_object().unwrap().clone();
    args.retain(|_, v| !v.is_null());
    let t = catalog.get(tool).unwrap();
    let props = t.input_schema["properties"].as_object().unwrap();
    args.retain(|k, _| props.contains_key(k));
    t.is_valid(&Value::Object(args))
}

const TWO_X_PLAYBOOK: &str = r#"name: Two
steps:
  - tool: ppal-create-track
    args: { name: Kick }
    capture: { kick: result.path }
  - tool: ppal-create-clip
    args: { path: "{{ kick }}/s0", notes: C1 1|1 1|2 }
    expect: "result.path == kick ~ '/s0'"
  - tool: ppal-read-live-set
    args: { include: [tracks] }
    expect: "result.mainTrack.path == 'mt'"
"#;

#[test]
fn pplay_run_rehearses_a_2_x_playbook_on_the_2_3_simulator() {
    Test::new()
        .arg("run")
        .playbook("two.yaml", TWO_X_PLAYBOOK)
        .args(["--sim", "--producer-pal", "2.3"])
        .stdout_has("Simulated Live Set: 1 track, 8 scenes, 1 clip")
        .run();
    Test::new()
        .arg("run")
        .playbook("two.yaml", TWO_X_PLAYBOOK)
        .args(["--producer-pal", "2.3"])
        .status(2)
        .stderr_has("--sim")
        .run();
}

/// `SimOptions::candidate_2_4`: the 2.4 release candidate's answers on
/// 2.3's catalog.
#[tokio::test]
async fn answers_as_the_2_4_candidate_when_asked() {
    let s = sim::start(sim::Imitated::V2_4Candidate.options())
        .await
        .unwrap();
    let (_, listed, _) = tool_names(&s, &[]).await;
    assert!(listed.contains(&"ppal-create-device".to_owned()));
    // One path per object instead of `count`; `count` with a list is refused.
    let r = ok(&s, "ppal-create-track", json!({"path": "t+,t+,t+"})).await;
    assert_eq!(r[2]["path"], json!("t2"), "{r}");
    let (_, b) = call(
        &s,
        "ppal-create-track",
        json!({"path": "t+,t+", "count": 2}),
    )
    .await;
    assert_eq!(b["isError"], json!(true), "{b}");
    // Per-target entries in request order; a missing target is skipped.
    let (st, b) = call(
        &s,
        "ppal-update-track",
        json!({"path": "t0,t7,t1", "mute": true}),
    )
    .await;
    assert_eq!((st, &b["isError"]), (200, &json!(false)), "{b}");
    assert_eq!(b["result"][0]["path"], json!("t0"));
    assert_eq!(b["result"][1]["path"], json!("t7"));
    assert_eq!(b["result"][1]["ok"], json!(false));
    assert!(b["result"][1]["detail"].as_str().unwrap().contains("t7"));
    assert_eq!(b["result"][2]["path"], json!("t1"));
    assert!(b["result"][0].get("ok").is_none());
    // A call naming one target that fails is an error result.
    let (_, b) = call(&s, "ppal-update-track", json!({"path": "t7", "mute": true})).await;
    assert_eq!(b["isError"], json!(true), "{b}");
    // Writes no longer echo what Live kept.
    let r = ok(&s, "ppal-update-live-set", json!({"tempo": 128})).await;
    assert!(
        r.get("tempo").is_none() && r.get("timeSignature").is_none(),
        "{r}"
    );
    // create-clip overwrites an occupied slot and says so; a slot past the
    // last scene creates the scenes up to it.
    ok(
        &s,
        "ppal-create-clip",
        json!({"path": "t0/s0", "notes": "C1 1|1"}),
    )
    .await;
    let r = ok(
        &s,
        "ppal-create-clip",
        json!({"path": "t0/s0", "notes": "D1 1|1"}),
    )
    .await;
    assert_eq!(r["detail"], json!("overwrote the existing clip at t0/s0"));
    let r = ok(&s, "ppal-create-clip", json!({"path": "t1/s9"})).await;
    assert_eq!(r["created"], json!("s8-s9"), "{r}");
    let r = ok(
        &s,
        "ppal-duplicate",
        json!({"path": "t0/s0", "type": "clip", "toPath": "t0/s10"}),
    )
    .await;
    assert_eq!(r["created"], json!("s10"), "{r}");
    // Deletes lose `deleted` and `type`.
    let r = ok(&s, "ppal-delete", json!({"path": "t2", "type": "track"})).await;
    assert!(r.get("deleted").is_none() && r.get("type").is_none(), "{r}");
    assert_eq!(r["deletedPath"], json!("t2"));
    // Deprecations in the candidate's words, matched on the parameter.
    let (_, b) = call(&s, "ppal-read-track", json!({"trackIndex": 1})).await;
    assert_eq!(
        b["warnings"],
        json!([
            r#"param "trackIndex" is deprecated and will be removed; use "path" instead (e.g. path: "t1")"#
        ])
    );
    let (_, b) = call(
        &s,
        "ppal-create-device",
        json!({"path": "t0", "deviceName": "Drift"}),
    )
    .await;
    assert!(
        b["warnings"][0]
            .as_str()
            .unwrap()
            .starts_with(r#"param "deviceName" is deprecated"#),
        "{b}"
    );
}

#[test]
fn pplay_sim_answers_as_2_4_when_asked() {
    let sim = common::SimProcess::start(&["--producer-pal", "2.4"]);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let body = rt.block_on(async {
        reqwest::Client::new()
            .post(format!("{}/api/tools/ppal-update-track", sim.url))
            .json(&json!({"path": "t0,t1", "mute": true}))
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap()
    });
    // A fresh set has no tracks: every target is skipped, an error result.
    assert_eq!(body["isError"], json!(true), "{body}");
}

/// `s+` is the catalog's own "at the end" for new scenes: a chord bank
/// appends its scenes with it; a read of `s+` names no scene.
#[tokio::test]
async fn create_scene_appends_at_s_plus() {
    let s = start(|_| {}).await;
    let before = ok(&s, "ppal-read-live-set", json!({"include": ["scenes"]})).await;
    let count = before["scenes"].as_array().map_or(0, Vec::len);
    let made = ok(
        &s,
        "ppal-create-scene",
        json!({"path": "s+", "name": "Cm7"}),
    )
    .await;
    assert_eq!(made["path"], json!(format!("s{count}")), "{made}");
    let (_, read) = call(&s, "ppal-read-scene", json!({"path": "s+"})).await;
    assert_eq!(read["isError"], json!(true), "{read}");
}
/// 2.3 reads notes as Producer Pal 2.3 does: its warnings come back with the
/// result, read-clip writes 2.x notation, and a 1.4 duration is its error.
#[tokio::test]
async fn notes_are_interpreted_as_producer_pal_2_3_does() {
    let s = start(|_| {}).await;
    ok(&s, "ppal-create-track", json!({})).await;
    let body = json!({"path": "t0/s0", "notes": "v200 n/8 [C3 E3 G3] 1|1x3@n/8 G9 1|4", "timeSignature": "6/8"});
    let (st, b) = call(&s, "ppal-create-clip", body).await;
    assert_eq!(
        (st, b["result"]["noteCount"].clone()),
        (200, json!(3)),
        "{b}"
    );
    assert_eq!(
        b["warnings"],
        json!([
            "velocity 200 outside valid range 0-127; clamped to 127",
            "MIDI pitch 139 outside valid range 0-127; note skipped",
            "Time position 1|4 has no pitches"
        ])
    );
    let read = ok(
        &s,
        "ppal-read-clip",
        json!({"path": "t0/s0", "include": ["notes"]}),
    )
    .await;
    assert_eq!(read["notes"], json!("v127 n/8 C3 1|1 E3 1|2 G3 1|3"));
    let (st, e) = call(
        &s,
        "ppal-create-clip",
        json!({"path": "t0/s1", "notes": "t/4 C3 1|1"}),
    )
    .await;
    assert_eq!(st, 200);
    assert_eq!(e["isError"], json!(true));
    assert_eq!(
        e["result"],
        json!(
            "Error: bar|beat syntax error at position 0 (line 1, column 1): Expected bar copy operation, time position, pattern bracket, probability value, velocity value but \"t\" found"
        )
    );
}

/// Sends as 2.3 keeps and reads them: one per return track under the
/// `mixer` include (of a track read and of the live set's track list), with
/// the return's name and id; set by letter, name or id, one at a time or
/// several in `sends`.
#[tokio::test]
async fn sends_are_kept_and_read_under_mixer() {
    let s = start(|_| {}).await;
    ok(
        &s,
        "ppal-create-track",
        json!({"path": "t+", "name": "Bass"}),
    )
    .await;
    let plain = ok(&s, "ppal-read-track", json!({"path": "t0"})).await;
    assert!(plain.get("sends").is_none(), "{plain}");
    let fresh = ok(
        &s,
        "ppal-read-track",
        json!({"path": "t0", "include": ["mixer"]}),
    )
    .await;
    let (reverb, delay) = (
        fresh["sends"][0]["returnId"].clone(),
        fresh["sends"][1]["returnId"].clone(),
    );
    assert_eq!(
        fresh["sends"],
        json!([
            {"gainDb": -70.0, "return": "A-Reverb", "returnId": reverb},
            {"gainDb": -70.0, "return": "B-Delay", "returnId": delay},
        ])
    );
    ok(
        &s,
        "ppal-update-track",
        json!({"path": "t0", "sendReturn": "A", "sendGainDb": -12}),
    )
    .await;
    let sends = json!([{"return": "B-Delay", "gainDb": -6.5}, {"return": reverb, "gainDb": -9}]);
    ok(
        &s,
        "ppal-update-track",
        json!({"path": "t0", "sends": sends}),
    )
    .await;
    let set = ok(
        &s,
        "ppal-read-live-set",
        json!({"include": ["tracks", "mixer"]}),
    )
    .await;
    let levels: Vec<&Value> = set["tracks"][0]["sends"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| &x["gainDb"])
        .collect();
    assert_eq!(levels, [&json!(-9.0), &json!(-6.5)]);
    let (_, b) = call(
        &s,
        "ppal-update-track",
        json!({"path": "t0", "sendReturn": "C", "sendGainDb": -3}),
    )
    .await;
    assert_eq!(b["isError"], json!(true), "{b}");
}
