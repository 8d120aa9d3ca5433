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

/// `pplay run` on `pb` with `args`, not yet started.
fn run_cmd(pb: &Path, args: &[&str]) -> Command {
    let mut c = pplay();
    c.arg("run").arg(pb).args(args);
    c
}

/// `pplay run` on `pb` against `url` with `extra` arguments, to the end.
fn run(pb: &Path, url: &str, extra: &[&str]) -> Output {
    run_cmd(pb, &[&["--url", url], extra].concat())
        .output()
        .unwrap()
}

/// Asserts the exit code of a finished run, showing its output if wrong.
fn assert_exit(out: &Output, code: i32, what: &str) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "{what}\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// What [`TWO_TRACKS`] makes in a fresh Live Set.
const TWO_MADE: [&str; 2] = ["Kick", "Bass after 0"];

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

/// [`BATCH`] for Producer Pal 2.x, which names tracks and slots by path and
/// appends a track at `t+`: the same steps, with 2.x's arguments and results.
fn batch_2x() -> String {
    [
        (
            r#"args: { name: "{{ item }}", type: midi }"#,
            r#"args: { path: "t+", count: 1, name: "{{ item }}", type: midi }"#,
        ),
        (
            "result.trackIndex == first + loop.index0",
            r#"result.path == "t" ~ (first + loop.index0)"#,
        ),
        (
            r#"slot: "{{ first + item[0] }}/{{ item[1] }}""#,
            r#"path: "t{{ first + item[0] }}/s{{ item[1] }}""#,
        ),
        (r#"length: "1:0""#, r#"length: "1bar""#),
    ]
    .iter()
    .fold(BATCH.to_owned(), |pb, (on_1x, on_2x)| {
        assert!(pb.contains(on_1x), "BATCH no longer has {on_1x}");
        pb.replace(on_1x, on_2x)
    })
}

/// `pplay sim` in its own process, as Producer Pal 1.4 (most playbooks here
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
/// simulator's own tools: a track is read by the `path` the set gives it on
/// Producer Pal 2.x, by its `trackIndex` on 1.4.
fn live_set(url: &str) -> Vec<(String, Vec<String>)> {
    let set = call(url, "ppal-read-live-set", json!({"include": ["tracks"]}));
    let list = |v: &Json| v.as_array().cloned().unwrap_or_default();
    let name = |v: &Json| v["name"].as_str().unwrap_or_default().to_owned();
    list(&set["tracks"])
        .iter()
        .map(|t| {
            let mut at = match &t["path"] {
                Json::String(path) => json!({ "path": path }),
                _ => json!({ "trackIndex": t["trackIndex"] }),
            };
            at["include"] = json!(["session-clips"]);
            let track = call(url, "ppal-read-track", at);
            (
                name(t),
                list(&track["sessionClips"]).iter().map(name).collect(),
            )
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
    let mut c = run_cmd(pb, &["--url", url, "-q"]);
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

/// [`start`], waited for to the end.
fn journaled(
    pb: &Path,
    journal: &Path,
    url: &str,
    resume: bool,
    in_flight: Option<&str>,
) -> Output {
    start(pb, journal, url, resume, in_flight)
        .wait_with_output()
        .unwrap()
}

/// Waits until the journal holds `sent` sent lines; false when the run
/// ended first.
fn wait_for_sent(child: &mut std::process::Child, journal: &Path, sent: usize) -> bool {
    let deadline = Instant::now() + Duration::from_secs(30);
    while sent_lines(journal) < sent {
        if child.try_wait().unwrap().is_some() {
            return false;
        }
        assert!(
            Instant::now() < deadline,
            "the run did not get to call {sent}"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
    true
}

/// Sends `signal` (as `kill` spells it) to a running child.
#[cfg(unix)]
fn send_signal(child: &std::process::Child, signal: &str) {
    Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
}

/// How many `sent` lines the journal holds (a line cut short counts too).
fn sent_lines(journal: &Path) -> usize {
    std::fs::read_to_string(journal)
        .unwrap_or_default()
        .lines()
        .filter(|l| l.contains(r#""kind":"sent""#))
        .count()
}

/// Once the journal holds `sent` sent lines, waits `extra` more and kills the
/// run with SIGKILL; `Err` with its output when it ended first.
fn kill_at(
    mut child: std::process::Child,
    journal: &Path,
    sent: usize,
    extra: Duration,
) -> Result<(), Output> {
    if !wait_for_sent(&mut child, journal, sent) {
        return Err(child.wait_with_output().unwrap());
    }
    std::thread::sleep(extra);
    let _ = child.kill(); // SIGKILL on Unix
    match child.wait_with_output() {
        Ok(out) if out.status.code().is_some() => Err(out),
        _ => Ok(()),
    }
}

fn scratch(text: &str) -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let pb = dir.path().join("batch.yaml");
    std::fs::write(&pb, text).unwrap();
    let journal = dir.path().join("batch.journal");
    (dir, pb, journal)
}

/// What [`BATCH`] makes: three tracks with four clips each.
fn batch_set() -> Vec<(String, Vec<String>)> {
    ["Kick", "Snare", "Hat"]
        .iter()
        .map(|p| (p.to_string(), (0..4).map(|s| format!("{p}-{s}")).collect()))
        .collect()
}

/// One batch job (`playbook`: [`BATCH`] or [`batch_2x`], against `pplay sim`
/// as Producer Pal `producer_pal`) killed with SIGKILL `kills` times at
/// seeded points over its 17 calls, the first once `from` calls were sent (each after one or two
/// further `sent` lines, plus a
/// seeded delay of up to one call's latency, so a kill lands before, during
/// or after a call and inside journal writes alike), each time resumed with
/// the choice the manual tells a user to make for the call in flight: look
/// in Live, skip it if it took effect, resend it if not. Returns the kills
/// that landed and the calls in flight decided.
fn killed_job(
    producer_pal: &str,
    playbook: &str,
    seed: u64,
    from: usize,
    kills: usize,
) -> (usize, usize) {
    let sim = SimProcess::start(&["--producer-pal", producer_pal, "--latency-ms", "30"]);
    let (_dir, pb, journal) = scratch(playbook);
    let mut rng = Rng(seed);
    let (mut landed, mut asked) = (0, 0);
    let mut choice_now: Option<&str> = None;
    let out = loop {
        let resume = journal.exists();
        let child = start(&pb, &journal, &sim.url, resume, choice_now);
        choice_now = None;
        let out = if landed < kills {
            let after = sent_lines(&journal).max(from);
            let target = after + 1 + rng.below(2) as usize;
            let extra = Duration::from_millis(rng.below(35));
            match kill_at(child, &journal, target, extra) {
                Ok(()) => {
                    landed += 1;
                    continue;
                }
                Err(out) => out,
            }
        } else {
            child.wait_with_output().unwrap()
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
    assert_exit(&out, 0, &format!("seed {seed:#x}"));
    assert_eq!(live_set(&sim.url), batch_set(), "seed {seed:#x}");
    // The finished journal: nothing to do, nothing sent.
    let again = journaled(&pb, &journal, &sim.url, true, None);
    assert_exit(&again, 0, "finished journal");
    assert!(String::from_utf8_lossy(&again.stdout).contains("nothing to do"));
    assert_eq!(
        live_set(&sim.url),
        batch_set(),
        "seed {seed:#x}, resumed again"
    );
    (landed, asked)
}

#[test]
fn killed_at_random_moments_the_resumed_runs_build_exactly_the_playbook() {
    let mut kills = 0;
    let mut asked = 0;
    // The first job is killed in the first two thirds of its calls, the
    // second in the last two thirds.
    for (seed, from) in [(0x5eed_2026, 0), (0x0dd_ba11, 6)] {
        let (k, a) = killed_job("1.4", BATCH, seed, from, 6);
        kills += k;
        asked += a;
    }
    eprintln!("{kills} kills, {asked} calls in flight decided");
    assert!(kills >= 10, "only {kills} kills landed in a run");
}

#[test]
fn on_producer_pal_2x_killed_runs_resume_to_exactly_the_playbook() {
    let (kills, asked) = killed_job("2.3", &batch_2x(), 0x2026_5eed, 0, 5);
    eprintln!("{kills} kills, {asked} calls in flight decided");
    assert!(kills >= 4, "only {kills} kills landed in the run");
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
    let out = journaled(&pb, &journal, &sim.url, false, None);
    assert_exit(&out, 1, "the first run");
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
    let args = [
        "--var",
        "want=2",
        "--json",
        "--junit",
        junit.to_str().unwrap(),
        "--resume",
        journal.to_str().unwrap(),
    ];
    let out = run(&pb, &sim.url, &args);
    assert_exit(&out, 0, "resumed");
    let events = json_events(&out);
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
    assert_eq!(track_names(&sim.url), TWO_MADE);
}

#[test]
fn a_changed_step_is_refused_and_force_keeps_its_outcome() {
    let sim = sim(&[]);
    let (dir, pb, journal) = failed_run(&sim);
    std::fs::write(&pb, TWO_TRACKS.replace("name: Kick", "name: Kik")).unwrap();
    let j = journal.to_str().unwrap();
    // Each answer's exit code, and its stdout snapshotted under `name`.
    let resume = |force: &[&str], name: &str| {
        let out = run(
            &pb,
            &sim.url,
            &[&["--var", "want=2", "--resume", j], force].concat(),
        );
        let stdout = String::from_utf8_lossy(&out.stdout)
            .replace(&sim.url, "URL")
            .replace(&format!("{}/", dir.path().display()), "");
        insta::with_settings!({filters => vec![(r"\d+(\.\d+)? ms", "[time]")]}, {
            insta::assert_snapshot!(name, stdout);
        });
        out.status.code()
    };
    assert_eq!(resume(&[], "changed_step_refused"), Some(2));
    assert_eq!(track_names(&sim.url), TWO_MADE, "nothing was sent");
    assert_eq!(resume(&["--force"], "changed_step_forced"), Some(0));
    assert_eq!(track_names(&sim.url), TWO_MADE);
}

#[test]
fn a_corrupt_journal_is_a_located_error() {
    let sim = sim(&[]);
    let (dir, pb, journal) = failed_run(&sim);
    let text = std::fs::read_to_string(&journal).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    lines[2] = r#"{"kind":"outcome","step":"0","status":"done?"}"#;
    std::fs::write(&journal, lines.join("\n") + "\n").unwrap();
    let out = journaled(&pb, &journal, &sim.url, true, None);
    assert_eq!(out.status.code(), Some(2));
    insta::assert_snapshot!("corrupt_journal", stderr_of(&out, dir.path()));
    assert_eq!(track_names(&sim.url), TWO_MADE, "nothing was sent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_finished_journal_sends_nothing() {
    let sim = sim(&[]);
    let (_dir, pb, journal) = scratch(TWO_TRACKS);
    // `run` off the async runtime, which serves the test server.
    let run_off = |url: String, extra: Vec<&'static str>| {
        let (pb, j) = (pb.clone(), journal.clone());
        tokio::task::spawn_blocking(move || {
            let j = j.to_str().unwrap();
            run(&pb, &url, &[extra.as_slice(), &[j]].concat())
        })
    };
    let out = run_off(sim.url.clone(), vec!["--var", "want=2", "--journal"])
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    // Resumed against a server that records every request it gets.
    let server = TestServer::start(|_, _| common::Answer::ok(json!({}))).await;
    let out = run_off(server.url(), vec!["--resume"]).await.unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("nothing to do"));
    assert!(server.requests().is_empty(), "{:?}", server.requests());
}

#[test]
fn the_call_in_flight_is_named_and_a_skipped_one_refuses_its_readers() {
    let sim = sim(&[]);
    let (dir, pb, journal) = failed_run(&sim);
    // As if killed right after the first call was sent.
    cut_journal(&journal, 2);
    let resume = |choice: Option<&str>| {
        let out = journaled(&pb, &journal, &sim.url, true, choice);
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
    assert_eq!(track_names(&sim.url), TWO_MADE, "nothing was sent");
}

/// A journal cut after its first `lines` lines, as if the run had been
/// killed there.
fn cut_journal(journal: &Path, lines: usize) {
    let text = std::fs::read_to_string(journal).unwrap();
    let kept: Vec<&str> = text.lines().take(lines).collect();
    std::fs::write(journal, kept.join("\n") + "\n").unwrap();
}

fn json_events(out: &Output) -> Vec<Json> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn a_read_only_call_in_flight_is_sent_again_without_asking() {
    let sim = sim(&[]);
    let (_dir, pb, journal) = failed_run(&sim);
    // Killed while the closing ppal-read-live-set (readOnlyHint) was out.
    cut_journal(&journal, 6);
    let j = journal.to_str().unwrap();
    let out = run(&pb, &sim.url, &["--var", "want=2", "--json", "--resume", j]);
    assert_exit(&out, 0, "resumed");
    let events = json_events(&out);
    let resumed = events.iter().find(|e| e["event"] == "resumed").unwrap();
    let choice = resumed["inFlight"][0]["choice"].as_str().unwrap();
    assert!(choice.contains("read-only"), "{resumed}");
    let sent: Vec<&str> = events
        .iter()
        .filter(|e| e["event"] == "call_sent")
        .map(|e| e["tool"].as_str().unwrap())
        .collect();
    assert_eq!(sent, ["ppal-read-live-set"]);
    assert_eq!(track_names(&sim.url), TWO_MADE);
}

#[test]
fn a_call_in_flight_is_resent_or_skipped_as_chosen_and_reports_say_which() {
    for (choice, want, tracks) in [
        ("skip", "2", TWO_MADE.to_vec()),
        ("resend", "3", vec!["Kick", "Bass after 0", "Bass after 0"]),
    ] {
        let sim = sim(&[]);
        let (dir, pb, journal) = failed_run(&sim);
        // Killed while the second ppal-create-track was out (it did reach
        // Live: the failed run went on past it).
        cut_journal(&journal, 4);
        let junit = dir.path().join("junit.xml");
        let args = [
            "--var",
            &format!("want={want}"),
            "--resume",
            journal.to_str().unwrap(),
            "--in-flight",
            choice,
            "--junit",
            junit.to_str().unwrap(),
        ];
        let out = run(&pb, &sim.url, &args);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{choice}: {stdout}");
        assert!(
            stdout.contains(
                "the call to `ppal-create-track` of step 'ppal-create-track' was in flight"
            ),
            "{stdout}"
        );
        let summary = stdout.lines().last().unwrap();
        if choice == "skip" {
            assert!(
                stdout.contains("taken as done, without a result"),
                "{stdout}"
            );
            assert!(summary.contains("1 skipped"), "{summary}");
            assert!(summary.contains("2 restored from the journal"), "{summary}");
        } else {
            assert!(
                stdout.contains("sent again (--in-flight resend)"),
                "{stdout}"
            );
            assert!(summary.contains("0 skipped"), "{summary}");
            assert!(summary.contains("1 restored from the journal"), "{summary}");
        }
        let xml = std::fs::read_to_string(&junit).unwrap();
        assert!(xml.contains("restored from the journal"), "{xml}");
        assert_eq!(
            xml.contains("in flight when the run stopped: --in-flight skip"),
            choice == "skip",
            "{xml}"
        );
        assert_eq!(track_names(&sim.url), tracks, "{choice}");
    }
}

#[test]
fn a_run_without_journal_writes_nothing_and_a_journal_is_never_overwritten() {
    let sim = sim(&[]);
    let (dir, pb, journal) = scratch(TWO_TRACKS);
    let out = run_cmd(
        Path::new("batch.yaml"),
        &["--url", &sim.url, "--var", "want=2"],
    )
    .current_dir(dir.path())
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let files: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(files, ["batch.yaml"]);

    let j = journal.to_str().unwrap();
    let out = run(&pb, &sim.url, &["--var", "want=4", "--journal", j]);
    assert_eq!(out.status.code(), Some(0));
    let before = std::fs::read(&journal).unwrap();
    let out = run(&pb, &sim.url, &["--var", "want=6", "--journal", j]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = stderr_of(&out, dir.path());
    assert!(stderr.contains("pplay::journal-exists"), "{stderr}");
    assert!(
        stderr.contains("continue that run with --resume batch.journal"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read(&journal).unwrap(),
        before,
        "the journal is kept"
    );
    assert_eq!(track_names(&sim.url).len(), 4, "nothing was sent");
}

/// Sends `signal` to a journaled run once its journal holds `calls` sent
/// lines, and returns its exit code.
#[cfg(unix)]
fn signalled(pb: &Path, journal: &Path, url: &str, signal: &str, calls: usize) -> Option<i32> {
    let mut child = start(pb, journal, url, false, None);
    assert!(
        wait_for_sent(&mut child, journal, calls),
        "the run ended before call {calls}"
    );
    send_signal(&child, signal);
    child.wait_with_output().unwrap().status.code()
}

#[cfg(unix)]
#[test]
fn after_sigterm_or_ctrl_c_the_resume_finishes_the_playbook_exactly() {
    for (signal, code, at) in [("-TERM", 143, 3), ("-INT", 130, 9)] {
        let sim = sim(&["--latency-ms", "150"]);
        let (_dir, pb, journal) = scratch(BATCH);
        assert_eq!(
            signalled(&pb, &journal, &sim.url, signal, at),
            Some(code),
            "{signal}"
        );
        // The call in flight was finished before stopping: nothing to ask.
        assert_eq!(in_flight(&journal), None, "{signal}");
        let j = journal.to_str().unwrap();
        let out = run(&pb, &sim.url, &["--json", "--resume", j]);
        assert_exit(&out, 0, signal);
        let events = json_events(&out);
        let restored = events.last().unwrap()["summary"]["restored"]
            .as_u64()
            .unwrap();
        assert!(restored >= at as u64, "{signal}: {restored} restored");
        assert_eq!(live_set(&sim.url), batch_set(), "{signal}");
    }
}

#[cfg(unix)]
#[test]
fn a_second_ctrl_c_leaves_the_call_in_flight_and_the_resume_asks_about_it() {
    // Each call takes 2.5 s, so both signals land while it is in flight even
    // on a loaded machine.
    let sim = sim(&["--latency-ms", "2500"]);
    let (dir, pb, journal) = scratch(TWO_TRACKS);
    let j = journal.to_str().unwrap();
    let mut child = run_cmd(&pb, &["--url", &sim.url, "--var", "want=2", "--journal", j])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    assert!(
        wait_for_sent(&mut child, &journal, 2),
        "the second call was not sent"
    );
    for _ in 0..2 {
        send_signal(&child, "-INT");
        std::thread::sleep(Duration::from_millis(300));
    }
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130));
    let (tool, args) = in_flight(&journal).expect("the abandoned call is in flight");
    assert_eq!(tool, "ppal-create-track");
    assert_eq!(args["name"], "Bass after 0");
    let out = run(&pb, &sim.url, &["--resume", j]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = stderr_of(&out, dir.path());
    assert!(stderr.contains("pplay::in-flight"), "{stderr}");
    assert!(
        stderr.contains(r#"sent with {"name":"Bass after 0","type":"midi"}"#),
        "{stderr}"
    );
    // Let the simulator finish whatever it was doing, then look in Live.
    std::thread::sleep(Duration::from_millis(2600));
    let decided = choice(&sim.url, &tool, &args);
    let out = run(&pb, &sim.url, &["--resume", j, "--in-flight", decided]);
    assert_exit(&out, 0, "resumed");
    assert_eq!(track_names(&sim.url), TWO_MADE, "{decided}");
}

/// Producer Pal 2.x names objects by path; the journal does not care.
const ON_2X: &str = r#"name: On 2.x
vars:
  want: 99
steps:
  - id: kick
    tool: ppal-create-track
    args: { count: 1, type: midi, name: Kick }
    capture:
      kick: result.path
  - tool: ppal-create-track
    args: { count: 1, type: midi, name: "Bass after {{ kick }}" }
  - tool: ppal-read-live-set
    args: { include: [] }
    expect:
      - result.trackCount == want
"#;

#[test]
fn on_producer_pal_2x_a_failed_run_resumes_without_repeating_its_calls() {
    let sim = SimProcess::start(&["--producer-pal", "2.3"]);
    let (_dir, pb, journal) = scratch(ON_2X);
    let j = journal.to_str().unwrap();
    let out = run(&pb, &sim.url, &["--journal", j]);
    assert_eq!(out.status.code(), Some(1));
    let out = run(&pb, &sim.url, &["--var", "want=2", "--json", "--resume", j]);
    assert_exit(&out, 0, "resumed");
    let events = json_events(&out);
    assert_eq!(events.last().unwrap()["summary"]["restored"], 2);
    assert_eq!(track_names(&sim.url), ["Kick", "Bass after t0"]);
}

#[test]
fn a_done_call_whose_args_now_render_differently_is_refused() {
    let sim = sim(&[]);
    let (_dir, pb, journal) = scratch(
        &TWO_TRACKS
            .replace("name: Kick", "name: \"{{ first }}\"")
            .replace("  want: 99\n", "  want: 99\n  first: Kick\n"),
    );
    let j = journal.to_str().unwrap();
    assert_eq!(run(&pb, &sim.url, &["--journal", j]).status.code(), Some(1));
    let out = run(
        &pb,
        &sim.url,
        &["--var", "first=Kik", "--var", "want=2", "--resume", j],
    );
    assert_eq!(out.status.code(), Some(2));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("pplay::resume-changed"), "{stdout}");
    assert!(
        stdout.contains("the step's args now render differently from those it was sent with"),
        "{stdout}"
    );
    assert!(
        !stdout.contains("changed since the journal was written"),
        "{stdout}"
    );
    assert_eq!(track_names(&sim.url), TWO_MADE, "nothing was sent");
}

#[test]
fn a_last_line_cut_short_by_a_kill_is_dropped_and_the_journal_goes_on() {
    let sim = sim(&[]);
    let (_dir, pb, journal) = failed_run(&sim);
    // Killed in the middle of writing a line.
    let mut text = std::fs::read_to_string(&journal).unwrap();
    text.push_str(r#"{"kind":"sent","step":"2","itera"#);
    std::fs::write(&journal, &text).unwrap();
    let j = journal.to_str().unwrap();
    let out = run(&pb, &sim.url, &["--var", "want=2", "--resume", j]);
    assert_exit(&out, 0, "resumed");
    let text = std::fs::read_to_string(&journal).unwrap();
    for line in text.lines() {
        let v: Json = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert!(v["kind"].is_string(), "{line}");
    }
    assert!(
        text.ends_with("{\"kind\":\"finished\",\"exitCode\":0}\n"),
        "{text}"
    );
    assert_eq!(track_names(&sim.url), TWO_MADE);
}

#[test]
fn a_resume_talks_to_the_url_its_journal_names_unless_told_otherwise() {
    let sim = sim(&[]);
    let (_dir, pb, journal) = failed_run(&sim);
    // No --url, no PPAL_URL: the journal's URL, not the default address.
    let j = journal.to_str().unwrap();
    let out = run_cmd(&pb, &["--var", "want=2", "--resume", j])
        .output()
        .unwrap();
    assert_exit(&out, 0, "resumed");
    assert!(String::from_utf8_lossy(&out.stdout).contains(&sim.url));
}

/// A loop whose calls read what the call before them captured.
const CHAIN: &str = r#"name: Chain
vars:
  prev: none
steps:
  - id: chain
    tool: ppal-create-track
    loop: [A, B, C]
    args: { name: "{{ item }} after {{ prev }}", type: midi }
    capture:
      prev: result.trackIndex
"#;

#[test]
fn a_skipped_iteration_whose_later_iterations_read_its_capture_is_refused() {
    let sim = sim(&[]);
    let (dir, pb, journal) = scratch(CHAIN);
    let out = journaled(&pb, &journal, &sim.url, false, None);
    assert_exit(&out, 0, "the first run");
    let made = ["A after none", "B after 0", "C after 1"];
    assert_eq!(track_names(&sim.url), made);
    // As if killed while the second iteration's call was out.
    cut_journal(&journal, 4);
    let out = journaled(&pb, &journal, &sim.url, true, Some("skip"));
    assert_eq!(out.status.code(), Some(2));
    insta::assert_snapshot!("in_flight_skipped_own_capture", stderr_of(&out, dir.path()));
    assert_eq!(track_names(&sim.url), made, "nothing was sent");
    // The same call resent: the later iterations read its new capture.
    let out = journaled(&pb, &journal, &sim.url, true, Some("resend"));
    assert_exit(&out, 0, "resent");
    let names = track_names(&sim.url);
    assert_eq!(names[3..], ["B after 0", "C after 3"]);
}

/// A finished journal is no licence to skip an edited playbook: resuming it
/// is refused (exit 2) as for an unfinished one, unless `--force` takes the
/// finished run as done.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_finished_journal_of_an_edited_playbook_is_refused() {
    let sim = sim(&[]);
    let (dir, pb, journal) = scratch(TWO_TRACKS);
    let j = journal.to_str().unwrap().to_owned();
    let out = run(&pb, &sim.url, &["--var", "want=2", "--journal", &j]);
    assert_eq!(out.status.code(), Some(0));
    std::fs::write(&pb, TWO_TRACKS.replace("Kick", "Kick 2")).unwrap();
    let server = TestServer::start(|_, _| common::Answer::ok(json!({}))).await;
    let url = server.url();
    let (pb2, j2) = (pb.clone(), j.clone());
    let refused = tokio::task::spawn_blocking(move || run(&pb2, &url, &["--resume", &j2]))
        .await
        .unwrap();
    assert_eq!(
        refused.status.code(),
        Some(2),
        "{}",
        stderr_of(&refused, dir.path())
    );
    insta::assert_snapshot!("finished_journal_edited", stderr_of(&refused, dir.path()));
    let url = server.url();
    let forced = tokio::task::spawn_blocking(move || run(&pb, &url, &["--resume", &j, "--force"]))
        .await
        .unwrap();
    assert_eq!(forced.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&forced.stdout).contains("nothing to do"));
    assert!(server.requests().is_empty(), "{:?}", server.requests());
}

/// A loop whose step name is a template: each call is shown as `Track A`,
/// `Track B`, ...
const NAMED: &str = r#"name: Named
steps:
  - name: "Track {{ item }}"
    tool: ppal-create-track
    loop: [A, B, C]
    args: { name: "{{ item }}", type: midi }
"#;

#[test]
fn a_call_in_flight_is_named_as_the_run_rendered_its_step_name() {
    // Each call takes 1.5 s, so the kill lands while the second is out.
    let sim = sim(&["--latency-ms", "1500"]);
    let (dir, pb, journal) = scratch(NAMED);
    let child = start(&pb, &journal, &sim.url, false, None);
    kill_at(child, &journal, 2, Duration::ZERO).expect("killed in flight");
    let text = std::fs::read_to_string(&journal).unwrap();
    let sent: Vec<Json> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<Json>(l).ok())
        .filter(|v| v["kind"] == "sent")
        .collect();
    assert_eq!(sent.last().unwrap()["name"], "Track B", "{text}");
    // Asked about, under the name the run showed, not its template.
    let out = journaled(&pb, &journal, &sim.url, true, None);
    assert_eq!(out.status.code(), Some(2));
    insta::assert_snapshot!("in_flight_rendered_name", stderr_of(&out, dir.path()));
    // Decided (after looking in Live), the resume's report names it the
    // same way.
    std::thread::sleep(Duration::from_millis(1600));
    let (tool, args) = in_flight(&journal).unwrap();
    let decided = choice(&sim.url, &tool, &args);
    let j = journal.to_str().unwrap();
    let out = run(&pb, &sim.url, &["--resume", j, "--in-flight", decided]);
    assert_exit(&out, 0, "resumed");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(
            "  the call to `ppal-create-track` of step 'Track B' (iteration 2) was in flight: "
        ),
        "{stdout}"
    );
    assert_eq!(track_names(&sim.url), ["A", "B", "C"], "{decided}");
}
