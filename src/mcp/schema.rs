//! A playbook's input schema: one property per top-level var, typed by its
//! default value, so that a client refuses (and the server re-checks) a
//! string where the playbook expects a number before anything is sent.

use serde_json::{Map, Value as Json, json};

use crate::playbook::Playbook;
use crate::yaml::{Node, Value};

/// The JSON Schema of a call's arguments: every var optional (its default
/// applies), no other names.
pub fn input_schema(pb: &Playbook) -> Map<String, Json> {
    let properties: Map<String, Json> = pb
        .vars
        .iter()
        .map(|(k, v)| (k.name.to_string(), var_schema(v)))
        .collect();
    let mut schema = Map::new();
    schema.insert("type".into(), json!("object"));
    schema.insert("properties".into(), Json::Object(properties));
    schema.insert("additionalProperties".into(), json!(false));
    schema
}

/// One var's schema. A default that is a template has no known type until
/// it renders, so it takes any value; `null` too.
fn var_schema(default: &Node) -> Json {
    let ty = match &default.value {
        Value::Bool(_) => Some("boolean"),
        Value::Int(_) => Some("integer"),
        Value::Float(_) => Some("number"),
        Value::Str(s) if !crate::template::is_template(s) => Some("string"),
        Value::Seq(_) => Some("array"),
        Value::Map(_) => Some("object"),
        Value::Str(_) | Value::Null => None,
    };
    let mut s = Map::new();
    if let Some(ty) = ty {
        s.insert("type".into(), json!(ty));
        s.insert("default".into(), default.to_json());
    }
    let doc = match ty {
        Some(_) => format!("default: {}", default.to_json()),
        None => format!(
            "default: {} (worked out from the other vars)",
            default.to_json()
        ),
    };
    s.insert("description".into(), Json::String(doc));
    Json::Object(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_come_from_the_defaults() {
        let pb = crate::playbook::parse_str(
            "t.yaml",
            "name: t\nvars:\n  n: 3\n  bpm: 120.5\n  on: true\n  s: text\n  l: [a]\n  m: {a: 1}\n  t: \"{{ n * 2 }}\"\nsteps:\n  - tool: ppal-connect\n",
        )
        .unwrap();
        let s = input_schema(&pb);
        let p = &s["properties"];
        assert_eq!(p["n"]["type"], "integer");
        assert_eq!(p["bpm"]["type"], "number");
        assert_eq!(p["on"]["type"], "boolean");
        assert_eq!(p["s"]["type"], "string");
        assert_eq!(p["l"]["type"], "array");
        assert_eq!(p["m"]["type"], "object");
        assert_eq!(p["m"]["default"], json!({"a": 1}));
        assert!(p["t"].get("type").is_none());
        assert_eq!(s["additionalProperties"], false);
    }
}
