//! Journaled runs: `pplay run --journal` killed at random moments and
//! resumed against `pplay sim` in its own process, until the simulated Live
//! Set holds exactly what the playbook describes; and the refusals around
//! a resume (a changed step, a corrupt journal), `--force`, and a finished
//! journal that sends nothing.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::{SimProcess, TestServer};
use serde_json::{Value as Json, json};

fn pplay() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_pplay"));
    c.env_remove("PPAL_URL")
        .env("NO_COLOR", "1")
        .env("COLUMNS", "100");
    c
}

/// Three tracks and four clips on each, checked as they are made; the first
/// step's capture feeds later steps. (A template reading a create call's
/// result could not go on after that call was skipped in flight: see
/// `the_call_in_flight_is_named_and_a_skipped_one_refuses_its_readers`.)
const BATCH: &str = r#"name: Batch
vars:
  parts: [Kick, Snare, Hat]
  scenes: 4
steps:
  - id: before
    tool: ppal-read-live-set
    args: { include: [] }
    capture:
      first: result.trackCount
  - id: tracks
    name: "Track {{ item }}"
    tool: ppal-create-track
    loop: parts
    args: { name: "{{ item }}", type: midi }
    expect:
      - result.trackIndex == first + loop.index0
  - name: "Clip {{ parts[item[0]] }}-{{ item[1] }}"
    tool: ppal-create-clip
    loop: product(range(parts | length), range(scenes))
    args:
      slot: "{{ first + item[0] }}/{{ item[1] }}"
      name: "{{ parts[item[0]] }}-{{ item[1] }}"
      notes: C1 1|1
      length: "1:0"
  - tool: ppal-read-live-set
    args: { include: [tracks] }
    expect:
      - result.trackCount == first + (parts | length)
"#;

/// `pplay sim` in its own process, as Producer Pal 1.4 (the playbooks here
/// name tracks and slots by index).
fn sim(extra: &[&str]) -> SimProcess {
    let mut args = vec!["--producer-pal", "1.4"];
    args.extend_from_slice(extra);
    SimProcess::start(&args)
}

/// A small seeded generator: the kill moments are random but repeatable.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

fn call(url: &str, tool: &str, args: Json) -> Json {
    let out = pplay()
        .args(["call", tool, &args.to_string(), "--url", url])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Track names and, per track, its session clips' names, read through the
/// simulator's own tools.
fn live_set(url: &str) -> Vec<(String, Vec<String>)> {
    let set = call(url, "ppal-read-live-set", json!({"include": ["tracks"]}));
    let names = |v: &Json, key: &str| -> Vec<String> {
        v[key]
            .as_array()
            .into_iter()
            .flatten()
            .map(|t| t["name"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    names(&set, "tracks")
        .into_iter()
        .enumerate()
        .map(|(i, name)| {
            let track = call(
                url,
                "ppal-read-track",
                json!({"trackIndex": i, "include": ["session-clips"]}),
            );
            (name, names(&track, "sessionClips"))
        })
        .collect()
}

/// The journal's call in flight, per the documented format: the last `sent`
/// line with no `outcome` after it (or an `unknown` one), and its args.
fn in_flight(journal: &Path) -> Option<(String, Json)> {
    let text = std::fs::read_to_string(journal).unwrap();
    let mut open: Option<(String, Json)> = None;
    for line in text.lines() {
        let Ok(v) = serde_json::from_str::<Json>(line) else {
            continue; // a line cut short by the kill
        };
        match v["kind"].as_str() {
            Some("sent") => {
                open = Some((v["tool"].as_str().unwrap().to_owned(), v["args"].clone()))
            }
            Some("outcome") if v["status"] != "unknown" => open = None,
            _ => {}
        }
    }
    open
}

/// What the user is told to do: look in Live, and skip the call if it took
/// effect there, resend it if not.
fn choice(url: &str, tool: &str, args: &Json) -> &'static str {
    let set = live_set(url);
    let name = args["name"].as_str().unwrap();
    let there = match tool {
        "ppal-create-track" => set.iter().any(|(t, _)| t == name),
        "ppal-create-clip" => set.iter().any(|(_, clips)| clips.iter().any(|c| c == name)),
        other => panic!("a read-only tool is never asked about: {other}"),
    };
    if there { "skip" } else { "resend" }
}

fn start(
    pb: &Path,
    journal: &Path,
    url: &str,
    resume: bool,
    in_flight: Option<&str>,
) -> std::process::Child {
    let mut c = pplay();
    c.arg("run").arg(pb).args(["--url", url, "-q"]);
    c.arg(if resume { "--resume" } else { "--journal" })
        .arg(journal);
    if let Some(choice) = in_flight {
        c.args(["--in-flight", choice]);
    }
    c.stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Waits up to `after`, then kills with SIGKILL; `None` when it was killed.
fn run_or_kill(mut child: std::process::Child, after: Duration) -> Option<Output> {
    let until = Instant::now() + after;
    while Instant::now() < until {
        if child.try_wait().unwrap().is_some() {
            return Some(child.wait_with_output().unwrap());
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    let _ = child.kill(); // SIGKILL on Unix
    let _ = child.wait();
    None
}

fn scratch(text: &str) -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let pb = dir.path().join("batch.yaml");
    std::fs::write(&pb, text).unwrap();
    let journal = dir.path().join("batch.journal");
    (dir, pb, journal)
}

#[test]
fn killed_at_random_moments_the_resumed_runs_build_exactly_the_playbook() {
    const KILLS: usize = 16;
    let started = Instant::now();
    let mut rng = Rng(0x5eed_2026);
    let (mut kills, mut asked, mut jobs) = (0, 0, 0);
    // Fresh jobs until enough kills landed, within a bounded time.
    while kills < KILLS && jobs < 8 && started.elapsed() < Duration::from_secs(150) {
        jobs += 1;
        let sim = sim(&["--latency-ms", "40"]);
        let (_dir, pb, journal) = scratch(BATCH);
        let mut choice_now: Option<&str> = None;
        let mut first = true;
        let out = loop {
            let kill = kills < KILLS && started.elapsed() < Duration::from_secs(150);
            let child = start(&pb, &journal, &sim.url, !first, choice_now);
            let wait = if kill {
                Duration::from_millis(rng.below(700))
            } else {
                Duration::from_secs(60)
            };
            let Some(out) = run_or_kill(child, wait) else {
                kills += 1;
                first = first && !journal.exists();
                choice_now = None;
                continue;
            };
            let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
            if out.status.code() == Some(2) && stderr.contains("pplay::in-flight") {
                let (tool, args) = in_flight(&journal).expect("a call in flight");
                choice_now = Some(choice(&sim.url, &tool, &args));
                asked += 1;
                continue;
            }
            break out;
        };
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let expected: Vec<(String, Vec<String>)> = ["Kick", "Snare", "Hat"]
            .iter()
            .map(|p| (p.to_string(), (0..4).map(|s| format!("{p}-{s}")).collect()))
            .collect();
        assert_eq!(live_set(&sim.url), expected, "job {jobs}");
        // The finished journal: nothing to do, nothing sent.
        let again = start(&pb, &journal, &sim.url, true, None)
            .wait_with_output()
            .unwrap();
        assert_eq!(again.status.code(), Some(0));
        assert!(String::from_utf8_lossy(&again.stdout).contains("nothing to do"));
        assert_eq!(
            live_set(&sim.url),
            expected,
            "job {jobs}, after a second resume"
        );
    }
    eprintln!("{jobs} jobs, {kills} kills, {asked} calls in flight decided");
    assert!(kills >= KILLS, "only {kills} kills landed in a run");
}

/// Two tracks, then a check that fails until `--var want=2` is given: a
/// journal of a run that stopped at a failed step.
const TWO_TRACKS: &str = r#"name: Two tracks
vars:
  want: 99
steps:
  - id: kick
    tool: ppal-create-track
    args: { name: Kick, type: midi }
    capture:
      kick: result.trackIndex
  - tool: ppal-create-track
    args: { name: "Bass after {{ kick }}", type: midi }
  - tool: ppal-read-live-set
    args: { include: [] }
    expect:
      - result.trackCount == want
"#;

/// stderr with the scratch folder taken out, for snapshots.
fn stderr_of(out: &Output, dir: &Path) -> String {
    String::from_utf8_lossy(&out.stderr).replace(&format!("{}/", dir.display()), "")
}

fn failed_run(sim: &SimProcess) -> (tempfile::TempDir, PathBuf, PathBuf) {
    let (dir, pb, journal) = scratch(TWO_TRACKS);
    let out = start(&pb, &journal, &sim.url, false, None)
        .wait_with_output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (dir, pb, journal)
}

fn track_names(url: &str) -> Vec<String> {
    live_set(url).into_iter().map(|(t, _)| t).collect()
}

#[test]
fn a_failed_step_is_the_first_call_a_resume_sends_and_reports_say_what_was_restored() {
    let sim = sim(&[]);
    let (dir, pb, journal) = failed_run(&sim);
    let junit = dir.path().join("junit.xml");
    let out = pplay()
        .arg("run")
        .arg(&pb)
        .args(["--url", &sim.url, "--var", "want=2", "--json", "--junit"])
        .arg(&junit)
        .arg("--resume")
        .arg(&journal)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let events: Vec<Json> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let resumed = events.iter().find(|e| e["event"] == "resumed").unwrap();
    assert_eq!(resumed["recordedCalls"], 2);
    let statuses: Vec<&str> = events
        .iter()
        .filter(|e| e["event"] == "step_finished")
        .map(|e| e["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["restored", "restored", "ok"]);
    let sent: Vec<&Json> = events
        .iter()
        .filter(|e| e["event"] == "call_sent")
        .collect();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["tool"], "ppal-read-live-set");
    let last = events.last().unwrap();
    assert_eq!(last["summary"]["restored"], 2);
    assert_eq!(last["summary"]["calls"], 1);
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert_eq!(xml.matches("restored from the journal").count(), 2, "{xml}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("2 restored from the journal"), "{stderr}");
    assert_eq!(track_names(&sim.url), ["Kick", "Bass after 0"]);
}

#[test]
fn a_changed_step_is_refused_and_force_keeps_its_outcome() {
    let sim = sim(&[]);
    let (dir, pb, journal) = failed_run(&sim);
    std::fs::write(&pb, TWO_TRACKS.replace("name: Kick", "name: Kik")).unwrap();
    let resume = |force: bool| {
        let mut c = pplay();
        c.arg("run")
            .arg(&pb)
            .args(["--url", &sim.url, "--var", "want=2", "--resume"]);
        c.arg(&journal);
        if force {
            c.arg("--force");
        }
        c.output().unwrap()
    };
    let out = resume(false);
    assert_eq!(out.status.code(), Some(2));
    let stdout = String::from_utf8_lossy(&out.stdout)
        .replace(&sim.url, "URL")
        .replace(&format!("{}/", dir.path().display()), "");
    insta::with_settings!({filters => vec![(r"\d+(\.\d+)? ms", "[time]")]}, {
        insta::assert_snapshot!("changed_step_refused", stdout);
    });
    assert_eq!(
        track_names(&sim.url),
        ["Kick", "Bass after 0"],
        "nothing was sent"
    );
    let out = resume(true);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("pplay::resume-forced"), "{stdout}");
    assert_eq!(track_names(&sim.url), ["Kick", "Bass after 0"]);
}

#[test]
fn a_corrupt_journal_is_a_located_error() {
    let sim = sim(&[]);
    let (dir, pb, journal) = failed_run(&sim);
    let text = std::fs::read_to_string(&journal).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines[2] = r#"{"kind":"outcome","step":"0","status":"done?"}"#;
    std::fs::write(&journal, lines.join("\n") + "\n").unwrap();
    let out = start(&pb, &journal, &sim.url, true, None)
        .wait_with_output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    insta::assert_snapshot!("corrupt_journal", stderr_of(&out, dir.path()));
    assert_eq!(
        track_names(&sim.url),
        ["Kick", "Bass after 0"],
        "nothing was sent"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_finished_journal_sends_nothing() {
    let sim = sim(&[]);
    let (_dir, pb, journal) = scratch(TWO_TRACKS);
    let url = sim.url.clone();
    let (pb2, j2) = (pb.clone(), journal.clone());
    let out = tokio::task::spawn_blocking(move || {
        pplay()
            .arg("run")
            .arg(&pb2)
            .args(["--url", &url, "--var", "want=2", "--journal"])
            .arg(&j2)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert_eq!(out.status.code(), Some(0));
    // Resumed against a server that records every request it gets.
    let server = TestServer::start(|_, _| common::Answer::ok(json!({}))).await;
    let url = server.url();
    let out = tokio::task::spawn_blocking(move || {
        pplay()
            .arg("run")
            .arg(&pb)
            .args(["--url", &url, "--resume"])
            .arg(&journal)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("nothing to do"));
    assert!(server.requests().is_empty(), "{:?}", server.requests());
}

#[test]
fn the_call_in_flight_is_named_and_a_skipped_one_refuses_its_readers() {
    let sim = sim(&[]);
    let (dir, pb, journal) = failed_run(&sim);
    // As if killed right after the first call was sent.
    let text = std::fs::read_to_string(&journal).unwrap();
    let kept: Vec<&str> = text.lines().take(2).collect();
    std::fs::write(&journal, kept.join("\n") + "\n").unwrap();
    let resume = |choice: Option<&str>| {
        let out = start(&pb, &journal, &sim.url, true, choice)
            .wait_with_output()
            .unwrap();
        (out.status.code(), stderr_of(&out, dir.path()))
    };
    let (code, asked) = resume(None);
    assert_eq!(code, Some(2));
    insta::assert_snapshot!("in_flight_asked", asked);
    let (code, refused) = resume(Some("skip"));
    assert_eq!(code, Some(2));
    assert!(refused.contains("pplay::in-flight-skipped"), "{refused}");
    assert!(
        refused.contains("`kick` comes from the call to `ppal-create-track`"),
        "{refused}"
    );
    assert_eq!(
        track_names(&sim.url),
        ["Kick", "Bass after 0"],
        "nothing was sent"
    );
}
