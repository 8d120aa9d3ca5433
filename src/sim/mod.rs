//! A simulator of Producer Pal's REST API, with a stateful Live Set.
//!
//! It serves the same contract as the device (`GET /api/tools`,
//! `POST /api/tools/{name}` with `?format` and `?timeoutMs`, the server's
//! lenient validation and its 400/404 answers), so playbooks can be rehearsed
//! and the project's tests and benchmarks talk real HTTP without Ableton Live.
//! Faults can be injected: latency, failing tools, disabled tools, and the
//! legacy behaviour of Producer Pal 1.4.6.

pub mod compact;
pub mod faults;
pub mod live_set;
pub mod validate;

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use crate::protocol::{DEVICE_TIMEOUT_MS, Format, timeout_range};
pub use live_set::LiveSet;

/// How the simulator behaves.
#[derive(Debug, Clone)]
pub struct SimOptions {
    /// The `{"tools": [...]}` document to serve.
    pub catalog: Value,
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
}

impl Default for SimOptions {
    fn default() -> Self {
        SimOptions {
            catalog: serde_json::from_str(crate::catalog::PINNED).expect("pinned catalog is JSON"),
            default_format: Format::Compact,
            latency_ms: 0,
            fail_tools: Vec::new(),
            disable_tools: Vec::new(),
            legacy: false,
            faults: Vec::new(),
        }
    }
}

struct SimTool {
    schema: Value,
    validator: jsonschema::Validator,
}

struct Shared {
    opts: SimOptions,
    tools: HashMap<String, SimTool>,
    disabled: HashSet<String>,
    listing: Value,
    set: Mutex<LiveSet>,
}

/// A running simulator.
pub struct SimHandle {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
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
        self.shared.set.lock().expect("set lock").clone()
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

/// Builds the simulator's router; its state is fresh.
fn router(opts: SimOptions) -> Result<(Router, Arc<Shared>), String> {
    let list = opts
        .catalog
        .get("tools")
        .and_then(Value::as_array)
        .cloned()
        .ok_or("the catalog has no `tools` array")?;
    let disabled: HashSet<String> = opts.disable_tools.iter().cloned().collect();
    let mut tools = HashMap::new();
    let mut listed = Vec::new();
    for t in list {
        let Some(name) = t.get("name").and_then(Value::as_str).map(str::to_owned) else {
            continue;
        };
        let schema = t
            .get("inputSchema")
            .cloned()
            .unwrap_or_else(|| json!({"type": "object"}));
        let validator =
            jsonschema::draft202012::new(&schema).map_err(|e| format!("{name}: {e}"))?;
        if disabled.contains(&name) {
            continue;
        }
        listed.push(t);
        tools.insert(name, SimTool { schema, validator });
    }
    let shared = Arc::new(Shared {
        listing: json!({"tools": listed}),
        opts,
        tools,
        disabled,
        set: Mutex::new(LiveSet::default()),
    });
    let app = Router::new()
        .route("/api/tools", get(list_tools))
        .route("/api/tools/{name}", post(call_tool))
        .with_state(shared.clone());
    Ok((app, shared))
}

/// Starts the simulator on `addr` (port 0 for an ephemeral port).
pub async fn start_on(addr: SocketAddr, opts: SimOptions) -> std::io::Result<SimHandle> {
    let (app, shared) = router(opts).map_err(std::io::Error::other)?;
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
        shared,
        shutdown: Some(tx),
        task,
    })
}

/// Starts the simulator on an ephemeral loopback port, for tests and `--sim`.
pub async fn start(opts: SimOptions) -> std::io::Result<SimHandle> {
    start_on(SocketAddr::from(([127, 0, 0, 1], 0)), opts).await
}

async fn list_tools(State(sh): State<Arc<Shared>>) -> Response {
    axum::Json(sh.listing.clone()).into_response()
}

fn error(status: StatusCode, body: Value) -> Response {
    (status, axum::Json(body)).into_response()
}

async fn call_tool(
    State(sh): State<Arc<Shared>>,
    Path(name): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    body: Bytes,
) -> Response {
    let Some(tool) = sh.tools.get(&name).filter(|_| !sh.disabled.contains(&name)) else {
        return error(
            StatusCode::NOT_FOUND,
            json!({"error": format!("Unknown or disabled tool: {name}")}),
        );
    };
    let opts = &sh.opts;
    if let Some(fault) = faults::pick(&opts.faults, &name) {
        return faults::respond(fault).await;
    }
    let mut format = opts.default_format;
    let mut timeout_ms = DEVICE_TIMEOUT_MS;
    if !opts.legacy {
        match query.get("format").map(String::as_str) {
            None => {}
            Some("json") => format = Format::Json,
            Some("compact") => format = Format::Compact,
            Some(other) => {
                return error(
                    StatusCode::BAD_REQUEST,
                    json!({"error": format!("Invalid format '{other}': expected 'json' or 'compact'")}),
                );
            }
        }
        if let Some(t) = query.get("timeoutMs") {
            match t.parse::<u64>() {
                Ok(n) if timeout_range().contains(n) => timeout_ms = n,
                _ => {
                    let max = timeout_range().max;
                    return error(
                        StatusCode::BAD_REQUEST,
                        json!({"error": format!("Invalid timeoutMs '{t}': expected a positive integer up to {max}")}),
                    );
                }
            }
        }
    }
    let mut args = if body.iter().all(u8::is_ascii_whitespace) {
        serde_json::Map::new()
    } else {
        match serde_json::from_slice::<Value>(&body) {
            Ok(Value::Object(m)) => m,
            Ok(_) => {
                return error(
                    StatusCode::BAD_REQUEST,
                    json!({"error": "Request body must be a JSON object"}),
                );
            }
            Err(e) => {
                return error(
                    StatusCode::BAD_REQUEST,
                    json!({"error": format!("Invalid JSON: {e}")}),
                );
            }
        }
    };
    validate::coerce(&tool.schema, &mut args);
    let args_value = Value::Object(args);
    if !tool.validator.is_valid(&args_value) {
        let details = validate::issues(&tool.validator, &args_value);
        return error(
            StatusCode::BAD_REQUEST,
            json!({"error": "Validation failed", "details": details}),
        );
    }
    let Value::Object(args) = args_value else {
        unreachable!("built as an object")
    };
    if opts.latency_ms > 0 {
        if opts.latency_ms > timeout_ms {
            tokio::time::sleep(Duration::from_millis(timeout_ms)).await;
            return answer(
                format,
                opts.legacy,
                Err(format!("Tool call '{name}' timed out after {timeout_ms}ms")),
            );
        }
        tokio::time::sleep(Duration::from_millis(opts.latency_ms)).await;
    }
    let outcome = if opts.fail_tools.contains(&name) {
        Err(format!(
            "Simulated failure: {name} was told to fail (--fail-tool)"
        ))
    } else {
        sh.set.lock().expect("set lock").call(&name, &args)
    };
    answer(format, opts.legacy, outcome)
}

fn answer(format: Format, legacy: bool, outcome: live_set::ToolResult) -> Response {
    let body = match outcome {
        Err(text) => json!({"result": text, "isError": true}),
        Ok((result, warnings)) => {
            if format == Format::Json && !legacy {
                let mut b = json!({"result": result, "isError": false});
                if !warnings.is_empty() {
                    b["warnings"] = json!(warnings);
                }
                b
            } else {
                let mut text = if format == Format::Json {
                    result.to_string()
                } else {
                    compact::encode(&result)
                };
                for w in warnings {
                    text.push_str("\nWARNING: ");
                    text.push_str(&w);
                }
                json!({"result": text, "isError": false})
            }
        }
    };
    axum::Json(body).into_response()
}

impl SimHandle {
    /// The simulated set in a few lines.
    pub fn summary(&self) -> String {
        self.shared.set.lock().expect("set lock").summary()
    }
}
