//! Direct Live Object Model access (`ppal-raw-live-api` in 1.4,
//! `ppal-live-api` in 2.x): the same operations in both generations.

use serde_json::{Map, Value, json};

use super::args::s;
use super::live_set::{LiveSet, ToolResult};

impl LiveSet {
    /// Runs Live Object Model operations; the simulator models the song's
    /// tempo and answers `null` for anything else.
    pub(super) fn live_api(&mut self, args: &Map<String, Value>) -> ToolResult {
        let ops = args
            .get("operations")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let path = s(args, "path").unwrap_or("live_set");
        let mut results = Vec::new();
        for op in ops {
            let ty = op.get("type").and_then(Value::as_str).unwrap_or_default();
            let prop = op
                .get("property")
                .and_then(Value::as_str)
                .unwrap_or_default();
            let value = match (path, ty, prop) {
                ("live_set", "get" | "get_property" | "getProperty", "tempo") => json!(self.tempo),
                ("live_set", "set" | "set_property", "tempo") => {
                    if let Some(t) = op.get("value").and_then(Value::as_f64) {
                        self.tempo = t;
                    }
                    json!(self.tempo)
                }
                _ => Value::Null,
            };
            results.push(json!({"type": ty, "property": prop, "value": value}));
        }
        Ok((json!({"path": path, "results": results}), vec![]))
    }
}
