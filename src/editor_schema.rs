//! The JSON Schema for playbooks that editors use (`pplay schema playbook`).
//!
//! yaml-language-server and VS Code read it for completion and inline
//! errors: every top-level and step key, and per tool an if-tool-then-args
//! rule built from the catalog, where a parameter that is not a string also
//! accepts a template string (a template keeps its value's type).

use serde_json::{Map, Value, json};

use crate::catalog::{Catalog, client_schema};

/// The file name of the editor schema for Producer Pal 2.x playbooks, as
/// `pplay init` writes it and `schemas/` ships it.
pub const FILE_NAME: &str = "playbook.schema.json";

/// The file name `schemas/` ships the 1.4 editor schema under.
pub const FILE_NAME_1_4: &str = "playbook-producer-pal-1.4.schema.json";

/// The schema, as pretty JSON with a trailing newline.
pub fn generate(catalog: &Catalog) -> String {
    let mut s = serde_json::to_string_pretty(&schema(catalog)).expect("JSON");
    s.push('\n');
    s
}

pub fn schema(catalog: &Catalog) -> Value {
    let tools: Vec<&str> = catalog.names().collect();
    let rules: Vec<Value> = catalog
        .tools()
        .iter()
        .map(|t| {
            json!({
                "if": {"properties": {"tool": {"const": t.name}}, "required": ["tool"]},
                "then": {"properties": {"args": args_schema(&client_schema(&t.input_schema))}}
            })
        })
        .collect();
    let int_or_template = |min: i64, max: Option<i64>| {
        let mut n = json!({"type": "integer", "minimum": min});
        if let Some(m) = max {
            n["maximum"] = json!(m);
        }
        json!({"anyOf": [n, {"$ref": "#/definitions/template"}]})
    };
    let on_error = json!({"enum": ["fail", "continue"], "description": "what a failed step does: stop the run, or be reported as ignored"});
    let max_timeout = catalog.generation().timeout_range().max as i64;
    let flag = |what: &str| json!({"type": "boolean", "description": what});
    json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "pplay playbook",
        "description": "An ordered list of Producer Pal tool calls with variables, templates and captures (format version 1).",
        "type": "object",
        "additionalProperties": false,
        "required": ["name", "steps"],
        "properties": {
            "name": {"type": "string", "description": "shown in reports"},
            "description": {"type": "string"},
            "url": {"type": "string", "description": "Producer Pal base URL; --url and PPAL_URL win over it"},
            "vars": {"type": "object", "description": "variables for every template; a value may use the vars above it"},
            "defaults": {
                "type": "object",
                "additionalProperties": false,
                "properties": {
                    "timeoutMs": int_or_template(1, Some(max_timeout)),
                    "retries": {"type": "integer", "minimum": 0, "maximum": 100},
                    "retryDelayMs": {"type": "integer", "minimum": 0},
                    "onError": on_error
                }
            },
            "producerPal": {
                "type": "object",
                "additionalProperties": false,
                "description": "the Producer Pal settings the calls need, sent as x-producer-pal-* headers on the catalog read and every call (2.x)",
                "properties": {
                    "liveApi": flag("list and allow the Live API tool"),
                    "notation": {"enum": ["barbeat", "midi-json", "stark"], "description": "how notes are written"},
                    "smallModelMode": flag("the smaller catalog"),
                    "disabledTools": {"type": "array", "items": {"type": "string"}, "description": "tools to hide"}
                }
            },
            "steps": {"type": "array", "minItems": 1, "items": {"$ref": "#/definitions/step"}}
        },
        "definitions": {
            "template": {"type": "string", "pattern": "\\{\\{|\\{%", "description": "a MiniJinja template; exactly one {{ expression }} keeps the value's type"},
            "expression": {"type": ["string", "boolean"], "description": "a MiniJinja expression, with or without {{ }}"},
            "step": {
                "type": "object",
                "additionalProperties": false,
                "properties": {
                    "tool": {"type": "string", "enum": tools, "description": "the tool to call"},
                    "args": {"type": "object", "description": "the arguments, sent as the JSON body after rendering"},
                    "name": {"type": "string", "description": "label for reports (a template)"},
                    "id": {"type": "string", "pattern": "^[a-z_][a-z0-9_]*$", "description": "keeps the outcome as steps.<id>"},
                    "timeoutMs": int_or_template(1, Some(max_timeout)),
                    "capture": {"type": "object", "additionalProperties": {"type": "string"}, "description": "NAME: expression over result and warnings"},
                    "when": {"$ref": "#/definitions/expression"},
                    "loop": {"anyOf": [{"type": "array"}, {"type": "string"}], "description": "a sequence, or an expression giving one; item and loop are in scope"},
                    "expect": {"anyOf": [{"$ref": "#/definitions/expression"}, {"type": "array", "items": {"$ref": "#/definitions/expression"}}]},
                    "retries": {"type": "integer", "minimum": 0, "maximum": 100},
                    "retryDelayMs": {"type": "integer", "minimum": 0},
                    "onError": on_error,
                    "resend": flag("accept re-sending this call after a failure that may have reached Live (a timeout, a cut-off reply, a 5xx) even when its tool changes the set"),
                    "ensure": {
                        "anyOf": [
                            {"type": "object", "minProperties": 1, "additionalProperties": {"type": ["string", "number", "boolean"]}, "description": "on a create step: the fields that identify the object; when one exists the call is not sent"},
                            {"type": "boolean", "description": "true on an update step: send only the arguments that differ from the set"}
                        ],
                        "description": "make the step converge: it changes the set only where the set differs"
                    },
                    "include": {"type": "string", "description": "another playbook, relative to this file"},
                    "vars": {"type": "object", "description": "variables for an include"}
                },
                "anyOf": [{"required": ["tool"]}, {"required": ["include"]}],
                "allOf": rules
            }
        }
    })
}

/// A tool's args schema, with non-string parameters also taking templates.
fn args_schema(input: &Value) -> Value {
    let mut out = Map::new();
    out.insert("type".into(), json!("object"));
    out.insert("additionalProperties".into(), json!(false));
    let props: Map<String, Value> = input
        .get("properties")
        .and_then(Value::as_object)
        .map(|m| m.iter().map(|(k, v)| (k.clone(), templatable(v))).collect())
        .unwrap_or_default();
    out.insert("properties".into(), Value::Object(props));
    if let Some(r) = input
        .get("required")
        .filter(|r| r.as_array().is_some_and(|a| !a.is_empty()))
    {
        out.insert("required".into(), r.clone());
    }
    Value::Object(out)
}

fn templatable(p: &Value) -> Value {
    if p.get("type").and_then(Value::as_str) == Some("string") {
        return p.clone();
    }
    let mut p = p.clone();
    let description = p.as_object_mut().and_then(|m| m.remove("description"));
    let mut any = json!({"anyOf": [p, {"$ref": "#/definitions/template"}]});
    if let Some(d) = description {
        any["description"] = d;
    }
    any
}
