//! Request validation the way Producer Pal's server does it.
//!
//! 1.4's server is lenient where the schema is strict: it fills in defaults,
//! drops unknown keys and coerces scalars (`"3"` for a number, `12` for a
//! string, and a missing string field becomes the text `"undefined"`). Then
//! it validates and answers a 400 with zod-shaped issues. 2.3 drops nulls,
//! refuses blank strings where blank is not a value, and coerces only some
//! fields ([`coerce_2_3`]); everything else follows the published schema.

use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::paths::LocationSegment;
use serde_json::{Map, Value, json};

/// Drops unknown keys and fills in defaults, as both generations do, in
/// nested objects too (a search in a list of searches gets its defaults).
pub fn fill_defaults(schema: &Value, body: &mut Map<String, Value>) {
    let Some(props) = schema.get("properties").and_then(Value::as_object) else {
        return;
    };
    body.retain(|k, _| props.contains_key(k));
    for (name, p) in props {
        match body.get_mut(name) {
            None => {
                if let Some(d) = p.get("default") {
                    body.insert(name.clone(), d.clone());
                }
            }
            Some(Value::Object(inner)) => fill_defaults(p, inner),
            Some(Value::Array(items)) => {
                if let Some(item_schema) = p.get("items") {
                    for item in items {
                        if let Value::Object(inner) = item {
                            fill_defaults(item_schema, inner);
                        }
                    }
                }
            }
            Some(_) => {}
        }
    }
}

/// Applies 1.4's leniency to a request body, in place: defaults, then
/// coercion of scalars.
pub fn coerce(schema: &Value, body: &mut Map<String, Value>) {
    fill_defaults(schema, body);
    let Some(props) = schema.get("properties").and_then(Value::as_object) else {
        return;
    };
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    for (name, p) in props {
        let ty = p.get("type").and_then(Value::as_str);
        match body.get_mut(name) {
            None => {
                if ty == Some("string") && required.contains(&name.as_str()) {
                    // z.coerce.string() turns a missing value into "undefined".
                    body.insert(name.clone(), Value::String("undefined".into()));
                }
            }
            Some(v) => match (ty, &*v) {
                (Some("number" | "integer"), Value::String(s)) => {
                    if let Ok(n) = s.trim().parse::<f64>()
                        && let Some(num) = number(n)
                    {
                        *v = num;
                    }
                }
                (Some("string"), Value::Number(_) | Value::Bool(_) | Value::Null) => {
                    let text = match &*v {
                        Value::Null => "null".to_owned(),
                        other => other.to_string(),
                    };
                    *v = Value::String(text);
                }
                _ => {}
            },
        }
    }
}

/// The fields 2.3.0 coerces to text (zod's `z.coerce.string()`): a number
/// or a boolean is taken as its text. Which fields those are is not in the
/// catalog; 2.3.0's own verdicts in `validation-2.3.0.jsonl` show them.
/// `"*"` stands for every tool.
const COERCED_TEXT: &[(&str, &[&str])] = &[
    ("*", &["id", "path", "toPath"]),
    (
        "ppal-library",
        &[
            "category",
            "inFolder",
            "query",
            "similarTo",
            "subcategory",
            "tags",
            "vendor",
        ],
    ),
    (
        "ppal-update-track",
        &[
            "sendReturn",
            "inputRoutingType",
            "inputRoutingChannel",
            "outputRoutingType",
            "outputRoutingChannel",
        ],
    ),
    ("ppal-update-device", &["sendReturn"]),
    (
        "ppal-update-live-set",
        &["locatorId", "locatorName", "locatorTime"],
    ),
];

/// The integer fields 2.3.0 coerces from text (`z.coerce.number().int()`):
/// `"3"` is 3; `"abc"` and `2.5` are still refused, by the schema.
const COERCED_INTEGERS: &[(&str, &[&str])] = &[
    ("*", &["count"]),
    ("ppal-read-device", &["maxDepth"]),
    (
        "ppal-update-device",
        &["chokeGroup", "macroCount", "macroVariationIndex"],
    ),
];

fn listed(table: &[(&str, &[&str])], tool: &str, field: &str) -> bool {
    table
        .iter()
        .any(|(t, fields)| (*t == "*" || *t == tool) && fields.contains(&field))
}

/// Applies 2.3.0's coercions to a request body, in place, field by field
/// as [`COERCED_TEXT`] and [`COERCED_INTEGERS`] list them; other fields
/// are left for the schema to judge.
pub fn coerce_2_3(tool: &str, body: &mut Map<String, Value>) {
    for (name, v) in body.iter_mut() {
        match &*v {
            Value::Number(_) | Value::Bool(_) if listed(COERCED_TEXT, tool, name) => {
                *v = Value::String(v.to_string());
            }
            Value::String(t) if listed(COERCED_INTEGERS, tool, name) => {
                if let Ok(n) = t.trim().parse::<i64>() {
                    *v = Value::from(n);
                }
            }
            _ => {}
        }
    }
}

/// 2.x parameters that name an object or a time: blank is not a value.
const NOT_BLANK: &[&str] = &[
    "id",
    "path",
    "toPath",
    "startTime",
    "loopStart",
    "loopEnd",
    "locatorId",
    "locatorTime",
];

/// zod-shaped issues for blank strings where blank is not a value.
pub fn blank_issues(body: &Map<String, Value>) -> Vec<Value> {
    NOT_BLANK
        .iter()
        .filter(|k| {
            body.get(**k)
                .and_then(Value::as_str)
                .is_some_and(|t| t.trim().is_empty())
        })
        .map(|k| {
            json!({"code": "too_small", "minimum": 1, "path": [k],
                        "message": format!("{k} must not be blank")})
        })
        .collect()
}

fn number(n: f64) -> Option<Value> {
    if n.fract() == 0.0 && n.abs() < 9.0e15 {
        Some(Value::from(n as i64))
    } else {
        serde_json::Number::from_f64(n).map(Value::Number)
    }
}

/// zod-shaped issues for a body that fails the schema.
pub fn issues(validator: &jsonschema::Validator, body: &Value) -> Vec<Value> {
    validator
        .iter_errors(body)
        .map(|e| {
            let path: Vec<Value> = e
                .instance_path()
                .iter()
                .map(|s| match s {
                    LocationSegment::Property(p) => Value::String(p.to_string()),
                    LocationSegment::Index(i) => Value::from(i),
                })
                .collect();
            let received = kind_of(e.instance());
            match e.kind() {
                ValidationErrorKind::Type { kind } => {
                    let expected = match kind {
                        TypeKind::Single(t) => t.to_string(),
                        TypeKind::Multiple(set) => set.iter().map(|t| t.to_string()).collect::<Vec<_>>().join("|"),
                    };
                    json!({"code": "invalid_type", "expected": expected, "path": path,
                           "message": format!("Invalid input: expected {expected}, received {received}")})
                }
                ValidationErrorKind::Enum { options } => {
                    let opts: Vec<String> = options.as_array().map(|a| a.iter().map(Value::to_string).collect()).unwrap_or_default();
                    json!({"code": "invalid_value", "values": options.as_ref(), "path": path,
                           "message": format!("Invalid option: expected one of {}", opts.join("|"))})
                }
                ValidationErrorKind::Minimum { limit } => json!({"code": "too_small", "minimum": limit, "path": path,
                    "message": format!("Too small: expected number to be >={limit}")}),
                ValidationErrorKind::Maximum { limit } => json!({"code": "too_big", "maximum": limit, "path": path,
                    "message": format!("Too big: expected number to be <={limit}")}),
                ValidationErrorKind::MinItems { limit } => json!({"code": "too_small", "minimum": limit, "path": path,
                    "message": format!("Too small: expected array to have >={limit} items")}),
                ValidationErrorKind::MaxItems { limit } => json!({"code": "too_big", "maximum": limit, "path": path,
                    "message": format!("Too big: expected array to have <={limit} items")}),
                ValidationErrorKind::MaxLength { limit } => json!({"code": "too_big", "maximum": limit, "path": path,
                    "message": format!("Too big: expected string to have <={limit} characters")}),
                ValidationErrorKind::Required { property } => {
                    let mut p = path.clone();
                    p.push(property.clone());
                    json!({"code": "invalid_type", "path": p, "message": "Invalid input: expected a value, received undefined"})
                }
                ValidationErrorKind::AdditionalProperties { unexpected } => json!({"code": "unrecognized_keys", "keys": unexpected, "path": path,
                    "message": format!("Unrecognized key(s): {}", unexpected.join(", "))}),
                _ => json!({"code": "custom", "path": path, "message": e.to_string()}),
            }
        })
        .collect()
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_defaults_drops_unknown_and_coerces() {
        let schema = json!({"type": "object", "properties": {
            "count": {"type": "integer", "default": 1},
            "ids": {"type": "string"},
            "tempo": {"type": "number"},
            "name": {"type": "string"}
        }, "required": ["count", "ids"]});
        let mut body = json!({"tempo": "120", "name": 12, "bogus": true})
            .as_object()
            .unwrap()
            .clone();
        coerce(&schema, &mut body);
        assert_eq!(
            Value::Object(body),
            json!({"tempo": 120, "name": "12", "count": 1, "ids": "undefined"})
        );
    }
}
