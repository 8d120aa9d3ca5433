//! Shared test helpers: a fluent builder that loads, checks and runs a
//! playbook over real loopback HTTP, and a purpose-built test server whose
//! answers a test scripts.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value as Json, json};

use pplay::catalog::Catalog;
use pplay::check::{self, CheckOptions, Loaded};
use pplay::client::Client;
use pplay::diagnostic::Diagnostic;
use pplay::event::{Event, StepStatus};
use pplay::playbook;
use pplay::runner::{self, RunOptions};
use pplay::sim::{self, LiveSet, SimOptions};

/// Renders diagnostics as the terminal shows them, without colour, with the
/// temporary directory taken out of file names.
pub fn render(diags: &[Diagnostic], dir: &std::path::Path) -> String {
    let prefix = format!("{}/", dir.display());
    diags
        .iter()
        .map(|d| d.render(false, 100).replace(&prefix, ""))
        .collect::<Vec<_>>()
        .join("\n")
}

/// One request the test server received.
#[derive(Debug, Clone)]
pub struct Request {
    pub tool: String,
    pub query: String,
    pub body: Json,
    /// The `x-producer-pal-*` headers, in name order.
    pub profile: Vec<(String, String)>,
}

/// The request profile headers of a request, in name order.
fn profile_of(headers: &HeaderMap) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = headers
        .iter()
        .filter(|(k, _)| k.as_str().starts_with("x-producer-pal-"))
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or_default().to_owned()))
        .collect();
    out.sort();
    out
}

/// What the test server answers to one call.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub body: Json,
    pub delay_ms: u64,
}

impl Answer {
    pub fn ok(result: Json) -> Self {
        Answer {
            status: 200,
            body: json!({"result": result, "isError": false}),
            delay_ms: 0,
        }
    }
    pub fn status(status: u16, body: Json) -> Self {
        Answer {
            status,
            body,
            delay_ms: 0,
        }
    }
    pub fn delayed(mut self, ms: u64) -> Self {
        self.delay_ms = ms;
        self
    }
}

type Script = Arc<dyn Fn(&Request, usize) -> Answer + Send + Sync>;

struct ServerState {
    catalog: Json,
    log: Mutex<Vec<Request>>,
    /// The profile headers of each `GET /api/tools`.
    catalog_reads: Mutex<Vec<Vec<(String, String)>>>,
    script: Script,
}

/// A scripted stand-in for Producer Pal: answers each call as the test says
/// and records every request.
pub struct TestServer {
    pub addr: SocketAddr,
    state: Arc<ServerState>,
    _task: tokio::task::JoinHandle<()>,
}

impl TestServer {
    pub async fn start(script: impl Fn(&Request, usize) -> Answer + Send + Sync + 'static) -> Self {
        Self::with_catalog(
            serde_json::from_str(pplay::catalog::PINNED).unwrap(),
            script,
        )
        .await
    }

    pub async fn with_catalog(
        catalog: Json,
        script: impl Fn(&Request, usize) -> Answer + Send + Sync + 'static,
    ) -> Self {
        let state = Arc::new(ServerState {
            catalog,
            log: Mutex::new(Vec::new()),
            catalog_reads: Mutex::new(Vec::new()),
            script: Arc::new(script),
        });
        let app = Router::new()
            .route(
                "/api/tools",
                get(
                    |State(s): State<Arc<ServerState>>, headers: HeaderMap| async move {
                        s.catalog_reads.lock().unwrap().push(profile_of(&headers));
                        axum::Json(s.catalog.clone())
                    },
                ),
            )
            .route("/api/tools/{name}", post(call))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        TestServer {
            addr,
            state,
            _task: task,
        }
    }

    /// A 2.x server (2.3.0's catalog) that answers as Producer Pal 2.4
    /// does: one entry per target of the call's `path`, in request order,
    /// each as `entry` makes it from the target's text (`{path, ok: false,
    /// detail}` for a skipped one), with HTTP 200 and `isError: false`.
    pub async fn per_target(entry: impl Fn(&str) -> Json + Send + Sync + 'static) -> Self {
        let catalog = serde_json::from_str(pplay::catalog::PINNED_2_3_0).unwrap();
        Self::with_catalog(catalog, move |req, _| {
            let paths = req.body.get("path").and_then(Json::as_str).unwrap_or("");
            let mut entries: Vec<Json> = paths.split(',').map(|p| entry(p.trim())).collect();
            Answer::ok(if entries.len() == 1 {
                entries.remove(0)
            } else {
                Json::Array(entries)
            })
        })
        .await
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn requests(&self) -> Vec<Request> {
        self.state.log.lock().unwrap().clone()
    }

    /// The profile headers of every catalog read, in order.
    pub fn catalog_reads(&self) -> Vec<Vec<(String, String)>> {
        self.state.catalog_reads.lock().unwrap().clone()
    }
}

async fn call(
    State(s): State<Arc<ServerState>>,
    Path(tool): Path<String>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let req = Request {
        tool,
        query: q.unwrap_or_default(),
        body: serde_json::from_slice(&body).unwrap_or(Json::Null),
        profile: profile_of(&headers),
    };
    let n = {
        let mut log = s.log.lock().unwrap();
        log.push(req.clone());
        log.len() - 1
    };
    let a = (s.script)(&req, n);
    if a.delay_ms > 0 {
        tokio::time::sleep(Duration::from_millis(a.delay_ms)).await;
    }
    (StatusCode::from_u16(a.status).unwrap(), axum::Json(a.body)).into_response()
}

/// Where a [`Test`] sends its calls.
enum Target {
    Sim(Box<SimOptions>),
    Server(Arc<TestServer>),
    Url(String),
}

/// A playbook test, built fluently and run over loopback HTTP.
pub struct Test {
    yaml: String,
    files: Vec<(String, String)>,
    overrides: Vec<(String, Json)>,
    target: Target,
    dry_run: bool,
    plan: bool,
    max_iterations: usize,
    cancel_after_calls: Option<usize>,
    grace: Duration,
}

/// What a [`Test`] run produced.
pub struct Outcome {
    pub exit_code: i32,
    pub events: Vec<Event>,
    /// Every failure, warning and pre-run problem, rendered.
    pub report: String,
    pub live_set: Option<LiveSet>,
    pub summary: pplay::event::Summary,
}

impl Outcome {
    /// (name, status) of every finished step, in order.
    pub fn steps(&self) -> Vec<(String, StepStatus)> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Event::StepFinished { step, status, .. } => Some((step.name.clone(), *status)),
                _ => None,
            })
            .collect()
    }

    /// The args of every call sent, in order.
    pub fn sent(&self) -> Vec<(String, Json)> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Event::CallSent { tool, args, .. } => Some((tool.to_string(), (**args).clone())),
                _ => None,
            })
            .collect()
    }

    pub fn planned(&self) -> Vec<(String, Json, Option<u64>)> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Event::CallPlanned {
                    tool,
                    args,
                    timeout_ms,
                    ..
                } => Some((tool.clone(), args.clone(), *timeout_ms)),
                _ => None,
            })
            .collect()
    }
}

impl Test {
    pub fn new(yaml: &str) -> Self {
        Test {
            yaml: yaml.to_owned(),
            files: Vec::new(),
            overrides: Vec::new(),
            target: Target::Sim(Box::default()),
            dry_run: false,
            plan: false,
            max_iterations: pplay::loops::DEFAULT_MAX_ITERATIONS,
            cancel_after_calls: None,
            grace: Duration::from_millis(200),
        }
    }

    /// Another file beside the playbook (for includes).
    pub fn file(mut self, name: &str, text: &str) -> Self {
        self.files.push((name.to_owned(), text.to_owned()));
        self
    }

    pub fn var(mut self, name: &str, value: Json) -> Self {
        self.overrides.push((name.to_owned(), value));
        self
    }

    pub fn sim(mut self, f: impl FnOnce(&mut SimOptions)) -> Self {
        let mut o = SimOptions::default();
        f(&mut o);
        self.target = Target::Sim(Box::new(o));
        self
    }

    /// Runs against the simulator with these options as they are.
    pub fn sim_options(mut self, o: SimOptions) -> Self {
        self.target = Target::Sim(Box::new(o));
        self
    }

    pub fn server(mut self, s: Arc<TestServer>) -> Self {
        self.target = Target::Server(s);
        self
    }

    pub fn url(mut self, url: &str) -> Self {
        self.target = Target::Url(url.to_owned());
        self
    }

    pub fn dry_run(mut self) -> Self {
        self.dry_run = true;
        self
    }

    /// As `pplay plan`: only read-only calls are sent.
    pub fn plan(mut self) -> Self {
        self.plan = true;
        self.dry_run = true;
        self
    }

    pub fn max_iterations(mut self, n: usize) -> Self {
        self.max_iterations = n;
        self
    }

    /// Raise the cancel flag (as Ctrl-C does) once this many calls finished.
    pub fn cancel_after_calls(mut self, n: usize) -> Self {
        self.cancel_after_calls = Some(n);
        self
    }

    fn write(&self) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in &self.files {
            let p = dir.path().join(name);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        let main = dir.path().join("playbook.yaml");
        std::fs::write(&main, &self.yaml).unwrap();
        (dir, main)
    }

    fn options(&self) -> CheckOptions {
        CheckOptions {
            overrides: self
                .overrides
                .iter()
                .map(|(k, v)| pplay::vars::Override::new(k, v.clone()))
                .collect(),
            max_iterations: self.max_iterations,
            notation: None,
        }
    }

    /// Loads and checks against the pinned catalog, as `pplay check` does:
    /// the rendered problems, or the number of steps.
    pub fn check(&self) -> Result<usize, String> {
        self.check_against(&Catalog::pinned()).map(|(n, _)| n)
    }

    /// Loads and checks against `catalog`: the rendered problems (warnings
    /// among them), or the number of steps and the rendered warnings.
    pub fn check_against(&self, catalog: &Catalog) -> Result<(usize, String), String> {
        let (dir, main) = self.write();
        let (pb, problems) = playbook::load_partial(&main);
        let Some(pb) = pb else {
            return Err(render(&problems, dir.path()));
        };
        let env = pplay::template::environment();
        let loaded = Loaded::new(&env, &pb, problems, &self.options());
        check::check(&env, loaded, catalog)
            .map(|c| (c.step_count, render(&c.warnings, dir.path())))
            .map_err(|d| render(&d, dir.path()))
    }

    /// Loads, checks against the target's own catalog, and runs.
    pub async fn run(self) -> Outcome {
        let (dir, main) = self.write();
        let (url, sim) = match &self.target {
            Target::Sim(o) => {
                let s = sim::start(o.as_ref().clone()).await.unwrap();
                (s.url(), Some(s))
            }
            Target::Server(s) => (s.url(), None),
            Target::Url(u) => (u.clone(), None),
        };
        let client = Client::new(&url).with_grace(self.grace);
        // The road `pplay run` takes: load, vars, catalog, the one check.
        let (pb, problems) = playbook::load_partial(&main);
        let Some(pb) = pb else {
            return Outcome::invalid(render(&problems, dir.path()));
        };
        let env = pplay::template::environment();
        let loaded = Loaded::new(&env, &pb, problems, &self.options());
        let client = match &pb.producer_pal {
            Some(p) => client.with_profile(&p.value),
            None => client,
        };
        let catalog = match client.list_tools().await {
            Ok(raw) => Catalog::from_value(raw).unwrap(),
            Err(e) if e.is_unreachable() => Catalog::pinned(),
            Err(e) => panic!("{e}"),
        };
        let checked = match check::check(&env, loaded, &catalog) {
            Ok(c) => c,
            Err(d) => return Outcome::invalid(render(&d, dir.path())),
        };
        let cancel = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let ropts = RunOptions {
            dry_run: self.dry_run,
            plan: self.plan,
            cancel: Some(cancel.clone()),
            ..RunOptions::default()
        };
        let mut sink = Collect {
            events: Vec::new(),
            cancel,
            after: self.cancel_after_calls,
            calls: 0,
        };
        let out = runner::run(&checked, &client, &ropts, &mut sink).await;
        let mut report = Vec::new();
        for e in &sink.events {
            match e {
                Event::StepFinished {
                    diagnostic: Some(d),
                    ..
                }
                | Event::Warning { diagnostic: d, .. } => report.push(d.clone()),
                _ => {}
            }
        }
        let live_set = sim.as_ref().map(|s| s.live_set());
        Outcome {
            exit_code: out.exit_code,
            events: sink.events,
            report: render(&report, dir.path()),
            live_set,
            summary: out.summary,
        }
    }
}

impl Outcome {
    fn invalid(report: String) -> Self {
        Outcome {
            exit_code: 2,
            events: Vec::new(),
            report,
            live_set: None,
            summary: Default::default(),
        }
    }
}

struct Collect {
    events: Vec<Event>,
    cancel: Arc<std::sync::atomic::AtomicBool>,
    after: Option<usize>,
    calls: usize,
}

impl pplay::event::Sink for Collect {
    fn emit(&mut self, event: &Event) {
        if let Event::CallFinished { .. } = event {
            self.calls += 1;
            if self.after == Some(self.calls) {
                self.cancel.store(true, std::sync::atomic::Ordering::SeqCst);
            }
        }
        self.events.push(event.clone());
    }
}

/// `pplay sim` in its own process, on a free port, stopped when dropped.
pub struct SimProcess {
    child: std::process::Child,
    pub url: String,
}

impl SimProcess {
    pub fn start(extra: &[&str]) -> Self {
        use std::io::BufRead;
        // Port 0: the simulator binds a free port itself and says which on
        // its first line, so no other process can take the port in between.
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_pplay"))
            .args(["sim", "--port", "0"])
            .args(extra)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
        let mut first = String::new();
        out.read_line(&mut first).unwrap();
        // Whatever it says later is read too, so its stdout never closes.
        std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
        let url = first
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .unwrap_or_else(|| panic!("the simulator did not start: {first:?}"))
            .to_owned();
        SimProcess { child, url }
    }
}

impl SimProcess {
    /// Ends the simulator at once, as a crash would: connections drop and
    /// nothing listens at its address any more.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for SimProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub mod cmd;

/// Says so on the process's real stderr, `label: text`: the test harness
/// captures the output of passing tests, and a skip must be visible in CI
/// logs. A duplicate of descriptor 2 shares its file offset, so the line
/// lands in order even when stderr is a log file; one write, so lines from
/// tests running in parallel do not interleave.
pub fn say(label: &str, text: &str) {
    use std::io::Write;
    use std::os::fd::AsFd;
    let line = format!("{label}: {text}\n");
    match std::io::stderr().as_fd().try_clone_to_owned() {
        Ok(fd) => {
            let _ = std::fs::File::from(fd).write_all(line.as_bytes());
        }
        Err(_) => eprint!("{line}"),
    }
}
