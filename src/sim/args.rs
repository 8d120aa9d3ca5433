//! Reading a tool call's arguments, the same way for both generations.

use serde_json::{Map, Value};

pub fn s<'a>(args: &'a Map<String, Value>, k: &str) -> Option<&'a str> {
    args.get(k).and_then(Value::as_str)
}

pub fn b(args: &Map<String, Value>, k: &str) -> Option<bool> {
    args.get(k).and_then(Value::as_bool)
}

pub fn n(args: &Map<String, Value>, k: &str) -> Option<f64> {
    args.get(k).and_then(Value::as_f64)
}

/// The most objects one simulated call creates, so a playbook mistake
/// cannot make the simulator allocate without bound.
pub const MAX_COUNT: usize = 1000;

pub fn count(args: &Map<String, Value>) -> Result<usize, String> {
    let c = n(args, "count").unwrap_or(1.0).max(1.0);
    if c > MAX_COUNT as f64 {
        return Err(format!(
            "count {c} is more than the simulator creates at once ({MAX_COUNT})"
        ));
    }
    Ok(c as usize)
}

pub fn list(v: Option<&str>) -> Vec<String> {
    v.map(|t| {
        t.split(',')
            .map(|x| x.trim().to_owned())
            .filter(|x| !x.is_empty())
            .collect()
    })
    .unwrap_or_default()
}

/// `one` for a single object, an array for several, as Producer Pal answers.
pub fn one_or_many(mut items: Vec<Value>) -> Value {
    if items.len() == 1 {
        items.remove(0)
    } else {
        Value::Array(items)
    }
}

pub fn includes(args: &Map<String, Value>) -> Vec<&str> {
    args.get("include")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// The `k`th of comma-separated names for several new objects; one name
/// alone names them all.
pub fn pick(names: &[String], k: usize) -> Option<String> {
    names
        .get(k)
        .or(names.first().filter(|_| names.len() == 1))
        .cloned()
}
