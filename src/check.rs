//! Checking a loaded playbook against the tool catalog, before any call.
//!
//! [`check`] compiles every template once and walks the steps in run order,
//! tracking which names are defined where, and reports every problem it finds
//! in one pass: unknown tools and args, literal args that break the schema,
//! missing required args, undefined names, bad loops. The compiled result,
//! [`Checked`], is what the runner executes, so nothing is compiled twice.
//! The check also records which later steps read each value ([`Readers`]),
//! so the run keeps a result only while something can still read it.

use compact_str::CompactString;
use foldhash::{HashSet, HashSetExt};
use std::collections::BTreeMap;
use std::sync::Arc;

use minijinja::Environment;
use minijinja::value::Value as MjValue;
use serde_json::Value as Json;

use crate::arg_path::PathSeg;
use crate::args;
use crate::catalog::{ArgIssue, Catalog, Tool};
use crate::diagnostic::{Diagnostic, did_you_mean};
use crate::hidden_params::HiddenKind;
use crate::loops;
use crate::playbook::{Action, Playbook, Step};
use crate::protocol::{Generation, Notation};
use crate::readers::Readers;
use crate::source::SourceFile;
use crate::template::{Compiled, Compiler, FUNCTIONS, TemplateError, has_template};
use crate::yaml::{Key, Node, Span, Value};

pub use crate::loops::DEFAULT_MAX_ITERATIONS;

/// What the command line adds to a check.
#[derive(Debug, Clone)]
pub struct CheckOptions {
    /// `--vars-file` then `--var` values, later ones winning.
    pub overrides: Vec<crate::vars::Override>,
    pub max_iterations: usize,
    /// `--notation`: how notes are written, over the playbook's setting.
    pub notation: Option<Notation>,
}

impl Default for CheckOptions {
    fn default() -> Self {
        CheckOptions {
            overrides: Vec::new(),
            max_iterations: DEFAULT_MAX_ITERATIONS,
            notation: None,
        }
    }
}

/// A step with its templates compiled and its tool looked up.
pub struct CheckedStep<'e, 's> {
    pub step: &'s Step,
    /// Position in run order, includes expanded.
    pub index: usize,
    /// Positions in each file's `steps` from the top playbook down through
    /// includes (`"3"`, `"2/1"`): how the journal names the step.
    pub path: CompactString,
    pub tool: Option<&'s Tool>,
    pub name: Option<Compiled<'e, 's>>,
    pub args: Option<Compiled<'e, 's>>,
    pub timeout_ms: Option<Compiled<'e, 's>>,
    pub capture: Vec<(&'s str, Compiled<'e, 's>)>,
    pub when: Option<Compiled<'e, 's>>,
    /// The `when` reads `item` or `loop`: it is evaluated for each
    /// iteration, not once before the loop.
    pub when_each: bool,
    pub loop_: Option<Compiled<'e, 's>>,
    /// A loop whose length was known at check time.
    pub loop_len: Option<usize>,
    pub expect: Vec<Compiled<'e, 's>>,
    /// For an include: what it passes and runs. Boxed, as most steps are
    /// calls and a batch job holds many of them.
    pub include: Option<Box<CheckedInclude<'e, 's>>>,
    pub retries: u32,
    pub retry_delay_ms: u64,
    pub on_error: crate::playbook::OnError,
    /// `resend: true`: re-sending after a failure that may have reached
    /// Live is acceptable.
    pub resend: bool,
    /// `ensure:`, as its tool takes it.
    pub ensure: Option<Box<CheckedEnsure<'e, 's>>>,
}

/// A step's `ensure:`, checked against the tool it is on.
pub struct CheckedEnsure<'e, 's> {
    pub rule: crate::converge::Rule,
    /// A create's identifying fields, each a compiled template.
    pub identity: Vec<(&'s str, Compiled<'e, 's>)>,
}

/// What an include step passes to the included file, and its steps.
#[derive(Default)]
pub struct CheckedInclude<'e, 's> {
    /// The step's own vars, all evaluated in the caller's scope (so
    /// `items: "{{ items }}"` passes the caller's value).
    pub vars: Vec<(&'s str, Compiled<'e, 's>)>,
    /// The included file's vars the step does not give, in file order,
    /// evaluated after the step's.
    pub defaults: Vec<(&'s str, Compiled<'e, 's>)>,
    pub steps: Vec<CheckedStep<'e, 's>>,
}

impl<'e, 's> CheckedStep<'e, 's> {
    /// The steps an include runs; none for a call.
    pub fn include_steps(&self) -> &[CheckedStep<'e, 's>] {
        self.include.as_deref().map_or(&[], |i| &i.steps)
    }
}

/// A playbook that passed the check, ready to run.
pub struct Checked<'e, 's> {
    pub playbook: &'s Playbook,
    /// The playbook's `name`, rendered with the vars as step names are.
    pub name: String,
    /// The top-level vars, evaluated (overrides applied).
    pub vars: BTreeMap<String, MjValue>,
    pub steps: Vec<CheckedStep<'e, 's>>,
    /// Steps in run order, includes expanded.
    pub step_count: usize,
    /// Calls known in advance, when every loop's length is known.
    pub planned_calls: Option<usize>,
    pub max_iterations: usize,
    /// The generation of the catalog checked against.
    pub generation: Generation,
    /// What the check found worth saying but not refusing (deprecated
    /// arguments), in file order.
    pub warnings: Vec<Diagnostic>,
    /// The last step that reads each value, for dropping what nothing reads.
    pub readers: Readers,
    /// Where the vars no step sets again were given, for the run's hints.
    pub var_sources: args::VarSources,
    /// How the calls write notes: what the run reads a rendered `notes` as.
    pub notation: Notation,
}

/// The default delay before a first retry.
pub const DEFAULT_RETRY_DELAY_MS: u64 = 500;

/// A loaded playbook, with its load problems, and its top-level vars
/// evaluated (overrides applied) before the catalog is known: what the
/// playbook's `url` renders with, and where [`check`] starts. They are
/// written for 2.x; on a 1.4 catalog the check evaluates them again, as
/// the music helpers write its notation.
pub struct Loaded<'s> {
    pub playbook: &'s Playbook,
    opts: CheckOptions,
    vars: BTreeMap<String, MjValue>,
    /// The var names defined, in order.
    known: Vec<String>,
    load_problems: Vec<Diagnostic>,
    var_problems: Vec<Diagnostic>,
    /// The names the vars and the `url` read.
    used: HashSet<String>,
}

impl<'s> Loaded<'s> {
    /// Takes what [`crate::playbook::load_partial`] gave, and evaluates the
    /// top-level vars.
    pub fn new(
        env: &Environment<'s>,
        playbook: &'s Playbook,
        load_problems: Vec<Diagnostic>,
        opts: &CheckOptions,
    ) -> Self {
        let mut names = Names::new(env, playbook, None);
        let vars = names.top_vars(playbook, opts);
        let mut used = names.used;
        if let Some(url) = &playbook.url
            && let Ok(c) = Compiled::new(env, url)
        {
            let mut read = Vec::new();
            c.names(&mut read);
            used.extend(read.into_iter().map(|(n, _)| top_name(n).to_owned()));
        }
        Loaded {
            playbook,
            opts: opts.clone(),
            vars,
            known: names.known_order,
            load_problems,
            var_problems: names.diags,
            used,
        }
    }

    /// The playbook's `url`, rendered with the vars (it may be a template),
    /// so the catalog can be fetched before the steps are checked. Problems
    /// with the vars are reported here too, as the URL depends on them.
    pub fn url(&self, env: &Environment<'s>) -> Result<Option<String>, Vec<Diagnostic>> {
        let url = self.rendered_url(env)?;
        if let (Some(u), Some(node)) = (&url, &self.playbook.url)
            && let Err(e) = crate::client::check_base_url(u)
        {
            return Err(vec![
                Diagnostic::error("pplay::url", format!("`url`: {e}"))
                    .in_file(&self.playbook.file)
                    .label(node.span, "not an http(s) URL with a host")
                    .help("write an address such as http://localhost:3350"),
            ]);
        }
        Ok(url)
    }

    fn rendered_url(&self, env: &Environment<'s>) -> Result<Option<String>, Vec<Diagnostic>> {
        let pb = self.playbook;
        let Some(node) = &pb.url else { return Ok(None) };
        let Some(text) = node.as_str() else {
            return Ok(None);
        };
        if !crate::template::is_template(text) {
            return Ok(Some(text.to_owned()));
        }
        let mut names = Names::new(env, pb, None);
        names.known(&self.known);
        let compiled = names.compile(&pb.file, node);
        if let Some(u) = &compiled {
            names.names(&pb.file, u, &[]);
        }
        if !self.var_problems.is_empty() || !names.diags.is_empty() {
            return Err(self
                .var_problems
                .iter()
                .cloned()
                .chain(names.diags)
                .collect());
        }
        let ctx = MjValue::from_iter(self.vars.clone());
        match compiled.map(|u| u.render(&ctx)) {
            Some(Ok(Json::String(s))) => Ok(Some(s)),
            Some(Ok(other)) => Err(vec![
                Diagnostic::error(
                    "pplay::url",
                    format!("`url` must render to a string, not {other}"),
                )
                .in_file(&pb.file)
                .label(node.span, "here"),
            ]),
            Some(Err(e)) => Err(vec![
                Diagnostic::error(
                    "pplay::url",
                    format!("`url` cannot be rendered: {}", e.message),
                )
                .in_file(&pb.file)
                .label(e.span, "here"),
            ]),
            None => Ok(None),
        }
    }
}

/// Checks the steps of `loaded` against `catalog` and compiles them; on any
/// problem (of loading, of the vars, of the steps), returns them all, in
/// file order. The one road from a loaded playbook to one that can run.
pub fn check<'e, 's>(
    env: &'e Environment<'s>,
    loaded: Loaded<'s>,
    catalog: &'s Catalog,
) -> Result<Checked<'e, 's>, Vec<Diagnostic>> {
    let Loaded {
        playbook: pb,
        opts,
        vars,
        known,
        load_problems,
        var_problems,
        used,
    } = loaded;
    let notation = (opts.notation)
        .or_else(|| pb.producer_pal.as_ref().and_then(|p| p.value.notation))
        .unwrap_or(Notation::Barbeat);
    let generation = catalog.generation();
    let mut names = Names::new(env, pb, Some(generation));
    // The first evaluation, made before the catalog was known, wrote 2.x
    // notation wherever the music helpers were called; on 1.4 the vars are
    // evaluated again for its notation.
    let vars = if generation == Generation::V2 {
        names.known(&known);
        names.used = used;
        names.diags = load_problems.into_iter().chain(var_problems).collect();
        vars
    } else {
        let again = names.top_vars(pb, &opts);
        names.used.extend(used);
        names.diags = load_problems.into_iter().chain(names.diags).collect();
        again
    };
    let mut c = Checker {
        n: names,
        catalog,
        max_iterations: opts.max_iterations,
        index: 0,
        path: String::new(),
        planned: Some(0),
        var_values: &vars,
        vars_ctx: MjValue::from_iter(vars.clone()),
        var_sources: args::VarSources::new(&opts.overrides),
        reassigned: HashSet::new(),
        sure: true,
        never: false,
        notation,
        clean_notes: Default::default(),
    };
    c.n.diags
        .extend(crate::notes_arg::stark_warning(pb, opts.notation));
    if let Some(t) = &pb.defaults.timeout_ms {
        c.timeout_in_range(&pb.file, t);
    }
    let name = c.n.title(pb, &c.vars_ctx);
    let steps = c.steps(pb, &pb.steps, &pb.file);
    let unused = unused_overrides(&opts.overrides, &c.n.used);
    c.n.diags.extend(unused);
    let var_sources = c.var_sources.without(&c.reassigned);
    let (step_count, planned_calls, diags) = (c.index, c.planned, c.n.diags);
    let mut readers = c.n.readers;
    readers.seal();
    let mut diags = diags;
    if catalog.generation() == Generation::V2 {
        diags.extend(written_for_1_4(pb, &diags));
    }
    let diags = crate::diagnostic::in_file_order(diags);
    if diags.iter().any(Diagnostic::is_error) {
        return Err(diags);
    }
    Ok(Checked {
        playbook: pb,
        name,
        vars,
        steps,
        step_count,
        planned_calls,
        max_iterations: opts.max_iterations,
        generation: catalog.generation(),
        warnings: diags,
        readers,
        var_sources,
        notation,
    })
}

/// One warning for a playbook written for 1.4 checked against 2.x: its old
/// arguments still work (each has its own warning), but what 2.x no longer
/// returns reads as nothing, so the first capture of `result.trackIndex`
/// fails the run. Shown at the first such read in the playbook's own file;
/// `migrate` is asked only when an old argument is there.
fn written_for_1_4(pb: &Playbook, diags: &[Diagnostic]) -> Option<Diagnostic> {
    if !diags.iter().any(|d| d.code == "pplay::deprecated-arg") {
        return None;
    }
    let migrated = crate::migrate::migrate(std::slice::from_ref(pb));
    let changes: usize = migrated.iter().map(|m| m.edits.len()).sum();
    let main = migrated.iter().find(|m| m.path == pb.file.path)?;
    let read = main
        .edits
        .ranges()
        .find(|r| main.original[..r.start].ends_with("result."))?;
    let at = Span::new(read.start, read.len());
    Some(
        Diagnostic::warning(
            "pplay::written-for-1.4",
            "this playbook is written for Producer Pal 1.4: it reads result fields 2.x no longer returns (a capture of them gets nothing)",
        )
        .in_file(&pb.file)
        .label(at, "2.x does not return this")
        .help(format!(
            "`pplay migrate {}` rewrites it for 2.x ({changes} change{}); `--diff` shows them first",
            pb.file.name(),
            if changes == 1 { "" } else { "s" }
        )),
    )
}

/// A warning for each capture that reads, from `tool`'s result, a value a
/// 2.4 write result no longer echoes (`result.tempo` after
/// `ppal-update-live-set`): one per capture, at the first such read.
fn not_echoed_captures(
    file: &Arc<SourceFile>,
    tool: &str,
    capture: &[(Key, Node)],
) -> Vec<Diagnostic> {
    let fields = crate::candidate::not_echoed(tool);
    if fields.is_empty() {
        return Vec::new();
    }
    let src = file.text();
    let mut out = Vec::new();
    for (k, v) in capture {
        let Some(expr) = v.as_str() else { continue };
        let read = crate::migrate::expr::chains(expr, 0)
            .into_iter()
            .find_map(|c| {
                if c.root != "result" {
                    return None;
                }
                // A field of the result itself, or a parameter's `value`
                // wherever the result lists parameters.
                let hit = c
                    .attrs()
                    .enumerate()
                    .any(|(i, (a, _))| fields.contains(&a) && (i == 0 || a == "value"));
                hit.then(|| c.range.clone())
            });
        let Some(range) = read else { continue };
        let span = crate::migrate::scalar::source_range(src, v, expr, range.clone())
            .map_or(v.span, |r| Span::new(r.start, r.len()));
        let back = crate::candidate::read_back(tool).unwrap_or("a read tool");
        out.push(
            Diagnostic::warning(
                "pplay::not-echoed-in-2.4",
                format!(
                    "capture `{}` reads `{}`, which a `{tool}` result no longer echoes in Producer Pal 2.4",
                    k.name,
                    &expr[range]
                ),
            )
            .in_file(file)
            .label(span, "2.4 leaves this out when Live kept the value")
            .help(format!(
                "read the value back in a step after this one, with `{back}` (2.3 still echoes it)"
            )),
        );
    }
    out
}

/// The span of `part` (a slice of the scalar `v`'s decoded `text`) in the
/// file, where the source spells it out; else the whole value.
fn within(file: &SourceFile, v: &Node, text: &str, part: &str) -> Span {
    let start = part.as_ptr() as usize - text.as_ptr() as usize;
    crate::migrate::scalar::source_range(file.text(), v, text, start..start + part.len())
        .map_or(v.span, |r| Span::new(r.start, r.len()))
}

/// A rendered `timeoutMs`: an integer in the server's range, or why not.
/// A 1.4 `bar:beat` length (`"4:0"`) given to 2.x, which writes lengths
/// as `4bar`, `n/4` or `1bar+n/4`: an error at the value, with the 2.x
/// form when it has whole bars.
fn bar_beat_length(file: &Arc<SourceFile>, key: &str, v: &Node, text: &str) -> Option<Diagnostic> {
    if !["length", "arrangementLength"].contains(&key) {
        return None;
    }
    let (bars, beats) = text.trim().split_once(':')?;
    let whole = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    let beat = beats.parse::<f64>().ok().filter(|b| *b >= 0.0)?;
    if !whole(bars) {
        return None;
    }
    let fix = if beat == 0.0 {
        format!("write `{key}: \"{bars}bar\"`")
    } else {
        "write bars as `Nbar` and the rest as a note value in the clip's meter: in 4/4 `1:1` is `1bar+n/4`".to_owned()
    };
    Some(
        Diagnostic::error(
            "pplay::length-form",
            format!("`{key}` is `{text}`, a 1.4 `bar:beat` length; 2.x writes lengths as `Nbar`, `n<fraction>` or `Nbar+n<fraction>`"),
        )
        .in_file(file)
        .label(v.span, "1.4 form")
        .help(format!("{fix} (`pplay migrate` rewrites whole bars)")),
    )
}

/// The one rule for a timeout known at check time and one rendered in a run.
pub fn rendered_timeout(
    file: &Arc<SourceFile>,
    span: Span,
    v: &Json,
    range: crate::protocol::TimeoutRange,
) -> Result<u64, Diagnostic> {
    match v.as_u64() {
        Some(n) if range.contains(n) => Ok(n),
        _ => Err(Diagnostic::error(
            "pplay::timeout-range",
            format!(
                "`timeoutMs` rendered to {v}, not an integer from {} to {}",
                range.min, range.max
            ),
        )
        .in_file(file)
        .label(span, "here")),
    }
}

/// A warning at a `when` the vars alone make false (for every item of its
/// loop, with `each`): with these vars the step never runs. Not an error,
/// as vars can differ from run to run.
fn never_runs(file: &Arc<SourceFile>, step: &Step, when: &Node, each: bool) -> Diagnostic {
    let what = match step.action {
        Action::Include { .. } => "every step of this include will be skipped",
        Action::Call { .. } if each => "every iteration will be skipped",
        Action::Call { .. } => "this step will be skipped",
    };
    let false_for = if each {
        "false for every item of the loop"
    } else {
        "false"
    };
    Diagnostic::warning(
        "pplay::when-false",
        format!("this `when` is {false_for} with the given vars: {what}"),
    )
    .in_file(file)
    .label(when.span, "false with these vars")
    .help("vars can differ per run (--var, --vars-file); if the step should run with these, check the condition and the vars it reads")
}

/// Whether the template reads any of `names` (as a top-level name).
fn reads_any(c: &Compiled<'_, '_>, names: &[&str]) -> bool {
    let mut read = Vec::new();
    c.names(&mut read);
    read.iter().any(|(n, _)| names.contains(&top_name(n)))
}

/// The first part of a dotted name (`steps` of `steps.a.result`).
fn top_name(name: &str) -> &str {
    name.split('.').next().unwrap_or(name)
}

/// A warning for each `--var` or vars-file key that no template reads: most
/// often a typo, which would otherwise leave the playbook's own value in
/// place without a word.
fn unused_overrides(
    overrides: &[crate::vars::Override],
    used: &HashSet<String>,
) -> Vec<Diagnostic> {
    let read: std::collections::BTreeSet<&str> = used.iter().map(String::as_str).collect();
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for o in overrides {
        if used.contains(&o.name) || !seen.insert(o.name.as_str()) {
            continue;
        }
        let help = did_you_mean(&o.name, read.iter().copied())
            .map(|s| format!("did you mean `{s}`?"))
            .unwrap_or_else(|| "no template reads it; its value is not used".into());
        let d = match &o.at {
            Some(place) => Diagnostic::warning(
                "pplay::unused-var",
                format!("the vars file sets `{}`, which no template uses", o.name),
            )
            .in_file(&place.file)
            .label(place.key, "not used"),
            None => Diagnostic::warning(
                "pplay::unused-var",
                format!("--var `{}` is not used by any template", o.name),
            ),
        };
        out.push(d.help(help));
    }
    out
}

/// What is defined so far, and the problems found: the part of a check the
/// top-level vars need before the catalog is known.
struct Names<'e, 's> {
    /// Compiles each distinct template source once for the whole run.
    compiler: Compiler<'e, 's>,
    /// The step being checked runs many times (it or an include around it
    /// loops), so its templates keep their compiled code.
    hot: bool,
    diags: Vec<Diagnostic>,
    /// Names defined so far, in run order (for hints), and as a set (to look
    /// up in constant time: a batch job defines thousands).
    known_order: Vec<String>,
    known: HashSet<String>,
    /// Step ids defined so far, likewise.
    ids_order: Vec<String>,
    ids: HashSet<String>,
    /// The step being checked, whose templates read what they name; none
    /// for the top-level vars, which are evaluated here, not in the run.
    reader: Option<usize>,
    readers: Readers,
    /// Every top-level name some template reads, for the overrides that
    /// none does.
    used: HashSet<String>,
}

impl<'e: 's, 's> Names<'e, 's> {
    /// For the templates of `pb`; `generation` is the catalog's, once known
    /// (what the music helpers write for).
    fn new(env: &'e Environment<'s>, pb: &Playbook, generation: Option<Generation>) -> Self {
        let mut compiler = Compiler::new(env);
        compiler.for_run(generation, &pb.roots);
        Names {
            compiler,
            hot: false,
            diags: Vec::new(),
            known_order: Vec::new(),
            known: HashSet::new(),
            ids_order: Vec::new(),
            ids: HashSet::new(),
            reader: None,
            readers: Readers::default(),
            used: HashSet::new(),
        }
    }

    /// Starts from names defined elsewhere (the top-level vars).
    fn known(&mut self, names: &[String]) {
        for n in names {
            self.define(n);
        }
    }

    fn define_id(&mut self, id: &str) {
        if self.ids.insert(id.to_owned()) {
            self.ids_order.push(id.to_owned());
        }
    }

    fn template_errors(&mut self, file: &Arc<SourceFile>, errors: Vec<TemplateError>) {
        for e in errors {
            self.diags.push(
                Diagnostic::error("pplay::template", format!("template error: {}", e.message))
                    .in_file(file)
                    .label(e.span, "in this template"),
            );
        }
    }

    fn compile(&mut self, file: &Arc<SourceFile>, node: &'s Node) -> Option<Compiled<'e, 's>> {
        self.compiler.in_file(file.path());
        match self.compiler.compile(node, self.hot) {
            Ok(c) => Some(c),
            Err(errors) => {
                self.template_errors(file, errors);
                None
            }
        }
    }

    fn compile_expr(
        &mut self,
        file: &Arc<SourceFile>,
        node: &'s Node,
        what: &str,
    ) -> Option<Compiled<'e, 's>> {
        self.compiler.in_file(file.path());
        match self.compiler.expression(node, self.hot) {
            Ok(c) => Some(c),
            Err(e) => {
                self.diags.push(
                    Diagnostic::error(
                        "pplay::expression",
                        format!("this {what} does not parse: {}", e.message),
                    )
                    .in_file(file)
                    .label(e.span, "not a valid expression")
                    .help("write a MiniJinja expression such as `result.trackCount >= 1`"),
                );
                None
            }
        }
    }

    /// Reports names that nothing defines at this point.
    fn names(&mut self, file: &Arc<SourceFile>, c: &Compiled<'e, 's>, extra: &[&str]) {
        let mut used = Vec::new();
        c.names(&mut used);
        for (name, span) in used {
            let top = top_name(name);
            if !extra.contains(&top) {
                self.used.insert(top.to_owned());
            }
            // A bare `steps` may be the pattern function or every outcome.
            if let Some(i) = self.reader
                && !extra.contains(&top)
                && (top == "steps" || !FUNCTIONS.contains(&top))
            {
                self.readers.read(i, name);
            }
            if top == "steps" {
                if let Some(id) = name.split('.').nth(1)
                    && !self.ids.contains(id)
                {
                    let help = did_you_mean(id, self.ids_order.iter().map(String::as_str))
                        .map(|s| format!("did you mean `steps.{s}`?"))
                        .unwrap_or_else(|| {
                            "`steps.<id>` reads the outcome of an earlier step with that `id`"
                                .into()
                        });
                    self.diags.push(
                        Diagnostic::error(
                            "pplay::undefined",
                            format!("no earlier step has the id `{id}`"),
                        )
                        .in_file(file)
                        .label(span, format!("`steps.{id}` is used here"))
                        .help(help),
                    );
                }
                continue;
            }
            if self.known.contains(top) || extra.contains(&top) || FUNCTIONS.contains(&top) {
                continue;
            }
            let candidates = self
                .known_order
                .iter()
                .map(String::as_str)
                .chain(extra.iter().copied())
                .chain(["steps"]);
            let help = did_you_mean(top, candidates)
                .map(|s| format!("did you mean `{s}`?"))
                .unwrap_or_else(|| {
                    "define it under `vars`, capture it from an earlier step, or pass --var".into()
                });
            self.diags.push(
                Diagnostic::error("pplay::undefined", format!("`{top}` is not defined"))
                    .in_file(file)
                    .label(span, format!("`{top}` is used here"))
                    .help(help),
            );
        }
    }

    fn define(&mut self, name: &str) {
        if self.known.insert(name.to_owned()) {
            self.known_order.push(name.to_owned());
        }
    }

    /// The playbook's `name`, rendered with the top-level vars (the only
    /// names defined before the first step); its problems are reported at it.
    fn title(&mut self, pb: &'s Playbook, vars_ctx: &MjValue) -> String {
        let raw = pb.name.as_str().unwrap_or_default();
        let Some(c) = self.compile(&pb.file, &pb.name) else {
            return raw.to_owned();
        };
        let before = self.diags.len();
        self.names(&pb.file, &c, &[]);
        if self.diags.len() > before {
            // Nothing is captured before the name is shown.
            let generic =
                |h: &Option<String>| h.as_deref().is_some_and(|h| h.starts_with("define it"));
            for d in self.diags[before..].iter_mut().filter(|d| generic(&d.help)) {
                d.help = Some("the playbook's `name` can use vars only: define it under `vars`, or pass --var".into());
            }
            return raw.to_owned();
        }
        match c.render(vars_ctx) {
            Ok(Json::String(s)) => s,
            Ok(other) => other.to_string(),
            Err(e) => {
                self.diags.push(
                    Diagnostic::error(
                        "pplay::template",
                        format!("the playbook's `name` cannot be rendered: {}", e.message),
                    )
                    .in_file(&pb.file)
                    .label(e.span, "here"),
                );
                raw.to_owned()
            }
        }
    }

    fn top_vars(&mut self, pb: &'s Playbook, opts: &CheckOptions) -> BTreeMap<String, MjValue> {
        let file = &pb.file;
        let mut values = BTreeMap::new();
        let overrides: BTreeMap<&str, &Json> = opts
            .overrides
            .iter()
            .map(|o| (o.name.as_str(), &o.value))
            .collect();
        for (k, node) in &pb.vars {
            if !crate::playbook::valid_var(&k.name) {
                self.diags.push(
                    Diagnostic::error(
                        "pplay::var-name",
                        format!("`{}` is not a valid variable name", k.name),
                    )
                    .in_file(file)
                    .label(k.span, "not a name")
                    .help("use letters, digits and `_`, not starting with a digit"),
                );
                continue;
            }
            if let Some(v) = overrides.get(k.name.as_str()) {
                values.insert(k.name.to_string(), crate::template::from_json(v));
                self.define(&k.name);
                continue;
            }
            if let Some(c) = self.compile(file, node) {
                self.names(file, &c, &[]);
                let ctx = MjValue::from_iter(
                    values
                        .iter()
                        .map(|(k, v): (&String, &MjValue)| (k.clone(), v.clone())),
                );
                match c.eval(&ctx) {
                    Ok(v) => {
                        values.insert(k.name.to_string(), v);
                    }
                    Err(e) if self.diags.is_empty() => self.diags.push(
                        Diagnostic::error(
                            "pplay::template",
                            format!("var `{}` cannot be evaluated: {}", k.name, e.message),
                        )
                        .in_file(file)
                        .label(e.span, "here"),
                    ),
                    Err(_) => {}
                }
            }
            self.define(&k.name);
        }
        for o in &opts.overrides {
            if !values.contains_key(&o.name) {
                values.insert(o.name.to_string(), crate::template::from_json(&o.value));
                self.define(&o.name);
            }
        }
        values
    }
}

struct Checker<'e, 's, 'v> {
    n: Names<'e, 's>,
    /// How `notes` are written (the profile's `notation`).
    notation: Notation,
    catalog: &'s Catalog,
    max_iterations: usize,
    index: usize,
    /// The path of the include being checked, with a trailing `/`.
    path: String,
    planned: Option<usize>,
    /// Values of the vars known at check time, for loops, args and
    /// timeouts that depend on nothing else.
    var_values: &'v BTreeMap<String, MjValue>,
    /// The same values as a template context, built once: the check
    /// evaluates in it for every step whose args read only vars.
    vars_ctx: MjValue,
    /// Names a capture or an include sets at run time: a template that
    /// reads one of them is not known from the vars alone.
    reassigned: HashSet<String>,
    /// The step being checked runs whenever the run reaches it: no `when`
    /// (its own or an enclosing include's) that the vars do not decide as
    /// true. Only then are its args and timeout rendered at check time.
    sure: bool,
    /// An enclosing include's `when` is false from the vars alone (and was
    /// warned about there).
    never: bool,
    /// Where the `--vars-file` and `--var` values were given, for hints.
    var_sources: args::VarSources,
    /// Notes strings already read clean, so each distinct one is read once.
    clean_notes: crate::notes_arg::Clean,
}

impl<'e: 's, 's, 'v> Checker<'e, 's, 'v> {
    fn steps(
        &mut self,
        pb: &'s Playbook,
        steps: &'s [Step],
        file: &Arc<SourceFile>,
    ) -> Vec<CheckedStep<'e, 's>> {
        steps
            .iter()
            .enumerate()
            .map(|(i, s)| self.step(pb, s, file, format!("{}{i}", self.path)))
            .collect()
    }

    fn step(
        &mut self,
        pb: &'s Playbook,
        step: &'s Step,
        file: &Arc<SourceFile>,
        path: String,
    ) -> CheckedStep<'e, 's> {
        let index = self.index;
        self.index += 1;
        self.n.reader = Some(index);
        let outer_hot = self.n.hot;
        self.n.hot |= step.loop_.is_some();
        let loop_extra: &[&str] = if step.loop_.is_some() {
            &["item", "loop"]
        } else {
            &[]
        };
        let after_extra: Vec<&str> = loop_extra
            .iter()
            .copied()
            .chain(["result", "warnings"])
            .collect();

        let (outer, outer_never) = (self.sure, self.never);
        let (when, when_each) = self.when_(file, step, loop_extra);
        let (loop_, loop_len) = match &step.loop_ {
            Some(l) => self.loop_(file, l),
            None => (None, Some(1)),
        };
        if when_each
            && !self.never
            && let (Some(w), Some(node), Some(l), Some(lc)) =
                (&when, &step.when, &step.loop_, &loop_)
            && self.false_for_every_item(file, w, l, lc)
        {
            self.n.diags.push(never_runs(file, step, node, true));
        }
        let name = step.name.as_ref().and_then(|n| self.n.compile(file, n));
        if let Some(n) = &name {
            self.n.names(file, n, loop_extra);
        }
        if let Some(t) = &step.timeout_ms {
            self.timeout_in_range(file, t);
        }
        let timeout_node = step
            .timeout_ms
            .as_deref()
            .or(pb.defaults.timeout_ms.as_ref());
        let timeout_ms = timeout_node.and_then(|t| self.n.compile(&pb.file, t));
        if let (Some(t), Some(node)) = (&timeout_ms, timeout_node) {
            self.n.names(file, t, loop_extra);
            self.timeout_from_vars(&pb.file, node, t, loop_extra);
        }
        let mut checked = CheckedStep {
            step,
            index,
            path: CompactString::new(&path),
            tool: None,
            name,
            args: None,
            timeout_ms,
            capture: Vec::new(),
            when,
            when_each,
            loop_,
            loop_len,
            expect: Vec::new(),
            include: None,
            retries: step
                .retries
                .as_ref()
                .or(pb.defaults.retries.as_ref())
                .map_or(0, |r| r.value),
            retry_delay_ms: step
                .retry_delay_ms
                .as_ref()
                .or(pb.defaults.retry_delay_ms.as_ref())
                .map_or(DEFAULT_RETRY_DELAY_MS, |r| r.value),
            on_error: step
                .on_error
                .as_ref()
                .or(pb.defaults.on_error.as_ref())
                .map(|o| o.value)
                .unwrap_or_default(),
            resend: step.resend.as_ref().is_some_and(|r| r.value),
            ensure: None,
        };
        match &step.action {
            Action::Call { tool, args } => {
                self.call_step(&mut checked, file, tool, args, loop_extra, &after_extra);
            }
            Action::Include { vars, playbook, .. } => {
                self.include_step(&mut checked, file, vars, playbook, &path);
            }
        }
        if let Some(id) = &step.id {
            self.n.define_id(&id.value);
        }
        self.n.hot = outer_hot;
        self.sure = outer;
        self.never = outer_never;
        checked
    }

    /// The step's `when`, and whether it reads the loop (then it is decided
    /// per iteration). One the vars alone make false is warned about (once,
    /// not again inside an include it switches off); one they do not make
    /// true leaves the step's args and timeout to the run.
    fn when_(
        &mut self,
        file: &Arc<SourceFile>,
        step: &'s Step,
        loop_extra: &[&str],
    ) -> (Option<Compiled<'e, 's>>, bool) {
        let when = step
            .when
            .as_ref()
            .and_then(|w| self.n.compile_expr(file, w, "`when` condition"));
        if let Some(w) = &when {
            self.n.names(file, w, loop_extra);
        }
        let when_each = when.as_ref().is_some_and(|w| reads_any(w, loop_extra));
        let decided = when.as_ref().map(|w| {
            self.vars_only(w, loop_extra)
                .and_then(|ctx| w.eval(&ctx).ok())
                .map(|v| v.is_true())
        });
        self.sure = self.sure && decided.is_none_or(|d| d == Some(true));
        if decided == Some(Some(false)) {
            if !self.never
                && let Some(node) = &step.when
            {
                self.n.diags.push(never_runs(file, step, node, false));
            }
            self.never = true;
        }
        (when, when_each)
    }

    /// An include step: its vars are evaluated in the caller's scope and
    /// win; the included file's vars are defaults for the rest. Then the
    /// included steps, under this step's path.
    fn include_step(
        &mut self,
        checked: &mut CheckedStep<'e, 's>,
        file: &Arc<SourceFile>,
        vars: &'s [(Key, Node)],
        playbook: &'s Playbook,
        path: &str,
    ) {
        let inc_file = &playbook.file;
        let mut include = CheckedInclude::default();
        for (k, v) in vars {
            if let Some(c) = self.n.compile(file, v) {
                self.n.names(file, &c, &[]);
                include.vars.push((k.name.as_str(), c));
            }
        }
        for (k, _) in vars {
            self.n.define(&k.name);
            self.reassigned.insert(k.name.to_string());
        }
        let given = |name: &str| vars.iter().any(|(k, _)| k.name == name);
        for (k, v) in playbook.vars.iter().filter(|(k, _)| !given(&k.name)) {
            if let Some(c) = self.n.compile(inc_file, v) {
                self.n.names(inc_file, &c, &[]);
                include.defaults.push((k.name.as_str(), c));
            }
            self.n.define(&k.name);
            self.reassigned.insert(k.name.to_string());
        }
        let outer = std::mem::replace(&mut self.path, format!("{path}/"));
        include.steps = self.steps(playbook, &playbook.steps, inc_file);
        checked.include = Some(Box::new(include));
        self.path = outer;
    }

    /// A call step: its tool, args, expectations and captures.
    fn call_step(
        &mut self,
        checked: &mut CheckedStep<'e, 's>,
        file: &Arc<SourceFile>,
        tool: &'s crate::playbook::Spanned<CompactString>,
        args: &'s Node,
        loop_extra: &[&str],
        after_extra: &[&str],
    ) {
        let step = checked.step;
        let loop_len = checked.loop_len;
        if let Some(n) = loop_len {
            self.planned = self.planned.map(|p| p + n);
        } else {
            self.planned = None;
        }
        let compiled = self.n.compile(file, args);
        if let Some(a) = &compiled {
            self.n.names(file, a, loop_extra);
        }
        match self.catalog.get(&tool.value) {
            Some(t) => {
                checked.tool = Some(t);
                if let Some(a) = &compiled {
                    self.args(file, t, tool.span, args, a, loop_extra);
                }
            }
            None => {
                let live_api = tool.value == crate::protocol::LIVE_API_TOOL;
                let help = if live_api && self.catalog.generation() == Generation::V1 {
                    "Producer Pal 1.4 has no `ppal-live-api`: its Live API tool is `ppal-raw-live-api`, always listed".to_owned()
                } else if live_api {
                    "the Live API tool is listed only when the request profile turns it on: add `producerPal: { liveApi: true }` to the playbook (or pass --live-api)".to_owned()
                } else {
                    did_you_mean(&tool.value, self.catalog.names())
                        .map(|s| format!("did you mean `{s}`?"))
                        .unwrap_or_else(|| "`pplay tools` lists the tools the device offers".into())
                };
                self.n.diags.push(
                    Diagnostic::error(
                        "pplay::unknown-tool",
                        format!("unknown tool `{}`", tool.value),
                    )
                    .in_file(file)
                    .label(tool.span, "not in the tool list")
                    .help(help),
                );
            }
        }
        if let (Some(t), Some(a)) = (checked.tool, &compiled) {
            self.notes_per_item(file, checked, &t.name, args, a);
        }
        checked.args = compiled;
        checked.ensure = self.ensure(file, step, &tool.value, loop_extra);
        // Exactly as many slots as written: a growing Vec starts at four,
        // which a batch of one-capture steps pays for every step it keeps.
        checked.expect.reserve_exact(step.expect.len());
        checked.capture.reserve_exact(step.capture.len());
        for e in &step.expect {
            if let Some(c) = self.n.compile_expr(file, e, "`expect` expression") {
                self.n.names(file, &c, after_extra);
                checked.expect.push(c);
            }
        }
        for (k, v) in &step.capture {
            if let Some(c) = self.n.compile_expr(file, v, "capture") {
                self.n.names(file, &c, after_extra);
                checked.capture.push((k.name.as_str(), c));
            }
        }
        if self.catalog.generation() == crate::protocol::Generation::V2 {
            let warnings = not_echoed_captures(file, &tool.value, &step.capture);
            self.n.diags.extend(warnings);
        }
        for (k, _) in &step.capture {
            self.n.define(&k.name);
            self.reassigned.insert(k.name.to_string());
        }
    }

    /// A step's `ensure:`: the tool must take it, in the form its kind
    /// takes (fields on a create, `true` on an update), with fields the
    /// read shows.
    fn ensure(
        &mut self,
        file: &Arc<SourceFile>,
        step: &'s Step,
        tool: &str,
        loop_extra: &[&str],
    ) -> Option<Box<CheckedEnsure<'e, 's>>> {
        use crate::converge::{Rule, TOOLS, identity_fields, rule};
        use crate::playbook::EnsureKind;
        let e = step.ensure.as_deref()?;
        let err = |code, msg: String, label: &str, help: String| {
            Diagnostic::error(code, msg)
                .in_file(file)
                .label(e.key, label.to_owned())
                .help(help)
        };
        let Some(r) = rule(tool) else {
            let d = err(
                "pplay::ensure-tool",
                format!("`ensure` cannot be used with `{tool}`"),
                "no read tells whether this call is needed",
                format!("`ensure` works on {}", TOOLS.join(", ")),
            );
            self.n.diags.push(d);
            return None;
        };
        let mut identity = Vec::new();
        match (r, &e.kind) {
            (Rule::Update(_), EnsureKind::Current) => {}
            (Rule::Update(_), EnsureKind::Identity(_)) => {
                self.n.diags.push(err(
                    "pplay::ensure-form",
                    format!("on `{tool}`, `ensure` is `true`"),
                    "an update compares its own arguments",
                    "write `ensure: true`: pplay reads the current values and sends only those that differ".into(),
                ));
                return None;
            }
            (Rule::Create(kind), EnsureKind::Current) => {
                let fields = identity_fields(kind, self.catalog.generation());
                self.n.diags.push(err(
                    "pplay::ensure-form",
                    format!(
                        "on `{tool}`, `ensure` names the fields that identify the {}",
                        kind.noun()
                    ),
                    "`true` identifies nothing",
                    format!(
                        "write e.g. `ensure: {{ {}: ... }}` (fields: {})",
                        fields[0],
                        fields.join(", ")
                    ),
                ));
                return None;
            }
            (Rule::Create(kind), EnsureKind::Identity(entries)) => {
                let fields = identity_fields(kind, self.catalog.generation());
                for (k, v) in entries {
                    if !fields.contains(&k.name.as_str()) {
                        let hint = crate::diagnostic::did_you_mean(&k.name, fields.iter().copied())
                            .map(|s| format!("did you mean `{s}`? "))
                            .unwrap_or_default();
                        let d = Diagnostic::error(
                            "pplay::ensure-field",
                            format!("`{}` cannot identify a {}", k.name, kind.noun()),
                        )
                        .in_file(file)
                        .label(
                            k.span,
                            format!("not a field the {} read shows", kind.noun()),
                        )
                        .help(format!(
                            "{hint}a {} is identified by {}",
                            kind.noun(),
                            fields.join(", ")
                        ));
                        self.n.diags.push(d);
                        continue;
                    }
                    if let Some(c) = self.n.compile(file, v) {
                        self.n.names(file, &c, loop_extra);
                        identity.push((k.name.as_str(), c));
                    }
                }
            }
        }
        Some(Box::new(CheckedEnsure { rule: r, identity }))
    }

    fn loop_(
        &mut self,
        file: &Arc<SourceFile>,
        node: &'s Node,
    ) -> (Option<Compiled<'e, 's>>, Option<usize>) {
        let max = self.max_iterations;
        match &node.value {
            Value::Seq(items) => {
                if let Err(d) = loops::within_limit(file, node.span, items.len(), max) {
                    self.n.diags.push(d);
                }
                let c = self.n.compile(file, node);
                if let Some(c) = &c {
                    self.n.names(file, c, &[]);
                }
                (c, Some(items.len()))
            }
            // The loader has reported a loop that is neither.
            Value::Str(_) => {
                let Some(c) = self.n.compile_expr(file, node, "`loop`") else {
                    return (None, None);
                };
                self.n.names(file, &c, &[]);
                let Some(ctx) = self.vars_only(&c, &[]) else {
                    return (Some(c), None);
                };
                match c.eval(&ctx) {
                    Ok(v) => match loops::items(file, node.span, &v, max) {
                        Ok(items) => (Some(c), Some(items.len())),
                        Err(d) => {
                            self.n.diags.push(d);
                            (None, None)
                        }
                    },
                    Err(e) => {
                        self.n.diags.push(
                            Diagnostic::error(
                                "pplay::loop",
                                format!("`loop` cannot be evaluated: {}", e.message),
                            )
                            .in_file(file)
                            .label(node.span, "here"),
                        );
                        (None, None)
                    }
                }
            }
            _ => (None, None),
        }
    }

    /// The context to evaluate `c` in at check time, when it reads nothing
    /// but top-level vars (and functions): no loop name in `loop_extra`, no
    /// result, no name a capture or an include sets.
    fn vars_only(&self, c: &Compiled<'e, 's>, loop_extra: &[&str]) -> Option<MjValue> {
        self.reads_only_vars(c, loop_extra, &[])
            .then(|| self.vars_ctx.clone())
    }

    /// Whether `c` reads nothing but top-level vars, functions and the
    /// names in `given` (which the caller supplies).
    fn reads_only_vars(&self, c: &Compiled<'e, 's>, loop_extra: &[&str], given: &[&str]) -> bool {
        let mut used = Vec::new();
        c.names(&mut used);
        used.iter().all(|(n, _)| {
            let top = top_name(n);
            given.contains(&top)
                || FUNCTIONS.contains(n)
                || (self.var_values.contains_key(top)
                    && !loop_extra.contains(&top)
                    && !self.reassigned.contains(top))
        })
    }

    /// A `when` that reads the loop, over a loop the vars give: false for
    /// every item means the step never runs with these vars, as a `when`
    /// the vars make false does.
    fn false_for_every_item(
        &self,
        file: &Arc<SourceFile>,
        when: &Compiled<'e, 's>,
        loop_node: &Node,
        loop_: &Compiled<'e, 's>,
    ) -> bool {
        let loop_names = ["item", "loop"];
        if !self.reads_only_vars(when, &[], &loop_names) {
            return false;
        }
        let Some(ctx) = self.vars_only(loop_, &[]) else {
            return false;
        };
        let items = loop_
            .eval(&ctx)
            .ok()
            .and_then(|v| loops::items(file, loop_node.span, &v, self.max_iterations).ok());
        let Some(items) = items.filter(|i| !i.is_empty()) else {
            return false;
        };
        let length = items.len();
        items.into_iter().enumerate().all(|(index0, item)| {
            let it = crate::event::Iteration { index0, length };
            let ctx = loops::iteration_ctx(&ctx, item, it);
            matches!(when.eval(&ctx), Ok(v) if !v.is_true())
        })
    }

    /// The known items of a step's loop, each with its iteration, when the
    /// loop reads only vars (or is written out) and its `when` (read per
    /// item) is true for it: the iterations the check can render.
    fn known_iterations(
        &self,
        file: &Arc<SourceFile>,
        checked: &CheckedStep<'e, 's>,
    ) -> Option<Vec<(crate::event::Iteration, MjValue)>> {
        let (node, loop_) = (checked.step.loop_.as_ref()?, checked.loop_.as_ref()?);
        let ctx = self.vars_only(loop_, &[])?;
        let items = loop_.eval(&ctx).ok()?;
        let items = loops::items(file, node.span, &items, self.max_iterations).ok()?;
        let length = items.len();
        let when = checked.when.as_ref().filter(|_| checked.when_each);
        if when.is_some_and(|w| !self.reads_only_vars(w, &[], &["item", "loop"])) {
            return None;
        }
        let runs = |it, item: &MjValue| {
            when.is_none_or(|w| {
                let ctx = loops::iteration_ctx(&ctx, item.clone(), it);
                matches!(w.eval(&ctx), Ok(v) if v.is_true())
            })
        };
        let out = (items.into_iter().enumerate())
            .map(|(index0, item)| (crate::event::Iteration { index0, length }, item))
            .filter(|(it, item)| runs(*it, item))
            .collect();
        Some(out)
    }

    /// A clip tool's templated `notes` that reads the loop, over a loop the
    /// check knows: rendered for each iteration (as the run renders it) and
    /// read, so one bad pattern of a batch refuses the playbook before any
    /// call. The first bad iteration is shown; the others are counted.
    fn notes_per_item(
        &mut self,
        file: &Arc<SourceFile>,
        checked: &CheckedStep<'e, 's>,
        tool: &str,
        args: &Node,
        compiled: &Compiled<'e, 's>,
    ) {
        let each = ["item", "loop"];
        let Some((notes, ts)) = crate::notes_arg::templated(tool, compiled) else {
            return;
        };
        let known = |c: &Compiled<'e, 's>| self.reads_only_vars(c, &[], &each);
        if !self.sure || self.never || !reads_any(notes, &each) || !known(notes) {
            return;
        }
        let ts = ts.filter(|t| known(t));
        let Some(iterations) = self.known_iterations(file, checked) else {
            return;
        };
        let Some(node) = crate::args::node_at(args, &[PathSeg::Key("notes".into())]) else {
            return;
        };
        let (generation, notation) = (self.catalog.generation(), self.notation);
        let clean = &mut self.clean_notes;
        let vars_ctx = &self.vars_ctx;
        let mut bad = (iterations.into_iter()).filter_map(|(it, item)| {
            let ctx = loops::iteration_ctx(vars_ctx, item.clone(), it);
            let text = match notes.render(&ctx) {
                Ok(Json::String(text)) => text,
                Ok(_) => return None,
                Err(e) => return Some((it, item, Err(e))),
            };
            let meter = ts.and_then(|t| t.render(&ctx).ok());
            let meter = meter.as_ref().and_then(Json::as_str);
            let problem = clean.read(&text, meter, generation, notation).err()?;
            Some((it, item, Ok((text, problem))))
        });
        let Some((it, item, found)) = bad.next() else {
            return;
        };
        let more = bad.count();
        let when = crate::notes_arg::iteration(it, &item, more);
        let d = match found {
            Ok((text, problem)) => crate::notes_arg::rendered_diagnostic(
                file, node.1, &text, problem, &when, generation,
            ),
            // Every value it reads is known: the run would fail the same way.
            Err(e) => Diagnostic::error(
                "pplay::template",
                format!("the `notes` {when} cannot be rendered: {}", e.message),
            )
            .in_file(file)
            .label(e.span, "here"),
        };
        self.n.diags.push(d);
    }

    /// A clip tool's `notes` the vars render (no loop, no capture), read as
    /// the server will.
    fn notes_from_vars(
        &mut self,
        file: &Arc<SourceFile>,
        tool: &str,
        entries: &[(Key, Node)],
        value: &serde_json::Map<String, Json>,
        known: &KnownArgs,
    ) {
        let at = [PathSeg::Key("notes".into())];
        let Some(text) = value.get("notes").and_then(Json::as_str) else {
            return;
        };
        if !known.rendered.iter().any(|p| p[..] == at) || !crate::notes_arg::is_clip_tool(tool) {
            return;
        }
        let ts = value.get("timeSignature").and_then(Json::as_str);
        let generation = self.catalog.generation();
        let Err(problem) = self.clean_notes.read(text, ts, generation, self.notation) else {
            return;
        };
        let Some((_, node)) = entries.iter().find(|(k, _)| k.name == "notes") else {
            return;
        };
        let d = crate::notes_arg::rendered_diagnostic(
            file,
            node,
            text,
            problem,
            "as the vars render it",
            generation,
        );
        self.n.diags.push(d);
    }

    /// A templated `timeoutMs` that depends only on vars, rendered now and
    /// held to the server's range, as the run would.
    fn timeout_from_vars(
        &mut self,
        file: &Arc<SourceFile>,
        node: &Node,
        c: &Compiled<'e, 's>,
        loop_extra: &[&str],
    ) {
        if c.is_literal() || !self.sure {
            return;
        }
        let Some(ctx) = self.vars_only(c, loop_extra) else {
            return;
        };
        let range = self.catalog.generation().timeout_range();
        let problem = match c.render(&ctx) {
            Ok(v) => rendered_timeout(file, node.span, &v, range).err(),
            Err(e) => Some(
                Diagnostic::error(
                    "pplay::template",
                    format!("`timeoutMs` cannot be rendered: {}", e.message),
                )
                .in_file(file)
                .label(e.span, "here"),
            ),
        };
        self.n.diags.extend(problem);
    }

    /// A literal `timeoutMs` outside what the server's generation accepts
    /// (the loader has checked the widest range already).
    fn timeout_in_range(&mut self, file: &Arc<SourceFile>, node: &Node) {
        let generation = self.catalog.generation();
        let range = generation.timeout_range();
        if let Value::Int(n) = node.value
            && !range.contains_i64(n)
        {
            self.n.diags.push(
                Diagnostic::error(
                    "pplay::timeout-range",
                    format!(
                        "`timeoutMs` is {n}, outside {}..{} that {} accepts",
                        range.min,
                        range.max,
                        generation.label()
                    ),
                )
                .in_file(file)
                .label(node.span, "out of range")
                .help(format!(
                    "the catalog is {}'s; its calls take a timeout from {} to {} milliseconds",
                    generation.label(),
                    range.min,
                    range.max
                )),
            );
        }
    }

    /// A warning for each argument the tool takes without listing it
    /// (2.x's deprecated names and aliases); the call is sent as written.
    fn hidden_args(&mut self, file: &Arc<SourceFile>, tool: &Tool, entries: &[(Key, Node)]) {
        for (k, _) in entries {
            if tool.param(&k.name).is_some() {
                continue;
            }
            let Some(h) = self.catalog.generation().hidden_param(&tool.name, &k.name) else {
                continue;
            };
            let replacement = h.replacement();
            let what = match h.kind {
                HiddenKind::Deprecated { .. } => crate::hidden_params::DEPRECATED,
                HiddenKind::Alias { .. } => "an unlisted alias in Producer Pal 2.x",
            };
            let example = match (&h.example, replacement) {
                (Some(e), _) => Some(format!("for example `{replacement}: \"{e}\"`")),
                (None, _) => crate::hidden_params::path_example(&k.name)
                    .map(|e| format!("2.x names objects by path: {e}")),
            };
            self.n.diags.push(
                Diagnostic::warning(
                    "pplay::deprecated-arg",
                    format!("`{}` is {what}: use `{replacement}`", k.name),
                )
                .in_file(file)
                .label(k.span, format!("use `{replacement}`"))
                .help(example.map_or_else(
                    || "the call is sent as written".to_owned(),
                    |e| format!("{e}; the call is sent as written"),
                )),
            );
        }
    }

    /// Strings the server takes as any text though they have a form: 2.x's
    /// `path` and `toPath` (1.4 has none), read with the server's path grammar (`t1/s`), and
    /// `#RRGGBB` colours (`red`), each shown at the bad entry.
    fn formed_strings(&mut self, file: &Arc<SourceFile>, tool: &Tool, entries: &[(Key, Node)]) {
        for (k, v) in entries {
            let Value::Str(text) = &v.value else { continue };
            if has_template(v) {
                continue;
            }
            if let Some(entry) = tool.param(&k.name).and_then(|p| args::bad_colour(p, text)) {
                let at = within(file, v, text, entry);
                self.n
                    .diags
                    .push(args::colour_diagnostic(file, &k.name, entry, at));
            }
            let paths = self.catalog.generation() == Generation::V2;
            if paths && let Some(d) = bar_beat_length(file, &k.name, v, text) {
                self.n.diags.push(d);
            }
            if let Some((target, e)) = paths
                .then(|| crate::path::first_bad_target(&tool.name, &k.name, text))
                .flatten()
            {
                let at = within(file, v, text, target);
                self.n
                    .diags
                    .push(args::path_diagnostic(file, &k.name, target, &e, at));
            }
        }
    }

    /// Unknown, missing and ill-typed arguments, from what is literal and
    /// what depends only on vars (rendered now, as the run would), at any
    /// depth; what only the run can render is left unchecked.
    fn args(
        &mut self,
        file: &Arc<SourceFile>,
        tool: &Tool,
        tool_span: Span,
        node: &Node,
        compiled: &Compiled<'e, 's>,
        loop_extra: &[&str],
    ) {
        let Some(entries) = node.as_map() else { return };
        self.hidden_args(file, tool, entries);
        if self.catalog.generation() == crate::protocol::Generation::V2 {
            let notes = crate::candidate::deprecation_notes(file, &tool.name, entries);
            self.n.diags.extend(notes);
        }
        self.formed_strings(file, tool, entries);
        let generation = self.catalog.generation();
        let notes = crate::notes_arg::check(
            file,
            &tool.name,
            entries,
            generation,
            self.notation,
            &mut self.clean_notes,
        );
        self.n.diags.extend(notes);
        let hidden =
            |k: &str| tool.param(k).is_none() && generation.hidden_param(&tool.name, k).is_some();
        let mut known = KnownArgs::default();
        let render = self.sure;
        let value = self.known_value(
            file,
            compiled,
            render,
            loop_extra,
            &mut Vec::new(),
            &mut known,
        );
        let Json::Object(mut value) = value else {
            return;
        };
        self.notes_from_vars(file, &tool.name, entries, &value, &known);
        value.retain(|k, _| !hidden(k));
        // A whole argument only the run renders counts as given; its value
        // is checked only when the tool has no such argument.
        let present: Vec<&str> = entries
            .iter()
            .map(|(k, _)| k.name.as_str())
            .filter(|k| {
                known
                    .unknown
                    .iter()
                    .any(|p| p[..] == [PathSeg::Key((*k).to_owned())])
            })
            .collect();
        for k in &present {
            if tool.param(k).is_some() || hidden(k) {
                value.remove(*k);
            }
        }
        let issues = tool.check_args(&Json::Object(value), &present);
        let (from_vars, literal): (Vec<_>, Vec<_>) = issues
            .into_iter()
            .filter(|i| !known.hides(i))
            .partition(|i| i.key.is_none() && known.rendered.iter().any(|r| i.path.starts_with(r)));
        for issue in literal {
            self.n.diags.push(args::arg_diagnostic(
                file, &tool.name, tool_span, node, &issue,
            ));
        }
        if !from_vars.is_empty() {
            let source = |name: &str| self.var_sources.source(name);
            let d =
                args::rendered_diagnostic(file, &tool.name, tool_span, node, &from_vars, &source);
            self.n.diags.push(d);
        }
    }

    /// The args as far as the check knows them: literal values as written,
    /// templates that read only vars rendered (with `render`), and `null`
    /// where only the run can tell; `known` records the paths of both kinds
    /// of template. One that cannot be rendered is reported, as the run
    /// would.
    fn known_value(
        &mut self,
        file: &Arc<SourceFile>,
        c: &Compiled<'e, 's>,
        render: bool,
        loop_extra: &[&str],
        path: &mut Vec<PathSeg>,
        known: &mut KnownArgs,
    ) -> Json {
        match c {
            Compiled::Literal(node) => node.to_json(),
            Compiled::Seq(items) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    path.push(PathSeg::Index(i));
                    out.push(self.known_value(file, item, render, loop_extra, path, known));
                    path.pop();
                }
                Json::Array(out)
            }
            Compiled::Map(entries) => {
                let mut out = serde_json::Map::with_capacity(entries.len());
                for (k, v) in entries {
                    path.push(PathSeg::Key((*k).to_owned()));
                    out.insert(
                        (*k).to_owned(),
                        self.known_value(file, v, render, loop_extra, path, known),
                    );
                    path.pop();
                }
                Json::Object(out)
            }
            Compiled::Expr { .. } | Compiled::Text { .. } => {
                let ctx = if render {
                    self.vars_only(c, loop_extra)
                } else {
                    None
                };
                match ctx.map(|ctx| c.render(&ctx)) {
                    Some(Ok(v)) => {
                        known.rendered.push(path.clone());
                        return v;
                    }
                    Some(Err(e)) => self.n.diags.push(
                        Diagnostic::error(
                            "pplay::template",
                            format!("an argument cannot be rendered: {}", e.message),
                        )
                        .in_file(file)
                        .label(e.span, "here"),
                    ),
                    None => {}
                }
                known.unknown.push(path.clone());
                Json::Null
            }
        }
    }
}

/// The places of the templates in a step's args, as the check saw them.
#[derive(Default)]
struct KnownArgs {
    /// Rendered from the vars.
    rendered: Vec<Vec<PathSeg>>,
    /// Only the run can render them: left `null` in the checked value.
    unknown: Vec<Vec<PathSeg>>,
}

impl KnownArgs {
    /// Whether an issue may come from a value only the run knows: it is at
    /// or inside one, or about the list or object holding one (except an
    /// unknown key or a missing one, which its value does not change).
    /// An unknown key is never hidden by its own value: its name is known
    /// whatever the value renders to (`nmae: "{{ item }}"`).
    fn hides(&self, issue: &ArgIssue) -> bool {
        let own = |u: &Vec<PathSeg>| issue.key.is_some() && issue.path == *u;
        self.unknown.iter().any(|u| {
            (issue.path.starts_with(u) && !own(u))
                || (issue.key.is_none()
                    && !issue.missing
                    && !issue.path.is_empty()
                    && u.starts_with(&issue.path))
        })
    }
}
