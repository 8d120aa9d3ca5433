//! The tool catalog: what `GET /api/tools` says the device offers.
//!
//! Nothing about a particular tool is hard-coded anywhere in pplay; the
//! catalog is read from the server (or a pinned file) and every check is
//! driven by its JSON Schemas. A tool's schema is compiled once, the first
//! time a playbook uses the tool, never per call: a catalog lists some twenty
//! tools, a playbook uses a few, and compiling them all was most of what
//! `pplay check` of a short playbook cost.
//!
//! Producer Pal's schemas come from zod, which lists a property that has a
//! `default` under `required` too, although the server fills the default in.
//! The catalog therefore validates against a *client schema* in which such
//! properties are optional, so `{}` is a valid body for `ppal-read-live-set`.

use foldhash::{HashMap, HashMapExt};

use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::paths::LocationSegment;
use serde_json::Value;

use crate::arg_path::{PathSeg, describe_path};
use crate::protocol::Generation;

/// A catalog that could not be read.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("the tool list is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("the tool list has no `tools` array")]
    NoTools,
}

/// One tool as `/api/tools` lists it, with its validator once compiled.
pub struct Tool {
    /// Where the catalog lists it.
    at: usize,
    pub name: String,
    pub title: String,
    pub description: String,
    pub read_only: bool,
    pub destructive: bool,
    /// The schema exactly as the server published it.
    pub input_schema: Value,
    /// Compiled on first use; a schema that does not compile keeps why.
    validator: std::sync::OnceLock<Result<jsonschema::Validator, String>>,
}

impl std::fmt::Debug for Tool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tool").field("name", &self.name).finish()
    }
}

/// All tools the device offers, in the order it lists them.
#[derive(Debug)]
pub struct Catalog {
    tools: Vec<Tool>,
    index: HashMap<String, usize>,
    /// The `{"tools": [...]}` document as read, less each tool's
    /// `inputSchema`: its [`Tool`] holds that, so a schema is held once
    /// (see [`Catalog::document`]).
    rest: Value,
    generation: Generation,
}

impl Catalog {
    pub fn from_json(text: &str) -> Result<Self, CatalogError> {
        Self::from_value(serde_json::from_str(text)?)
    }

    pub fn from_value(mut raw: Value) -> Result<Self, CatalogError> {
        let list = raw
            .get_mut("tools")
            .and_then(Value::as_array_mut)
            .ok_or(CatalogError::NoTools)?;
        let mut tools = Vec::with_capacity(list.len());
        for (at, t) in list.iter_mut().enumerate() {
            let name = t.get("name").and_then(Value::as_str).unwrap_or_default();
            if name.is_empty() {
                continue;
            }
            let text = |k: &str| {
                t.get(k)
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned()
            };
            let hint = |k: &str| {
                t.pointer(&format!("/annotations/{k}"))
                    .and_then(Value::as_bool)
                    .unwrap_or(false)
            };
            let (title, description) = (text("title"), text("description"));
            let (read_only, destructive) = (hint("readOnlyHint"), hint("destructiveHint"));
            let name = name.to_owned();
            // Taken, a null left in its place.
            let input_schema = t
                .get_mut("inputSchema")
                .map(Value::take)
                .unwrap_or_else(|| serde_json::json!({"type": "object"}));
            tools.push(Tool {
                at,
                name,
                title,
                description,
                read_only,
                destructive,
                input_schema,
                validator: std::sync::OnceLock::new(),
            });
        }
        let index = tools
            .iter()
            .enumerate()
            .map(|(i, t)| (t.name.clone(), i))
            .collect();
        let generation = generation_of(&tools);
        Ok(Catalog {
            tools,
            index,
            rest: raw,
            generation,
        })
    }

    /// The `{"tools": [...]}` document as read, whole again.
    pub fn document(&self) -> Value {
        let mut doc = self.rest.clone();
        if let Some(list) = doc.get_mut("tools").and_then(Value::as_array_mut) {
            for t in &self.tools {
                if let Some(slot) = list.get_mut(t.at).and_then(|e| e.get_mut("inputSchema")) {
                    *slot = t.input_schema.clone();
                }
            }
        }
        doc
    }

    /// The Producer Pal 1.4.6 catalog pinned in this crate, descriptions in
    /// pplay's own words.
    pub fn pinned() -> Self {
        Self::pinned_release(Release::V1_4_6, false)
    }

    /// The catalog a pinned release serves (see [`Release::document`]).
    pub fn pinned_release(release: Release, live_api: bool) -> Self {
        Self::from_value(release.document(live_api)).expect("the pinned catalogs are valid")
    }

    /// A catalog with no tools (for work that needs none).
    pub fn empty() -> Self {
        Catalog {
            tools: Vec::new(),
            index: HashMap::new(),
            rest: serde_json::json!({"tools": []}),
            generation: Generation::default(),
        }
    }

    pub fn get(&self, name: &str) -> Option<&Tool> {
        self.index.get(name).map(|&i| &self.tools[i])
    }

    pub fn tools(&self) -> &[Tool] {
        &self.tools
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.tools.iter().map(|t| t.name.as_str())
    }

    /// Which Producer Pal generation published this catalog.
    pub fn generation(&self) -> Generation {
        self.generation
    }
}

/// 1.x lists its raw Live API tool and names objects by index
/// (`trackIndex`, `slot`); a catalog with neither is 2.x, the current one.
fn generation_of(tools: &[Tool]) -> Generation {
    let by_index = tools
        .iter()
        .any(|t| t.param("trackIndex").is_some() || t.param("slot").is_some());
    if by_index || tools.iter().any(|t| t.name == "ppal-raw-live-api") {
        Generation::V1
    } else {
        Generation::V2
    }
}

/// The pinned 1.4.6 catalog, as shipped in `schemas/`.
pub const PINNED: &str = include_str!("../schemas/producer-pal-1.4.6.json");

/// The pinned 2.3.0 catalog for the default request profile.
pub const PINNED_2_3_0: &str = include_str!("../schemas/producer-pal-2.3.0.json");

/// The one tool 2.3.0 adds when the request profile turns the Live API on,
/// kept apart so the other tools have a single copy.
pub const LIVE_API_TOOL_2_3_0: &str = include_str!("../schemas/producer-pal-2.3.0-live-api.json");

/// A Producer Pal release whose catalog ships in `schemas/`, descriptions in
/// pplay's own words and every other fact as the release publishes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Release {
    V1_4_6,
    V2_3_0,
}

impl Release {
    /// The version as Producer Pal writes it.
    pub fn version(self) -> &'static str {
        match self {
            Release::V1_4_6 => "1.4.6",
            Release::V2_3_0 => "2.3.0",
        }
    }

    /// The `{"tools": [...]}` document `GET /api/tools` answers. `live_api`
    /// asks 2.3.0 for its opt-in Live API tool, listed last as the release
    /// lists it; 1.4.6 has no such switch (its raw Live API tool is always
    /// there), so there it changes nothing.
    pub fn document(self, live_api: bool) -> Value {
        let parse = |text: &str| -> Value {
            serde_json::from_str(text).expect("the pinned catalogs are JSON")
        };
        match self {
            Release::V1_4_6 => parse(PINNED),
            Release::V2_3_0 => {
                let mut doc = parse(PINNED_2_3_0);
                if live_api {
                    add_live_api_tool(&mut doc);
                }
                doc
            }
        }
    }
}

/// Lists 2.x's opt-in Live API tool last in a `{"tools": [...]}` document,
/// as 2.x does when the request profile turns it on; a document that lists
/// it already is left as it is.
pub fn add_live_api_tool(doc: &mut Value) {
    let extra: Value =
        serde_json::from_str(LIVE_API_TOOL_2_3_0).expect("the pinned catalogs are JSON");
    let Some(tools) = doc.get_mut("tools").and_then(Value::as_array_mut) else {
        return;
    };
    let listed = tools
        .iter()
        .any(|t| t.get("name").and_then(Value::as_str) == Some(crate::protocol::LIVE_API_TOOL));
    if let (false, Some(more)) = (listed, extra.get("tools").and_then(Value::as_array)) {
        tools.extend(more.iter().cloned());
    }
}

/// The published schema with defaulted properties taken out of `required`,
/// at every depth.
pub fn client_schema(schema: &Value) -> Value {
    let mut s = schema.clone();
    relax(&mut s);
    s
}

fn relax(v: &mut Value) {
    match v {
        Value::Object(obj) => {
            let defaulted: Vec<String> = obj
                .get("properties")
                .and_then(Value::as_object)
                .map(|props| {
                    props
                        .iter()
                        .filter(|(_, p)| p.get("default").is_some())
                        .map(|(k, _)| k.clone())
                        .collect()
                })
                .unwrap_or_default();
            if let Some(Value::Array(req)) = obj.get_mut("required") {
                req.retain(|r| !r.as_str().is_some_and(|r| defaulted.iter().any(|d| d == r)));
            }
            obj.values_mut().for_each(relax);
        }
        Value::Array(items) => items.iter_mut().for_each(relax),
        _ => {}
    }
}

/// One way an argument object breaks its tool's schema, worded for people.
#[derive(Debug, Clone, PartialEq)]
pub struct ArgIssue {
    /// Where in the args the problem is (empty: the args object itself).
    pub path: Vec<PathSeg>,
    /// For an unknown key: the key itself, so the label can sit on it.
    pub key: Option<String>,
    /// A required key is absent: no value beside it changes that.
    pub missing: bool,
    pub message: String,
    pub help: Option<String>,
}

impl Tool {
    /// The names of the tool's parameters.
    pub fn params(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.input_schema
            .get("properties")
            .and_then(Value::as_object)
            .into_iter()
            .flat_map(|m| m.iter().map(|(k, v)| (k.as_str(), v)))
    }

    pub fn param(&self, name: &str) -> Option<&Value> {
        self.input_schema.get("properties")?.get(name)
    }

    /// Is `name` required with no default, i.e. must the caller send it?
    pub fn is_required(&self, name: &str) -> bool {
        let listed = self
            .input_schema
            .get("required")
            .and_then(Value::as_array)
            .is_some_and(|r| r.iter().any(|v| v.as_str() == Some(name)));
        listed && self.param(name).is_some_and(|p| p.get("default").is_none())
    }

    /// The validator of the client schema, compiled the first time it is
    /// asked for; `Err` says why the published schema does not compile.
    fn validator(&self) -> Result<&jsonschema::Validator, &str> {
        self.validator
            .get_or_init(|| {
                jsonschema::draft202012::new(&client_schema(&self.input_schema))
                    .map_err(|e| e.to_string())
            })
            .as_ref()
            .map_err(String::as_str)
    }

    /// Do `args` fit the schema? Never, when the schema does not compile.
    pub fn is_valid(&self, args: &Value) -> bool {
        self.validator().is_ok_and(|v| v.is_valid(args))
    }

    /// Every way `args` breaks the schema. `present` names arguments that are
    /// there but not known yet (templated): they satisfy `required` and are
    /// not validated.
    /// A tool whose schema does not compile can be sent nothing: that is
    /// the one issue.
    pub fn check_args(&self, args: &Value, present: &[&str]) -> Vec<ArgIssue> {
        let validator = match self.validator() {
            Ok(v) => v,
            Err(why) => return vec![self.broken_schema_issue(why)],
        };
        if validator.is_valid(args) {
            return Vec::new();
        }
        let mut issues = Vec::new();
        for err in validator.iter_errors(args) {
            let path = instance_path(&err);
            match err.kind() {
                ValidationErrorKind::Required { property } => {
                    let p = property.as_str().unwrap_or_default();
                    if !(path.is_empty() && present.contains(&p)) {
                        issues.push(self.missing_issue(path, p));
                    }
                }
                ValidationErrorKind::AdditionalProperties { unexpected } => {
                    issues.extend(self.unknown_key_issues(&path, unexpected));
                }
                _ => issues.push(self.value_issue(path, &err)),
            }
        }
        issues
    }

    /// The one issue of a tool whose published schema does not compile.
    fn broken_schema_issue(&self, why: &str) -> ArgIssue {
        ArgIssue {
            path: Vec::new(),
            key: None,
            missing: false,
            message: format!(
                "the catalog's input schema for `{}` does not compile: {why}",
                self.name
            ),
            help: Some(
                "the tool list is broken: ask for a fixed catalog, or pin a good one with --tools"
                    .into(),
            ),
        }
    }

    /// A required key `p` absent from the object at `path`, with what the
    /// schema says it takes.
    fn missing_issue(&self, path: Vec<PathSeg>, p: &str) -> ArgIssue {
        let message = if path.is_empty() {
            format!("missing required argument `{p}`")
        } else {
            format!("{} is missing the required key `{p}`", describe_path(&path))
        };
        let help = schema_at(&self.input_schema, &path)
            .and_then(|s| s.pointer(&format!("/properties/{p}")))
            .and_then(|prop| missing_help(p, prop));
        ArgIssue {
            path,
            key: None,
            missing: true,
            message,
            help,
        }
    }

    /// One issue per key the object at `path` does not know, each placed on
    /// its key and pointing at the near known one.
    fn unknown_key_issues(&self, path: &[PathSeg], unexpected: &[String]) -> Vec<ArgIssue> {
        let known: Vec<&str> = schema_at(&self.input_schema, path)
            .and_then(|s| s.get("properties"))
            .and_then(Value::as_object)
            .map(|m| m.keys().map(String::as_str).collect())
            .unwrap_or_default();
        let what = describe_path(path);
        unexpected
            .iter()
            .map(|key| {
                let mut at = path.to_vec();
                at.push(PathSeg::Key(key.clone()));
                ArgIssue {
                    path: at,
                    key: Some(key.clone()),
                    missing: false,
                    message: if path.is_empty() {
                        format!("unknown argument `{key}` for `{}`", self.name)
                    } else {
                        format!("unknown key `{key}` in {what}")
                    },
                    help: unknown_key_help(key, &known, &self.name, path.is_empty()),
                }
            })
            .collect()
    }

    /// A value at `path` of the wrong type, out of range or not one of the
    /// allowed ones, said in the words of the argument it is.
    fn value_issue(&self, path: Vec<PathSeg>, err: &jsonschema::ValidationError) -> ArgIssue {
        let instance = err.instance().as_ref();
        let subschema = schema_at(&self.input_schema, &path);
        let what = describe_path(&path);
        let mut issue = ArgIssue {
            path,
            key: None,
            missing: false,
            message: String::new(),
            help: None,
        };
        match err.kind() {
            ValidationErrorKind::Type { kind } => type_issue(&mut issue, &what, kind, instance),
            ValidationErrorKind::Enum { options } => {
                let opts: Vec<&str> = options
                    .as_array()
                    .map(|a| a.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                issue.message = format!(
                    "{what} must be one of {}, found {}",
                    opts.iter()
                        .map(|o| format!("`{o}`"))
                        .collect::<Vec<_>>()
                        .join(", "),
                    show_value(instance)
                );
                issue.help = instance
                    .as_str()
                    .and_then(|s| crate::diagnostic::suggestion(s, opts.iter().copied()));
            }
            ValidationErrorKind::Minimum { limit } => {
                issue.message = format!("{what} is {instance}, below the minimum of {limit}");
                issue.help = range_help(subschema);
            }
            ValidationErrorKind::Maximum { limit } => {
                issue.message = format!("{what} is {instance}, above the maximum of {limit}");
                issue.help = range_help(subschema);
            }
            ValidationErrorKind::MinItems { limit } => {
                issue.message = format!("{what} needs at least {limit} item(s)");
            }
            ValidationErrorKind::MaxItems { limit } => {
                issue.message = format!("{what} takes at most {limit} item(s)");
            }
            ValidationErrorKind::MaxLength { limit } => {
                issue.message = format!("{what} is longer than {limit} characters");
            }
            ValidationErrorKind::AnyOf { .. } => {
                issue.message = any_of_message(&what, subschema, instance);
            }
            _ => issue.message = format!("{what}: {err}"),
        }
        issue
    }
}

/// Where in the args a schema error is, as the path segments labels use.
fn instance_path(err: &jsonschema::ValidationError) -> Vec<PathSeg> {
    err.instance_path()
        .iter()
        .map(|s| match s {
            LocationSegment::Property(p) => PathSeg::Key(p.to_string()),
            LocationSegment::Index(i) => PathSeg::Index(i),
        })
        .collect()
}

/// How to fix an unknown key: the near one, the known ones, or, when
/// there are none, that the tool (or the object) takes no arguments.
fn unknown_key_help(key: &str, known: &[&str], tool: &str, top: bool) -> Option<String> {
    if known.is_empty() {
        return Some(if top {
            format!("`{tool}` takes no arguments")
        } else {
            "this object takes no keys".to_owned()
        });
    }
    crate::diagnostic::suggestion(key, known.iter().copied())
        .or_else(|| Some(format!("known: {}", known.join(", "))))
}

/// A value of the wrong type: the message, and how to write it instead.
fn type_issue(issue: &mut ArgIssue, what: &str, kind: &TypeKind, instance: &Value) {
    let expected = match kind {
        TypeKind::Single(t) => article(&t.to_string()),
        TypeKind::Multiple(set) => set
            .iter()
            .map(|t| article(&t.to_string()))
            .collect::<Vec<_>>()
            .join(" or "),
    };
    issue.message = format!("{what} must be {expected}, found {}", show_value(instance));
    let wants_string = matches!(kind, TypeKind::Single(t) if t.to_string() == "string");
    if wants_string && (instance.is_number() || instance.is_boolean()) {
        issue.help = Some(format!("quote it (\"{instance}\") to send it as a string"));
    } else if let (Some(text), TypeKind::Single(t)) = (instance.as_str(), kind) {
        let unquoted = match t.to_string().as_str() {
            "integer" => text.trim().parse::<i64>().is_ok(),
            "number" => text.trim().parse::<f64>().is_ok(),
            "boolean" => matches!(text.trim(), "true" | "false"),
            _ => false,
        };
        issue.help = Some(if unquoted {
            format!("remove the quotes: {}", text.trim())
        } else if t.to_string() == "boolean" {
            "write true or false, without quotes".to_owned()
        } else {
            format!("write {} without quotes", article(&t.to_string()))
        });
    }
}

/// A value that fits none of the forms an `anyOf` allows.
fn any_of_message(what: &str, subschema: Option<&Value>, instance: &Value) -> String {
    let forms: Vec<String> = subschema
        .and_then(|s| s.get("anyOf"))
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|f| f.get("type").and_then(Value::as_str))
                .map(article)
                .collect()
        })
        .unwrap_or_default();
    format!(
        "{what} must be {}, found {}",
        forms.join(" or "),
        show_value(instance)
    )
}

fn range_help(schema: Option<&Value>) -> Option<String> {
    let s = schema?;
    let min = s.get("minimum");
    let max = s
        .get("maximum")
        .filter(|m| m.as_f64() != Some(9007199254740991.0));
    match (min, max) {
        (Some(a), Some(b)) => Some(format!("allowed: {a} to {b}")),
        (Some(a), None) => Some(format!("allowed: {a} or more")),
        (None, Some(b)) => Some(format!("allowed: up to {b}")),
        _ => None,
    }
}

/// The subschema that describes the value at `path`.
pub fn schema_at<'a>(schema: &'a Value, path: &[PathSeg]) -> Option<&'a Value> {
    let mut s = schema;
    for seg in path {
        s = match seg {
            PathSeg::Key(k) => s.get("properties")?.get(k)?,
            PathSeg::Index(_) => s.get("items")?,
        };
    }
    Some(s)
}

/// What to write for a missing argument: its allowed values when it has a
/// fixed set (an `action`), else its type.
fn missing_help(name: &str, prop: &Value) -> Option<String> {
    if let Some(values) = prop.get("enum").and_then(Value::as_array) {
        let shown: Vec<String> = values
            .iter()
            .map(|v| {
                format!(
                    "`{}`",
                    v.as_str().map_or_else(|| v.to_string(), str::to_owned)
                )
            })
            .collect();
        return Some(format!("`{name}` is one of {}", shown.join(", ")));
    }
    let ty = prop.get("type").and_then(Value::as_str)?;
    Some(format!("`{name}` takes {}", article(ty)))
}

fn article(ty: &str) -> String {
    match ty {
        "integer" | "array" | "object" => format!("an {ty}"),
        "null" => "null".to_owned(),
        _ => format!("a {ty}"),
    }
}

/// A value as a message shows it: its kind and, when short, itself.
pub fn show_value(v: &Value) -> String {
    let kind = match v {
        Value::Null => return "null".to_owned(),
        Value::Bool(_) => "the boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "the integer",
        Value::Number(_) => "the number",
        Value::String(_) => "the string",
        Value::Array(_) => return "an array".to_owned(),
        Value::Object(_) => return "an object".to_owned(),
    };
    let text = v.to_string();
    if text.chars().count() > 40 {
        return format!("a long {}", kind.trim_start_matches("the "));
    }
    format!("{kind} {text}")
}

/// Parameter type as `describe` and messages print it: `integer 0..16`,
/// `string (a|b)`, `array of string`.
pub fn type_summary(p: &Value) -> String {
    let mut s = match p.get("type").and_then(Value::as_str) {
        Some("array") => {
            let inner = p
                .get("items")
                .map(type_summary)
                .unwrap_or_else(|| "any".into());
            format!("array of {inner}")
        }
        Some(t) => t.to_owned(),
        None => match p.get("anyOf").and_then(Value::as_array) {
            Some(a) => a.iter().map(type_summary).collect::<Vec<_>>().join(" | "),
            None => "any".to_owned(),
        },
    };
    if let Some(e) = p.get("enum").and_then(Value::as_array) {
        let vals: Vec<String> = e
            .iter()
            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
            .collect();
        s.push_str(&format!(" ({})", vals.join("|")));
    }
    let min = p.get("minimum").and_then(Value::as_f64);
    let max = p
        .get("maximum")
        .and_then(Value::as_f64)
        .filter(|m| *m < 9007199254740991.0);
    match (min, max) {
        (Some(a), Some(b)) => s.push_str(&format!(" {a}..{b}")),
        (Some(a), None) => s.push_str(&format!(" >= {a}")),
        (None, Some(b)) => s.push_str(&format!(" <= {b}")),
        _ => {}
    }
    if let Some(n) = p.get("maxLength") {
        s.push_str(&format!(" (max {n} chars)"));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tool whose schema does not compile spoils only itself: the
    /// catalog loads, the other tools validate, and the broken one says why
    /// it can take nothing.
    #[test]
    fn a_schema_that_does_not_compile_fails_the_tool_that_uses_it() {
        let c = Catalog::from_json(
            r#"{"tools": [
                {"name": "good", "inputSchema": {"type": "object", "properties": {"n": {"type": "integer"}}}},
                {"name": "broken", "inputSchema": {"type": "object", "properties": {"n": {"type": 5}}}}
            ]}"#,
        )
        .expect("the catalog loads");
        let good = c.get("good").unwrap();
        assert!(good.is_valid(&serde_json::json!({"n": 1})));
        assert!(!good.is_valid(&serde_json::json!({"n": "x"})));
        let broken = c.get("broken").unwrap();
        assert!(!broken.is_valid(&serde_json::json!({})));
        let issues = broken.check_args(&serde_json::json!({}), &[]);
        assert_eq!(issues.len(), 1, "{issues:?}");
        assert!(
            issues[0]
                .message
                .starts_with("the catalog's input schema for `broken` does not compile: "),
            "{}",
            issues[0].message
        );
    }

    #[test]
    fn the_document_is_whole_again_though_each_schema_is_held_once() {
        let odd = serde_json::json!({"tools": [
            {"name": "plain", "inputSchema": {"type": "object", "properties": {"n": {"type": "integer"}}}},
            {"name": "no-schema"},
            {"name": "null-schema", "inputSchema": null},
            {"name": "", "inputSchema": {"type": "string"}},
            {"name": "last", "title": "Last", "inputSchema": {"type": "object"}, "extra": [1, 2]}
        ], "other": true});
        let documents = [
            Release::V1_4_6.document(false),
            Release::V2_3_0.document(true),
            odd,
        ];
        for doc in documents {
            let catalog = Catalog::from_value(doc.clone()).unwrap();
            assert_eq!(catalog.document(), doc);
        }
        let c = Catalog::from_value(Release::V1_4_6.document(false)).unwrap();
        assert!(
            c.rest["tools"][0]["inputSchema"].is_null(),
            "held by the tool only"
        );
    }

    #[test]
    fn pinned_releases_and_the_live_api_switch() {
        let old = Catalog::pinned();
        assert_eq!(old.tools().len(), 21);
        assert!(old.get("ppal-raw-live-api").is_some());
        let same = Catalog::pinned_release(Release::V1_4_6, true);
        assert_eq!(
            same.document(),
            old.document(),
            "1.4.6 has no live-API switch"
        );

        let new = Catalog::pinned_release(Release::V2_3_0, false);
        assert_eq!(new.tools().len(), 21);
        assert!(new.get("ppal-live-api").is_none());
        assert!(new.get("ppal-raw-live-api").is_none());
        let with_api = Catalog::pinned_release(Release::V2_3_0, true);
        assert_eq!(with_api.tools().len(), 22);
        assert_eq!(with_api.tools().last().unwrap().name, "ppal-live-api");
        assert!(with_api.get("ppal-live-api").unwrap().destructive);
        assert_eq!(Release::V2_3_0.version(), "2.3.0");
        assert_eq!(old.generation(), Generation::V1);
        assert_eq!(new.generation(), Generation::V2);
        assert_eq!(with_api.generation(), Generation::V2);
        let slot = |c: &Catalog| c.generation().hidden_param("ppal-create-clip", "slot");
        assert!(slot(&old).is_none());
        assert!(slot(&new).is_some());
    }
}
