//! `pplay` as a user types it: one builder for every test that runs the
//! binary. A test reads like the command line it checks:
//!
//! ```ignore
//! Test::new()
//!     .args(["run", "playbooks/quickstart.yaml", "--sim"])
//!     .stdout_has("0 failed")
//!     .run();
//! ```
//!
//! The exit code is always asserted (0 unless `.status(..)` says otherwise),
//! and a failed expectation prints the whole command with its exit code and
//! both streams, so a red test explains itself.

use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;

/// The environment a user's shell might set that changes pplay's output;
/// every test starts without it so the host's settings cannot leak in.
const HOST_ENV: [&str; 4] = ["PPAL_URL", "NO_COLOR", "CLICOLOR_FORCE", "COLUMNS"];

/// A temporary directory holding named files, removed when dropped.
pub struct Scratch(tempfile::TempDir);

impl Scratch {
    pub fn new() -> Self {
        Scratch(tempfile::tempdir().unwrap())
    }

    /// Writes `name` (parent folders included) and returns its path.
    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.path(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, text).unwrap();
        p
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.0.path().join(name)
    }

    pub fn read(&self, name: &str) -> String {
        let p = self.path(name);
        std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
    }
}

/// Which stream an expectation looks at.
#[derive(Clone, Copy)]
enum Stream {
    Stdout,
    Stderr,
}

impl fmt::Display for Stream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Stream::Stdout => "stdout",
            Stream::Stderr => "stderr",
        })
    }
}

/// One check on an output stream.
enum Expect {
    Exact(String),
    Has(String),
    Lacks(String),
    Snapshot(String),
}

/// One `pplay` invocation and what it must produce.
pub struct Test {
    args: Vec<OsString>,
    env: Vec<(String, Option<String>)>,
    dir: PathBuf,
    stdin: Option<Vec<u8>>,
    status: i32,
    expects: Vec<(Stream, Expect)>,
    interrupt_after: Option<Duration>,
    scratch: Scratch,
}

impl Default for Test {
    fn default() -> Self {
        Self::new()
    }
}

impl Test {
    /// `pplay` run from the repository root (so `playbooks/..` and
    /// `schemas/..` resolve as in the README), expected to exit 0.
    pub fn new() -> Self {
        Test {
            args: Vec::new(),
            env: HOST_ENV.iter().map(|k| (k.to_string(), None)).collect(),
            dir: PathBuf::from(env!("CARGO_MANIFEST_DIR")),
            stdin: None,
            status: 0,
            expects: Vec::new(),
            interrupt_after: None,
            scratch: Scratch::new(),
        }
    }

    pub fn arg(mut self, arg: impl Into<OsString>) -> Self {
        self.args.push(arg.into());
        self
    }

    pub fn args<I: IntoIterator<Item = A>, A: Into<OsString>>(mut self, args: I) -> Self {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    pub fn stdin(mut self, input: impl Into<Vec<u8>>) -> Self {
        self.stdin = Some(input.into());
        self
    }

    pub fn env(mut self, key: &str, value: impl Into<String>) -> Self {
        self.env.push((key.to_owned(), Some(value.into())));
        self
    }

    pub fn env_remove(mut self, key: &str) -> Self {
        self.env.push((key.to_owned(), None));
        self
    }

    pub fn current_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.dir = dir.into();
        self
    }

    /// Writes a file into this test's scratch directory (an include, a vars
    /// file) without naming it on the command line.
    pub fn file(self, name: &str, text: &str) -> Self {
        self.scratch.write(name, text);
        self
    }

    /// Writes a playbook into the scratch directory and passes its path.
    pub fn playbook(self, name: &str, text: &str) -> Self {
        let p = self.scratch.write(name, text);
        self.arg(p)
    }

    /// Passes the path of `name` in the scratch directory (an output file or
    /// one written by [`Test::file`]).
    pub fn arg_scratch(self, name: &str) -> Self {
        let p = self.scratch.path(name);
        self.arg(p)
    }

    /// The exit code the command must end with (0 unless set).
    pub fn status(mut self, code: i32) -> Self {
        self.status = code;
        self
    }

    pub fn stdout(self, exact: impl Into<String>) -> Self {
        self.expect(Stream::Stdout, Expect::Exact(exact.into()))
    }

    pub fn stdout_has(self, fragment: impl Into<String>) -> Self {
        self.expect(Stream::Stdout, Expect::Has(fragment.into()))
    }

    pub fn stdout_lacks(self, fragment: impl Into<String>) -> Self {
        self.expect(Stream::Stdout, Expect::Lacks(fragment.into()))
    }

    pub fn stderr(self, exact: impl Into<String>) -> Self {
        self.expect(Stream::Stderr, Expect::Exact(exact.into()))
    }

    pub fn stderr_has(self, fragment: impl Into<String>) -> Self {
        self.expect(Stream::Stderr, Expect::Has(fragment.into()))
    }

    pub fn stderr_lacks(self, fragment: impl Into<String>) -> Self {
        self.expect(Stream::Stderr, Expect::Lacks(fragment.into()))
    }

    /// Compares stdout with the insta snapshot `tests/snapshots/<test
    /// file>__<name>.snap`, scratch paths replaced by `[scratch]`.
    pub fn stdout_snapshot(self, name: &str) -> Self {
        self.expect(Stream::Stdout, Expect::Snapshot(name.to_owned()))
    }

    /// As [`Test::stdout_snapshot`], for stderr (where diagnostics go).
    pub fn stderr_snapshot(self, name: &str) -> Self {
        self.expect(Stream::Stderr, Expect::Snapshot(name.to_owned()))
    }

    /// Sends SIGINT (as Ctrl-C does) this long after the start.
    pub fn interrupt_after(mut self, delay: Duration) -> Self {
        self.interrupt_after = Some(delay);
        self
    }

    fn expect(mut self, stream: Stream, e: Expect) -> Self {
        self.expects.push((stream, e));
        self
    }

    /// Runs the command, checks the exit code and every expectation, and
    /// hands back the output for any further checks.
    #[track_caller]
    pub fn run(self) -> Output {
        let raw = match self.interrupt_after {
            None => self.output(),
            Some(delay) => self.interrupted_output(delay),
        };
        let out = Output {
            command: self.describe(),
            dir: self.dir.clone(),
            code: raw.status.code(),
            stdout: String::from_utf8_lossy(&raw.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&raw.stderr).into_owned(),
            scratch: self.scratch,
        };
        if out.code != Some(self.status) {
            out.fail(&format!("expected exit code {}", self.status));
        }
        for (stream, e) in &self.expects {
            out.check(*stream, e);
        }
        out
    }

    fn command(&self) -> std::process::Command {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_pplay"));
        c.args(&self.args).current_dir(&self.dir);
        for (k, v) in &self.env {
            match v {
                Some(v) => c.env(k, v),
                None => c.env_remove(k),
            };
        }
        c
    }

    fn output(&self) -> std::process::Output {
        let mut c = assert_cmd::Command::from_std(self.command());
        if let Some(input) = &self.stdin {
            c.write_stdin(input.clone());
        }
        c.output().unwrap()
    }

    fn interrupted_output(&self, delay: Duration) -> std::process::Output {
        assert!(
            self.stdin.is_none(),
            "stdin with an interrupt is not supported"
        );
        let child = self
            .command()
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        let _ = std::process::Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status();
        child.wait_with_output().unwrap()
    }

    /// The command as a shell line: changed environment, `pplay`, arguments.
    fn describe(&self) -> String {
        let mut words: Vec<String> = self
            .env
            .iter()
            .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}={}", quote(v))))
            .collect();
        words.push("pplay".into());
        words.extend(self.args.iter().map(|a| quote(&a.to_string_lossy())));
        words.join(" ")
    }
}

/// A word as a shell would need it.
fn quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=,@%+".contains(c));
    if plain {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// What a finished `pplay` command produced.
pub struct Output {
    command: String,
    dir: PathBuf,
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    scratch: Scratch,
}

impl Output {
    /// stdout as one JSON document.
    #[track_caller]
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| self.fail(&format!("stdout: {e}")))
    }

    /// stdout as JSON lines (the `--json` event stream).
    #[track_caller]
    pub fn json_lines(&self) -> Vec<Value> {
        self.stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| self.fail(&format!("{e}: {l}"))))
            .collect()
    }

    /// The path of `name` in the test's scratch directory.
    pub fn path(&self, name: &str) -> PathBuf {
        self.scratch.path(name)
    }

    /// A file the command wrote into the scratch directory.
    pub fn read(&self, name: &str) -> String {
        self.scratch.read(name)
    }

    fn text(&self, stream: Stream) -> &str {
        match stream {
            Stream::Stdout => &self.stdout,
            Stream::Stderr => &self.stderr,
        }
    }

    #[track_caller]
    fn check(&self, stream: Stream, e: &Expect) {
        let text = self.text(stream);
        match e {
            Expect::Exact(want) if text != want => {
                self.fail(&format!("{stream} should be exactly:\n{want}"))
            }
            Expect::Has(frag) if !text.contains(frag.as_str()) => {
                self.fail(&format!("{stream} should contain {frag:?}"))
            }
            Expect::Lacks(frag) if text.contains(frag.as_str()) => {
                self.fail(&format!("{stream} should not contain {frag:?}"))
            }
            Expect::Snapshot(name) => {
                let scratch = self.scratch.0.path().display().to_string();
                let command = self.command.replace(&scratch, "[scratch]");
                snapshot(name, &format!("{stream} of {command}"), text)
            }
            _ => {}
        }
    }

    /// Panics with what was expected and everything the command did.
    #[track_caller]
    pub fn fail(&self, expected: &str) -> ! {
        panic!("{expected}\n{self}")
    }
}

impl fmt::Display for Output {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let code = self
            .code
            .map_or_else(|| "none (killed by a signal)".into(), |c| c.to_string());
        writeln!(f, "--- command: {}", self.command)?;
        writeln!(f, "--- in: {}", self.dir.display())?;
        writeln!(f, "--- exit code: {code}")?;
        writeln!(f, "--- stdout:\n{}", self.stdout)?;
        write!(f, "--- stderr:\n{}", self.stderr)
    }
}

/// Asserts `text` against `tests/snapshots/<test file>__<name>.snap`, with
/// any temporary directory replaced by `[scratch]` so the snapshot is the
/// same on every machine and run.
fn snapshot(name: &str, description: &str, text: &str) {
    let test_file = module_path!().split("::").next().unwrap();
    let mut settings = insta::Settings::clone_current();
    // Relative to this file: the snapshots beside the test files.
    settings.set_snapshot_path(Path::new("..").join("snapshots"));
    settings.set_prepend_module_to_snapshot(false);
    settings.set_description(description);
    settings.add_filter(r"(/[^\s/:]+)*/\.tmp[A-Za-z0-9]{6}", "[scratch]");
    // How long a step or a run took.
    settings.add_filter(r"\b\d+(\.\d+)? ms\b", "[ms]");
    settings.bind(|| insta::assert_snapshot!(format!("{test_file}__{name}"), text));
}
