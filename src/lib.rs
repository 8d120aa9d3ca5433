//! pplay runs YAML playbooks against Ableton Live through Producer Pal's
//! REST API.
//!
//! # The pipeline
//!
//! Data flows one way, and each stage has its own module:
//!
//! 1. **load** ([`yaml`], [`playbook`]): the YAML text becomes a model in
//!    which every key and value keeps its byte span, so any later problem
//!    can be drawn at its exact node. Shape problems (unknown keys, duplicate
//!    keys, bad step settings, include cycles) are all collected at once.
//! 2. **check** ([`check`], with [`catalog`], [`template`], [`loops`] and
//!    [`args`]): one road for `pplay check`, `pplay run`, `--dry-run` and
//!    the tests. [`check::Loaded`] takes the loaded playbook with its load
//!    problems and evaluates the top-level vars once (with the overrides of
//!    [`vars`]); the playbook's `url` renders from that same evaluation, so
//!    the catalog can be fetched; then [`check::check`] compiles every
//!    template once, checks every step against the catalog and reports every
//!    problem together. A playbook with any problem sends nothing. It also
//!    records, in [`readers`], the last step that reads each value, so that a
//!    run keeps a result only while something can read it.
//! 3. **run** ([`runner`], with [`client`]): per call, in the files of
//!    `runner/` named for them: [`runner`]'s `render`, then `plan` on a dry
//!    run, else `validate` → `call` (send, retry, the reply read into an
//!    outcome) → `verify` (the tool's verdict, captures, expectations). The
//!    runner never prints: it emits [`event::Event`]s.
//! 4. **report** ([`report`]): reporters consume events: the terminal
//!    (step lines, miette reports, progress bar, summary), JSON Lines (whose
//!    shape lives in [`report::json`] alone), JUnit.
//!
//! Problems everywhere are [`diagnostic::Diagnostic`]s: a message, a code,
//! labelled spans in a [`source::SourceFile`] and a help line, rendered by
//! miette from a window of lines found in the file's table of line starts.
//!
//! # One home per fact
//!
//! - [`protocol`]: Producer Pal's wire contract: formats, the `timeoutMs`
//!   range, the default URL, the grace, a 400's `details` as argument paths.
//!   Client, runner, checker, CLI and simulator read them there.
//! - [`arg_path`]: a path into a call's arguments (`clips[2].notes`), as
//!   the catalog's checks and a 400's `details` both name it.
//! - [`exit`]: the exit codes, and the mapping from a failed request to one.
//! - [`loops`]: what a loop iterates over and its limit, for checker and
//!   runner alike; [`args`]: argument problems drawn at their node.
//! - [`memory`] and [`sizing`]: a template's memory budget, kept by the
//!   allocator, and the rewrite that sizes what operators and filters build
//!   before they build it, since MiniJinja has no hook there;
//!   [`placeholder`]: the stand-in a dry run renders for a value only a
//!   call can give.
//!
//! - [`notation`]: Producer Pal's bar|beat notes strings per generation,
//!   read, interpreted into notes and written back; check, the simulator
//!   and migrate all read notes there.
//! - [`converge`]: what `ensure:` compares for each tool, as data; the
//!   runner's reads and their cache are `runner/ensure.rs`.
//! - [`journal`]: what a resumed run needs of an earlier one, a line per
//!   call sent and per outcome.
//!
//! # Beside the pipeline
//!
//! - [`sim`]: a simulator of Producer Pal's REST contract with a small
//!   stateful Live Set, for rehearsals (`pplay run --sim`), tests and
//!   benchmarks.
//! - [`diff`] and [`editor_schema`]: comparing catalogs across Producer Pal
//!   releases, and the JSON Schema editors use for playbooks.
//! - [`candidate`]: what the Producer Pal 2.4 release candidate changes
//!   for a playbook (values no longer echoed, new deprecations), as data.
//! - [`mcp`]: `pplay mcp`, the playbooks of folders as tools for AI
//!   assistants over the Model Context Protocol; each call takes the road
//!   above (check, then run).
//! - [`hidden_params`]: the arguments a release still takes without listing
//!   them (2.3's deprecated names and aliases), shipped as data.
//! - [`cli`]: the command line, one file per command family; the binary
//!   only calls [`cli::main`].
//!
//! # Why these choices
//!
//! Producer Pal's server is lenient (it coerces, fills defaults, drops
//! unknown keys), so a mistake can reach Live as the text `"undefined"`.
//! pplay follows the published schema strictly instead, except where the
//! schema itself overstates what is required (see [`catalog`]), and it says
//! what is wrong before anything is sent.

pub mod arg_path;
pub mod args;
pub mod candidate;
pub mod catalog;
pub mod check;
pub mod cli;
pub mod client;
pub mod converge;
pub mod diagnostic;
pub mod diff;
pub mod editor_schema;
pub mod event;
pub mod exit;
pub mod hidden_params;
pub mod journal;
pub mod loops;
pub mod mcp;
pub mod memory;
pub mod migrate;
pub mod music;
pub mod notation;
pub mod notes_arg;
pub mod path;
pub mod placeholder;
pub mod playbook;
pub mod protocol;
pub mod readers;
pub mod report;
pub mod runner;
pub mod sim;
pub mod sizing;
pub mod source;
pub mod template;
pub mod vars;
pub mod yaml;
