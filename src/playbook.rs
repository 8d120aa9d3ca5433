//! The playbook model, loaded from YAML with a span on every node.
//!
//! Loading checks the *shape* of a playbook (known keys, types of the
//! step settings, ids, includes) and reports every problem it finds at once.
//! What depends on the tool catalog or on templates is checked later, in
//! [`crate::check`].

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::diagnostic::{Diagnostic, suggestion};
use crate::protocol::{Notation, Profile};
use crate::source::SourceFile;
use crate::yaml::{self, Key, Node, Span, Value};
use compact_str::CompactString;

/// A value together with where it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Spanned<T> {
    pub value: T,
    pub span: Span,
}

/// What a step does when its call fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OnError {
    #[default]
    Fail,
    Continue,
}

/// Settings every step inherits unless it sets its own.
#[derive(Debug, Clone, Default)]
pub struct Defaults {
    pub timeout_ms: Option<Node>,
    pub retries: Option<Spanned<u32>>,
    pub retry_delay_ms: Option<Spanned<u64>>,
    pub on_error: Option<Spanned<OnError>>,
}

#[derive(Debug)]
pub struct Playbook {
    pub file: Arc<SourceFile>,
    pub name: Node,
    pub description: Option<String>,
    pub url: Option<Node>,
    pub vars: Vec<(Key, Node)>,
    pub defaults: Defaults,
    /// `producerPal:`: the settings the calls need, sent as request headers.
    pub producer_pal: Option<Spanned<Profile>>,
    pub steps: Vec<Step>,
    /// The folders its includes and tables may come from (canonical).
    pub roots: Vec<PathBuf>,
}

#[derive(Debug)]
pub enum Action {
    /// Call one tool with the rendered args.
    Call {
        tool: Spanned<CompactString>,
        args: Node,
    },
    /// Run another playbook's steps here.
    Include {
        path: Spanned<CompactString>,
        vars: Vec<(Key, Node)>,
        playbook: Box<Playbook>,
    },
}

#[derive(Debug)]
pub struct Step {
    pub file: Arc<SourceFile>,
    /// The whole step mapping.
    pub span: Span,
    pub action: Action,
    /// Boxed, as `timeoutMs`, `when` and `loop`: most steps have none of
    /// them, and a batch job holds many steps.
    pub name: Option<Box<Node>>,
    pub id: Option<Spanned<CompactString>>,
    pub timeout_ms: Option<Box<Node>>,
    pub capture: Vec<(Key, Node)>,
    pub when: Option<Box<Node>>,
    pub loop_: Option<Box<Node>>,
    pub expect: Vec<Node>,
    pub retries: Option<Spanned<u32>>,
    pub retry_delay_ms: Option<Spanned<u64>>,
    pub on_error: Option<Spanned<OnError>>,
    /// `resend: true`: re-sending this call is acceptable even when a
    /// failed attempt may have reached Live.
    pub resend: Option<Spanned<bool>>,
    /// `ensure:`: make the call only when the set differs (see
    /// [`crate::converge`]).
    pub ensure: Option<Box<Ensure>>,
}

/// What `ensure:` asks of a step.
#[derive(Debug)]
pub struct Ensure {
    /// The `ensure:` value.
    pub span: Span,
    /// The key, for reports that point at the setting itself.
    pub key: Span,
    pub kind: EnsureKind,
}

#[derive(Debug)]
pub enum EnsureKind {
    /// A create step: the fields that identify the object, values are
    /// templates.
    Identity(Vec<(Key, Node)>),
    /// `ensure: true` on an update step: send only what differs.
    Current,
}

impl Step {
    pub fn tool(&self) -> Option<&str> {
        match &self.action {
            Action::Call { tool, .. } => Some(&tool.value),
            Action::Include { .. } => None,
        }
    }

    /// The span that stands for a whole step in reports: its `tool:` value
    /// (an include's path).
    pub fn anchor(&self) -> Span {
        match &self.action {
            Action::Call { tool, .. } => tool.span,
            Action::Include { path, .. } => path.span,
        }
    }

    /// How reports name the step before its name template is rendered.
    pub fn label(&self) -> String {
        if let Some(n) = self.name.as_deref().and_then(Node::as_str) {
            return n.to_owned();
        }
        match &self.action {
            Action::Call { tool, .. } => tool.value.to_string(),
            Action::Include { path, .. } => format!("include {}", path.value),
        }
    }
}

const TOP_KEYS: &[&str] = &[
    "name",
    "description",
    "url",
    "vars",
    "defaults",
    "producerPal",
    "steps",
];
const PROFILE_KEYS: &[&str] = &["liveApi", "notation", "smallModelMode", "disabledTools"];
const DEFAULT_KEYS: &[&str] = &["timeoutMs", "retries", "retryDelayMs", "onError"];
const STEP_KEYS: &[&str] = &[
    "tool",
    "args",
    "name",
    "id",
    "timeoutMs",
    "capture",
    "when",
    "loop",
    "expect",
    "retries",
    "retryDelayMs",
    "onError",
    "resend",
    "ensure",
    "include",
    "vars",
];
/// Keys that make sense on an `include` step.
const INCLUDE_KEYS: &[&str] = &["include", "vars", "name", "when"];

/// The most a playbook file, or a file it includes, may hold. Nothing a
/// playbook needs comes close; `/dev/zero` or a huge file stops here.
pub const MAX_FILE_BYTES: u64 = 4 << 20;

/// Where includes may come from, besides the playbook's own root.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// `--include-root DIR` values: more folders includes may come from.
    pub include_roots: Vec<PathBuf>,
}

/// Loads a playbook file and every file it includes.
pub fn load(path: &Path) -> Result<Playbook, Vec<Diagnostic>> {
    load_with(path, &LoadOptions::default())
}

/// [`load`] with options.
pub fn load_with(path: &Path, opts: &LoadOptions) -> Result<Playbook, Vec<Diagnostic>> {
    match load_partial_with(path, opts) {
        (Some(pb), d) if d.is_empty() => Ok(pb),
        (_, d) => Err(d),
    }
}

/// Like [`load`], but also returns what could be loaded despite problems, so
/// that a check can report the catalog and template problems of the valid
/// steps in the same pass.
pub fn load_partial(path: &Path) -> (Option<Playbook>, Vec<Diagnostic>) {
    load_partial_with(path, &LoadOptions::default())
}

/// [`load_partial`] with options.
pub fn load_partial_with(path: &Path, opts: &LoadOptions) -> (Option<Playbook>, Vec<Diagnostic>) {
    let text = match read_regular_file(path) {
        Ok(t) => t,
        Err(e) => {
            let d = Diagnostic::error(
                "pplay::io",
                format!("cannot read playbook {}: {e}", path.display()),
            );
            return (None, vec![d]);
        }
    };
    let file = SourceFile::new(path, text);
    let mut chain = vec![canonical(path)];
    let roots = include_roots(path, opts);
    with_unique_ids(parse_partial(file, &roots, &mut chain))
}

/// The run-wide checks of a loaded top-level playbook, added to what loading
/// found.
fn with_unique_ids(
    (pb, mut diags): (Option<Playbook>, Vec<Diagnostic>),
) -> (Option<Playbook>, Vec<Diagnostic>) {
    if let Some(pb) = &pb {
        let clashes = unique_ids(pb);
        if !clashes.is_empty() {
            diags.extend(clashes);
            diags = crate::diagnostic::in_file_order(diags);
        }
    }
    (pb, diags)
}

/// Loads a playbook from text; `path` names it in reports and anchors includes.
pub fn parse_str(path: impl Into<PathBuf>, text: &str) -> Result<Playbook, Vec<Diagnostic>> {
    let path = path.into();
    let mut chain = vec![canonical(&path)];
    let roots = include_roots(&path, &LoadOptions::default());
    let loaded = parse_partial(SourceFile::new(path, text.to_owned()), &roots, &mut chain);
    match with_unique_ids(loaded) {
        (Some(pb), d) if d.is_empty() => Ok(pb),
        (_, d) => Err(d),
    }
}

/// Reads a file a playbook run depends on (a playbook, an include, a vars
/// file, a tool catalog): it must be a regular file (not a FIFO, a device or
/// a folder) of at most [`MAX_FILE_BYTES`]. The size is
/// checked while reading too, since some files (in `/proc`) report none.
pub fn read_regular_file(path: &Path) -> std::io::Result<String> {
    use std::io::Read;
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() {
        return Err(std::io::Error::other("not a regular file"));
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(too_large());
    }
    // Sized from the metadata, so the text is read in one go; `take` still
    // bounds a file that grows meanwhile.
    let mut text = String::with_capacity(meta.len() as usize + 1);
    std::fs::File::open(path)?
        .take(MAX_FILE_BYTES + 1)
        .read_to_string(&mut text)?;
    if text.len() as u64 > MAX_FILE_BYTES {
        return Err(too_large());
    }
    Ok(text)
}

fn too_large() -> std::io::Error {
    std::io::Error::other(format!(
        "larger than {} MiB, the most a playbook file may be",
        MAX_FILE_BYTES >> 20
    ))
}

/// The folders includes may come from: the nearest folder above the top
/// playbook that holds `.git` (its project), else the playbook's own folder;
/// and each `--include-root`. All canonical.
fn include_roots(top: &Path, opts: &LoadOptions) -> Vec<PathBuf> {
    let dir = canonical(top)
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| canonical(Path::new(".")));
    let project = dir
        .ancestors()
        .find(|a| a.join(".git").exists())
        .map_or_else(|| dir.clone(), Path::to_path_buf);
    std::iter::once(project)
        .chain(opts.include_roots.iter().map(|r| canonical(r)))
        .collect()
}

/// Why a file a playbook names may not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    Missing,
    /// Not inside any of the roots: a playbook may not reach out of its
    /// project (an include, a `csv()` table).
    Outside,
}

/// The canonical path of `full`, when it exists inside one of `roots`.
pub fn confined(full: &Path, roots: &[PathBuf]) -> Result<PathBuf, Refused> {
    let key = canonical(full);
    if !key.exists() {
        return Err(Refused::Missing);
    }
    if !roots.iter().any(|r| key.starts_with(r)) {
        return Err(Refused::Outside);
    }
    Ok(key)
}

fn canonical(p: &Path) -> PathBuf {
    p.canonicalize().unwrap_or_else(|_| p.to_path_buf())
}

fn parse_file(
    file: Arc<SourceFile>,
    roots: &[PathBuf],
    chain: &mut Vec<PathBuf>,
) -> Result<Playbook, Vec<Diagnostic>> {
    match parse_partial(file, roots, chain) {
        (Some(pb), d) if d.is_empty() => Ok(pb),
        (_, d) => Err(d),
    }
}

fn parse_partial(
    file: Arc<SourceFile>,
    roots: &[PathBuf],
    chain: &mut Vec<PathBuf>,
) -> (Option<Playbook>, Vec<Diagnostic>) {
    let root = match yaml::parse(file.text()) {
        Ok(r) => r,
        Err(e) => return (None, vec![syntax_error(&file, &e, "the playbook")]),
    };
    let mut l = Loader {
        file: file.clone(),
        roots,
        diags: Vec::new(),
    };
    l.duplicates(&root);
    let pb = l.playbook(root, chain);
    (pb, crate::diagnostic::in_file_order(l.diags))
}

/// A YAML syntax error at its place in `file`; `what` names the file for
/// people ("the playbook", "the vars file").
pub fn syntax_error(file: &Arc<SourceFile>, e: &yaml::Error, what: &str) -> Diagnostic {
    let mut d = Diagnostic::error("pplay::yaml", format!("{what} is not valid YAML")).in_file(file);
    match e.offset {
        Some(offset) => d = d.label(Span::new(offset.min(file.text().len()), 1), &e.message),
        None => d.message = format!("{what} is not valid YAML: {}", e.message),
    }
    // The parser's words name the rule, not the fix.
    if e.message.contains("tabs disallowed") {
        d = d.help("indent with spaces: YAML does not allow tabs for indentation");
    }
    d
}

/// A mapping's entries, owned: the model takes the parsed nodes themselves
/// rather than copies, so a long playbook is held once, not twice.
struct Fields(Vec<(Key, Node)>);

impl Fields {
    /// The entries of a mapping node; `None` for any other node.
    fn of(node: Node) -> Option<Fields> {
        match node.value {
            Value::Map(entries) => Some(Fields(entries)),
            _ => None,
        }
    }

    /// The first value under `name` (the loader reports duplicates).
    fn get(&self, name: &str) -> Option<&Node> {
        self.0.iter().find(|(k, _)| k.name == name).map(|(_, v)| v)
    }

    /// Where the key `name` is written.
    fn key_span(&self, name: &str) -> Option<Span> {
        self.0
            .iter()
            .find(|(k, _)| k.name == name)
            .map(|(k, _)| k.span)
    }

    /// The first value under `name`, moved out; a null stays in its place.
    fn take(&mut self, name: &str) -> Option<Node> {
        let (_, v) = self.0.iter_mut().find(|(k, _)| k.name == name)?;
        let null = Node {
            value: Value::Null,
            span: v.span,
        };
        Some(std::mem::replace(v, null))
    }
}

struct Loader<'r> {
    file: Arc<SourceFile>,
    /// Where includes may come from.
    roots: &'r [PathBuf],
    diags: Vec<Diagnostic>,
}

impl Loader<'_> {
    fn err(
        &mut self,
        code: &'static str,
        msg: impl Into<String>,
        span: Span,
        label: impl Into<String>,
    ) -> &mut Diagnostic {
        self.diags.push(
            Diagnostic::error(code, msg)
                .in_file(&self.file)
                .label(span, label),
        );
        self.diags.last_mut().expect("just pushed")
    }

    /// A node of the wrong kind: `what` says what it must be.
    fn wrong_type(&mut self, what: impl Into<String>, node: &Node) {
        self.err(
            "pplay::type",
            what,
            node.span,
            format!("found {}", node.kind()),
        );
    }

    /// The text of a string node, or a type error at it.
    fn string_of<'n>(&mut self, key: &str, node: &'n Node) -> Option<&'n str> {
        let s = node.as_str();
        if s.is_none() {
            self.wrong_type(format!("`{key}` must be a string"), node);
        }
        s
    }

    /// Duplicate keys anywhere in the document.
    fn duplicates(&mut self, node: &Node) {
        let found = duplicate_key_errors(&self.file, node);
        self.diags.extend(found);
    }

    /// The entries of a mapping node, flagging keys outside `allowed`.
    fn entries<'n>(&mut self, node: &'n Node, allowed: &[&str], what: &str) -> &'n [(Key, Node)] {
        let Some(entries) = node.as_map() else {
            self.wrong_type(format!("{what} must be a mapping"), node);
            return &[];
        };
        for (k, _) in entries {
            if !allowed.contains(&k.name.as_str()) {
                let help = suggestion(&k.name, allowed.iter().copied())
                    .unwrap_or_else(|| format!("allowed here: {}", allowed.join(", ")));
                self.err(
                    "pplay::unknown-key",
                    format!("unknown key `{}` in {what}", k.name),
                    k.span,
                    "not a known key",
                )
                .help = Some(help);
            }
        }
        entries
    }

    fn playbook(&mut self, root: Node, chain: &mut Vec<PathBuf>) -> Option<Playbook> {
        self.entries(&root, TOP_KEYS, "the playbook");
        let root_span = root.span;
        let mut fields = Fields::of(root)?;
        let name = match fields.take("name") {
            Some(n) => {
                self.string_of("name", &n);
                n
            }
            None => {
                self.err(
                    "pplay::missing-key",
                    "the playbook has no `name`",
                    Span::new(0, 0),
                    "a playbook starts with `name: ...`",
                );
                Node {
                    value: Value::Str(Default::default()),
                    span: Span::default(),
                }
            }
        };
        let description = fields
            .get("description")
            .and_then(|d| self.string_of("description", d))
            .map(str::to_owned);
        let url = fields.take("url");
        if let Some(u) = &url {
            self.string_of("url", u);
        }
        let vars = fields
            .take("vars")
            .map(|v| self.entries_any(v, "`vars`"))
            .unwrap_or_default();
        self.keyword_names(&vars);
        let defaults = fields
            .take("defaults")
            .map(|d| self.defaults(d))
            .unwrap_or_default();
        let producer_pal = fields.get("producerPal").map(|p| Spanned {
            value: self.profile(p),
            span: p.span,
        });
        let mut steps = Vec::new();
        match fields.take("steps") {
            None => {
                self.err(
                    "pplay::missing-key",
                    "the playbook has no `steps`",
                    root_span.min_start(),
                    "add a `steps:` list",
                );
            }
            Some(s) => match s.value {
                Value::Seq(ref items) if items.is_empty() => {
                    self.err(
                        "pplay::empty-steps",
                        "`steps` is empty",
                        s.span,
                        "add at least one step",
                    );
                }
                Value::Seq(items) => {
                    steps.reserve_exact(items.len());
                    // Each step node is dropped once its step is built, so
                    // the tree and the model are never both whole.
                    for item in items {
                        if let Some(step) = self.step(item, chain) {
                            steps.push(step);
                        }
                    }
                }
                _ => {
                    self.wrong_type("`steps` must be a sequence of steps", &s);
                }
            },
        }
        Some(Playbook {
            file: self.file.clone(),
            name,
            description,
            url,
            vars,
            defaults,
            producer_pal,
            steps,
            roots: self.roots.to_vec(),
        })
    }

    /// `producerPal:`, each setting of the type it must have.
    fn profile(&mut self, node: &Node) -> Profile {
        let mut p = Profile::default();
        for (k, v) in self.entries(node, PROFILE_KEYS, "`producerPal`") {
            match k.name.as_str() {
                "liveApi" => p.live_api = self.flag("liveApi", v).map(|f| f.value),
                "smallModelMode" => {
                    p.small_model_mode = self.flag("smallModelMode", v).map(|f| f.value)
                }
                "notation" => p.notation = self.notation(v),
                "disabledTools" => p.disabled_tools = self.tool_list(v),
                _ => {}
            }
        }
        p
    }

    /// `ensure:`: identifying fields (a mapping) or `true`; `false` is no
    /// ensure at all, so that a template-free switch-off reads naturally.
    fn ensure(&mut self, fields: &mut Fields) -> Option<Box<Ensure>> {
        let key = fields.key_span("ensure")?;
        let v = fields.take("ensure")?;
        let span = v.span;
        let kind = match v.value {
            Value::Bool(true) => EnsureKind::Current,
            Value::Bool(false) => return None,
            Value::Map(_) => {
                let entries = self.entries_any(v, "`ensure`");
                if entries.is_empty() {
                    self.err(
                        "pplay::ensure",
                        "`ensure` names no field",
                        span,
                        "an empty mapping identifies nothing",
                    )
                    .help = Some("name the fields that identify the object, e.g. `ensure: { name: Kick }`, or write `ensure: true` on an update step".into());
                    return None;
                }
                EnsureKind::Identity(entries)
            }
            _ => {
                self.wrong_type(
                    "`ensure` must be a mapping of identifying fields, or true",
                    &v,
                );
                return None;
            }
        };
        Some(Box::new(Ensure { span, key, kind }))
    }

    fn flag(&mut self, key: &str, v: &Node) -> Option<Spanned<bool>> {
        match v.value {
            Value::Bool(b) => Some(Spanned {
                value: b,
                span: v.span,
            }),
            _ => {
                self.wrong_type(format!("`{key}` must be true or false"), v);
                None
            }
        }
    }

    fn notation(&mut self, v: &Node) -> Option<Notation> {
        const NAMES: [&str; 3] = ["barbeat", "midi-json", "stark"];
        let found = v.as_str().and_then(Notation::parse);
        if found.is_none() {
            let help = v.as_str().and_then(|s| suggestion(s, NAMES));
            self.err(
                "pplay::notation",
                "`notation` must be `barbeat`, `midi-json` or `stark`",
                v.span,
                format!("found {}", describe(v)),
            )
            .help = help;
        }
        found
    }

    fn tool_list(&mut self, v: &Node) -> Option<Vec<String>> {
        let names: Option<Vec<String>> = match &v.value {
            Value::Seq(items) => items
                .iter()
                .map(|i| i.as_str().map(str::to_owned))
                .collect(),
            _ => None,
        };
        if names.is_none() {
            self.wrong_type("`disabledTools` must be a list of tool names", v);
        }
        names
    }

    /// A mapping whose keys are free names (vars, capture).
    fn entries_any(&mut self, node: Node, what: &str) -> Vec<(Key, Node)> {
        match node.value {
            Value::Map(m) => m,
            Value::Null => Vec::new(),
            _ => {
                self.wrong_type(format!("{what} must be a mapping"), &node);
                Vec::new()
            }
        }
    }

    fn defaults(&mut self, node: Node) -> Defaults {
        self.entries(&node, DEFAULT_KEYS, "`defaults`");
        let mut d = Defaults::default();
        let Value::Map(entries) = node.value else {
            return d;
        };
        for (k, v) in entries {
            match k.name.as_str() {
                "timeoutMs" => d.timeout_ms = self.timeout(v),
                "retries" => {
                    d.retries = self.count(&v, "retries").map(|s| Spanned {
                        value: s.value as u32,
                        span: s.span,
                    })
                }
                "retryDelayMs" => d.retry_delay_ms = self.count(&v, "retryDelayMs"),
                "onError" => d.on_error = self.on_error(&v),
                _ => {}
            }
        }
        d
    }

    /// A `timeoutMs` setting's shape. Its upper bound is the server
    /// generation's, which only the check against the catalog knows.
    fn timeout(&mut self, v: Node) -> Option<Node> {
        let min = crate::protocol::timeout_range().min;
        match &v.value {
            Value::Int(n) if *n >= min as i64 => Some(v),
            Value::Int(n) => {
                self.err(
                    "pplay::timeout-range",
                    format!("`timeoutMs` is {n}, not a positive number of milliseconds"),
                    v.span,
                    "out of range",
                )
                .help = Some(format!("a timeout is at least {min} millisecond"));
                None
            }
            Value::Str(s) if s.contains("{{") || s.contains("{%") => Some(v),
            _ => {
                self.wrong_type(
                    "`timeoutMs` must be a whole number of milliseconds".to_owned(),
                    &v,
                );
                None
            }
        }
    }

    fn count(&mut self, v: &Node, key: &str) -> Option<Spanned<u64>> {
        match &v.value {
            Value::Int(n) if *n >= 0 && (key != "retries" || *n <= 100) => Some(Spanned {
                value: *n as u64,
                span: v.span,
            }),
            _ => {
                let range = if key == "retries" {
                    "from 0 to 100"
                } else {
                    ">= 0"
                };
                self.err(
                    "pplay::type",
                    format!("`{key}` must be an integer {range}"),
                    v.span,
                    format!("found {}", describe(v)),
                );
                None
            }
        }
    }

    fn on_error(&mut self, v: &Node) -> Option<Spanned<OnError>> {
        match v.as_str() {
            Some("fail") => Some(Spanned {
                value: OnError::Fail,
                span: v.span,
            }),
            Some("continue") => Some(Spanned {
                value: OnError::Continue,
                span: v.span,
            }),
            other => {
                let help = other.and_then(|o| suggestion(o, ["fail", "continue"]));
                self.err(
                    "pplay::on-error",
                    "`onError` must be `fail` or `continue`",
                    v.span,
                    format!("found {}", describe(v)),
                )
                .help = help;
                None
            }
        }
    }

    fn step(&mut self, node: Node, chain: &mut Vec<PathBuf>) -> Option<Step> {
        self.entries(&node, STEP_KEYS, "a step");
        let span = node.span;
        let mut fields = Fields::of(node)?;
        let is_include = fields.get("include").is_some();
        self.step_keys(&fields.0, is_include);
        let action = if is_include {
            self.include_action(&mut fields, chain)?
        } else {
            self.call_action(&mut fields, span)?
        };
        let id = self.string(&mut fields, "id");
        if let Some(id) = &id
            && !valid_id(&id.value)
        {
            self.err(
                "pplay::id",
                format!("`{}` is not a valid step id", id.value),
                id.span,
                "ids match [a-z_][a-z0-9_]*",
            )
            .help =
                Some("use lower-case letters, digits and `_`, not starting with a digit".into());
        }
        let name = fields.take("name").map(Box::new);
        if let Some(n) = &name {
            self.string_of("name", n);
        }
        let expect = fields
            .take("expect")
            .map_or_else(Vec::new, |v| self.expect(v));
        let capture = fields
            .take("capture")
            .map(|v| self.entries_any(v, "`capture`"))
            .unwrap_or_default();
        self.capture_names(&capture);
        self.keyword_names(&capture);
        let when = fields.take("when").map(Box::new);
        if let Some(w) = &when
            && !matches!(w.value, Value::Str(_) | Value::Bool(_))
        {
            self.wrong_type("`when` must be an expression", w);
        }
        let loop_ = fields.take("loop").map(Box::new);
        if let Some(l) = &loop_
            && !matches!(l.value, Value::Str(_) | Value::Seq(_))
        {
            self.err(
                "pplay::loop-type",
                "`loop` must be a sequence or an expression that gives one",
                l.span,
                format!("found {}", l.kind()),
            );
        }
        Some(Step {
            file: self.file.clone(),
            span,
            action,
            name,
            id,
            timeout_ms: fields
                .take("timeoutMs")
                .and_then(|v| self.timeout(v))
                .map(Box::new),
            capture,
            when,
            loop_,
            expect,
            retries: fields
                .get("retries")
                .and_then(|v| self.count(v, "retries"))
                .map(|s| Spanned {
                    value: s.value as u32,
                    span: s.span,
                }),
            retry_delay_ms: fields
                .get("retryDelayMs")
                .and_then(|v| self.count(v, "retryDelayMs")),
            on_error: fields.get("onError").and_then(|v| self.on_error(v)),
            resend: fields.get("resend").and_then(|v| self.flag("resend", v)),
            ensure: self.ensure(&mut fields),
        })
    }

    /// A string field, moved out of the step, or a type error at it.
    fn string(&mut self, fields: &mut Fields, key: &str) -> Option<Spanned<CompactString>> {
        let v = fields.take(key)?;
        self.string_of(key, &v)?;
        match v.value {
            Value::Str(value) => Some(Spanned {
                value,
                span: v.span,
            }),
            _ => None,
        }
    }

    fn include_action(&mut self, fields: &mut Fields, chain: &mut Vec<PathBuf>) -> Option<Action> {
        let path = self.string(fields, "include")?;
        let vars = fields
            .take("vars")
            .map(|v| self.entries_any(v, "`vars`"))
            .unwrap_or_default();
        self.keyword_names(&vars);
        let playbook = self.include(&path, chain)?;
        Some(Action::Include {
            path,
            vars,
            playbook: Box::new(playbook),
        })
    }

    fn call_action(&mut self, fields: &mut Fields, span: Span) -> Option<Action> {
        let Some(tool) = self.string(fields, "tool") else {
            if fields.get("tool").is_none() {
                self.err(
                    "pplay::missing-key",
                    "this step has no `tool`",
                    span.min_start(),
                    "a step needs `tool:` (or `include:`)",
                );
            }
            return None;
        };
        let args = match fields.take("args") {
            Some(a) if a.as_map().is_some() => a,
            Some(a) if matches!(a.value, Value::Null) => Node {
                value: Value::Map(Vec::new()),
                span: a.span,
            },
            Some(a) => {
                self.wrong_type("`args` must be a mapping", &a);
                return None;
            }
            None => Node {
                value: Value::Map(Vec::new()),
                span: tool.span,
            },
        };
        Some(Action::Call { tool, args })
    }

    /// Keys an include step does not take, and `vars` on a call step.
    fn step_keys(&mut self, entries: &[(Key, Node)], is_include: bool) {
        if is_include {
            for (k, _) in entries {
                if STEP_KEYS.contains(&k.name.as_str()) && !INCLUDE_KEYS.contains(&k.name.as_str())
                {
                    self.err(
                        "pplay::include-key",
                        format!("`{}` cannot be used on an `include` step", k.name),
                        k.span,
                        "not allowed with include",
                    )
                    .help = Some(format!(
                        "an include step takes: {}",
                        INCLUDE_KEYS.join(", ")
                    ));
                }
            }
        } else if let Some((k, _)) = entries.iter().find(|(k, _)| k.name == "vars") {
            self.err(
                "pplay::step-vars",
                "`vars` on a step goes with `include`",
                k.span,
                "only include steps take vars",
            )
            .help = Some("set variables in the top-level `vars`, or with `capture`".into());
        }
    }

    /// `expect`: one expression or a list of them.
    fn expect(&mut self, v: Node) -> Vec<Node> {
        let expect = match v.value {
            Value::Seq(items) => items,
            _ => vec![v],
        };
        for e in &expect {
            if !matches!(e.value, Value::Str(_) | Value::Bool(_)) {
                self.wrong_type("an `expect` entry must be an expression", e);
            }
        }
        expect
    }

    /// Names a template can never read, as it reads them as its own
    /// keywords (`{{ none }}` is no value, whatever `vars` says).
    fn keyword_names(&mut self, entries: &[(Key, Node)]) {
        for (k, _) in entries {
            if let Some(meaning) = template_keyword(&k.name) {
                self.err(
                    "pplay::var-keyword",
                    format!("`{}` cannot be a variable name", k.name),
                    k.span,
                    format!("a template reads `{}` as {meaning}", k.name),
                )
                .help = Some(format!(
                    "templates would never see this value; rename it (`{}_value`, say) and use the new name",
                    k.name.to_lowercase()
                ));
            }
        }
    }

    /// Every capture is an expression stored under a valid name.
    fn capture_names(&mut self, capture: &[(Key, Node)]) {
        for (k, v) in capture {
            if v.as_str().is_none() {
                self.wrong_type(format!("capture `{}` must be an expression", k.name), v);
            }
            if !valid_id(&k.name) && !valid_var(&k.name) {
                self.err(
                    "pplay::capture-name",
                    format!("`{}` is not a valid variable name", k.name),
                    k.span,
                    "not a name",
                );
            }
        }
    }

    fn include(
        &mut self,
        path: &Spanned<CompactString>,
        chain: &mut Vec<PathBuf>,
    ) -> Option<Playbook> {
        let base = self.file.path().parent().unwrap_or(Path::new("."));
        let full = base.join(&path.value);
        let key = canonical(&full);
        if let Some(pos) = chain.iter().position(|p| *p == key) {
            let names: Vec<String> = chain[pos..]
                .iter()
                .chain(std::iter::once(&key))
                .map(|p| {
                    p.file_name().map_or_else(
                        || p.display().to_string(),
                        |f| f.to_string_lossy().into_owned(),
                    )
                })
                .collect();
            self.err(
                "pplay::include-cycle",
                format!("include cycle: {}", names.join(" -> ")),
                path.span,
                "includes a file that is already being included",
            );
            return None;
        }
        let text = self.read_include(path, &full, &key)?;
        chain.push(key);
        let display = pathdiff(&full);
        let result = parse_file(SourceFile::new(display, text), self.roots, chain);
        chain.pop();
        match result {
            Ok(pb) => Some(pb),
            Err(d) => {
                self.diags.extend(d);
                None
            }
        }
    }

    /// The text of an included file, if it may be read: a YAML file inside
    /// the roots, regular and not too large. What is refused is never read,
    /// and no error quotes a file's contents.
    fn read_include(
        &mut self,
        path: &Spanned<CompactString>,
        full: &Path,
        key: &Path,
    ) -> Option<String> {
        let yaml = full
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| e.eq_ignore_ascii_case("yaml") || e.eq_ignore_ascii_case("yml"));
        if !yaml {
            self.err(
                "pplay::include-refused",
                format!(
                    "`{}` is not a playbook: an include must end in .yaml or .yml",
                    path.value
                ),
                path.span,
                "not a YAML file",
            );
            return None;
        }
        let refused = confined(full, self.roots).err();
        if refused == Some(Refused::Missing) {
            self.err(
                "pplay::include-missing",
                format!(
                    "cannot read included playbook {}: no such file",
                    full.display()
                ),
                path.span,
                "this file",
            )
            .help = Some("an include path is relative to the file that includes it".into());
            return None;
        }
        if refused == Some(Refused::Outside) {
            let root = self
                .roots
                .first()
                .map(|r| r.display().to_string())
                .unwrap_or_default();
            self.err(
                "pplay::include-refused",
                format!("`{}` is outside the playbook's root {root}", path.value),
                path.span,
                "outside the root",
            )
            .help = Some(
                "includes stay inside the project (the folder holding .git, else the playbook's folder); widen it with --include-root DIR".into(),
            );
            return None;
        }
        match read_regular_file(key) {
            Ok(t) => Some(t),
            Err(e) => {
                self.err(
                    "pplay::include-refused",
                    format!("cannot read included playbook {}: {e}", full.display()),
                    path.span,
                    "this file",
                );
                None
            }
        }
    }
}

/// Ids used twice anywhere in the run, included files too; each repeat is
/// shown with the first use, in both files when they differ. A file
/// included twice repeats its own ids, and the second include is shown. A
/// map of the ids seen so far keeps this linear in the number of steps.
fn unique_ids(pb: &Playbook) -> Vec<Diagnostic> {
    use foldhash::{HashMap, HashMapExt};
    use std::collections::hash_map::Entry;
    let mut seen: HashMap<&str, (&Step, &Spanned<CompactString>)> = HashMap::new();
    let mut out = Vec::new();
    let mut includes: Vec<&Step> = Vec::new();
    walk_ids(
        &pb.steps,
        &mut includes,
        &mut |step, id, via| match seen.entry(&id.value) {
            Entry::Vacant(v) => {
                v.insert((step, id));
            }
            Entry::Occupied(first) => out.push(id_clash(*first.get(), (step, id), via)),
        },
    );
    out
}

/// Every step with an id, in run order, with the include step that brought
/// it in (`None` in the top file).
fn walk_ids<'a>(
    steps: &'a [Step],
    via: &mut Vec<&'a Step>,
    f: &mut dyn FnMut(&'a Step, &'a Spanned<CompactString>, Option<&'a Step>),
) {
    for s in steps {
        if let Some(id) = &s.id {
            f(s, id, via.last().copied());
        }
        if let Action::Include { playbook, .. } = &s.action {
            via.push(s);
            walk_ids(&playbook.steps, via, f);
            via.pop();
        }
    }
}

/// The report of an id used at `again` after `first`.
fn id_clash(
    (first_step, first): (&Step, &Spanned<CompactString>),
    (step, id): (&Step, &Spanned<CompactString>),
    via: Option<&Step>,
) -> Diagnostic {
    let msg = format!("step id `{}` is used twice", id.value);
    let d = Diagnostic::error("pplay::duplicate-id", msg).in_file(&step.file);
    let same_file = first_step.file.path() == step.file.path();
    if same_file && first.span != id.span {
        return d
            .label(id.span, "used again here")
            .label(first.span, "first used here");
    }
    let (line, col) = first_step.file.line_col(first.span.offset());
    let at = format!("{}:{line}:{col}", first_step.file.name());
    let note = |file: &Arc<SourceFile>, span, label: &str| {
        Diagnostic::note("pplay::duplicate-id", label.to_owned())
            .in_file(file)
            .label(span, label.to_owned())
    };
    if same_file && let Some(inc) = via {
        // The same file included again: its ids come twice.
        return d
            .label(id.span, "this id")
            .help(format!(
                "{} is included more than once; ids are unique in the whole run, so a file with ids can be included once",
                step.file.name()
            ))
            .related(note(&inc.file, inc.span, "included again here"));
    }
    d.label(id.span, "used again here")
        .help(format!(
            "ids are unique in the whole run, included files too; the first use is at {at}"
        ))
        .related(note(&first_step.file, first.span, "first used here"))
}

/// A path shown relative to the working directory when it is below it.
fn pathdiff(p: &Path) -> PathBuf {
    let cleaned: PathBuf = p.components().collect();
    match std::env::current_dir() {
        Ok(cwd) => cleaned
            .strip_prefix(&cwd)
            .map(Path::to_path_buf)
            .unwrap_or(cleaned),
        Err(_) => cleaned,
    }
}

fn describe(v: &Node) -> String {
    match &v.value {
        Value::Str(s) => format!("\"{s}\""),
        Value::Int(i) => i.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Bool(b) => b.to_string(),
        _ => v.kind().to_owned(),
    }
}

/// Step ids: `[a-z_][a-z0-9_]*`.
pub fn valid_id(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some('a'..='z' | '_'))
        && chars.all(|c| matches!(c, 'a'..='z' | '0'..='9' | '_'))
}

/// What a template makes of a name that is one of its keywords, if it is.
pub fn template_keyword(name: &str) -> Option<&'static str> {
    Some(match name {
        "true" | "false" | "True" | "False" => "a boolean",
        "none" | "None" => "no value (none)",
        "and" | "or" | "not" | "in" | "is" | "if" | "else" => "an operator",
        _ => return None,
    })
}

/// Variable names: identifiers as templates read them.
pub fn valid_var(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Every step in run order, included files expanded, for checks that walk
/// the whole playbook.
pub fn walk_steps<'a>(steps: &'a [Step], f: &mut dyn FnMut(&'a Step)) {
    for s in steps {
        f(s);
        if let Action::Include { playbook, .. } = &s.action {
            walk_steps(&playbook.steps, f);
        }
    }
}

/// Duplicate keys anywhere under `node`, each shown with the first one: one
/// rule for playbooks and vars files alike.
pub fn duplicate_key_errors(file: &Arc<SourceFile>, node: &Node) -> Vec<Diagnostic> {
    crate::yaml::duplicate_keys(node)
        .into_iter()
        .map(|(first, again)| {
            let (line, _) = file.line_col(first.span.offset());
            Diagnostic::error(
                "pplay::duplicate-key",
                format!("duplicate key `{}`", again.name),
            )
            .in_file(file)
            .label(again.span, "written again here")
            .label(first.span, "first written here")
            .help(format!("keep one of the two (the first is on line {line})"))
        })
        .collect()
}
