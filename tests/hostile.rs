//! The bad-input corpus: playbooks, files and flags written to hurt. Each is
//! refused with its documented exit code, at its line, with nothing sent to
//! the server, without a panic, quickly and without reading what it should
//! not.

mod common;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{Answer, TestServer};
use serde_json::json;

/// One hostile case: files beside each other, `main.yaml` run.
struct Case {
    name: &'static str,
    files: Vec<(String, String)>,
    args: Vec<String>,
    exit: i32,
    /// Words stderr must hold.
    says: &'static str,
    /// `main.yaml:LINE:` (or another file's place) that must be shown.
    at: Option<String>,
    /// Text that must never be shown (a file's contents).
    never: Vec<String>,
    /// Address space pplay may use, in MiB: past it an allocation aborts.
    within_mib: Option<u64>,
}

fn case(name: &'static str, main: &str, exit: i32, says: &'static str, line: usize) -> Case {
    Case {
        name,
        files: vec![("main.yaml".into(), main.into())],
        args: Vec::new(),
        exit,
        says,
        at: Some(format!("main.yaml:{line}:")),
        never: Vec::new(),
        within_mib: None,
    }
}

impl Case {
    fn arg(mut self, a: &str) -> Self {
        self.args.push(a.to_owned());
        self
    }
    fn never(mut self, s: &str) -> Self {
        self.never.push(s.to_owned());
        self
    }
    fn within_mib(mut self, mib: u64) -> Self {
        self.within_mib = Some(mib);
        self
    }
    fn unlocated(mut self) -> Self {
        self.at = None;
        self
    }
}

fn with_step(head: &str, step: &str) -> String {
    format!("name: hostile\n{head}steps:\n  - tool: ppal-connect\n{step}")
}

fn corpus() -> Vec<Case> {
    let long = "a".repeat(70_000);
    vec![
        case(
            "two nested loops over big ranges run out of fuel",
            &with_step(
                "vars:\n  busy: \"{% for i in range(10000) %}{% for j in range(10000) %}{% endfor %}{% endfor %}\"\n",
                "",
            ),
            2,
            "--template-fuel",
            3,
        ),
        case(
            "a range longer than --max-iterations is refused before it is built",
            &with_step("vars:\n  many: \"{{ range(100000) | list }}\"\n", ""),
            2,
            "100000 items",
            3,
        ),
        case(
            "a product loop is refused before it is built",
            &with_step(
                "",
                "  - tool: ppal-delete\n    loop: \"{{ product(range(10000), range(10000)) }}\"\n    args: { type: track, ids: \"{{ item }}\" }\n",
            ),
            2,
            "100000000 items",
            5,
        ),
        case(
            "a namespace that holds itself is refused, not a stack overflow",
            &with_step(
                "vars:\n  me: \"{% set ns = namespace() %}{% set ns.me = ns %}{{ ns }}\"\n",
                "",
            ),
            2,
            "may not hold itself",
            3,
        ),
        case(
            "a string doubled forty times stops at the cap",
            &with_step(
                "vars:\n  big: \"{% set ns = namespace(s='ab') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s }}\"\n",
                "",
            ),
            2,
            "bytes",
            3,
        ),
        case(
            "repeated strings joined in one expression are refused before they are built",
            &with_step(
                &format!(
                    "vars:\n  big: \"{{{{ {} }}}}\"\n",
                    vec!["('x' * 100000000)"; 30].join(" ~ ")
                ),
                "",
            ),
            2,
            "MiB while it runs",
            3,
        )
        .within_mib(300),
        case(
            "a long string turned into a list of characters is refused before it is built",
            &with_step(
                "vars:\n  chars: \"{{ ('x' * 10000000) | list | length }}\"\n",
                "",
            ),
            2,
            "MiB while it runs",
            3,
        )
        .within_mib(300),
        case(
            "a template producing too much text stops at the cap",
            &with_step(
                "vars:\n  wide: \"{% for i in range(9000) %}{{ 'x' * 1000 }}{% endfor %}\"\n",
                "",
            ),
            2,
            "--template-max-bytes",
            3,
        ),
        case(
            "a sequence of a million items is refused at the node cap",
            &with_step("", &format!("    args: {{ x: [{}a] }}\n", "a,".repeat(1_100_000))),
            2,
            "more than 1000000 nodes",
            4,
        )
        .within_mib(300),
        case(
            "aliases that copy more than they may are refused",
            &with_step(
                "vars:\n  a: &a [x, x, x, x, x, x, x, x, x, x]\n  b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n  c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n  d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n  e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n  f: [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n",
                "",
            ),
            2,
            "alias replay limit exceeded",
            8,
        )
        .within_mib(300),
        case(
            "a label past column 65535 is drawn",
            &format!("{{name: \"{long}\", steps: [{{tool: ppal-connect, bogus: 1}}]}}\n"),
            2,
            "unknown key `bogus`",
            1,
        ),
        case(
            "an expression the engine cannot lex is a located error",
            &with_step("", "    when: \"x }}y\"\n"),
            2,
            "ends this expression",
            4,
        ),
        case(
            "lipsum is not there at run time, so not at check time",
            &with_step(
                "",
                "  - tool: ppal-select\n    args: { trackId: \"{{ lipsum(2) }}\" }\n",
            ),
            2,
            "`lipsum` is not defined",
            5,
        ),
        case(
            "cycler is refused",
            &with_step("", "    when: \"cycler(1, 2).next() == 1\"\n"),
            2,
            "`cycler` is not defined",
            4,
        ),
        case(
            "joiner is refused",
            &with_step("vars:\n  j: \"{{ joiner(',') }}\"\n", ""),
            2,
            "`joiner` is not defined",
            3,
        ),
        case(
            "an unknown filter is refused",
            &with_step(
                "",
                "  - tool: ppal-select\n    args: { trackId: \"{{ 'a' | shout }}\" }\n",
            ),
            2,
            "unknown filter `shout`",
            5,
        ),
        case(
            "an unknown test is refused",
            &with_step("", "    when: \"1 is loud\"\n"),
            2,
            "unknown test `loud`",
            4,
        ),
        case(
            "include of /etc/passwd is refused unread",
            &with_step("", "  - include: /etc/passwd\n"),
            2,
            "must end in .yaml",
            4,
        )
        .never("root:"),
        case(
            "include of /proc/self/environ is refused unread",
            &with_step("", "  - include: /proc/self/environ\n"),
            2,
            "must end in .yaml",
            4,
        )
        .never("hunter2"),
        case(
            "include of /dev/zero is refused",
            &with_step("", "  - include: /dev/zero\n"),
            2,
            "must end in .yaml",
            4,
        ),
        case(
            "an include outside the root is refused",
            &with_step("", "  - include: ../outside.yaml\n"),
            2,
            "outside the playbook's root",
            4,
        ),
        case(
            "url that is not a URL",
            "name: u\nurl: not a url\nsteps:\n  - tool: ppal-connect\n",
            2,
            "http(s) URL",
            2,
        ),
        case(
            "url to a file",
            "name: u\nurl: file:///etc/passwd\nsteps:\n  - tool: ppal-connect\n",
            2,
            "http(s) URL",
            2,
        )
        .never("root:"),
        case(
            "--url that is not a URL",
            "name: u\nsteps:\n  - tool: ppal-connect\n",
            2,
            "--url",
            0,
        )
        .arg("--url=::::")
        .unlocated(),
        case(
            "a vars file that never ends",
            "name: v\nsteps:\n  - tool: ppal-connect\n",
            2,
            "not a regular file",
            0,
        )
        .arg("--vars-file=/dev/zero")
        .unlocated(),
    ]
}

/// Runs `pplay run main.yaml` in `dir` against `server` (unless the case
/// names its own URL) and returns (exit code, stderr).
fn run_case(dir: &Path, c: &Case, server: &str) -> (i32, String) {
    let bin = env!("CARGO_BIN_EXE_pplay");
    let mut cmd = match c.within_mib {
        // A cap on the address space turns memory taken into an abort.
        Some(mib) => {
            let mut sh = std::process::Command::new("sh");
            let kib = (mib << 10).to_string();
            sh.args(["-c", "ulimit -v \"$0\" && exec \"$@\"", &kib, bin]);
            sh
        }
        None => std::process::Command::new(bin),
    };
    cmd.current_dir(dir)
        .env_remove("PPAL_URL")
        .env("PPLAY_SECRET", "hunter2")
        .env("COLUMNS", "100")
        .args(["run", "main.yaml", "--color", "never"]);
    let own_url = c.args.iter().any(|a| a.starts_with("--url")) || c.files[0].1.contains("\nurl:");
    if !own_url {
        cmd.args(["--url", server]);
    }
    cmd.args(&c.args);
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_hostile_input_is_refused_at_its_line_with_nothing_sent() {
    let server = Arc::new(TestServer::start(|_, _| Answer::ok(json!({}))).await);
    let url = server.url();
    let mut failures = Vec::new();
    for c in corpus() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("project");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(root.path().join("outside.yaml"), "name: x\nsteps: []\n").unwrap();
        for (name, text) in &c.files {
            std::fs::write(dir.join(name), text).unwrap();
        }
        let started = Instant::now();
        let (code, stderr) = {
            let (dir, url) = (dir.clone(), url.clone());
            let c2 = Case {
                files: c.files.clone(),
                args: c.args.clone(),
                never: Vec::new(),
                within_mib: c.within_mib,
                ..case(c.name, "", 0, "", 0)
            };
            tokio::task::spawn_blocking(move || run_case(&dir, &c2, &url))
                .await
                .unwrap()
        };
        let took = started.elapsed();
        let mut wrong = Vec::new();
        if code != c.exit {
            wrong.push(format!("exit {code}, not {}", c.exit));
        }
        if stderr.contains("panicked") {
            wrong.push("panicked".into());
        }
        if !stderr.contains(c.says) {
            wrong.push(format!("does not say `{}`", c.says));
        }
        if let Some(at) = &c.at
            && !stderr.contains(at.as_str())
        {
            wrong.push(format!("not shown at {at}"));
        }
        for n in &c.never {
            if stderr.contains(n.as_str()) {
                wrong.push(format!("shows `{n}`"));
            }
        }
        if took > Duration::from_secs(20) {
            wrong.push(format!("took {took:?}"));
        }
        if !wrong.is_empty() {
            failures.push(format!("{}: {}\n{stderr}", c.name, wrong.join("; ")));
        }
    }
    assert!(
        server.requests().is_empty(),
        "calls were sent: {:?}",
        server.requests()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[cfg(unix)]
#[test]
fn a_fifo_or_a_folder_named_yaml_is_not_read() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe.yaml");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("SKIP: mkfifo is not available");
        return;
    }
    std::fs::create_dir(dir.path().join("folder.yaml")).unwrap();
    for target in ["pipe.yaml", "folder.yaml"] {
        let main = format!("name: f\nsteps:\n  - include: {target}\n");
        std::fs::write(dir.path().join("main.yaml"), main).unwrap();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_pplay"))
            .current_dir(dir.path())
            .args(["check", "main.yaml", "--tools"])
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/producer-pal-1.4.6.json"))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{target}: {stderr}");
        assert!(stderr.contains("not a regular file"), "{target}: {stderr}");
        assert!(stderr.contains("main.yaml:3:"), "{target}: {stderr}");
    }
}

#[cfg(unix)]
#[test]
fn a_link_out_of_the_root_is_refused_and_include_root_widens_it() {
    let root = tempfile::tempdir().unwrap();
    let project = root.path().join("project");
    let shared = root.path().join("shared");
    std::fs::create_dir_all(project.join(".git")).unwrap();
    std::fs::create_dir_all(project.join("deep")).unwrap();
    std::fs::create_dir_all(&shared).unwrap();
    std::fs::write(
        shared.join("part.yaml"),
        "name: part\nsteps:\n  - tool: ppal-connect\n",
    )
    .unwrap();
    std::os::unix::fs::symlink("/etc/passwd", project.join("deep/passwd.yaml")).unwrap();
    // A playbook deep in the project may include from the project's top.
    std::fs::write(
        project.join("top.yaml"),
        "name: top\nsteps:\n  - tool: ppal-connect\n",
    )
    .unwrap();
    let catalog = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/producer-pal-1.4.6.json");
    let check = |main: &str, extra: &[&str]| {
        std::fs::write(project.join("deep/main.yaml"), main).unwrap();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_pplay"))
            .current_dir(&project)
            .args(["check", "deep/main.yaml", "--tools"])
            .arg(&catalog)
            .args(extra)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, err) = check("name: m\nsteps:\n  - include: passwd.yaml\n", &[]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("outside the playbook's root"), "{err}");
    assert!(!err.contains("root:"), "{err}");
    let (code, err) = check("name: m\nsteps:\n  - include: ../top.yaml\n", &[]);
    assert_eq!(code, Some(0), "{err}");
    let outside = "name: m\nsteps:\n  - include: ../../shared/part.yaml\n";
    let (code, err) = check(outside, &[]);
    assert_eq!(code, Some(2), "{err}");
    let (code, err) = check(outside, &["--include-root", shared.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{err}");
}

/// `pplay ARGS` in `dir` with stdout (or stderr) a pipe whose reader is
/// already gone: (exit code, the other stream).
#[cfg(unix)]
fn with_closed(dir: &Path, args: &[&str], close_stderr: bool) -> (Option<i32>, String) {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_pplay"));
    cmd.current_dir(dir).env_remove("PPAL_URL").args(args);
    let out = if close_stderr {
        cmd.stderr(writer).output().unwrap()
    } else {
        cmd.stdout(writer).output().unwrap()
    };
    let other = if close_stderr { out.stdout } else { out.stderr };
    (
        out.status.code(),
        String::from_utf8_lossy(&other).into_owned(),
    )
}

/// A playbook of many slow calls, and the server they go to.
async fn slow_server(delay_ms: u64) -> Arc<TestServer> {
    Arc::new(TestServer::start(move |_, _| Answer::ok(json!({})).delayed(delay_ms)).await)
}

const MANY_CALLS: &str =
    "name: many\nsteps:\n  - tool: ppal-connect\n    loop: \"{{ range(40) }}\"\n";

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_stdout_ends_every_command_quietly() {
    let server = slow_server(0).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("main.yaml"), MANY_CALLS).unwrap();
    let catalog = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/producer-pal-1.4.6.json");
    let catalog = catalog.to_str().unwrap().to_owned();
    let url = server.url();
    let junit = dir.path().join("junit.xml");
    let commands: Vec<Vec<String>> = vec![
        vec![
            "run".into(),
            "main.yaml".into(),
            "--url".into(),
            url.clone(),
            "--junit".into(),
            junit.display().to_string(),
        ],
        vec![
            "run".into(),
            "main.yaml".into(),
            "--url".into(),
            url.clone(),
            "--json".into(),
        ],
        vec!["tools".into(), "--tools".into(), catalog.clone()],
        vec![
            "describe".into(),
            "ppal-connect".into(),
            "--tools".into(),
            catalog.clone(),
        ],
        vec![
            "check".into(),
            "main.yaml".into(),
            "--tools".into(),
            catalog.clone(),
        ],
        vec![
            "schema".into(),
            "diff".into(),
            catalog.clone(),
            catalog.clone(),
        ],
        vec!["completions".into(), "bash".into()],
        vec![
            "call".into(),
            "ppal-connect".into(),
            "--url".into(),
            url.clone(),
        ],
    ];
    for args in commands {
        let d = dir.path().to_owned();
        let a = args.clone();
        let (code, stderr) = tokio::task::spawn_blocking(move || {
            let a: Vec<&str> = a.iter().map(String::as_str).collect();
            with_closed(&d, &a, false)
        })
        .await
        .unwrap();
        assert_eq!(code, Some(141), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
    // The runs stopped before their first call (only `call` sent one), and
    // the JUnit report was still written.
    assert_eq!(server.requests().len(), 1, "{:?}", server.requests());
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.contains("<testsuite"), "{xml}");
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_stderr_stops_a_run_whose_report_goes_there() {
    let server = slow_server(0).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("main.yaml"), MANY_CALLS).unwrap();
    let url = server.url();
    let d = dir.path().to_owned();
    let (code, stdout) = tokio::task::spawn_blocking(move || {
        with_closed(&d, &["run", "main.yaml", "--url", &url, "--json"], true)
    })
    .await
    .unwrap();
    assert_eq!(code, Some(141), "{stdout}");
    let last: serde_json::Value =
        serde_json::from_str(stdout.lines().last().unwrap_or("{}")).unwrap();
    assert_eq!(last["event"], "run_finished", "{stdout}");
    assert!(server.requests().len() < 40);
}

/// Starts `pplay run main.yaml --json --junit junit.xml` against `url`,
/// sends `signals` once the first call is in flight, and returns (exit code,
/// stdout, the JUnit file, how long after the first signal it ended).
#[cfg(unix)]
fn signalled_run(
    dir: &Path,
    url: &str,
    server: &TestServer,
    signals: &[&str],
) -> (Option<i32>, String, String, Duration) {
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_pplay"))
        .current_dir(dir)
        .env_remove("PPAL_URL")
        .args([
            "run",
            "main.yaml",
            "--url",
            url,
            "--json",
            "--junit",
            "junit.xml",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while server.requests().is_empty() {
        assert!(Instant::now() < deadline, "no call was sent");
        std::thread::sleep(Duration::from_millis(20));
    }
    let sent = Instant::now();
    for s in signals {
        std::process::Command::new("kill")
            .args([*s, &child.id().to_string()])
            .status()
            .unwrap();
        // Room for the process to take in one signal before the next,
        // even on a loaded machine.
        std::thread::sleep(Duration::from_millis(400));
    }
    let out = child.wait_with_output().unwrap();
    let took = sent.elapsed();
    let junit = std::fs::read_to_string(dir.join("junit.xml")).unwrap_or_default();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        junit,
        took,
    )
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_finishes_the_call_in_flight_reports_and_exits_143() {
    // The call in flight must outlast the signal's delivery on a busy
    // machine, or a second call could start before SIGTERM is seen.
    let server = slow_server(3000).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("main.yaml"), MANY_CALLS).unwrap();
    let (d, url, s) = (dir.path().to_owned(), server.url(), server.clone());
    let (code, stdout, junit, _) =
        tokio::task::spawn_blocking(move || signalled_run(&d, &url, &s, &["-TERM"]))
            .await
            .unwrap();
    assert_eq!(code, Some(143), "{stdout}");
    let last: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert_eq!(last["event"], "run_finished");
    assert_eq!(last["interrupted"], true);
    assert_eq!(
        last["summary"]["calls"], 1,
        "the call in flight finished, no other was sent"
    );
    assert!(junit.contains("<testsuite"), "{junit}");
    assert_eq!(server.requests().len(), 1);
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_ctrl_c_abandons_the_call_but_still_reports() {
    let server = slow_server(10_000).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("main.yaml"), MANY_CALLS).unwrap();
    let (d, url, s) = (dir.path().to_owned(), server.url(), server.clone());
    let (code, stdout, junit, took) =
        tokio::task::spawn_blocking(move || signalled_run(&d, &url, &s, &["-INT", "-INT"]))
            .await
            .unwrap();
    assert_eq!(code, Some(130), "{stdout}");
    assert!(
        took < Duration::from_secs(8),
        "it waited for the call: {took:?}"
    );
    let last: serde_json::Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert_eq!(last["event"], "run_finished");
    assert_eq!(last["interrupted"], true);
    assert!(junit.contains("<testsuite"), "{junit}");
}

/// A step that waits to send its call again, its server failing each time.
const RETRIED: &str = "name: retried\nsteps:\n  - tool: ppal-connect\n    retries: 3\n    retryDelayMs: 1500\n    resend: true\n";

/// Starts `pplay run main.yaml --json` against a server that answers 503,
/// reads stdout until the first retry is announced, then either closes
/// stdout or sends `signal`; returns (exit code, what the server got).
#[cfg(unix)]
fn stopped_while_waiting(signal: Option<&str>) -> (Option<i32>, usize) {
    use std::io::BufRead;
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt.block_on(TestServer::start(|_, _| {
        Answer::status(503, json!({"error": "busy"}))
    }));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("main.yaml"), RETRIED).unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_pplay"))
        .current_dir(dir.path())
        .env_remove("PPAL_URL")
        .args(["run", "main.yaml", "--json", "--url", &server.url()])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let announced = lines.any(|l| l.unwrap().contains("\"event\":\"retry\""));
    assert!(announced, "no retry was announced");
    match signal {
        // The reader goes while pplay waits, with nothing to write.
        None => drop(lines),
        Some(s) => {
            std::process::Command::new("kill")
                .args([s, &child.id().to_string()])
                .status()
                .unwrap();
        }
    }
    let code = child.wait().unwrap().code();
    (code, server.requests().len())
}

#[cfg(unix)]
#[test]
fn nothing_is_sent_again_once_the_reader_is_gone_or_a_signal_came_during_the_wait() {
    for (signal, exit) in [(None, 141), (Some("-INT"), 130), (Some("-TERM"), 143)] {
        let (code, calls) = stopped_while_waiting(signal);
        assert_eq!(code, Some(exit), "{signal:?}");
        assert_eq!(calls, 1, "{signal:?}: the call was sent again");
    }
}
