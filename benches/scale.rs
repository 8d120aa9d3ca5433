//! `cargo bench --bench scale`: how pplay's time and memory grow with the
//! length of a playbook, measured on the whole `pplay` process.
//!
//! Four kinds of generated playbooks, each at two sizes ten times apart:
//! *plain* steps (one literal `ppal-create-clip` call each), *templated*
//! steps (an `id`, templated args, one of which reads the previous step's
//! `steps.<id>`, a capture and an expectation), *notes* steps (plain
//! steps whose literal notes string makes 64 notes, with chords, repeats
//! and a bar copy, its velocity different from step to step, so check
//! reads a 1.4 bar|beat string of every step) and a *batch* (steps that
//! each loop over a table of 1,000 rows in `vars`, their notes written by
//! `steps()` from the row's pattern, pitch and velocity, so check renders
//! and reads the notes of every iteration). For each, `pplay check`
//! (pinned catalog) and `pplay run` (against a server that answers every
//! call with the same fixed body, so the client's cost is what is measured)
//! are timed and their peak resident memory read from `/usr/bin/time`.
//! Beside them, in the same run: a bare keep-alive client sending the same
//! calls to the same server (the floor any client can reach), `check` of
//! 200-step playbooks, and the growth of two commands that write something
//! for every step: `check` of the plain playbook against the 2.x catalog
//! (a warning drawn for each step) and `migrate`. Everything is reported as
//! figures and ratios measured side by side; nothing here fails on timing.
//!
//! `cargo bench --bench scale -- --quick`: small sizes and one round, for
//! CI; it fails only when a run does not do what it should.
//! `cargo bench --bench scale -- --write DIR [N]...`: only write the playbooks
//! (and the templated ones as Hurl files, for `benches/hurl.sh`).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The pinned catalog the playbooks are checked against.
const CATALOG: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/schemas/producer-pal-1.4.6.json"
);

/// The 2.x catalog: in it, the plain playbook's `trackIndex` is a
/// deprecated alias, so its check draws a warning for every step.
const CATALOG_2X: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/schemas/producer-pal-2.3.0.json"
);

/// What the fixed-body server answers to every call: a created clip.
const REPLY: &str = r#"{"result":{"id":"clip-1","noteCount":1},"isError":false}"#;

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Plain,
    Templated,
    Notes,
    Batch,
}

/// The most rows a batch step loops over; `n` calls are `n / ROWS` steps
/// (one step of `n` rows when `n` is smaller).
const ROWS: usize = 1_000;

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Plain => "plain",
            Kind::Templated => "templated",
            Kind::Notes => "notes",
            Kind::Batch => "batch",
        }
    }
}

/// A 1.4 notes string of 64 notes (14 and 18 in two bars, copied onto the
/// next two) at velocity `v`.
fn notes_string(v: usize) -> String {
    format!("v{v} t/4 C1 1|1,2,3,4 D1 1|2,4 F#1 1|1x8@/2 E1 2|1x16@/4 A1 2|1,3 @3-4=1-2")
}

/// A batch's table: a row per clip, its 17-step pattern, pitch and
/// velocity all varying, so few rows write the same notes.
fn rows(count: usize) -> String {
    let mut s = String::from("  rows:\n");
    for i in 0..count {
        let pattern: String = (0..16)
            .map(|b| match ((i * 7 + 3) >> (b % 10)) & 3 {
                0 => 'X',
                1 => 'x',
                _ => '.',
            })
            .collect();
        let pitch = ["C1", "D1", "F#1", "A#1"][i % 4];
        s.push_str(&format!(
            "    - {{ pitch: {pitch}, velocity: {}, pattern: \"x{pattern}\" }}\n",
            1 + i % 127
        ));
    }
    s
}

/// A playbook of `n` calls of one kind.
fn playbook(kind: Kind, n: usize) -> String {
    let mut s = format!("name: scale {} {n}\n", kind.name());
    if kind == Kind::Templated {
        s.push_str("vars:\n  t: 0\n  n: C3 1|1\n");
    }
    if kind == Kind::Batch {
        let count = ROWS.min(n);
        s.push_str(&format!("vars:\n{}steps:\n", rows(count)));
        for _ in 0..n / count {
            s.push_str("  - tool: ppal-create-clip\n    loop: \"{{ rows }}\"\n    args: { trackIndex: 0, arrangementStart: \"1|1\", notes: \"{{ steps(item.pattern, item.pitch, velocity=item.velocity) }}\" }\n");
        }
        return s;
    }
    s.push_str("steps:\n");
    for i in 0..n {
        match kind {
            Kind::Batch => unreachable!("written above"),
            Kind::Plain => s.push_str(
                "  - tool: ppal-create-clip\n    args: { trackIndex: 0, arrangementStart: \"1|1\", notes: C3 1|1 }\n",
            ),
            Kind::Notes => s.push_str(&format!(
                "  - tool: ppal-create-clip\n    args: {{ trackIndex: 0, arrangementStart: \"1|1\", notes: \"{}\" }}\n",
                notes_string(1 + i % 127)
            )),
            Kind::Templated => {
                // The first step has no previous step to read. Flow style
                // keeps 20,000 steps under the 4 MiB a playbook may be.
                let name = if i == 0 {
                    "first".to_owned()
                } else {
                    format!("after {{{{ steps.s{}.result.id }}}}", i - 1)
                };
                s.push_str(&format!(
                    "  - id: s{i}\n    tool: ppal-create-clip\n    args: {{trackIndex: \"{{{{ t }}}}\", notes: \"{{{{ n }}}}\", name: \"{name}\"}}\n    capture: {{last: result.id}}\n    expect: result.noteCount == 1\n"
                ));
            }
        }
    }
    s
}

/// The templated playbook's calls as a Hurl file, for `benches/hurl.sh`:
/// the same bodies, the previous reply's id captured and sent on, and the
/// same expectation. `{{url}}`, `{{track}}` and `{{notes}}` are Hurl
/// variables.
fn hurl_file(n: usize) -> String {
    let mut s = String::new();
    for i in 0..n {
        let name = if i == 0 { "first" } else { "after {{last}}" };
        s.push_str(&format!(
            "POST {{{{url}}}}/api/tools/ppal-create-clip?format=json\nContent-Type: application/json\n{{\"trackIndex\": {{{{track}}}}, \"notes\": \"{{{{notes}}}}\", \"name\": \"{name}\"}}\nHTTP 200\n[Captures]\nlast: jsonpath \"$.result.id\"\n[Asserts]\njsonpath \"$.result.noteCount\" == 1\n\n"
        ));
    }
    s
}

/// A server that answers every call with [`REPLY`], on its own thread and
/// runtime so client and server each have a core.
fn start_fixed_server() -> String {
    use axum::routing::post;
    let (tx, rx) = mpsc::channel();
    std::thread::Builder::new()
        .name("fixed".into())
        .spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let app = axum::Router::new().route(
                    "/api/tools/{tool}",
                    post(|| async { ([("content-type", "application/json")], REPLY) }),
                );
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                tx.send(format!("http://{}", listener.local_addr().unwrap()))
                    .unwrap();
                axum::serve(listener, app).await.unwrap();
            });
        })
        .unwrap();
    rx.recv().unwrap()
}

/// The same calls as the plain playbook from a bare keep-alive client.
async fn bare(url: &str, n: usize) -> Duration {
    let http = reqwest::Client::new();
    let endpoint = format!("{url}/api/tools/ppal-create-clip?format=json");
    let body = r#"{"trackIndex":0,"arrangementStart":"1|1","notes":"C3 1|1"}"#;
    let t0 = Instant::now();
    for _ in 0..n {
        let r = http
            .post(&endpoint)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        let v: serde_json::Value = r.json().await.unwrap();
        assert_eq!(v["isError"], false);
    }
    t0.elapsed()
}

/// Wall time, CPU time and peak resident memory of one process.
#[derive(Clone, Copy)]
struct Measure {
    secs: f64,
    /// User plus system time: what the process itself ran, which the
    /// shared machine's other load moves far less than the wall time.
    cpu: f64,
    /// Peak RSS in KiB, when `/usr/bin/time` is there to read it.
    rss_kib: Option<u64>,
}

const TIME: &str = "/usr/bin/time";

/// Runs `pplay ARGS`, which must exit 0, and measures it. Its peak RSS is
/// read only when `rss` asks for it: `/usr/bin/time` adds its own start, a
/// few ms, to the wall time, which matters for a run as short as `check`
/// of 200 steps.
fn pplay(args: &[&str], rss: bool) -> Measure {
    let bin = env!("CARGO_BIN_EXE_pplay");
    let with_time = rss && Path::new(TIME).exists();
    let mut cmd = if with_time {
        let mut c = Command::new(TIME);
        c.args(["-f", "%M"]).arg(bin);
        c
    } else {
        Command::new(bin)
    };
    cmd.args(args);
    let cpu0 = children_cpu();
    let t0 = Instant::now();
    let out = cmd.output().expect("pplay starts");
    let secs = t0.elapsed().as_secs_f64();
    let cpu = children_cpu() - cpu0;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "pplay {} failed: {}\n{stderr}",
        args.join(" "),
        out.status
    );
    let rss_kib = with_time
        .then(|| stderr.lines().last().and_then(|l| l.trim().parse().ok()))
        .flatten();
    Measure { secs, cpu, rss_kib }
}

/// User plus system time of all the children waited for so far; across one
/// child, the difference is that child's (with `/usr/bin/time`, its own
/// small share too).
fn children_cpu() -> f64 {
    // SAFETY: getrusage only writes the struct it is given, and a zeroed
    // `rusage` is a valid value of that plain C struct.
    let usage = unsafe {
        let mut u: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_CHILDREN, &mut u);
        u
    };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 * 1e-6;
    secs(usage.ru_utime) + secs(usage.ru_stime)
}

/// The calls a `--json` run reports in its `run_finished` event.
fn calls_of_json_run(url: &str, file: &Path) -> u64 {
    let out = Command::new(env!("CARGO_BIN_EXE_pplay"))
        .args(["run", "--json", "--tools", CATALOG, "--url", url])
        .arg(file)
        .output()
        .expect("pplay starts");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let last: serde_json::Value =
        serde_json::from_str(text.lines().last().expect("events")).expect("JSON events");
    last["summary"]["calls"].as_u64().expect("a call count")
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// The median of `large[i] / small[i]`. Both figures of a round are taken
/// a moment apart, so a stretch when the shared machine runs slow weighs on
/// both; a ratio of the two medians would mix rounds from fast and slow
/// stretches.
fn median_ratio(large: &[f64], small: &[f64]) -> f64 {
    median(large.iter().zip(small).map(|(l, s)| l / s).collect())
}

fn mib(kib: Option<u64>) -> String {
    kib.map_or("n/a".into(), |k| format!("{:.1} MiB", k as f64 / 1024.0))
}

/// One playbook's figures over the rounds.
#[derive(Default)]
struct Series {
    check: Vec<f64>,
    run: Vec<f64>,
    check_cpu: Vec<f64>,
    run_cpu: Vec<f64>,
    check_rss: Option<u64>,
    run_rss: Option<u64>,
}

impl Series {
    fn add(&mut self, check: Measure, run: Measure) {
        self.check.push(check.secs);
        self.run.push(run.secs);
        self.check_cpu.push(check.cpu);
        self.run_cpu.push(run.cpu);
        self.check_rss = self.check_rss.max(check.rss_kib);
        self.run_rss = self.run_rss.max(run.rss_kib);
    }
}

fn write_playbooks(dir: &Path, sizes: &[usize]) -> Vec<(Kind, usize, PathBuf)> {
    let mut out = Vec::new();
    for kind in [Kind::Plain, Kind::Templated, Kind::Notes, Kind::Batch] {
        for &n in sizes {
            let path = dir.join(format!("{}-{n}.yaml", kind.name()));
            std::fs::write(&path, playbook(kind, n)).unwrap();
            out.push((kind, n, path));
        }
    }
    out
}

/// `--write DIR [N]...`: the playbooks, and the templated ones as Hurl files.
fn write_only(args: &[String]) {
    let dir = PathBuf::from(args.first().expect("--write DIR [N]..."));
    let mut sizes: Vec<usize> = args[1..]
        .iter()
        .map(|a| a.parse().expect("a step count"))
        .collect();
    if sizes.is_empty() {
        sizes = vec![200, 2_000, 20_000];
    }
    std::fs::create_dir_all(&dir).unwrap();
    for (_, _, p) in write_playbooks(&dir, &sizes) {
        println!("{}", p.display());
    }
    for n in sizes {
        let p = dir.join(format!("templated-{n}.hurl"));
        std::fs::write(&p, hurl_file(n)).unwrap();
        println!("{}", p.display());
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--write") {
        // cargo bench adds `--bench` after the arguments.
        let rest: Vec<String> = args[i + 1..]
            .iter()
            .filter(|a| !a.starts_with("--"))
            .cloned()
            .collect();
        write_only(&rest);
        return;
    }
    let quick = args.iter().any(|a| a == "--quick");
    let (small, large, rounds) = if quick {
        (200, 2_000, 1)
    } else {
        (2_000, 20_000, 7)
    };
    let dir = tempfile::tempdir().unwrap();
    let books = write_playbooks(dir.path(), &[small, large]);
    let check200 = dir.path().join("check-200.yaml");
    std::fs::write(&check200, playbook(Kind::Templated, 200)).unwrap();
    let plain200 = dir.path().join("plain-check-200.yaml");
    std::fs::write(&plain200, playbook(Kind::Plain, 200)).unwrap();
    let url = start_fixed_server();

    // A run that does what it should: every call sent, exit 0.
    for (_, n, path) in &books {
        assert_eq!(
            calls_of_json_run(&url, path),
            *n as u64,
            "{}",
            path.display()
        );
    }

    let mut series: Vec<Series> = books.iter().map(|_| Series::default()).collect();
    let mut bare_us = Vec::new();
    let mut check_small = Vec::new();
    let mut check_small_plain = Vec::new();
    let (mut warned_small, mut warned_large) = (Vec::new(), Vec::new());
    let (mut migrate_small, mut migrate_large) = (Vec::new(), Vec::new());
    let migrate = |path: &Path| pplay(&["migrate", path.to_str().unwrap()], false).secs;
    let check_2x = |path: &Path| {
        let m = pplay(
            &["check", "--tools", CATALOG_2X, path.to_str().unwrap()],
            false,
        );
        m.secs
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(bare(&url, 200));
    // Interleaved rounds: a slow moment of the machine hits every figure alike.
    for _ in 0..rounds {
        for ((_, _, path), s) in books.iter().zip(&mut series) {
            let p = path.to_str().unwrap();
            let check = pplay(&["check", "--tools", CATALOG, p], true);
            let run = pplay(&["run", "-q", "--tools", CATALOG, "--url", &url, p], true);
            s.add(check, run);
        }
        bare_us.push(rt.block_on(bare(&url, small)).as_secs_f64() * 1e6 / small as f64);
        for _ in 0..5 {
            let args = ["check", "--tools", CATALOG, check200.to_str().unwrap()];
            check_small.push(pplay(&args, false).secs);
            let args = ["check", "--tools", CATALOG, plain200.to_str().unwrap()];
            check_small_plain.push(pplay(&args, false).secs);
        }
        warned_small.push(check_2x(&books[0].2));
        warned_large.push(check_2x(&books[1].2));
        migrate_small.push(migrate(&books[0].2));
        migrate_large.push(migrate(&books[1].2));
    }
    report(&books, &series, median(bare_us), rounds);
    println!(
        "check with a warning drawn for every step (plain steps, 2.x catalog), {small} -> {large}: {:.2}x",
        median_ratio(&warned_large, &warned_small)
    );
    println!(
        "migrate to 2.x (plain steps: a rewrite in each), {small} -> {large}: {:.2}x",
        median_ratio(&migrate_large, &migrate_small)
    );
    println!(
        "check of a 200-step playbook, pinned catalog: plain {:.1} ms, templated {:.1} ms (medians of {})",
        median(check_small_plain) * 1e3,
        median(check_small) * 1e3,
        rounds * 5
    );
}

/// One line per kind of playbook: how `check` and `run` grow from its small
/// size to its large one, in the figures `pick` takes from a series.
fn growth(
    books: &[(Kind, usize, PathBuf)],
    series: &[Series],
    pick: impl Fn(&Series) -> (&[f64], &[f64]),
) {
    for pair in books.chunks(2).zip(series.chunks(2)) {
        let ((kind, small, _), (_, large, _)) = (&pair.0[0], &pair.0[1]);
        let ((check_a, run_a), (check_b, run_b)) = (pick(&pair.1[0]), pick(&pair.1[1]));
        println!(
            "  {:<10} {small} -> {large}: check {:5.2}x  run {:5.2}x",
            kind.name(),
            median_ratio(check_b, check_a),
            median_ratio(run_b, run_a),
        );
    }
}

fn report(books: &[(Kind, usize, PathBuf)], series: &[Series], bare_us: f64, rounds: usize) {
    let ms = |s: f64| format!("{:8.1} ms", s * 1e3);
    println!(
        "whole `pplay` process, median of {rounds} interleaved rounds; server answers a fixed body"
    );
    println!(
        "{:<28} {:>11} {:>11} {:>11} {:>11}",
        "", "check", "run", "check RSS", "run RSS"
    );
    for ((kind, n, _), s) in books.iter().zip(series) {
        println!(
            "{:<28} {} {} {:>11} {:>11}",
            format!("{} {n} steps", kind.name()),
            ms(median(s.check.clone())),
            ms(median(s.run.clone())),
            mib(s.check_rss),
            mib(s.run_rss),
        );
    }
    println!("growth at 10x the steps (linear is 10x; median of the rounds' own ratios):");
    growth(books, series, |s| (&s.check, &s.run));
    println!("the same growth in CPU time (user + system of the process):");
    growth(books, series, |s| (&s.check_cpu, &s.run_cpu));
    let (_, small, _) = books[0];
    let plain_run = median(series[0].run.clone());
    let templated_run = median(series[2].run.clone());
    let notes_run = median(series[4].run.clone());
    let per_call = |t: f64| t * 1e6 / small as f64;
    println!("per call at {small} steps (whole process: start, check, run, exit):");
    println!("  bare keep-alive client:  {bare_us:7.1} µs  (the floor: same calls, same server)");
    println!(
        "  pplay plain:             {:7.1} µs  ({:.2}x the bare client)",
        per_call(plain_run),
        per_call(plain_run) / bare_us
    );
    println!(
        "  pplay templated:         {:7.1} µs  ({:.2}x the bare client)",
        per_call(templated_run),
        per_call(templated_run) / bare_us
    );
    println!(
        "  pplay notes (64 notes):  {:7.1} µs  ({:.2}x the bare client)",
        per_call(notes_run),
        per_call(notes_run) / bare_us
    );
}
