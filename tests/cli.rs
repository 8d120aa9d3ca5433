//! The `pplay` binary end to end: exit codes, output streams, reporters,
//! URL precedence, the catalog commands. Calls go over loopback HTTP to the
//! simulator, started in-process or as `pplay sim`.

mod common;

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use assert_cmd::Command;
use pplay::sim::{self, SimOptions};
use serde_json::Value;

const PINNED: &str = "schemas/producer-pal-1.4.6.json";

fn pplay() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_pplay"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    for k in ["PPAL_URL", "NO_COLOR", "CLICOLOR_FORCE", "COLUMNS"] {
        c.env_remove(k);
    }
    c
}

/// The stdout of a `pplay` command that must succeed.
fn ok_stdout(args: &[&str]) -> String {
    text(&pplay().args(args).assert().success().get_output().stdout)
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A playbook in a scratch directory (kept alive by the returned guard).
fn scratch(name: &str, text: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join(name);
    std::fs::write(&f, text).unwrap();
    (dir, f)
}

fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn playbooks() -> Vec<std::path::PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("playbooks");
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    v.sort();
    v
}

#[test]
fn quickstart_runs_against_the_simulator() {
    let out = pplay()
        .args(["run", "playbooks/quickstart.yaml", "--sim"])
        .assert()
        .success();
    let stdout = text(&out.get_output().stdout);
    assert!(
        stdout.contains("10 steps, 10 calls, 0 warnings, 0 failed, 0 skipped in"),
        "{stdout}"
    );
    assert!(
        stdout.contains("Simulated Live Set: 2 tracks, 8 scenes, 5 clips, tempo 124"),
        "{stdout}"
    );
}

#[test]
fn every_recipe_checks_offline_and_runs_green() {
    let books = playbooks();
    assert!(books.len() >= 5, "{books:?}");
    for p in books.iter().chain(
        std::fs::read_dir("playbooks/parts")
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect::<Vec<_>>()
            .iter(),
    ) {
        pplay()
            .arg("check")
            .arg(p)
            .args(["--tools", PINNED])
            .assert()
            .success();
    }
    for p in &books {
        let out = pplay().arg("run").arg(p).arg("--sim").assert().success();
        assert!(
            text(&out.get_output().stdout).contains(" 0 failed"),
            "{}",
            p.display()
        );
    }
}

#[test]
fn recipes_start_with_the_editor_schema_line() {
    for p in playbooks().into_iter().chain(
        std::fs::read_dir("playbooks/parts")
            .unwrap()
            .map(|e| e.unwrap().path()),
    ) {
        let first = std::fs::read_to_string(&p)
            .unwrap()
            .lines()
            .next()
            .unwrap_or_default()
            .to_owned();
        assert!(
            first.starts_with("# yaml-language-server: $schema="),
            "{}: {first}",
            p.display()
        );
        let target = first.split('=').nth(1).unwrap();
        assert!(
            p.parent().unwrap().join(target).exists(),
            "{} points at {target}",
            p.display()
        );
    }
}

#[test]
fn an_invalid_playbook_is_exit_2_with_every_problem() {
    let (_dir, f) = scratch(
        "bad.yaml",
        "name: bad\nsteps:\n  - tool: ppal-update-track\n    args: { ids: 12 }\n  - tool: ppal-nope\n    captur: x\n",
    );
    for cmd in ["check", "run"] {
        let out = pplay()
            .arg(cmd)
            .arg(&f)
            .args([
                "--tools",
                PINNED,
                "--url",
                &format!("http://127.0.0.1:{}", closed_port()),
            ])
            .assert()
            .code(2);
        let err = text(&out.get_output().stderr);
        assert!(err.contains("quote it (\"12\")"), "{err}");
        assert!(err.contains("unknown tool `ppal-nope`"), "{err}");
        assert!(err.contains("unknown key `captur`"), "{err}");
        assert!(err.contains("3 problems"), "{err}");
        assert!(err.contains("nothing was sent"), "{err}");
    }
}

#[test]
fn a_failed_step_is_exit_1() {
    let (_dir, f) = scratch(
        "f.yaml",
        "name: f\nsteps:\n  - tool: ppal-read-clip\n    args: { slot: \"0/0\" }\n",
    );
    let out = pplay().arg("run").arg(&f).arg("--sim").assert().code(1);
    let stdout = text(&out.get_output().stdout);
    assert!(
        stdout.contains("ppal-read-clip failed: Track index 0 is out of range"),
        "{stdout}"
    );
    assert!(stdout.contains("1 failed"), "{stdout}");
}

#[test]
fn unreachable_is_exit_3_naming_the_url() {
    let port = closed_port();
    let out = pplay()
        .args([
            "run",
            "playbooks/quickstart.yaml",
            "--url",
            &format!("http://127.0.0.1:{port}"),
        ])
        .assert()
        .code(3);
    let err = text(&out.get_output().stderr);
    assert!(err.contains(&format!("http://127.0.0.1:{port}")), "{err}");
    assert!(
        err.contains("Is Ableton Live running with the Producer Pal device?"),
        "{err}"
    );
}

#[test]
fn url_precedence_flag_env_playbook_default() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("u.yaml");
    let (p1, p2, p3) = (closed_port(), closed_port(), closed_port());
    std::fs::write(&f, format!("name: u\nvars: {{ port: {p1} }}\nurl: http://127.0.0.1:{{{{ port }}}}\nsteps:\n  - tool: ppal-connect\n")).unwrap();
    let tried = |cmd: &mut Command| text(&cmd.assert().code(3).get_output().stderr);
    assert!(tried(pplay().arg("run").arg(&f)).contains(&format!(":{p1}")));
    assert!(
        tried(
            pplay()
                .arg("run")
                .arg(&f)
                .env("PPAL_URL", format!("http://127.0.0.1:{p2}"))
        )
        .contains(&format!(":{p2}"))
    );
    assert!(
        tried(
            pplay()
                .arg("run")
                .arg(&f)
                .env("PPAL_URL", format!("http://127.0.0.1:{p2}"))
                .args(["--url", &format!("http://127.0.0.1:{p3}")])
        )
        .contains(&format!(":{p3}"))
    );
    std::fs::write(&f, "name: u\nsteps:\n  - tool: ppal-connect\n").unwrap();
    let out = pplay().arg("run").arg(&f).output().unwrap();
    // Without any: the default address (a Producer Pal may or may not be there).
    if out.status.code() == Some(3) {
        assert!(text(&out.stderr).contains("http://localhost:3350"));
    }
}

#[test]
fn vars_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let vars = dir.path().join("vars.yaml");
    std::fs::write(&vars, "tempo: 90\nparts: [Kick, Bass, Pad]\n").unwrap();
    let out = pplay()
        .args(["run", "playbooks/quickstart.yaml", "--sim", "--vars-file"])
        .arg(&vars)
        .args(["--var", "tempo=131"])
        .assert()
        .success();
    let stdout = text(&out.get_output().stdout);
    assert!(stdout.contains("Set the tempo to 131"), "{stdout}");
    assert!(stdout.contains("3 tracks, 8 scenes"), "{stdout}");
    pplay()
        .args(["run", "playbooks/quickstart.yaml", "--sim", "--var", "oops"])
        .assert()
        .code(2);
}

#[test]
fn json_events_on_stdout_human_output_on_stderr() {
    let out = pplay()
        .args(["run", "playbooks/quickstart.yaml", "--sim", "--json"])
        .assert()
        .success();
    let stdout = text(&out.get_output().stdout);
    let events: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect(l))
        .collect();
    let kinds: Vec<&str> = events
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(kinds.first(), Some(&"run_started"));
    assert_eq!(kinds.last(), Some(&"run_finished"));
    for k in [
        "step_started",
        "call_sent",
        "call_finished",
        "step_finished",
    ] {
        assert!(kinds.contains(&k), "{k}");
    }
    let fin = events.last().unwrap();
    assert_eq!(fin["summary"]["calls"], 10);
    assert_eq!(fin["exitCode"], 0);
    let call = events
        .iter()
        .find(|e| e["event"] == "call_finished")
        .unwrap();
    assert_eq!(call["status"], 200);
    assert!(call["result"].is_object());
    let stderr = text(&out.get_output().stderr);
    assert!(stderr.contains("10 steps, 10 calls"), "{stderr}");
}

#[test]
fn junit_report() {
    let (dir, f) = scratch(
        "j.yaml",
        "name: junit\nsteps:\n  - name: Two tracks\n    tool: ppal-create-track\n    loop: range(2)\n  - name: Skipped\n    tool: ppal-connect\n    when: false\n  - name: Broken\n    tool: ppal-read-clip\n    args: { slot: \"5/0\" }\n  - name: Never\n    tool: ppal-connect\n",
    );
    let xml = dir.path().join("report.xml");
    pplay()
        .arg("run")
        .arg(&f)
        .arg("--sim")
        .arg("--junit")
        .arg(&xml)
        .assert()
        .code(1);
    let report = std::fs::read_to_string(&xml).unwrap();
    assert!(
        report.contains("testcase name=\"Two tracks [1/2]\""),
        "{report}"
    );
    assert!(
        report.contains("testcase name=\"Two tracks [2/2]\""),
        "{report}"
    );
    assert!(
        report.contains("<failure") && report.contains("j.yaml:10:11"),
        "{report}"
    );
    assert!(report.contains("name=\"Never\""), "{report}");
    assert_eq!(report.matches("<skipped").count(), 2, "{report}");
}

#[test]
fn piped_output_has_no_escapes_or_carriage_returns() {
    let out = pplay()
        .args(["run", "playbooks/pattern-batch.yaml", "--sim"])
        .assert()
        .success();
    for stream in [&out.get_output().stdout, &out.get_output().stderr] {
        let s = text(stream);
        assert!(!s.contains('\r') && !s.contains('\x1b'), "{s:?}");
    }
}

#[test]
fn color_choice_and_environment() {
    let run = |args: &[&str], env: &[(&str, &str)]| {
        let mut c = pplay();
        c.args(["run", "playbooks/quickstart.yaml", "--sim"])
            .args(args);
        for (k, v) in env {
            c.env(k, v);
        }
        text(&c.assert().success().get_output().stdout).contains('\x1b')
    };
    assert!(run(&["--color", "always"], &[]));
    assert!(!run(&["--color", "never"], &[("CLICOLOR_FORCE", "1")]));
    assert!(!run(&[], &[]));
    assert!(run(&[], &[("CLICOLOR_FORCE", "1")]));
    assert!(!run(&[], &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]));
}

#[test]
fn quiet_and_verbose() {
    let q = ok_stdout(&["run", "playbooks/quickstart.yaml", "--sim", "-q"]);
    assert!(!q.contains('✓') && q.contains("10 steps, 10 calls"), "{q}");
    let v = ok_stdout(&["run", "playbooks/quickstart.yaml", "--sim", "-v"]);
    assert!(
        v.contains("→ {\"tempo\":124,\"timeSignature\":\"4/4\"}") && v.contains("← {"),
        "{v}"
    );
    assert!(!v.contains("POST http"));
    let vv = ok_stdout(&["run", "playbooks/quickstart.yaml", "--sim", "-vv"]);
    assert!(
        vv.contains("/api/tools/ppal-update-live-set?format=json&timeoutMs=10000")
            && vv.contains("HTTP 200 in"),
        "{vv}"
    );
}

#[test]
fn dry_run_prints_the_calls() {
    let out = pplay()
        .args([
            "run",
            "playbooks/quickstart.yaml",
            "--dry-run",
            "--tools",
            PINNED,
        ])
        .args(["--url", &format!("http://127.0.0.1:{}", closed_port())])
        .assert()
        .success();
    let stdout = text(&out.get_output().stdout);
    assert!(stdout.contains("dry run"), "{stdout}");
    // The first looped track's index is not known before a real run.
    assert!(
        stdout.contains(r#"ppal-create-clip {"slot":"<steps.tracks[0].result.trackIndex>/3""#),
        "{stdout}"
    );
    // `last_track` was captured from the second iteration.
    assert!(
        stdout.contains(r#"{"slot":"<steps.tracks[1].result.trackIndex>/0","notes":"C2"#),
        "{stdout}"
    );
    assert!(stdout.contains("timeoutMs=10000"), "{stdout}");
    assert!(stdout.contains("0 calls"), "{stdout}");
}

/// Runs `pplay` with a simulator serving on loopback for the duration.
fn with_sim<T>(opts: SimOptions, f: impl FnOnce(String) -> T) -> T {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sim = rt.block_on(sim::start(opts)).unwrap();
    let out = f(sim.url());
    rt.block_on(sim.stop());
    out
}

#[test]
fn tools_describe_and_schema_pull() {
    with_sim(SimOptions::default(), |url| {
        let t = ok_stdout(&["tools", "--url", &url]);
        assert!(
            t.contains("ppal-read-live-set")
                && t.contains("read-only")
                && t.contains("destructive"),
            "{t}"
        );
        let j: Value = serde_json::from_slice(
            &pplay()
                .args(["tools", "--json", "--tools", PINNED])
                .assert()
                .success()
                .get_output()
                .stdout,
        )
        .unwrap();
        assert_eq!(j.as_array().unwrap().len(), 21);
        let d = ok_stdout(&["describe", "ppal-create-track", "--url", &url]);
        assert!(
            d.contains("type")
                && d.contains("string (midi|audio|return)")
                && d.contains("default \"midi\""),
            "{d}"
        );
        assert!(d.contains("count") && d.contains("integer >= 1"), "{d}");
        let e = text(
            &pplay()
                .args(["describe", "ppal-create-trak", "--tools", PINNED])
                .assert()
                .code(2)
                .get_output()
                .stderr,
        );
        assert!(e.contains("did you mean `ppal-create-track`?"), "{e}");
        let dir = tempfile::tempdir().unwrap();
        let pulled = dir.path().join("tools.json");
        pplay()
            .args(["schema", "pull", "--url", &url, "-o"])
            .arg(&pulled)
            .assert()
            .success();
        let a: Value = serde_json::from_str(&std::fs::read_to_string(&pulled).unwrap()).unwrap();
        let b: Value = serde_json::from_str(&std::fs::read_to_string(PINNED).unwrap()).unwrap();
        assert_eq!(a, b);
    });
}

#[test]
fn call_checks_args_first() {
    with_sim(SimOptions::default(), |url| {
        let ok = pplay()
            .args([
                "call",
                "ppal-create-track",
                r#"{"name":"Kick"}"#,
                "--url",
                &url,
            ])
            .assert()
            .success();
        let r: Value = serde_json::from_slice(&ok.get_output().stdout).unwrap();
        assert_eq!(r["trackIndex"], 0);
        let bad = pplay()
            .args(["call", "ppal-update-track", r#"{"ids":12}"#, "--url", &url])
            .assert()
            .code(2);
        assert!(text(&bad.get_output().stderr).contains("nothing was sent"));
        let err = pplay()
            .args(["call", "ppal-read-clip", r#"{"slot":"9/9"}"#, "--url", &url])
            .assert()
            .code(1);
        assert!(text(&err.get_output().stderr).contains("out of range"));
        let warn = pplay()
            .args([
                "call",
                "ppal-update-track",
                r#"{"ids":"11,99","mute":true}"#,
                "--url",
                &url,
            ])
            .assert()
            .success();
        assert!(
            text(&warn.get_output().stderr)
                .contains("warning: updateTrack: no track with id \"99\"")
        );
        let compact = pplay()
            .args([
                "call",
                "ppal-read-live-set",
                "--format",
                "compact",
                "--timeout-ms",
                "5000",
                "--url",
                &url,
            ])
            .assert()
            .success();
        assert!(text(&compact.get_output().stdout).starts_with("{tempo:"));
        pplay()
            .args(["call", "ppal-connect", "{", "--url", &url])
            .assert()
            .code(2);
    });
    pplay()
        .args([
            "call",
            "ppal-connect",
            "--url",
            &format!("http://127.0.0.1:{}", closed_port()),
        ])
        .assert()
        .code(3);
}

#[test]
fn schema_diff_names_affected_steps() {
    let dir = tempfile::tempdir().unwrap();
    let mut new: Value = serde_json::from_str(&std::fs::read_to_string(PINNED).unwrap()).unwrap();
    let tools = new["tools"].as_array_mut().unwrap();
    tools.retain(|t| t["name"] != "ppal-connect");
    let ct = tools
        .iter_mut()
        .find(|t| t["name"] == "ppal-create-track")
        .unwrap();
    ct["inputSchema"]["properties"]["type"]["enum"] = serde_json::json!(["midi", "audio"]);
    ct["inputSchema"]["properties"]
        .as_object_mut()
        .unwrap()
        .remove("name");
    let cc = tools
        .iter_mut()
        .find(|t| t["name"] == "ppal-create-clip")
        .unwrap();
    cc["inputSchema"]["properties"]["lane"] = serde_json::json!({"type": "integer"});
    cc["inputSchema"]["required"] = serde_json::json!(["lane"]);
    let newf = dir.path().join("new.json");
    std::fs::write(&newf, serde_json::to_string_pretty(&new).unwrap()).unwrap();
    let out = pplay()
        .args(["schema", "diff", PINNED])
        .arg(&newf)
        .args([
            "--playbook",
            "playbooks/quickstart.yaml",
            "--color",
            "never",
        ])
        .assert()
        .code(1);
    let stdout = text(&out.get_output().stdout);
    assert!(stdout.contains("- tool ppal-connect"), "{stdout}");
    assert!(stdout.contains("- ppal-create-track.name"), "{stdout}");
    assert!(
        stdout.contains(
            "~ ppal-create-track.type: string (midi|audio|return) -> string (midi|audio)"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("+ ppal-create-clip.lane (required)"),
        "{stdout}"
    );
    let err = text(&out.get_output().stderr);
    assert!(
        err.contains("`ppal-connect` is removed") && err.contains("quickstart.yaml:12:11"),
        "{err}"
    );
    assert!(err.contains("`ppal-create-track.type` changed"), "{err}");
    assert!(
        err.contains("`ppal-create-clip` now requires `lane`"),
        "{err}"
    );
    pplay()
        .args([
            "schema",
            "diff",
            PINNED,
            PINNED,
            "--playbook",
            "playbooks/quickstart.yaml",
        ])
        .assert()
        .success();
}

#[test]
fn the_committed_editor_schema_is_up_to_date() {
    let out = pplay().args(["schema", "playbook"]).assert().success();
    let committed = std::fs::read_to_string("schemas/playbook.schema.json").unwrap();
    assert_eq!(
        text(&out.get_output().stdout),
        committed,
        "run `pplay schema playbook -o schemas/playbook.schema.json`"
    );
}

#[test]
fn the_editor_schema_accepts_the_recipes_and_refuses_mistakes() {
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string("schemas/playbook.schema.json").unwrap())
            .unwrap();
    let v = jsonschema::validator_for(&schema).unwrap();
    for p in playbooks() {
        let node = pplay::yaml::parse(&std::fs::read_to_string(&p).unwrap()).unwrap();
        let errors: Vec<String> = v
            .iter_errors(&node.to_json())
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{}: {errors:?}", p.display());
    }
    let bad = pplay::yaml::parse(
        "name: x\nsteps:\n  - tool: ppal-update-track\n    args: { ids: 12, colour: red }\n",
    )
    .unwrap()
    .to_json();
    assert!(!v.is_valid(&bad));
    let templated = pplay::yaml::parse(
        "name: x\nsteps:\n  - tool: ppal-update-live-set\n    args: { tempo: \"{{ t }}\" }\n",
    )
    .unwrap()
    .to_json();
    assert!(v.is_valid(&templated));
}

#[test]
fn init_writes_a_playbook_that_checks() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("mine.yaml");
    pplay().arg("init").arg(&f).assert().success();
    assert!(dir.path().join("playbook.schema.json").exists());
    assert!(
        std::fs::read_to_string(&f)
            .unwrap()
            .starts_with("# yaml-language-server: $schema=playbook.schema.json")
    );
    pplay()
        .arg("check")
        .arg(&f)
        .args(["--tools", PINNED])
        .assert()
        .success();
    pplay().arg("run").arg(&f).arg("--sim").assert().success();
    pplay().arg("init").arg(&f).assert().code(2);
}

#[test]
fn completions() {
    for shell in ["bash", "zsh", "fish"] {
        let out = pplay().args(["completions", shell]).assert().success();
        assert!(text(&out.get_output().stdout).contains("pplay"));
    }
}

#[test]
fn ctrl_c_stops_after_the_call_in_flight_and_exits_130() {
    // A slow simulator in its own process, so the run is still going.
    let sim = common::SimProcess::start(&["--latency-ms", "100"]);
    let url = sim.url.clone();
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_pplay"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "run",
            "playbooks/pattern-batch.yaml",
            "--url",
            &url,
            "--json",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(700));
    let _ = std::process::Command::new("kill")
        .args(["-INT", &run.id().to_string()])
        .status();
    let out = run.wait_with_output().unwrap();
    drop(sim);
    assert_eq!(out.status.code(), Some(130), "{}", text(&out.stderr));
    let last: Value = serde_json::from_str(text(&out.stdout).lines().last().unwrap()).unwrap();
    assert_eq!(last["interrupted"], true);
    let calls = last["summary"]["calls"].as_u64().unwrap();
    assert!(calls > 0 && calls < 23, "{calls}");
    assert!(text(&out.stderr).contains("interrupted"));
}

#[test]
fn sim_command_fault_flags() {
    let sim = common::SimProcess::start(&[
        "--fail-tool",
        "ppal-connect",
        "--disable-tool",
        "ppal-playback",
        "--legacy",
    ]);
    let url = sim.url.clone();
    let tools = ok_stdout(&["tools", "--url", &url]);
    assert!(
        !tools.contains("ppal-playback") && tools.contains("ppal-connect"),
        "{tools}"
    );
    let failed = pplay()
        .args(["call", "ppal-connect", "--url", &url])
        .assert()
        .code(1);
    assert!(text(&failed.get_output().stderr).contains("--fail-tool"));
    // --legacy answers strings; pplay parses them back.
    let ok = pplay()
        .args(["call", "ppal-read-live-set", "--url", &url])
        .assert()
        .success();
    let v: Value = serde_json::from_slice(&ok.get_output().stdout).unwrap();
    assert_eq!(v["timeSignature"], "4/4");
}
