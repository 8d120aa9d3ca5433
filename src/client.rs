//! The HTTP client for Producer Pal's REST API.
//!
//! One pooled keep-alive `reqwest::Client` serves a whole run. Every call asks
//! for `?format=json` so results come back parsed; answers from older servers
//! (string results, inline `WARNING: ` lines) are normalised here, so nothing
//! above this module knows which server version it talks to.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use serde_json::Value as Json;

use crate::protocol::Format;
use crate::protocol::{DEFAULT_MAX_REPLY_BYTES, GRACE, Profile, default_deadline};

/// What a call came back with.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// `200`: the tool ran; `is_error` says whether it failed inside Live.
    Tool {
        /// Shared, so events can carry it without copying it.
        result: Arc<Json>,
        warnings: Vec<String>,
        is_error: bool,
        /// 2.x's extra text blocks (`appended`), beside the result.
        appended: Vec<String>,
    },
    /// Any other status, with the server's `error` text, its `errorCode`
    /// when it gives one, and, for a 400, its validation `details`.
    Http {
        status: u16,
        error: String,
        code: Option<String>,
        details: Option<Json>,
    },
}

impl Reply {
    pub fn status(&self) -> u16 {
        match self {
            Reply::Tool { .. } => 200,
            Reply::Http { status, .. } => *status,
        }
    }

    /// 2.x's answer to a call that ran out of time: HTTP 504 with
    /// `errorCode: "timeout"`. Live may still complete the call.
    pub fn is_timeout(&self) -> bool {
        matches!(self, Reply::Http { status: 504, code: Some(c), .. } if c == "timeout")
    }
}

/// A call that did not get an HTTP answer.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ClientError {
    #[error(
        "could not reach Producer Pal at {url}: {message}. Is Ableton Live running with the Producer Pal device?"
    )]
    Unreachable { url: String, message: String },
    #[error("no answer from {url} within {after_ms} ms")]
    Timeout { url: String, after_ms: u64 },
    #[error("the connection to {url} failed: {message}")]
    Transport { url: String, message: String },
    /// The connection broke and nothing listens at the address any more:
    /// the server stopped while the call was in flight.
    #[error(
        "Producer Pal at {url} went away during the call ({message}); the call may or may not have reached Live"
    )]
    Gone { url: String, message: String },
    #[error("{url} answered something that is not Producer Pal's JSON: {message}")]
    Protocol { url: String, message: String },
    #[error(
        "the call to {url} was abandoned by a second interrupt; it may or may not have reached Live"
    )]
    Abandoned { url: String },
}

impl ClientError {
    pub fn is_unreachable(&self) -> bool {
        matches!(self, ClientError::Unreachable { .. })
    }

    /// The server is not there any more (or never was): a run stops.
    pub fn is_server_gone(&self) -> bool {
        matches!(
            self,
            ClientError::Unreachable { .. } | ClientError::Gone { .. }
        )
    }
}

/// A Producer Pal server at one base URL.
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    base: Arc<str>,
    /// `{base}/api/tools/`, parsed once: a call only appends the tool and
    /// the query, without parsing the host again.
    tools_url: Option<reqwest::Url>,
    grace: Duration,
    /// The most a reply may hold; more fails the call unread.
    max_reply: usize,
    /// The request profile's headers, sent on the catalog read and on
    /// every call alike.
    profile: reqwest::header::HeaderMap,
    /// The URL of the last call, for the next one: a loop or a batch job
    /// calls one tool with one timeout over and over, and building the URL
    /// parses its path and its query anew.
    last_target: Arc<Mutex<Option<Target>>>,
}

/// A call's content type, checked once instead of on every call.
const JSON_TYPE: reqwest::header::HeaderValue =
    reqwest::header::HeaderValue::from_static("application/json");

/// One call's URL and what it was built from.
#[derive(Debug)]
struct Target {
    tool: String,
    timeout_ms: Option<u64>,
    format: Format,
    url: reqwest::Url,
    /// The URL as text, for the messages of a failed call.
    text: Arc<str>,
}

/// What every HTTP client of pplay's has: no proxy, no redirects (a
/// redirect would re-post the body to wherever it points), and, for a plain
/// `http://` server such as Producer Pal on localhost, no trust store. The
/// client only ever talks to its own base URL, and reading the system's
/// certificates would be most of the start-up time of `pplay check`.
fn http_builder(tools_url: Option<&reqwest::Url>) -> reqwest::ClientBuilder {
    let builder = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none());
    if tools_url.is_some_and(|u| u.scheme() == "http") {
        builder.tls_certs_only([])
    } else {
        builder
    }
}

impl Client {
    pub fn new(base_url: &str) -> Self {
        let base = base_url.trim_end_matches('/').to_owned();
        let tools_url = reqwest::Url::parse(&format!("{base}/api/tools/"))
            .ok()
            .filter(|u| !u.cannot_be_a_base());
        let http = http_builder(tools_url.as_ref())
            .pool_max_idle_per_host(4)
            .tcp_nodelay(true)
            .build()
            .expect("the HTTP client builds with static settings");
        Client {
            http,
            base: Arc::from(base),
            tools_url,
            grace: GRACE,
            max_reply: DEFAULT_MAX_REPLY_BYTES,
            profile: reqwest::header::HeaderMap::new(),
            last_target: Arc::default(),
        }
    }

    /// Changes the cap on a reply's size (`--max-reply-bytes`).
    pub fn with_max_reply(mut self, bytes: usize) -> Self {
        self.max_reply = bytes;
        self
    }

    /// Sends `profile`'s `x-producer-pal-*` headers from now on.
    pub fn with_profile(mut self, profile: &Profile) -> Self {
        self.profile = profile
            .headers()
            .into_iter()
            .filter_map(|(name, value)| {
                let value = reqwest::header::HeaderValue::from_str(&value).ok()?;
                Some((reqwest::header::HeaderName::from_static(name), value))
            })
            .collect();
        self
    }

    /// Changes the grace beyond `timeoutMs` (tests use a short one).
    pub fn with_grace(mut self, grace: Duration) -> Self {
        self.grace = grace;
        self
    }

    /// The request profile's headers this client sends.
    pub fn profile_headers(&self) -> &reqwest::header::HeaderMap {
        &self.profile
    }

    /// The base URL, shared (events carry it).
    pub fn base(&self) -> Arc<str> {
        self.base.clone()
    }

    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// `GET /api/tools`, as the raw JSON document.
    pub async fn list_tools(&self) -> Result<Json, ClientError> {
        let url = format!("{}/api/tools", self.base);
        let resp = self
            .http
            .get(&url)
            .headers(self.profile.clone())
            .timeout(Duration::from_secs(30))
            .send()
            .await
            .map_err(|e| classify(&self.base, &url, e, 30_000))?;
        let status = resp.status();
        let bytes = self.read(resp, &url, 30_000).await?;
        if !status.is_success() {
            return Err(ClientError::Protocol {
                url,
                message: format!("HTTP {status}"),
            });
        }
        serde_json::from_slice(&bytes).map_err(|e| ClientError::Protocol {
            url,
            message: e.to_string(),
        })
    }

    /// `POST /api/tools/{tool}?format=json[&timeoutMs=N]` with `args` as body.
    pub async fn call(
        &self,
        tool: &str,
        args: &Json,
        timeout_ms: Option<u64>,
    ) -> Result<Reply, ClientError> {
        self.call_with_format(tool, args, timeout_ms, Format::Json)
            .await
    }

    /// A call that lost its connection is told apart from one whose
    /// server stopped: the server is asked for a new connection, and when
    /// none is made, the error is [`ClientError::Gone`].
    pub async fn call_with_format(
        &self,
        tool: &str,
        args: &Json,
        timeout_ms: Option<u64>,
        format: Format,
    ) -> Result<Reply, ClientError> {
        match self.send_call(tool, args, timeout_ms, format).await {
            Err(ClientError::Transport { message, .. }) if self.nothing_listens().await => {
                Err(ClientError::Gone {
                    url: self.base.to_string(),
                    message,
                })
            }
            other => other,
        }
    }

    /// Whether the server is gone: a request on a new connection gets no
    /// answer at all (refused, or cut off). A server that answers, with
    /// anything, or is too slow to, is there. The kernel may still accept a
    /// connection for a process that is dying, so the probe waits a moment
    /// and asks for an answer, not only for a connection.
    async fn nothing_listens(&self) -> bool {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let Ok(probe) = http_builder(self.tools_url.as_ref())
            .pool_max_idle_per_host(0)
            .timeout(Duration::from_secs(2))
            .build()
        else {
            return false;
        };
        match probe
            .get(format!("{}/api/tools", self.base))
            .headers(self.profile.clone())
            .send()
            .await
        {
            Ok(_) => false,
            Err(e) => !e.is_timeout(),
        }
    }

    /// The URL of a call to `tool`, and its text: the last call's again when
    /// it matches.
    fn target(
        &self,
        tool: &str,
        timeout_ms: Option<u64>,
        format: Format,
    ) -> Result<(reqwest::Url, Arc<str>), ClientError> {
        let mut last = self
            .last_target
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(t) = last.as_ref()
            && t.tool == tool
            && t.timeout_ms == timeout_ms
            && t.format == format
        {
            return Ok((t.url.clone(), t.text.clone()));
        }
        let url = self.build_target(tool, timeout_ms, format)?;
        let text: Arc<str> = Arc::from(url.as_str());
        *last = Some(Target {
            tool: tool.to_owned(),
            timeout_ms,
            format,
            url: url.clone(),
            text: text.clone(),
        });
        Ok((url, text))
    }

    fn build_target(
        &self,
        tool: &str,
        timeout_ms: Option<u64>,
        format: Format,
    ) -> Result<reqwest::Url, ClientError> {
        let fmt = format.as_query();
        let query = match timeout_ms {
            Some(t) => format!("format={fmt}&timeoutMs={t}"),
            None => format!("format={fmt}"),
        };
        match &self.tools_url {
            Some(u) => {
                let mut u = u.clone();
                if let Ok(mut segs) = u.path_segments_mut() {
                    segs.pop_if_empty().push(tool);
                }
                u.set_query(Some(&query));
                Ok(u)
            }
            // Not a valid base URL: let reqwest report it for this call.
            None => reqwest::Url::parse(&format!("{}/api/tools/{tool}?{query}", self.base))
                .map_err(|e| ClientError::Transport {
                    url: self.base.to_string(),
                    message: format!("not a valid URL: {e}"),
                }),
        }
    }

    async fn send_call(
        &self,
        tool: &str,
        args: &Json,
        timeout_ms: Option<u64>,
        format: Format,
    ) -> Result<Reply, ClientError> {
        let (target, url) = self.target(tool, timeout_ms, format)?;
        let deadline = timeout_ms.map_or(default_deadline(self.grace), |t| {
            Duration::from_millis(t) + self.grace
        });
        let body = serde_json::to_vec(args).expect("JSON values serialise");
        let mut request = self.http.post(target);
        if !self.profile.is_empty() {
            request = request.headers(self.profile.clone());
        }
        let resp = request
            .header(reqwest::header::CONTENT_TYPE, JSON_TYPE)
            .body(body)
            .timeout(deadline)
            .send()
            .await
            .map_err(|e| classify(&self.base, &url, e, deadline.as_millis() as u64))?;
        let status = resp.status().as_u16();
        let bytes = self.read(resp, &url, deadline.as_millis() as u64).await?;
        let protocol = |message: String| ClientError::Protocol {
            url: url.to_string(),
            message,
        };
        match serde_json::from_slice::<Json>(&bytes) {
            Ok(body) if status == 200 => {
                crate::protocol::check_reply_shape(&body).map_err(protocol)?;
                Ok(parse_reply(status, body, format))
            }
            Ok(body) => Ok(parse_reply(status, body, format)),
            Err(e) if status == 200 => Err(protocol(format!("HTTP 200: {e}"))),
            // Any other status is the server's answer even when its body is
            // not JSON (a proxy's page, say): shown as text, never a
            // broken connection.
            Err(_) => Ok(Reply::Http {
                status,
                error: crate::protocol::body_excerpt(&bytes),
                code: None,
                details: None,
            }),
        }
    }

    /// Reads a reply's body, at most `max_reply` bytes of it: a longer one
    /// fails as soon as it is known to be too long, unread. A redirect fails
    /// before its body is read.
    async fn read(
        &self,
        mut resp: reqwest::Response,
        url: &str,
        after_ms: u64,
    ) -> Result<Vec<u8>, ClientError> {
        let protocol = |message: String| ClientError::Protocol {
            url: url.to_owned(),
            message,
        };
        if resp.status().is_redirection() {
            let to = resp
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|l| l.to_str().ok())
                .unwrap_or("nowhere");
            return Err(protocol(format!(
                "HTTP {} redirects to {to}; redirects are not followed",
                resp.status().as_u16()
            )));
        }
        let too_large = || {
            protocol(format!(
                "the reply is larger than {} bytes, the cap; the rest was not read (raise it with --max-reply-bytes)",
                self.max_reply
            ))
        };
        if resp
            .content_length()
            .is_some_and(|n| n > self.max_reply as u64)
        {
            return Err(too_large());
        }
        let mut body = Vec::new();
        while let Some(chunk) = resp
            .chunk()
            .await
            .map_err(|e| classify(&self.base, url, e, after_ms))?
        {
            if body.len() + chunk.len() > self.max_reply {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }
}

/// Checks an `http://` or `https://` base URL with a host, as `url:`,
/// `--url` and `PPAL_URL` must be; the error says what is wrong.
pub fn check_base_url(url: &str) -> Result<(), String> {
    // `localhost:3350` parses as the scheme `localhost`: say what is missing.
    let port_or_path =
        |rest: &str| rest.is_empty() || rest.starts_with(|c: char| c.is_ascii_digit());
    if !url.contains("://")
        && url
            .split_once(':')
            .is_none_or(|(_, rest)| port_or_path(rest))
    {
        return Err(format!(
            "`{url}` has no scheme: write http://{}",
            url.trim_start_matches('/')
        ));
    }
    match reqwest::Url::parse(url) {
        Ok(u) if !matches!(u.scheme(), "http" | "https") => Err(format!(
            "`{url}` is not an http(s) URL: its scheme is `{}`",
            u.scheme()
        )),
        Ok(u) if u.host_str().is_none_or(str::is_empty) => {
            Err(format!("`{url}` is not an http(s) URL with a host"))
        }
        Ok(_) => Ok(()),
        Err(e) => Err(format!("`{url}` is not an http(s) URL with a host: {e}")),
    }
}

fn classify(base: &str, url: &str, e: reqwest::Error, after_ms: u64) -> ClientError {
    if e.is_timeout() {
        ClientError::Timeout {
            url: url.to_owned(),
            after_ms,
        }
    } else if e.is_connect() {
        let mut message = e.to_string();
        let mut src = std::error::Error::source(&e);
        while let Some(s) = src {
            message = s.to_string();
            src = s.source();
        }
        ClientError::Unreachable {
            url: base.to_owned(),
            message,
        }
    } else {
        ClientError::Transport {
            url: url.to_owned(),
            message: e.to_string(),
        }
    }
}

/// Turns a response body into a [`Reply`], whatever the server's version.
pub fn parse_reply(status: u16, mut body: Json, format: Format) -> Reply {
    if status != 200 {
        let error = body
            .get("error")
            .and_then(Json::as_str)
            .map_or_else(|| body.to_string(), str::to_owned);
        return Reply::Http {
            status,
            error,
            code: body
                .get("errorCode")
                .and_then(Json::as_str)
                .map(str::to_owned),
            details: body.get_mut("details").map(Json::take),
        };
    }
    let is_error = body.get("isError").and_then(Json::as_bool).unwrap_or(false);
    let result = body.get_mut("result").map(Json::take).unwrap_or(Json::Null);
    let texts = |key: &str| -> Vec<String> {
        body.get(key)
            .and_then(Json::as_array)
            .map(|w| {
                w.iter()
                    .filter_map(|s| s.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut warnings = texts("warnings");
    let appended = texts("appended");
    let result = match result {
        Json::String(text) if !is_error && format == Format::Json => {
            let (rest, inline) = split_warnings(&text);
            warnings.extend(inline);
            parse_result_text(&rest)
        }
        Json::String(text) if is_error => Json::String(text),
        other => other,
    };
    Reply::Tool {
        result: Arc::new(result),
        warnings,
        is_error,
        appended,
    }
}

/// Separates inline `WARNING: ` lines from the rest of a result text.
pub fn split_warnings(text: &str) -> (String, Vec<String>) {
    if !text.contains("WARNING: ") {
        return (text.to_owned(), Vec::new());
    }
    let mut rest = Vec::new();
    let mut warnings = Vec::new();
    for line in text.lines() {
        match line.strip_prefix("WARNING: ") {
            Some(w) => warnings.push(w.to_owned()),
            None => rest.push(line),
        }
    }
    (rest.join("\n"), warnings)
}

/// A string result: JSON, else the compact JavaScript-literal syntax, else
/// the text itself.
pub fn parse_result_text(text: &str) -> Json {
    let t = text.trim();
    if let Ok(v) = serde_json::from_str(t) {
        return v;
    }
    if let Ok(v) = json5::from_str::<Json>(t) {
        return v;
    }
    Json::String(text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn string_results_are_parsed_json_then_compact_then_kept() {
        assert_eq!(parse_result_text(r#"{"a": 1}"#), json!({"a": 1}));
        assert_eq!(
            parse_result_text(r#"{tempo:120,timeSignature:"4/4"}"#),
            json!({"tempo": 120, "timeSignature": "4/4"})
        );
        assert_eq!(parse_result_text("Done: 3 clips"), json!("Done: 3 clips"));
    }

    #[test]
    fn inline_warnings_are_split_off() {
        let reply = parse_reply(
            200,
            json!({"result": "{id:\"1\"}\nWARNING: one\nWARNING: two", "isError": false}),
            Format::Json,
        );
        assert_eq!(
            reply,
            Reply::Tool {
                result: Arc::new(json!({"id": "1"})),
                warnings: vec!["one".into(), "two".into()],
                is_error: false,
                appended: vec![],
            }
        );
    }

    #[test]
    fn error_results_stay_text_and_other_statuses_keep_details() {
        let r = parse_reply(
            200,
            json!({"result": "{not json}", "isError": true}),
            Format::Json,
        );
        assert_eq!(
            r,
            Reply::Tool {
                result: Arc::new(json!("{not json}")),
                warnings: vec![],
                is_error: true,
                appended: vec![],
            }
        );
        let r = parse_reply(
            400,
            json!({"error": "Validation failed", "details": [{"path": ["x"]}]}),
            Format::Json,
        );
        assert_eq!(
            r,
            Reply::Http {
                status: 400,
                error: "Validation failed".into(),
                code: None,
                details: Some(json!([{"path": ["x"]}]))
            }
        );
    }

    #[test]
    fn a_504_with_the_timeout_code_is_a_timeout_and_appended_is_kept() {
        let r = parse_reply(
            504,
            json!({"error": "Tool call timed out after 100ms", "errorCode": "timeout"}),
            Format::Json,
        );
        assert!(r.is_timeout());
        assert!(!parse_reply(504, json!({"error": "gateway"}), Format::Json).is_timeout());
        let r = parse_reply(
            200,
            json!({"result": {"ok": true}, "isError": false, "appended": ["Tip: read the set"]}),
            Format::Json,
        );
        assert!(matches!(r, Reply::Tool { appended, .. } if appended == ["Tip: read the set"]));
    }
}
