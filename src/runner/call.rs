//! Call: send the rendered args, retry what may pass on a second try, and
//! turn the reply into the step's outcome or its failure.

use compact_str::CompactString;
use std::cell::OnceCell;
use std::sync::Arc;
use std::time::{Duration, Instant};

use minijinja::context;
use minijinja::value::Value as MjValue;
use serde_json::Value as Json;

use super::render::Rendered;
use super::{Runner, ms};
use crate::check::CheckedStep;
use crate::client::{ClientError, Reply};
use crate::diagnostic::Diagnostic;
use crate::event::{Event, StepRef};
use crate::playbook::Spanned;
use crate::source::SourceFile;
use crate::template::from_json;
use crate::yaml::{Node, Span};

/// A tool that ran (it may still have reported an error inside Live).
pub(super) struct CallResult {
    pub result: Arc<Json>,
    pub warnings: Vec<String>,
    pub is_error: bool,
    pub duration_ms: f64,
    /// 2.x's extra text blocks, kept as `steps.<id>.appended`.
    pub appended: Vec<String>,
    /// `result` and `warnings` as templates see them, converted the first
    /// time a capture, an expectation or `steps.<id>` needs them: a plain
    /// batch step needs neither.
    result_value: OnceCell<MjValue>,
    warnings_value: OnceCell<MjValue>,
}

impl CallResult {
    fn new(reply: ToolReply, duration_ms: f64) -> Self {
        let ToolReply {
            result,
            warnings,
            is_error,
            appended,
        } = reply;
        CallResult {
            result_value: OnceCell::new(),
            warnings_value: OnceCell::new(),
            result,
            warnings,
            is_error,
            duration_ms,
            appended,
        }
    }

    /// What `ensure:` found in the set, standing in for a result.
    pub fn found(result: Json) -> Self {
        CallResult::new(
            ToolReply {
                result: Arc::new(result),
                warnings: Vec::new(),
                is_error: false,
                appended: Vec::new(),
            },
            0.0,
        )
    }

    pub fn result_value(&self) -> MjValue {
        self.result_value
            .get_or_init(|| from_json(&self.result))
            .clone()
    }

    pub fn warnings_value(&self) -> MjValue {
        self.warnings_value
            .get_or_init(|| MjValue::from_serialize(&self.warnings))
            .clone()
    }

    /// The outcome kept as `steps.<id>`.
    pub fn outcome(&self) -> MjValue {
        context! {
            result => self.result_value(),
            warnings => self.warnings_value(),
            isError => self.is_error,
            durationMs => self.duration_ms,
            appended => MjValue::from_serialize(&self.appended),
        }
    }
}

/// The fields of a `200` reply.
struct ToolReply {
    result: Arc<Json>,
    warnings: Vec<String>,
    is_error: bool,
    appended: Vec<String>,
}

/// What a failed attempt allows: the re-send policy, in one place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Resend {
    /// Sending it again is safe: it provably never left, or the tool only
    /// reads, or the step accepts re-sending (`resend: true`).
    Safe,
    /// It may have reached Live, and the tool changes the set.
    Unsafe,
    /// The answer is final: a 4xx, or the tool's own result.
    Final,
}

/// Whether a failed attempt may be sent again. A call that may have
/// reached Live (no answer in time, a reply cut off, a 5xx, 2.x's 504) is
/// re-sent only when that cannot duplicate anything; one refused before
/// it left (no connection) always may be.
fn resend_policy(res: &Result<Reply, ClientError>, read_only: bool, accepted: bool) -> Resend {
    let may_have_reached_live = match res {
        Err(ClientError::Unreachable { .. }) => return Resend::Safe,
        // The server answered, with something that is not Producer Pal's
        // (or too much of it): asking again gets the same.
        Err(ClientError::Protocol { .. }) => false,
        Err(_) => true,
        Ok(Reply::Http { status, .. }) => *status >= 500,
        Ok(Reply::Tool { .. }) => false,
    };
    match may_have_reached_live {
        false => Resend::Final,
        true if read_only || accepted => Resend::Safe,
        true => Resend::Unsafe,
    }
}

/// A call that got no tool result: why, and how long it took.
pub(super) struct CallFailed {
    pub diagnostic: Diagnostic,
    pub duration_ms: f64,
    /// The server is not there: the run stops.
    pub unreachable: Option<ClientError>,
    /// The HTTP status, when an answer came.
    pub http: Option<u16>,
    /// Nothing says whether Live acted: no answer, or a 5xx.
    pub unknown: bool,
}

impl Runner<'_> {
    /// Sends the call (retrying transport failures, timeouts and 5xx) and
    /// reads the last reply.
    pub(super) async fn call(
        &mut self,
        cs: &CheckedStep<'_, '_>,
        sr: &StepRef,
        tool: &Spanned<CompactString>,
        call: Rendered,
        started: Instant,
    ) -> Result<CallResult, CallFailed> {
        let (reply, why) = self.send(cs, sr, &tool.value, call).await;
        let duration_ms = ms(started.elapsed());
        let step = cs.step;
        let file = &step.file;
        let anchor = step.anchor();
        let http = match &reply {
            Ok(Reply::Http { status, .. }) => Some(*status),
            _ => None,
        };
        // What might have reached Live is what a journal cannot call done.
        let unknown = resend_policy(&reply, false, false) == Resend::Unsafe;
        let failed = |diagnostic: Diagnostic, unreachable| CallFailed {
            diagnostic: match &why {
                Some(w) => diagnostic.help(w.clone()),
                None => diagnostic,
            },
            duration_ms,
            unreachable,
            http,
            unknown,
        };
        match reply {
            Err(e @ ClientError::Unreachable { .. }) => {
                let d = Diagnostic::error("pplay::unreachable", e.to_string())
                    .in_file(file)
                    .label(anchor, "this call was not sent");
                Err(failed(d, Some(e)))
            }
            Err(e @ ClientError::Gone { .. }) => {
                let d = Diagnostic::error("pplay::server-gone", e.to_string())
                    .in_file(file)
                    .label(anchor, "the server stopped during this call")
                    .help("the run stops here; start Producer Pal again, check the Live Set, and run the playbook again");
                Err(failed(d, Some(e)))
            }
            Err(e) => {
                let d = Diagnostic::error("pplay::transport", e.to_string())
                    .in_file(file)
                    .label(anchor, "this call");
                Err(failed(d, None))
            }
            Ok(r) if r.is_timeout() => {
                let Reply::Http { error, .. } = r else {
                    unreachable!("a timeout is an HTTP answer")
                };
                let d = Diagnostic::error(
                    "pplay::timeout",
                    format!("`{}` timed out on Producer Pal: {error}", tool.value),
                )
                .in_file(file)
                .label(anchor, "HTTP 504: Live may still complete this call");
                Err(failed(d, None))
            }
            Ok(Reply::Http {
                status,
                error,
                details,
                ..
            }) => {
                let crate::playbook::Action::Call { args, .. } = &step.action else {
                    unreachable!("only call steps are sent")
                };
                let d = http_diagnostic(
                    file,
                    anchor,
                    args,
                    &tool.value,
                    status,
                    &error,
                    details.as_ref(),
                );
                // With `retries:` set, the retries were made (or an
                // interrupt stopped them): adding them is no advice.
                let d = if status >= 500 && cs.retries == 0 {
                    d.help("add `retries:` to the step to resend after a server error (a tool that changes the set also needs `resend: true`)")
                } else {
                    d
                };
                Err(failed(d, None))
            }
            Ok(Reply::Tool {
                result,
                warnings,
                is_error,
                appended,
            }) => Ok(CallResult::new(
                ToolReply {
                    result,
                    warnings,
                    is_error,
                    appended,
                },
                duration_ms,
            )),
        }
    }

    /// The attempts: each is reported as sent and finished; a failure the
    /// re-send policy allows waits out the backoff and goes again. With the
    /// last reply comes, when retries were asked for and not all used or
    /// none helped, the reason it was not sent again.
    async fn send(
        &mut self,
        cs: &CheckedStep<'_, '_>,
        sr: &StepRef,
        tool: &str,
        call: Rendered,
    ) -> (Result<Reply, ClientError>, Option<String>) {
        let read_only = cs.tool.is_some_and(|t| t.read_only);
        // Events share the args, tool and URL instead of copying them.
        let args = Arc::new(call.args);
        let timeout_ms = call.timeout_ms;
        let tool_name: Arc<str> = sr.tool.clone().unwrap_or_else(|| Arc::from(tool));
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            self.sink.emit(&Event::CallSent {
                step: sr.clone(),
                tool: tool_name.clone(),
                url: self.client.base(),
                args: args.clone(),
                timeout_ms,
                attempt,
            });
            let t0 = Instant::now();
            let call = self.client.call(tool, &args, timeout_ms);
            let res = match &self.opts.abandon {
                Some(abandon) => tokio::select! {
                    r = call => r,
                    () = abandon.notified() => Err(ClientError::Abandoned {
                        url: self.client.base_url().to_owned(),
                    }),
                },
                None => call.await,
            };
            // A refused connection sent nothing: it is no call.
            if !matches!(res, Err(ClientError::Unreachable { .. })) {
                self.summary.calls += 1;
            }
            let error = self.report_attempt(sr, &tool_name, &res, ms(t0.elapsed()));
            let policy = resend_policy(&res, read_only, cs.resend);
            if policy == Resend::Safe && attempt <= cs.retries && !self.cancelled() {
                let delay = backoff(cs.retry_delay_ms, attempt);
                self.sink.emit(&Event::Retry {
                    step: sr.clone(),
                    attempt,
                    retries: cs.retries,
                    delay_ms: delay,
                    reason: error.unwrap_or_default(),
                });
                tokio::time::sleep(Duration::from_millis(delay)).await;
                // Stopped during the wait: no call is in flight, so none is
                // sent.
                if self.cancelled() {
                    let why = format!(
                        "not re-sent: the run was stopped while it waited to send attempt {}",
                        attempt + 1
                    );
                    return (res, Some(why));
                }
                continue;
            }
            let why = match policy {
                _ if cs.retries == 0 => None,
                Resend::Unsafe => Some(format!(
                    "not re-sent although `retries: {}`: `{tool}` changes the Live Set and this call may have reached Live, so a second one could do it twice; add `resend: true` to the step if that is acceptable",
                    cs.retries
                )),
                Resend::Safe if attempt > cs.retries => Some(format!(
                    "gave up after {attempt} attempts (`retries: {}`)",
                    cs.retries
                )),
                _ => None,
            };
            return (res, why);
        }
    }

    /// Emits `CallFinished` for one attempt; returns its error text.
    pub(super) fn report_attempt(
        &mut self,
        sr: &StepRef,
        tool: &Arc<str>,
        res: &Result<Reply, ClientError>,
        duration_ms: f64,
    ) -> Option<String> {
        let (status, result, warnings, is_error, error, appended) = match res {
            Ok(Reply::Tool {
                result,
                warnings,
                is_error,
                appended,
            }) => (
                Some(200),
                Some(result.clone()),
                warnings.clone(),
                *is_error,
                None,
                appended.clone(),
            ),
            Ok(Reply::Http { status, error, .. }) => (
                Some(*status),
                None,
                Vec::new(),
                true,
                Some(error.clone()),
                Vec::new(),
            ),
            Err(e) => (
                None,
                None,
                Vec::new(),
                true,
                Some(e.to_string()),
                Vec::new(),
            ),
        };
        self.sink.emit(&Event::CallFinished {
            step: sr.clone(),
            tool: tool.clone(),
            status,
            duration_ms,
            result,
            warnings,
            is_error,
            error: error.clone(),
            appended,
        });
        error
    }

    /// Reports each warning the tool gave.
    pub(super) fn warnings(&mut self, cs: &CheckedStep<'_, '_>, sr: &StepRef, call: &CallResult) {
        let anchor = cs.step.anchor();
        let tool = cs.step.tool().unwrap_or_default();
        for w in &call.warnings {
            self.summary.warnings += 1;
            let d = Diagnostic::warning("pplay::tool-warning", format!("{tool}: {w}"))
                .in_file(&cs.step.file)
                .label(anchor, "Producer Pal warned here");
            self.sink.emit(&Event::Warning {
                step: sr.clone(),
                diagnostic: d,
            });
        }
    }
}

/// `retryDelayMs`, doubled per attempt, with up to a quarter added at random
/// so that retries from parallel runs do not line up.
pub fn backoff(base_ms: u64, attempt: u32) -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let delay = base_ms.saturating_mul(1u64 << (attempt.saturating_sub(1)).min(16));
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u32(attempt);
    let jitter = if delay >= 4 {
        h.finish() % (delay / 4 + 1)
    } else {
        0
    };
    delay + jitter
}

/// A non-200 answer, with a 400's validation details put on the arg nodes.
fn http_diagnostic(
    file: &Arc<SourceFile>,
    anchor: Span,
    args: &Node,
    tool: &str,
    status: u16,
    error: &str,
    details: Option<&Json>,
) -> Diagnostic {
    match status {
        404 => Diagnostic::error("pplay::tool-unavailable", format!("`{tool}` is unknown or disabled on the device"))
            .in_file(file)
            .label(anchor, format!("HTTP 404: {error}"))
            .help("enable the tool in the Producer Pal device, or run `pplay tools` to see what it offers"),
        400 => {
            let mut d = Diagnostic::error("pplay::rejected", format!("Producer Pal rejected the arguments of `{tool}`: {error}")).in_file(file);
            for r in crate::protocol::rejections(details) {
                let span = if r.path.is_empty() { None } else { crate::args::locate(args, &r.path, false) };
                let where_ = crate::arg_path::describe_path(&r.path);
                d = d.label(span.unwrap_or(anchor), format!("{where_}: {}", r.message));
            }
            if d.labels.is_empty() {
                d = d.label(anchor, "rejected");
            }
            d
        }
        s if s >= 500 => Diagnostic::error("pplay::server-error", format!("Producer Pal failed with HTTP {s}: {error}"))
            .in_file(file)
            .label(anchor, "this call"),
        s => Diagnostic::error("pplay::http", format!("Producer Pal answered HTTP {s}: {error}")).in_file(file).label(anchor, "this call"),
    }
}
