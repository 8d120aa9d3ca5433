//! `cargo bench`: what a pplay step costs next to a bare keep-alive client,
//! and how many calls per second the simulator serves.
//!
//! The simulator runs on its own thread and runtime, so client and server
//! each have a core of this two-core machine. Both clients send the same
//! call to the same tool; the difference is pplay's own cost per step:
//! render the args, validate them against the compiled schema, call,
//! capture, check an expectation, and report the events as JSON lines.
//!
//! Two measures of that cost, since wall time on a shared machine moves by
//! tens of percent between runs: the round trip's wall time (each round's
//! pplay time over the same round's bare time, the median of those), and
//! the CPU time the client's thread spends per step beyond what the bare
//! client's thread spends per call. Both clients run on a current-thread
//! runtime, as `pplay run` does, so that thread does all of the client's
//! work: the runner, reqwest, hyper's connection task and the socket
//! calls. The CPU figure is pplay's own work, free of the server's share
//! and of the scheduler's wake-ups.

use std::sync::mpsc;
use std::time::{Duration, Instant};

use pplay::catalog::Catalog;
use pplay::check::{self, CheckOptions};
use pplay::client::Client;
use pplay::report::json::JsonReporter;
use pplay::runner::{self, RunOptions};
use pplay::sim::{self, SimOptions};

const CALLS: usize = 1500;
const ROUNDS: usize = 15;

fn start_sim() -> String {
    let (tx, rx) = mpsc::channel();
    std::thread::Builder::new()
        .name("sim".into())
        .spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let s = sim::start(SimOptions::default()).await.unwrap();
                tx.send(s.url()).unwrap();
                std::future::pending::<()>().await;
            });
        })
        .unwrap();
    rx.recv().unwrap()
}

async fn bare(url: &str, n: usize) -> PerCall {
    let http = reqwest::Client::new();
    let endpoint = format!("{url}/api/tools/ppal-select?format=json");
    let clock = Clock::start();
    for i in 0..n {
        let body = format!(r#"{{"view":"session","sceneIndex":{}}}"#, i % 8);
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
    clock.per_call(n)
}

/// pplay's own client alone, same calls: separates client cost from runner cost.
async fn client_only(url: &str, n: usize) -> PerCall {
    let client = Client::new(url);
    let clock = Clock::start();
    for i in 0..n {
        let args = serde_json::json!({"view": "session", "sceneIndex": i % 8});
        let r = client.call("ppal-select", &args, None).await.unwrap();
        assert!(matches!(
            r,
            pplay::client::Reply::Tool {
                is_error: false,
                ..
            }
        ));
    }
    clock.per_call(n)
}

const PLAYBOOK: &str = r#"name: bench
vars:
  view: session
steps:
  - id: sel
    tool: ppal-select
    loop: range(n)
    args:
      view: "{{ view }}"
      sceneIndex: "{{ item % 8 }}"
    capture:
      last: result.sceneIndex
    expect: result.view == view
"#;

struct NoReport;

impl pplay::event::Sink for NoReport {
    fn emit(&mut self, _: &pplay::event::Event) {}
}

async fn pplay_steps(url: &str, n: usize) -> PerCall {
    pplay_steps_to(url, n, &mut JsonReporter::new(std::io::sink())).await
}

async fn pplay_steps_to(url: &str, n: usize, sink: &mut dyn pplay::event::Sink) -> PerCall {
    let pb = pplay::playbook::parse_str("bench.yaml", PLAYBOOK).unwrap();
    let client = Client::new(url);
    let catalog = Catalog::from_value(client.list_tools().await.unwrap()).unwrap();
    let env = pplay::template::environment();
    let opts = CheckOptions {
        overrides: vec![pplay::vars::Override::new("n", serde_json::json!(n))],
        ..CheckOptions::default()
    };
    let loaded = check::Loaded::new(&env, &pb, Vec::new(), &opts);
    let checked = check::check(&env, loaded, &catalog).unwrap();
    let clock = Clock::start();
    let out = runner::run(&checked, &client, &RunOptions::default(), sink).await;
    let per_call = clock.per_call(n);
    assert_eq!(out.exit_code, 0);
    assert_eq!(out.summary.calls, n);
    per_call
}

async fn sim_throughput(url: &str, tasks: usize, per_task: usize) -> f64 {
    let t0 = Instant::now();
    let handles: Vec<_> = (0..tasks)
        .map(|_| {
            let endpoint = format!("{url}/api/tools/ppal-read-live-set?format=json");
            tokio::spawn(async move {
                let http = reqwest::Client::new();
                for _ in 0..per_task {
                    let r = http
                        .post(&endpoint)
                        .header("content-type", "application/json")
                        .body("{}")
                        .send()
                        .await
                        .unwrap();
                    let _ = r.bytes().await.unwrap();
                }
            })
        })
        .collect();
    for h in handles {
        h.await.unwrap();
    }
    (tasks * per_task) as f64 / t0.elapsed().as_secs_f64()
}

/// CPU time this thread has run, from the kernel's scheduler statistics
/// (Linux); `None` elsewhere.
fn thread_cpu() -> Option<Duration> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: u64 = s.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}

/// Wall and CPU time of what runs on this thread between `start` and
/// `per_call`.
struct Clock {
    wall: Instant,
    cpu: Option<Duration>,
}

/// Wall and CPU time per call, in µs; CPU is `None` where it is not known.
type PerCall = (f64, Option<f64>);

impl Clock {
    fn start() -> Self {
        Clock {
            cpu: thread_cpu(),
            wall: Instant::now(),
        }
    }

    fn per_call(&self, calls: usize) -> PerCall {
        let wall = self.wall.elapsed();
        let cpu = match (self.cpu, thread_cpu()) {
            (Some(a), Some(b)) => Some((b - a).as_secs_f64() * 1e6 / calls as f64),
            _ => None,
        };
        (wall.as_secs_f64() * 1e6 / calls as f64, cpu)
    }
}

/// The median of the rounds: loopback timings on a shared machine are noisy.
fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    // `cargo bench -- --quick` for a short run (CI smoke).
    let quick = std::env::args().any(|a| a == "--quick");
    let (calls, rounds) = if quick { (300, 2) } else { (CALLS, ROUNDS) };
    let url = start_sim();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    // `cargo bench -- --profile-pplay`: only pplay steps, for a profiler.
    if std::env::args().any(|a| a == "--profile-pplay") {
        rt.block_on(pplay_steps(&url, 9_000));
        return;
    }
    rt.block_on(async {
        // Warm up connections and caches.
        bare(&url, 200).await;
        pplay_steps(&url, 200).await;
        let (mut b, mut p, mut q, mut c) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let (mut ratios, mut own) = (Vec::new(), Vec::new());
        for _ in 0..rounds {
            let (cw, cc) = client_only(&url, calls).await;
            c.push(cw);
            let (bw, bc) = bare(&url, calls).await;
            let (pw, pc) = pplay_steps(&url, calls).await;
            q.push(pplay_steps_to(&url, calls, &mut NoReport).await.0);
            b.push(bw);
            p.push(pw);
            ratios.push(pw / bw);
            if let (Some(pc), Some(bc), Some(cc)) = (pc, bc, cc) {
                own.push((pc - bc, cc - bc));
            }
        }
        let (b, p, q, c) = (median(b), median(p), median(q), median(c));
        let ratio = median(ratios);
        println!("bare keep-alive client: {b:7.1} µs per call  (median of {rounds} x {calls})");
        println!("pplay client alone:     {c:7.1} µs per call");
        println!("pplay step:             {p:7.1} µs per step  (render, validate, call, capture, expect, JSON events)");
        println!("  of which reporting:   {:7.1} µs per step  (the same run with no reporter: {q:.1} µs)", p - q);
        println!("wall ratio:             {ratio:7.2}x  (median of the rounds' own ratios; target: within 1.30x)");
        if own.is_empty() {
            println!("pplay's own CPU:            n/a  (no per-thread CPU time on this system)");
        } else {
            let client = median(own.iter().map(|o| o.1).collect());
            let own = median(own.into_iter().map(|o| o.0).collect());
            println!(
                "pplay's own CPU:        {own:7.1} µs per step  ({:.2}x of a bare round trip; target: at most 0.30x)",
                own / b
            );
            println!("  of which the client:  {client:7.1} µs per call  (pplay's client alone, beyond the bare one)");
        }
    });
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let per_task = if quick { 500 } else { 5000 };
    let rate = rt.block_on(sim_throughput(&url, 8, per_task));
    println!(
        "simulator:              {rate:7.0} calls/s  (8 keep-alive clients, target: >= 20000)"
    );
}
