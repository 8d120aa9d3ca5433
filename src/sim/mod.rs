//! A simulator of Producer Pal's REST API, with a stateful Live Set.
//!
//! It serves the same contract as the device (`GET /api/tools`,
//! `POST /api/tools/{name}` with `?format` and `?timeoutMs`, the server's
//! validation and its 400/404 answers), so playbooks can be rehearsed and
//! the project's tests and benchmarks talk real HTTP without Ableton Live.
//! It imitates either generation ([`Generation`]): 1.4 names objects by
//! indexes, 2.3 by paths, and each has its own request and result shaping
//! ([`v1`], [`v2`]) over one Live Set model ([`live_set`]); 2.x can also
//! answer as the 2.4 release candidate ([`SimOptions::candidate_2_4`],
//! `--producer-pal 2.4`) to rehearse it. Faults can be
//! injected: latency, failing tools, disabled tools, broken answers
//! ([`faults`]), and the legacy behaviour of Producer Pal 1.4.6.

mod args;
pub mod compact;
pub mod faults;
mod http;
mod live_api;
pub mod live_set;
mod mixer;
mod profile;
mod song;
mod v1;
mod v2;
pub mod validate;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use serde_json::Value;

use crate::catalog::Release;
use crate::protocol::{Format, TimeoutRange, timeout_range, timeout_range_2x};
pub use live_set::LiveSet;

/// Which Producer Pal the simulator imitates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Generation {
    /// Producer Pal 1.4.6: indexes, compact by default, timeouts as
    /// `isError`.
    #[value(name = "1.4")]
    V1_4,
    /// Producer Pal 2.3.0: paths, JSON by default, timeouts as HTTP 504,
    /// request profile headers, hidden parameters with warnings.
    #[value(name = "2.3")]
    V2_3,
}

/// What `--producer-pal` asks the simulator to imitate: a generation, or
/// 2.x's release candidate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Imitated {
    /// Producer Pal 1.4.6.
    #[value(name = "1.4")]
    V1_4,
    /// Producer Pal 2.3.0, the newest release.
    #[value(name = "2.3")]
    V2_3,
    /// The Producer Pal 2.4.0 release candidate, on 2.3's catalog.
    #[value(name = "2.4")]
    V2_4Candidate,
}

impl Imitated {
    pub fn generation(self) -> Generation {
        match self {
            Imitated::V1_4 => Generation::V1_4,
            Imitated::V2_3 | Imitated::V2_4Candidate => Generation::V2_3,
        }
    }

    /// The simulator's options for it.
    pub fn options(self) -> SimOptions {
        SimOptions {
            candidate_2_4: self == Imitated::V2_4Candidate,
            ..SimOptions::for_generation(self.generation())
        }
    }
}

impl Generation {
    /// The `?timeoutMs` values the server takes.
    pub fn timeout_range(self) -> TimeoutRange {
        match self {
            Generation::V1_4 => timeout_range(),
            Generation::V2_3 => timeout_range_2x(),
        }
    }

    /// The format of a call without `?format`.
    pub fn default_format(self) -> Format {
        match self {
            Generation::V1_4 => Format::Compact,
            Generation::V2_3 => Format::Json,
        }
    }
}

/// How the simulator behaves.
#[derive(Debug, Clone)]
pub struct SimOptions {
    pub generation: Generation,
    /// The `{"tools": [...]}` document to serve.
    pub catalog: Value,
    /// 2.x: the document to serve when the request profile turns the Live
    /// API on (`x-producer-pal-live-api: true`); `None` leaves it off.
    pub live_api_catalog: Option<Value>,
    /// The format when a call has no `?format` (the device's setting).
    pub default_format: Format,
    /// Added to every tool call.
    pub latency_ms: u64,
    /// These tools answer `isError: true`.
    pub fail_tools: Vec<String>,
    /// These tools are gone: 404 and absent from the list.
    pub disable_tools: Vec<String>,
    /// Behave like Producer Pal 1.4.6: ignore `?format` and `?timeoutMs`,
    /// answer string results with inline warnings.
    pub legacy: bool,
    /// Misbehave on purpose (see [`faults`]).
    pub faults: Vec<faults::Fault>,
    /// 2.x: answer as the Producer Pal 2.4 release candidate does (one
    /// entry per target, skip entries, no echoed values, create-clip
    /// overwriting an occupied slot, its deprecation warnings); the catalog
    /// stays 2.3's.
    pub candidate_2_4: bool,
}

impl SimOptions {
    /// The pinned catalogs and defaults of one generation.
    pub fn for_generation(generation: Generation) -> Self {
        let (catalog, live_api_catalog) = match generation {
            Generation::V1_4 => (Release::V1_4_6.document(false), None),
            Generation::V2_3 => (
                Release::V2_3_0.document(false),
                Some(Release::V2_3_0.document(true)),
            ),
        };
        SimOptions {
            generation,
            catalog,
            live_api_catalog,
            default_format: generation.default_format(),
            latency_ms: 0,
            fail_tools: Vec::new(),
            disable_tools: Vec::new(),
            legacy: false,
            faults: Vec::new(),
            candidate_2_4: false,
        }
    }
}

impl Default for SimOptions {
    /// Producer Pal 1.4.
    fn default() -> Self {
        Self::for_generation(Generation::V1_4)
    }
}

/// A running simulator.
pub struct SimHandle {
    pub addr: SocketAddr,
    set: Arc<Mutex<LiveSet>>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl SimHandle {
    /// The base URL to give a client.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A copy of the simulated set as it is now.
    pub fn live_set(&self) -> LiveSet {
        self.set.lock().expect("set lock").clone()
    }

    /// The simulated set in a few lines.
    pub fn summary(&self) -> String {
        self.set.lock().expect("set lock").summary()
    }

    /// Stops the server and waits for it.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let _ = (&mut self.task).await;
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Starts the simulator on `addr` (port 0 for an ephemeral port).
pub async fn start_on(addr: SocketAddr, opts: SimOptions) -> std::io::Result<SimHandle> {
    let (app, set) = http::router(opts).map_err(std::io::Error::other)?;
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = rx.await;
            })
            .await;
    });
    Ok(SimHandle {
        addr,
        set,
        shutdown: Some(tx),
        task,
    })
}

/// Starts the simulator on an ephemeral loopback port, for tests and `--sim`.
pub async fn start(opts: SimOptions) -> std::io::Result<SimHandle> {
    start_on(SocketAddr::from(([127, 0, 0, 1], 0)), opts).await
}
