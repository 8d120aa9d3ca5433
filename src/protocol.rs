//! Producer Pal's REST contract: the facts both ends of the wire agree on.
//!
//! The client, the runner, the checker, the CLI and the simulator all read
//! these from here, so a fact that changes between Producer Pal releases
//! (the `timeoutMs` range, say) changes in one place.

use std::time::Duration;

use serde_json::Value as Json;

use crate::arg_path::PathSeg;
use crate::hidden_params::{HiddenParam, HiddenParams};

/// The tool 2.x lists only when the request profile turns the Live API on.
pub const LIVE_API_TOOL: &str = "ppal-live-api";

/// The request header that turns 2.x's Live API tool on (`true`).
pub const LIVE_API_HEADER: &str = "x-producer-pal-live-api";

/// The default Producer Pal address.
pub const DEFAULT_URL: &str = "http://localhost:3350";

/// The device's global tool-call timeout, used when a call has no
/// `timeoutMs`.
pub const DEVICE_TIMEOUT_MS: u64 = 30_000;

/// How long the client waits beyond a step's `timeoutMs` before giving up on
/// its own, so a server that ignores `timeoutMs` cannot hang a run.
pub const GRACE: Duration = Duration::from_millis(3000);

/// The most a reply may hold by default (`--max-reply-bytes`): far more
/// than any Producer Pal answer, far less than what would hurt.
pub const DEFAULT_MAX_REPLY_BYTES: usize = 4 << 20;

/// A 200 answer must be an object with a `result` and a boolean `isError`;
/// anything else is not Producer Pal's, whatever it seems to say.
pub fn check_reply_shape(body: &Json) -> Result<(), String> {
    let Some(obj) = body.as_object() else {
        return Err("HTTP 200 with a body that is not a JSON object".into());
    };
    match obj.get("isError") {
        Some(Json::Bool(_)) => {}
        Some(other) => {
            return Err(format!(
                "HTTP 200 whose `isError` is {other}, not a boolean"
            ));
        }
        None => return Err("HTTP 200 without `isError`".into()),
    }
    if !obj.contains_key("result") {
        return Err("HTTP 200 without `result`".into());
    }
    Ok(())
}

/// A non-JSON body as a one-line excerpt, for the failure message.
pub fn body_excerpt(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() > 120 {
        format!("{}…", line.chars().take(120).collect::<String>())
    } else if line.is_empty() {
        "(an empty body)".into()
    } else {
        line
    }
}

/// The response format asked for with `?format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    #[default]
    Json,
    Compact,
}

impl Format {
    /// The value of the `format` query parameter.
    pub fn as_query(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Compact => "compact",
        }
    }
}

/// The values `?timeoutMs` accepts, in milliseconds, both ends included.
///
/// A type rather than a constant because the range is a property of the
/// server's release: callers ask [`timeout_range`] instead of spelling it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeoutRange {
    pub min: u64,
    pub max: u64,
}

impl TimeoutRange {
    pub fn contains(&self, ms: u64) -> bool {
        (self.min..=self.max).contains(&ms)
    }

    /// Like [`contains`](Self::contains), for a value read as a signed
    /// integer (a YAML literal).
    pub fn contains_i64(&self, ms: i64) -> bool {
        u64::try_from(ms).is_ok_and(|ms| self.contains(ms))
    }
}

/// Producer Pal's generations, as far as a client must tell them apart.
///
/// Which one a server is comes from the catalog it publishes
/// ([`crate::catalog::Catalog::generation`]), never from a version number
/// or a list of tools; what differs between them is answered here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Generation {
    /// 1.4.x: objects named by index, timeouts answered as tool errors.
    V1,
    /// 2.x: objects named by `path`, timeouts answered with HTTP 504.
    #[default]
    V2,
}

impl Generation {
    /// The `timeoutMs` values this generation accepts.
    pub fn timeout_range(self) -> TimeoutRange {
        let max = match self {
            Generation::V1 => 60_000,
            Generation::V2 => 55_000,
        };
        TimeoutRange { min: 1, max }
    }

    /// A parameter `tool` still takes without listing it: 2.x's deprecated
    /// names and aliases (the 2.3.0 facts serve every 2.x); none on 1.x.
    pub fn hidden_param(self, tool: &str, param: &str) -> Option<&'static HiddenParam> {
        match self {
            Generation::V1 => None,
            Generation::V2 => HiddenParams::v2_3_0().get(tool, param),
        }
    }

    /// How messages name it.
    pub fn label(self) -> &'static str {
        match self {
            Generation::V1 => "Producer Pal 1.x",
            Generation::V2 => "Producer Pal 2.x",
        }
    }
}

/// How 2.x writes notes in schemas and results (`x-producer-pal-notation`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Notation {
    Barbeat,
    MidiJson,
    Stark,
}

impl Notation {
    pub fn as_str(self) -> &'static str {
        match self {
            Notation::Barbeat => "barbeat",
            Notation::MidiJson => "midi-json",
            Notation::Stark => "stark",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Notation::Barbeat, Notation::MidiJson, Notation::Stark]
            .into_iter()
            .find(|n| n.as_str() == text)
    }
}

/// The Producer Pal settings a client's calls need (2.x's request
/// profile). Each is sent as an `x-producer-pal-*` header on `GET
/// /api/tools` and on every call, so the catalog checked is the one the
/// calls meet. Unset settings send no header: the device's own applies.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Profile {
    pub live_api: Option<bool>,
    pub notation: Option<Notation>,
    pub small_model_mode: Option<bool>,
    pub disabled_tools: Option<Vec<String>>,
}

impl Profile {
    /// The headers, lower-case names, in a fixed order.
    pub fn headers(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if let Some(v) = self.live_api {
            out.push((LIVE_API_HEADER, v.to_string()));
        }
        if let Some(n) = self.notation {
            out.push(("x-producer-pal-notation", n.as_str().to_owned()));
        }
        if let Some(v) = self.small_model_mode {
            out.push(("x-producer-pal-small-model-mode", v.to_string()));
        }
        if let Some(list) = &self.disabled_tools {
            out.push(("x-producer-pal-disabled-tools", list.join(",")));
        }
        out
    }

    /// This profile with every setting `over` sets replaced (command-line
    /// flags over a playbook's `producerPal:`).
    pub fn overridden_by(&self, over: &Profile) -> Profile {
        Profile {
            live_api: over.live_api.or(self.live_api),
            notation: over.notation.or(self.notation),
            small_model_mode: over.small_model_mode.or(self.small_model_mode),
            disabled_tools: over
                .disabled_tools
                .clone()
                .or_else(|| self.disabled_tools.clone()),
        }
    }
}

/// The widest `timeoutMs` range any generation accepts: what can be checked
/// before the server's generation is known (loading a playbook, reading a
/// flag); the check against the catalog then narrows it.
pub fn timeout_range() -> TimeoutRange {
    Generation::V1.timeout_range()
}

/// The `timeoutMs` range Producer Pal 2.x accepts (2.3.0 and later).
pub fn timeout_range_2x() -> TimeoutRange {
    TimeoutRange {
        min: 1,
        max: 55_000,
    }
}

/// The client's deadline for a call without `timeoutMs`: the longest timeout
/// the server accepts, plus the grace.
pub fn default_deadline(grace: Duration) -> Duration {
    Duration::from_millis(timeout_range().max) + grace
}

/// One entry of a 400 answer's `details`: where in the args, and what.
#[derive(Debug, Clone, PartialEq)]
pub struct Rejection {
    pub path: Vec<PathSeg>,
    pub message: String,
}

/// Reads a 400 answer's `details` (a list of `{path, message}` validation
/// issues) into argument paths.
///
/// A path segment is a key (a string) or an index (a non-negative integer).
/// Anything else (a negative or fractional number, `null`, an object) names
/// no argument pplay can point at: it is kept as a key spelled as its JSON
/// text, so the report still shows it and locating it finds no node.
pub fn rejections(details: Option<&Json>) -> Vec<Rejection> {
    let Some(items) = details.and_then(Json::as_array) else {
        return Vec::new();
    };
    items
        .iter()
        .map(|issue| Rejection {
            path: issue
                .get("path")
                .and_then(Json::as_array)
                .into_iter()
                .flatten()
                .map(segment)
                .collect(),
            message: issue
                .get("message")
                .and_then(Json::as_str)
                .unwrap_or("invalid")
                .to_owned(),
        })
        .collect()
}

fn segment(p: &Json) -> PathSeg {
    match p {
        Json::String(s) => PathSeg::Key(s.clone()),
        Json::Number(n) => match n.as_u64() {
            Some(i) => PathSeg::Index(i as usize),
            None => PathSeg::Key(n.to_string()),
        },
        other => PathSeg::Key(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_200_needs_a_result_and_a_boolean_is_error() {
        use serde_json::json;
        assert!(check_reply_shape(&json!({"result": 1, "isError": false})).is_ok());
        let e = check_reply_shape(&json!({"isError": "true"})).unwrap_err();
        assert!(e.contains("`isError` is \"true\""), "{e}");
        assert!(
            check_reply_shape(&json!({"isError": true}))
                .unwrap_err()
                .contains("`result`")
        );
        assert!(check_reply_shape(&json!([1])).is_err());
        assert_eq!(
            body_excerpt(b"<html>\n  Bad   Gateway</html>"),
            "<html> Bad Gateway</html>"
        );
    }
    use serde_json::json;

    #[test]
    fn details_become_paths_keeping_unusual_segments_visible() {
        let details = json!([
            {"path": ["notes", 2, "pitch"], "message": "too high"},
            {"path": ["x", -1, 1.5, null], "message": "odd"},
            {"path": [], "message": "whole"},
            {"message": "no path"},
            {"path": ["y"]},
        ]);
        let r = rejections(Some(&details));
        let keys = |v: &[&str]| -> Vec<PathSeg> {
            v.iter().map(|s| PathSeg::Key((*s).to_owned())).collect()
        };
        assert_eq!(
            r[0].path,
            vec![
                PathSeg::Key("notes".into()),
                PathSeg::Index(2),
                PathSeg::Key("pitch".into())
            ]
        );
        assert_eq!(r[0].message, "too high");
        assert_eq!(r[1].path, keys(&["x", "-1", "1.5", "null"]));
        assert!(r[2].path.is_empty());
        assert!(r[3].path.is_empty());
        assert_eq!(r[3].message, "no path");
        assert_eq!(r[4].message, "invalid");
        assert!(rejections(None).is_empty());
        assert!(rejections(Some(&json!("not a list"))).is_empty());
    }

    #[test]
    fn a_profile_becomes_headers_and_flags_override_it() {
        let file = Profile {
            live_api: Some(true),
            notation: Some(Notation::Stark),
            small_model_mode: None,
            disabled_tools: Some(vec!["ppal-library".into(), "ppal-context".into()]),
        };
        assert_eq!(
            file.headers(),
            vec![
                ("x-producer-pal-live-api", "true".to_owned()),
                ("x-producer-pal-notation", "stark".to_owned()),
                (
                    "x-producer-pal-disabled-tools",
                    "ppal-library,ppal-context".to_owned()
                ),
            ]
        );
        let flags = Profile {
            live_api: Some(false),
            ..Profile::default()
        };
        let merged = file.overridden_by(&flags);
        assert_eq!(merged.live_api, Some(false));
        assert_eq!(merged.notation, Some(Notation::Stark));
        assert!(Profile::default().headers().is_empty());
        assert_eq!(Notation::parse("midi-json"), Some(Notation::MidiJson));
        assert_eq!(Notation::parse("abc"), None);
    }

    #[test]
    fn each_generation_has_its_timeout_range() {
        assert_eq!(Generation::V1.timeout_range().max, 60_000);
        assert_eq!(Generation::V2.timeout_range().max, 55_000);
        assert!(!Generation::V2.timeout_range().contains(55_001));
        assert_eq!(timeout_range(), Generation::V1.timeout_range());
    }

    #[test]
    fn the_timeout_range_includes_both_ends() {
        let r = timeout_range();
        assert!(r.contains(r.min) && r.contains(r.max));
        assert!(!r.contains(0) && !r.contains(r.max + 1));
        assert!(!r.contains_i64(-5) && r.contains_i64(1));
    }
}
