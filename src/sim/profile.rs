//! 2.x's request profile: the `x-producer-pal-*` headers, read on both
//! `GET /api/tools` and every call, so a client that sends the same headers
//! on both meets the catalog it checked against.
//!
//! - `x-producer-pal-live-api: true|false` lists and enables `ppal-live-api`.
//! - `x-producer-pal-disabled-tools: a,b` hides those tools (404 on a call).
//! - `x-producer-pal-small-model-mode: true|false` lists a smaller catalog:
//!   each tool's description cut to its first sentence and no parameter
//!   descriptions. Calls are still validated against the full schema.
//! - `x-producer-pal-notation: barbeat|midi-json|stark` says how `notes`
//!   are written; the simulator reads notes accordingly.
//!
//! A value that is not one of these is a 400 naming the header, so a typo
//! in a profile does not pass unnoticed.

use axum::http::HeaderMap;
use serde_json::Value;

use super::v2::Notation;

#[derive(Debug, Clone, Default)]
pub(super) struct Profile {
    pub live_api: bool,
    pub disabled: Vec<String>,
    pub small_model: bool,
    pub notation: Notation,
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Result<Option<&'a str>, String> {
    headers
        .get(name)
        .map(|v| v.to_str().map(str::trim))
        .transpose()
        .map_err(|_| format!("{name} is not text"))
}

fn flag(headers: &HeaderMap, name: &str) -> Result<bool, String> {
    match header(headers, name)? {
        None => Ok(false),
        Some(v) if v.eq_ignore_ascii_case("true") => Ok(true),
        Some(v) if v.eq_ignore_ascii_case("false") => Ok(false),
        Some(v) => Err(format!("Invalid {name} '{v}': expected true or false")),
    }
}

impl Profile {
    pub fn read(headers: &HeaderMap) -> Result<Profile, String> {
        let notation = match header(headers, "x-producer-pal-notation")? {
            None => Notation::default(),
            Some(v) => Notation::parse(v).ok_or(format!(
                "Invalid x-producer-pal-notation '{v}': expected barbeat, midi-json or stark"
            ))?,
        };
        let disabled = header(headers, "x-producer-pal-disabled-tools")?
            .map(|v| {
                v.split(',')
                    .map(|t| t.trim().to_owned())
                    .filter(|t| !t.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        Ok(Profile {
            live_api: flag(headers, "x-producer-pal-live-api")?,
            disabled,
            small_model: flag(headers, "x-producer-pal-small-model-mode")?,
            notation,
        })
    }

    /// Whether this profile lists `name`, among the tools `listed`.
    pub fn lists(&self, listed: &[Value], name: &str) -> bool {
        !self.disabled.iter().any(|d| d == name)
            && listed
                .iter()
                .any(|t| t.get("name").and_then(Value::as_str) == Some(name))
    }

    /// The `GET /api/tools` answer for this profile.
    pub fn listing(&self, listed: &[Value]) -> Value {
        let tools: Vec<Value> = listed
            .iter()
            .filter(|t| {
                let name = t.get("name").and_then(Value::as_str).unwrap_or_default();
                !self.disabled.iter().any(|d| d == name)
            })
            .map(|t| {
                if self.small_model {
                    small(t)
                } else {
                    t.clone()
                }
            })
            .collect();
        serde_json::json!({ "tools": tools })
    }
}

/// A tool as small-model mode lists it.
fn small(tool: &Value) -> Value {
    let mut t = tool.clone();
    if let Some(Value::String(d)) = t.get_mut("description")
        && let Some(end) = d.find(". ")
    {
        d.truncate(end + 1);
    }
    if let Some(props) = t
        .pointer_mut("/inputSchema/properties")
        .and_then(Value::as_object_mut)
    {
        for p in props.values_mut() {
            if let Some(p) = p.as_object_mut() {
                p.remove("description");
            }
        }
    }
    t
}
