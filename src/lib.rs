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
//! 2. **check** ([`check`], with [`catalog`] and [`template`]): every template
//!    is compiled once, every step is checked against the tool catalog the
//!    server publishes (unknown tools and args, literal args that break the
//!    schema, missing required args, undefined names, bad loops), and every
//!    problem is reported together. A playbook with any problem sends
//!    nothing.
//! 3. **run** ([`runner`], with [`client`]): per call, render the compiled
//!    templates, validate the rendered args with the precompiled schema,
//!    `POST` them over one keep-alive connection, capture and expect. The
//!    runner never prints: it emits [`event::Event`]s.
//! 4. **report** ([`report`]): reporters consume events: the terminal
//!    (step lines, miette reports, progress bar, summary), JSON Lines, JUnit.
//!
//! Problems everywhere are [`diagnostic::Diagnostic`]s: a message, a code,
//! labelled spans in a source file and a help line, rendered by miette.
//!
//! # Beside the pipeline
//!
//! - [`sim`]: a simulator of Producer Pal's REST contract with a small
//!   stateful Live Set, for rehearsals (`pplay run --sim`), tests and
//!   benchmarks.
//! - [`diff`] and [`editor_schema`]: comparing catalogs across Producer Pal
//!   releases, and the JSON Schema editors use for playbooks.
//! - [`hidden_params`]: the arguments a release still takes without listing
//!   them (2.3's deprecated names and aliases), shipped as data.
//! - [`cli`]: the command line; the binary only calls [`cli::main`].
//!
//! # Why these choices
//!
//! Producer Pal's server is lenient (it coerces, fills defaults, drops
//! unknown keys), so a mistake can reach Live as the text `"undefined"`.
//! pplay follows the published schema strictly instead, except where the
//! schema itself overstates what is required (see [`catalog`]), and it says
//! what is wrong before anything is sent.

pub mod catalog;
pub mod check;
pub mod cli;
pub mod client;
pub mod diagnostic;
pub mod diff;
pub mod editor_schema;
pub mod event;
pub mod hidden_params;
pub mod playbook;
pub mod report;
pub mod runner;
pub mod sim;
pub mod template;
pub mod yaml;
