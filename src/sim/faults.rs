//! Ways the simulator misbehaves on purpose, so that what pplay does with a
//! broken server is tested over real HTTP: a connection dropped halfway
//! through the reply or before it, a body that is not JSON or not Producer
//! Pal's shape, no answer at all, an answer that trickles, one that is far
//! too large, and a redirect to another origin. Each fault applies to every
//! tool or to one (`--fault KIND` or `--fault KIND:TOOL`).

use std::future::Future;
use std::pin::Pin;
use std::str::FromStr;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes, HttpBody};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

/// A kind of misbehaviour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FaultKind {
    /// Start a 200 answer, then drop the connection halfway through it.
    Reset,
    /// Drop the connection without answering.
    Close,
    /// Answer 200 with an HTML page instead of JSON.
    NotJson,
    /// Answer 200 with JSON that is not Producer Pal's shape
    /// (`isError` as a string, no `result`).
    WrongShape,
    /// Never answer.
    Hang,
    /// Answer one byte every 100 ms, for longer than any deadline.
    Drip,
    /// Answer a well-formed body of [`OVERSIZED_BYTES`], with no length given.
    Oversized,
    /// Answer 307 to another origin.
    Redirect,
}

/// How large the `oversized` answer is: well past pplay's reply cap.
pub const OVERSIZED_BYTES: usize = 64 << 20;

/// Where the `redirect` fault points: another origin, on a port nothing
/// listens on.
pub const REDIRECT_TARGET: &str = "http://127.0.0.2:9/api/tools/elsewhere";

/// One fault, for every tool or for one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    pub kind: FaultKind,
    /// `None`: every tool.
    pub tool: Option<String>,
}

impl FromStr for Fault {
    type Err = String;

    /// `KIND` or `KIND:TOOL`, as `--fault` takes it.
    fn from_str(s: &str) -> Result<Self, String> {
        let (kind, tool) = match s.split_once(':') {
            Some((k, t)) if !t.is_empty() => (k, Some(t.to_owned())),
            Some(_) => return Err(format!("`{s}`: write KIND:TOOL, or KIND for every tool")),
            None => (s, None),
        };
        let kind = <FaultKind as clap::ValueEnum>::from_str(kind, true).map_err(|_| {
            format!(
                "unknown fault `{kind}`; one of: reset, close, not-json, wrong-shape, hang, drip, oversized, redirect"
            )
        })?;
        Ok(Fault { kind, tool })
    }
}

/// The fault that applies to a call of `tool`, if any (the first that
/// matches).
pub fn pick(faults: &[Fault], tool: &str) -> Option<FaultKind> {
    faults
        .iter()
        .find(|f| f.tool.as_deref().is_none_or(|t| t == tool))
        .map(|f| f.kind)
}

/// The misbehaving answer.
pub async fn respond(kind: FaultKind) -> Response {
    let json = [(header::CONTENT_TYPE, "application/json")];
    match kind {
        FaultKind::Reset => {
            let start = Bytes::from_static(br#"{"result": {"partial": tr"#);
            (
                json,
                Body::new(Script::new(vec![
                    Step::Data(start),
                    Step::Pause(50),
                    Step::Fail,
                ])),
            )
                .into_response()
        }
        FaultKind::Close => (json, Body::new(Script::new(vec![Step::Fail]))).into_response(),
        FaultKind::NotJson => (
            [(header::CONTENT_TYPE, "text/html")],
            "<html><body>502 Bad Gateway</body></html>",
        )
            .into_response(),
        FaultKind::WrongShape => (json, r#"{"isError": "true"}"#).into_response(),
        FaultKind::Hang => std::future::pending().await,
        FaultKind::Drip => {
            let steps = (0..100_000)
                .flat_map(|_| [Step::Pause(100), Step::Data(Bytes::from_static(b" "))])
                .collect();
            (json, Body::new(Script::new(steps))).into_response()
        }
        FaultKind::Oversized => {
            let chunk = Bytes::from(vec![b'x'; 64 << 10]);
            let mut steps = vec![Step::Data(Bytes::from_static(br#"{"result": ""#))];
            steps.extend((0..OVERSIZED_BYTES / chunk.len()).map(|_| Step::Data(chunk.clone())));
            steps.push(Step::Data(Bytes::from_static(br#"", "isError": false}"#)));
            (json, Body::new(Script::new(steps))).into_response()
        }
        FaultKind::Redirect => (
            StatusCode::TEMPORARY_REDIRECT,
            [(header::LOCATION, REDIRECT_TARGET)],
        )
            .into_response(),
    }
}

/// One step of a scripted body.
enum Step {
    Data(Bytes),
    Pause(u64),
    /// End the body with an error: the server drops the connection, and
    /// what was not yet sent (the head, if nothing was) never is.
    Fail,
}

/// A response body that plays its steps in order, with no length given.
struct Script {
    steps: std::collections::VecDeque<Step>,
    sleep: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl Script {
    fn new(steps: Vec<Step>) -> Self {
        Script {
            steps: steps.into(),
            sleep: None,
        }
    }
}

/// The error a scripted body ends with.
#[derive(Debug)]
struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped on purpose")
    }
}

impl std::error::Error for Dropped {}

impl HttpBody for Script {
    type Data = Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
        loop {
            if let Some(sleep) = self.sleep.as_mut() {
                if sleep.as_mut().poll(cx).is_pending() {
                    return Poll::Pending;
                }
                self.sleep = None;
            }
            match self.steps.pop_front() {
                None => return Poll::Ready(None),
                Some(Step::Data(b)) => return Poll::Ready(Some(Ok(http_body::Frame::data(b)))),
                Some(Step::Fail) => return Poll::Ready(Some(Err(Box::new(Dropped)))),
                Some(Step::Pause(ms)) => {
                    self.sleep = Some(Box::pin(tokio::time::sleep(Duration::from_millis(ms))));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_parse_for_every_tool_or_one() {
        assert_eq!(
            "hang".parse::<Fault>(),
            Ok(Fault {
                kind: FaultKind::Hang,
                tool: None
            })
        );
        assert_eq!(
            "not-json:ppal-read-live-set".parse::<Fault>(),
            Ok(Fault {
                kind: FaultKind::NotJson,
                tool: Some("ppal-read-live-set".into())
            })
        );
        assert!(
            "melt"
                .parse::<Fault>()
                .unwrap_err()
                .contains("unknown fault")
        );
        assert!("hang:".parse::<Fault>().is_err());
    }

    #[test]
    fn the_first_matching_fault_applies() {
        let faults: Vec<Fault> = ["close:a", "hang"]
            .iter()
            .map(|s| s.parse().unwrap())
            .collect();
        assert_eq!(pick(&faults, "a"), Some(FaultKind::Close));
        assert_eq!(pick(&faults, "b"), Some(FaultKind::Hang));
        assert_eq!(pick(&[], "b"), None);
    }
}
