//! `pplay mcp` spoken to over its stdio as an MCP client would (JSON-RPC,
//! one message a line), with the simulator in-process on an ephemeral port.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

use pplay::sim::{self, Generation, SimOptions};
use serde_json::{Value as Json, json};

/// The server process and what it wrote, line by line.
struct Session {
    child: Child,
    stdin: ChildStdin,
    lines: Receiver<Json>,
    /// Notifications seen while waiting for answers.
    notifications: Vec<Json>,
    next_id: u64,
}

impl Session {
    fn start(url: &str) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_pplay"))
            .args(["mcp", "playbooks/", "--url", url])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let out = BufReader::new(child.stdout.take().unwrap());
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in out.lines().map_while(Result::ok) {
                let msg = serde_json::from_str(&line)
                    .unwrap_or_else(|e| panic!("not JSON on stdout ({e}): {line}"));
                if tx.send(msg).is_err() {
                    break;
                }
            }
        });
        Session {
            child,
            stdin,
            lines,
            notifications: Vec::new(),
            next_id: 1,
        }
    }

    fn send(&mut self, msg: Json) {
        writeln!(self.stdin, "{msg}").unwrap();
        self.stdin.flush().unwrap();
    }

    /// Sends a request and waits (at most 30 s) for its answer.
    fn request(&mut self, method: &str, params: Json) -> Json {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        loop {
            let msg = self
                .lines
                .recv_timeout(Duration::from_secs(30))
                .unwrap_or_else(|_| panic!("no answer to {method}"));
            if msg["id"] == id {
                return msg;
            }
            self.notifications.push(msg);
        }
    }

    fn call(&mut self, tool: &str, args: Json) -> Json {
        let answer = self.request("tools/call", json!({"name": tool, "arguments": args}));
        answer["result"].clone()
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn text(result: &Json) -> String {
    result["content"][0]["text"]
        .as_str()
        .unwrap_or("")
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_assistant_lists_calls_and_checks_playbooks() {
    let sim = sim::start(SimOptions::for_generation(Generation::V2_3))
        .await
        .unwrap();
    let url = sim.url();
    // The session blocks on the child's pipes; the simulator serves on the
    // runtime's other thread.
    let sim = tokio::task::block_in_place(|| {
        let mut s = Session::start(&url);
        let init = s.request(
            "initialize",
            json!({
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": {"name": "test", "version": "1"},
            }),
        );
        assert_eq!(init["result"]["serverInfo"]["name"], "pplay", "{init}");
        s.send(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));

        // tools/list: the recipes, their var schemas, and the server's own tools.
        let list = s.request("tools/list", json!({}));
        let tools = list["result"]["tools"].as_array().unwrap().clone();
        let names: Vec<&str> = tools.iter().filter_map(|t| t["name"].as_str()).collect();
        for want in ["quickstart", "composed-set", "check_playbook", "list_tools"] {
            assert!(names.contains(&want), "{want} missing from {names:?}");
        }
        // The parts/ of a recipe are included, never offered.
        assert!(
            !names.iter().any(|n| ["drums", "bass"].contains(n)),
            "a part is offered: {names:?}"
        );
        let quick = tools.iter().find(|t| t["name"] == "quickstart").unwrap();
        let props = &quick["inputSchema"]["properties"];
        assert_eq!(props["tempo"]["type"], "integer", "{quick}");
        assert_eq!(props["tempo"]["default"], 124);
        assert_eq!(props["parts"]["type"], "array");
        assert_eq!(quick["annotations"]["destructiveHint"], true);
        let check = tools
            .iter()
            .find(|t| t["name"] == "check_playbook")
            .unwrap();
        assert_eq!(check["annotations"]["readOnlyHint"], true);

        // A string for a number is refused before anything is sent.
        let refused = s.call("quickstart", json!({"tempo": "fast"}));
        assert_eq!(refused["isError"], true, "{refused}");
        assert!(text(&refused).contains("argument `tempo`"), "{refused}");
        assert!(text(&refused).contains("nothing was sent"), "{refused}");
        assert_eq!(
            sim.live_set().calls,
            0,
            "a refused call reached the simulator"
        );

        // A call that changes the set, with progress per step.
        let id = s.next_id;
        s.send(json!({
            "jsonrpc": "2.0", "id": id, "method": "tools/call",
            "params": {"name": "quickstart", "arguments": {"tempo": 133},
                       "_meta": {"progressToken": "run-1"}},
        }));
        s.next_id += 1;
        let done = loop {
            let msg = s.lines.recv_timeout(Duration::from_secs(30)).unwrap();
            if msg["id"] == id {
                break msg["result"].clone();
            }
            s.notifications.push(msg);
        };
        assert_eq!(done["isError"], false, "{done}");
        assert_eq!(done["structuredContent"]["exitCode"], 0, "{done}");
        assert_eq!(
            done["structuredContent"]["captures"]["last_track"], "t1",
            "{done}"
        );
        let set = sim.live_set();
        assert_eq!(set.tempo, 133.0);
        let tracks: Vec<&str> = set.tracks.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(tracks, ["Kick", "Bass"]);
        let progress: Vec<&Json> = s
            .notifications
            .iter()
            .filter(|n| n["method"] == "notifications/progress")
            .collect();
        assert!(!progress.is_empty(), "no progress: {:?}", s.notifications);
        assert!(
            progress
                .iter()
                .all(|p| p["params"]["progressToken"] == "run-1")
        );

        // check_playbook: the located problem of a misspelt tool.
        let broken = "name: broken\nsteps:\n  - tool: ppal-connect\n  - tool: ppal-create-trak\n";
        let checked = s.call("check_playbook", json!({"text": broken}));
        assert_eq!(checked["isError"], true, "{checked}");
        let problem = &checked["structuredContent"]["problems"][0];
        assert_eq!(problem["location"]["line"], 4, "{checked}");
        assert!(text(&checked).contains("ppal-create-trak"), "{checked}");
        let fine = s.call(
            "check_playbook",
            json!({"text": "name: ok\nsteps:\n  - tool: ppal-connect\n"}),
        );
        assert_eq!(fine["isError"], false, "{fine}");

        // list_tools: the catalog the server sees.
        let catalog = s.call("list_tools", json!({}));
        let listed = catalog["structuredContent"]["tools"].as_array().unwrap();
        let create = listed
            .iter()
            .find(|t| t["name"] == "ppal-create-track")
            .unwrap();
        assert_eq!(create["readOnly"], false);
        sim
    });
    sim.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_call_stops_after_the_call_in_flight() {
    let mut opts = SimOptions::for_generation(Generation::V2_3);
    opts.latency_ms = 150;
    let sim = sim::start(opts).await.unwrap();
    let url = sim.url();
    let sim = tokio::task::block_in_place(|| {
        let mut s = Session::start(&url);
        s.request(
            "initialize",
            json!({"protocolVersion": "2025-06-18", "capabilities": {},
                   "clientInfo": {"name": "test", "version": "1"}}),
        );
        s.send(json!({"jsonrpc": "2.0", "method": "notifications/initialized"}));
        let id = s.next_id;
        s.next_id += 1;
        s.send(json!({
            "jsonrpc": "2.0", "id": id, "method": "tools/call",
            "params": {"name": "quickstart", "arguments": {},
                       "_meta": {"progressToken": 1}},
        }));
        // The first finished step, then the cancellation.
        let first = s.lines.recv_timeout(Duration::from_secs(30)).unwrap();
        assert_eq!(first["method"], "notifications/progress", "{first}");
        s.send(
            json!({"jsonrpc": "2.0", "method": "notifications/cancelled",
                      "params": {"requestId": id, "reason": "the user stopped it"}}),
        );
        std::thread::sleep(Duration::from_millis(800));
        let stopped_at = sim.live_set().calls;
        assert!(stopped_at < 10, "the run went on: {stopped_at} calls");
        std::thread::sleep(Duration::from_millis(500));
        assert_eq!(sim.live_set().calls, stopped_at, "calls after the stop");
        // The server is still there for the next request.
        let list = s.request("tools/list", json!({}));
        assert!(list["result"]["tools"].is_array(), "{list}");
        sim
    });
    sim.stop().await;
}

/// `pplay mcp` on `dir` with the pinned 2.3 catalog and stdin closed: its
/// exit code and its log.
fn start_up(dir: &std::path::Path) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_pplay"))
        .arg("mcp")
        .arg(dir)
        .arg("--tools")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/schemas/producer-pal-2.3.0.json"
        ))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_playbook_that_fails_check_is_logged_and_not_offered() {
    let dir = tempfile::tempdir().unwrap();
    let good = "name: ok\nsteps:\n  - tool: ppal-connect\n";
    std::fs::write(dir.path().join("ok.yaml"), good).unwrap();
    std::fs::write(
        dir.path().join("typo.yaml"),
        "name: typo\nsteps:\n  - tool: ppal-conect\n",
    )
    .unwrap();
    let (_, log) = start_up(dir.path());
    assert!(log.contains("typo.yaml: not offered"), "{log}");
    assert!(log.contains("unknown tool `ppal-conect`"), "{log}");
    assert!(log.contains("1 playbook tool (1 not offered)"), "{log}");

    // Two files that would be one tool stop the server, naming both.
    std::fs::write(dir.path().join("ok.yml"), good).unwrap();
    let (code, log) = start_up(dir.path());
    assert_eq!(code, Some(2), "{log}");
    assert!(log.contains("ok.yaml") && log.contains("ok.yml"), "{log}");
}
