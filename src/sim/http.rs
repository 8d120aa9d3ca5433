//! The simulator's HTTP side: the routes, the query and body checks, and
//! the answer shapes of each generation.

use foldhash::{HashMap, HashMapExt};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Map, Value, json};

use super::live_set::{LiveSet, ToolResult};
use super::profile::Profile;
use super::{Generation, SimOptions, compact, faults, v2, validate};
use crate::protocol::{DEVICE_TIMEOUT_MS, Format};

struct SimTool {
    schema: Value,
    validator: jsonschema::Validator,
}

struct Shared {
    opts: SimOptions,
    tools: HashMap<String, SimTool>,
    /// The tools listed for the default profile, and with the Live API on.
    listed: Vec<Value>,
    listed_live_api: Vec<Value>,
    set: Arc<Mutex<LiveSet>>,
}

fn tool_list(doc: &Value) -> Result<Vec<Value>, String> {
    doc.get("tools")
        .and_then(Value::as_array)
        .cloned()
        .ok_or_else(|| "the catalog has no `tools` array".to_owned())
}

/// Builds the simulator's router; its state is fresh.
pub(super) fn router(opts: SimOptions) -> Result<(Router, Arc<Mutex<LiveSet>>), String> {
    let keep = |list: Vec<Value>| -> Vec<Value> {
        list.into_iter()
            .filter(|t| {
                let name = t.get("name").and_then(Value::as_str);
                name.is_some_and(|n| !opts.disable_tools.iter().any(|d| d == n))
            })
            .collect()
    };
    let listed = keep(tool_list(&opts.catalog)?);
    let listed_live_api = match (&opts.live_api_catalog, opts.generation) {
        (Some(doc), Generation::V2_3) => keep(tool_list(doc)?),
        _ => listed.clone(),
    };
    let mut tools = HashMap::new();
    for t in listed.iter().chain(&listed_live_api) {
        let name = t.get("name").and_then(Value::as_str).unwrap_or_default();
        let schema = t
            .get("inputSchema")
            .cloned()
            .unwrap_or_else(|| json!({"type": "object"}));
        let validator =
            jsonschema::draft202012::new(&schema).map_err(|e| format!("{name}: {e}"))?;
        tools.insert(name.to_owned(), SimTool { schema, validator });
    }
    let set = Arc::new(Mutex::new(LiveSet::default()));
    let shared = Arc::new(Shared {
        opts,
        tools,
        listed,
        listed_live_api,
        set: set.clone(),
    });
    let app = Router::new()
        .route("/api/tools", get(list_tools))
        .route("/api/tools/{name}", post(call_tool))
        .with_state(shared);
    Ok((app, set))
}

impl Shared {
    /// The request profile; 1.4 reads no headers.
    fn profile(&self, headers: &HeaderMap) -> Result<Profile, Refusal> {
        match self.opts.generation {
            Generation::V1_4 => Ok(Profile::default()),
            Generation::V2_3 => {
                Profile::read(headers).map_err(|e| bad_request(json!({"error": e})))
            }
        }
    }

    fn listed_for(&self, p: &Profile) -> &[Value] {
        if p.live_api {
            &self.listed_live_api
        } else {
            &self.listed
        }
    }
}

/// An answer that refuses a request: its status and JSON body.
struct Refusal(StatusCode, Value);

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        (self.0, axum::Json(self.1)).into_response()
    }
}

fn error(status: StatusCode, body: Value) -> Response {
    Refusal(status, body).into_response()
}

fn bad_request(body: Value) -> Refusal {
    Refusal(StatusCode::BAD_REQUEST, body)
}

async fn list_tools(State(sh): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    match sh.profile(&headers) {
        Ok(p) => axum::Json(p.listing(sh.listed_for(&p))).into_response(),
        Err(r) => r.into_response(),
    }
}

async fn call_tool(
    State(sh): State<Arc<Shared>>,
    Path(name): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let profile = match sh.profile(&headers) {
        Ok(p) => p,
        Err(r) => return r.into_response(),
    };
    let Some(tool) = sh
        .tools
        .get(&name)
        .filter(|_| profile.lists(sh.listed_for(&profile), &name))
    else {
        return error(
            StatusCode::NOT_FOUND,
            json!({"error": format!("Unknown or disabled tool: {name}")}),
        );
    };
    let opts = &sh.opts;
    if let Some(fault) = faults::pick(&opts.faults, &name) {
        return faults::respond(fault).await;
    }
    let (format, timeout_ms) = match settings(opts, &query) {
        Ok(s) => s,
        Err(r) => return r.into_response(),
    };
    let (args, deprecations) =
        match parse_body(&body).and_then(|args| prepare(opts, &name, tool, args)) {
            Ok(a) => a,
            Err(r) => return r.into_response(),
        };
    let call = Call {
        sh: &sh,
        name: &name,
        args: &args,
        profile: &profile,
    };
    if opts.latency_ms > 0 {
        if opts.latency_ms > timeout_ms {
            tokio::time::sleep(Duration::from_millis(timeout_ms)).await;
            return timed_out(&call, timeout_ms);
        }
        tokio::time::sleep(Duration::from_millis(opts.latency_ms)).await;
    }
    let outcome = call
        .run()
        .map(|(r, w)| (r, deprecations.into_iter().chain(w).collect()));
    answer(opts, format, outcome, appended(opts.generation, &name))
}

/// One call, ready to run against the set.
struct Call<'a> {
    sh: &'a Shared,
    name: &'a str,
    args: &'a Map<String, Value>,
    profile: &'a Profile,
}

impl Call<'_> {
    fn run(&self) -> ToolResult {
        if self.sh.opts.fail_tools.iter().any(|f| f == self.name) {
            return Err(format!(
                "Simulated failure: {} was told to fail (--fail-tool)",
                self.name
            ));
        }
        let mut set = self.sh.set.lock().expect("set lock");
        set.calls += 1;
        match self.sh.opts.generation {
            Generation::V1_4 => set.call_v1(self.name, self.args),
            Generation::V2_3 => set.call_v2(
                self.name,
                self.args,
                self.profile.notation,
                self.sh.opts.candidate_2_4,
            ),
        }
    }
}

/// A call that ran out of time. 1.4 answers `isError` and drops the call;
/// 2.3 answers HTTP 504 and, as Live may, carries the call out anyway.
fn timed_out(call: &Call, timeout_ms: u64) -> Response {
    let text = format!("Tool call '{}' timed out after {timeout_ms}ms", call.name);
    match call.sh.opts.generation {
        Generation::V1_4 => answer(&call.sh.opts, Format::Json, Err(text), vec![]),
        Generation::V2_3 => {
            let _ = call.run();
            error(
                StatusCode::GATEWAY_TIMEOUT,
                json!({"error": text, "errorCode": "timeout"}),
            )
        }
    }
}

/// `?format` and `?timeoutMs`, which 1.4.6 in legacy mode ignores.
fn settings(opts: &SimOptions, query: &HashMap<String, String>) -> Result<(Format, u64), Refusal> {
    if opts.legacy && opts.generation == Generation::V1_4 {
        return Ok((opts.default_format, DEVICE_TIMEOUT_MS));
    }
    let format = match query.get("format").map(String::as_str) {
        None => opts.default_format,
        Some("json") => Format::Json,
        Some("compact") => Format::Compact,
        Some(other) => {
            return Err(bad_request(
                json!({"error": format!("Invalid format '{other}': expected 'json' or 'compact'")}),
            ));
        }
    };
    let range = opts.generation.timeout_range();
    let timeout_ms = match query.get("timeoutMs") {
        None => DEVICE_TIMEOUT_MS,
        Some(t) => match t.parse::<u64>() {
            Ok(n) if range.contains(n) => n,
            _ => {
                return Err(bad_request(json!({"error": format!(
                    "Invalid timeoutMs '{t}': expected a positive integer up to {}",
                    range.max
                )})));
            }
        },
    };
    Ok((format, timeout_ms))
}

fn parse_body(body: &Bytes) -> Result<Map<String, Value>, Refusal> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(bad_request(
            json!({"error": "Request body must be a JSON object"}),
        )),
        Err(e) => Err(bad_request(json!({"error": format!("Invalid JSON: {e}")}))),
    }
}

fn validation_failed(details: Vec<Value>) -> Refusal {
    bad_request(json!({"error": "Validation failed", "details": details}))
}

/// The server's validation. 1.4 coerces scalars, with its traps; 2.3
/// drops nulls, folds hidden parameters in (with warnings), coerces the
/// fields 2.3.0 coerces, refuses blank paths and ids, and otherwise follows
/// the published schema.
fn prepare(
    opts: &SimOptions,
    name: &str,
    tool: &SimTool,
    mut args: Map<String, Value>,
) -> Result<(Map<String, Value>, Vec<String>), Refusal> {
    let mut deprecations = Vec::new();
    match opts.generation {
        Generation::V1_4 => validate::coerce(&tool.schema, &mut args),
        Generation::V2_3 => {
            args.retain(|_, v| !v.is_null());
            let translated = v2::translate(name, &mut args, opts.candidate_2_4);
            deprecations = translated.map_err(|(key, message)| {
                validation_failed(vec![
                    json!({"code": "custom", "path": [key], "message": message}),
                ])
            })?;
            validate::coerce_2_3(name, &mut args);
            let blanks = validate::blank_issues(&args);
            if !blanks.is_empty() {
                return Err(validation_failed(blanks));
            }
            validate::fill_defaults(&tool.schema, &mut args);
        }
    }
    let value = Value::Object(args);
    if !tool.validator.is_valid(&value) {
        return Err(validation_failed(validate::issues(&tool.validator, &value)));
    }
    let Value::Object(args) = value else {
        unreachable!("built as an object")
    };
    Ok((args, deprecations))
}

/// Text blocks a 2.3 answer carries beside its result.
fn appended(generation: Generation, tool: &str) -> Vec<String> {
    if generation == Generation::V2_3 && tool == "ppal-connect" {
        vec![v2::CONNECT_APPENDED.to_owned()]
    } else {
        vec![]
    }
}

fn answer(
    opts: &SimOptions,
    format: Format,
    outcome: ToolResult,
    appended: Vec<String>,
) -> Response {
    let legacy = opts.legacy && opts.generation == Generation::V1_4;
    let body = match outcome {
        Err(text) => json!({"result": text, "isError": true}),
        Ok((result, warnings)) if format == Format::Json && !legacy => {
            let mut b = json!({"result": result, "isError": false});
            if !warnings.is_empty() {
                b["warnings"] = json!(warnings);
            }
            if !appended.is_empty() {
                b["appended"] = json!(appended);
            }
            b
        }
        Ok((result, warnings)) => {
            let mut text = if format == Format::Json {
                result.to_string()
            } else {
                compact::encode(&result)
            };
            for w in warnings {
                text.push_str("\nWARNING: ");
                text.push_str(&w);
            }
            for block in appended {
                text.push_str("\n\n");
                text.push_str(&block);
            }
            json!({"result": text, "isError": false})
        }
    };
    axum::Json(body).into_response()
}
