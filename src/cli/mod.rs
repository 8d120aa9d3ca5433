//! The command line: argument definitions and dispatch; the binary only
//! calls [`main`].
//!
//! One file per command family ([`run`]: `run`, `check`; [`tools`]:
//! `tools`, `describe`, `call`; [`schema`]; [`sim`]; [`init`]), and one home
//! each for what they share: where a catalog comes from ([`catalog`]),
//! which URL to talk to ([`url`]), and how a failure is reported with its
//! exit code ([`failure`]).

mod catalog;
mod failure;
mod init;
mod journal;
mod mcp;
mod migrate;
mod notes;
mod output;
mod run;
mod schema;
mod sim;
mod tools;
mod url;

use output::errln;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::protocol::{Format, Notation, Profile};
use crate::report::ColorChoice;
use crate::sim::Imitated;

#[derive(Debug, Parser)]
#[command(
    name = "pplay",
    version,
    about = "Run YAML playbooks against Ableton Live through Producer Pal's REST API"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// Where the tool catalog comes from.
#[derive(Debug, Clone, Args)]
pub struct Source {
    /// Producer Pal base URL [default: http://localhost:3350; `run` and `check` take the playbook's `url` first]
    #[arg(long, env = "PPAL_URL", global = true)]
    pub url: Option<String>,
    /// Read the tool catalog from this file instead of `GET /api/tools`
    #[arg(long, value_name = "FILE", global = true)]
    pub tools: Option<PathBuf>,
    /// Fail a call whose reply is larger than this many bytes, unread
    #[arg(long, value_name = "BYTES", global = true, default_value_t = crate::protocol::DEFAULT_MAX_REPLY_BYTES)]
    pub max_reply_bytes: usize,
    #[command(flatten)]
    pub profile: ProfileArgs,
}

/// Producer Pal 2.x's request profile, sent as `x-producer-pal-*` headers
/// on the catalog read and every call; each flag overrides the playbook's
/// `producerPal:` setting of the same name.
#[derive(Debug, Clone, Default, Args)]
pub struct ProfileArgs {
    /// Ask for the Live API tool (`ppal-live-api`); `--live-api=false` to
    /// turn it off
    #[arg(long, value_name = "BOOL", num_args = 0..=1, require_equals = true, default_missing_value = "true", global = true)]
    pub live_api: Option<bool>,
    /// How notes are written
    #[arg(long, value_enum, global = true)]
    pub notation: Option<Notation>,
    /// Ask for the smaller catalog; `--small-model-mode=false` to turn it off
    #[arg(long, value_name = "BOOL", num_args = 0..=1, require_equals = true, default_missing_value = "true", global = true)]
    pub small_model_mode: Option<bool>,
    /// Tools to hide, comma-separated
    #[arg(long, value_name = "TOOLS", value_delimiter = ',', global = true)]
    pub disabled_tools: Option<Vec<String>>,
}

impl ProfileArgs {
    pub fn profile(&self) -> Profile {
        Profile {
            live_api: self.live_api,
            notation: self.notation,
            small_model_mode: self.small_model_mode,
            disabled_tools: self.disabled_tools.clone(),
        }
    }
}

/// How the commands that report print: `check`'s settings, which `run`
/// extends with [`Output`].
#[derive(Debug, Clone, Args)]
pub struct Shown {
    /// When to colour the output (NO_COLOR and CLICOLOR_FORCE are honoured)
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true)]
    pub color: ColorChoice,
    /// Print failures and the summary only
    #[arg(short, long, global = true)]
    pub quiet: bool,
}

/// `run`'s output settings: [`Shown`], and how much of each call to show
/// (which `check`, sending no call, has no use for).
#[derive(Debug, Clone, Args)]
pub struct Output {
    #[command(flatten)]
    pub shown: Shown,
    /// -v: show request bodies and results; -vv: HTTP detail too
    #[arg(short, long, action = clap::ArgAction::Count, global = true, conflicts_with = "quiet")]
    pub verbose: u8,
}

impl std::ops::Deref for Output {
    type Target = Shown;
    fn deref(&self) -> &Shown {
        &self.shown
    }
}

#[derive(Debug, Clone, Args)]
pub struct VarArgs {
    /// Set a variable (VALUE is YAML: 130 is a number, [A, B] a list)
    #[arg(long = "var", value_name = "NAME=VALUE")]
    pub vars: Vec<String>,
    /// Read variables from a YAML mapping (before --var)
    #[arg(long = "vars-file", value_name = "FILE")]
    pub vars_files: Vec<PathBuf>,
    /// Refuse loops (and `range`, `zip`, `product`) longer than this
    #[arg(long, default_value_t = crate::loops::DEFAULT_MAX_ITERATIONS)]
    pub max_iterations: usize,
    /// The work one template evaluation may do, in MiniJinja instructions
    #[arg(long, value_name = "N", default_value_t = crate::template::DEFAULT_FUEL)]
    pub template_fuel: u64,
    /// The most one template evaluation may produce, in bytes
    #[arg(long, value_name = "BYTES", default_value_t = crate::template::DEFAULT_MAX_BYTES)]
    pub template_max_bytes: usize,
    /// Also allow includes from this folder (repeatable)
    #[arg(long, value_name = "DIR")]
    pub include_root: Vec<PathBuf>,
}

impl VarArgs {
    /// The template limits these flags set.
    pub fn limits(&self) -> crate::template::Limits {
        crate::template::Limits {
            fuel: self.template_fuel,
            max_bytes: self.template_max_bytes,
            max_iterations: self.max_iterations,
        }
    }

    /// Where includes may come from, as these flags set it.
    pub fn load_options(&self) -> crate::playbook::LoadOptions {
        crate::playbook::LoadOptions {
            include_roots: self.include_root.clone(),
        }
    }
}

/// `pplay sim`.
#[derive(Debug, Args)]
pub struct SimArgs {
    /// The port to listen on
    #[arg(long, default_value_t = 3350)]
    pub port: u16,
    /// The address to listen on (the API has no authentication: keep it local)
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// Which Producer Pal to imitate (2.4: the release candidate, on 2.3's catalog)
    #[arg(long = "producer-pal", value_enum, default_value = "2.3")]
    pub producer_pal: Imitated,
    /// Serve this catalog instead of the generation's pinned one
    #[arg(long, value_name = "FILE")]
    pub tools: Option<PathBuf>,
    /// The format when a call has no ?format [default: compact on 1.4, json on 2.3]
    #[arg(long, value_enum)]
    pub default_format: Option<Format>,
    /// Delay every tool call by this many milliseconds
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,
    /// Make this tool answer isError (repeatable)
    #[arg(long = "fail-tool", value_name = "NAME")]
    pub fail_tools: Vec<String>,
    /// Disable this tool: 404 and gone from the list (repeatable)
    #[arg(long = "disable-tool", value_name = "NAME")]
    pub disable_tools: Vec<String>,
    /// Behave like Producer Pal 1.4.6: ignore ?format and ?timeoutMs, answer strings
    #[arg(long)]
    pub legacy: bool,
    /// Misbehave on purpose, for every tool or one (repeatable): reset, close,
    /// not-json, wrong-shape, hang, drip, oversized, redirect
    #[arg(long = "fault", value_name = "KIND[:TOOL]")]
    pub faults: Vec<crate::sim::faults::Fault>,
}

/// `--sim`: a rehearsal against the built-in simulator (`run`, `mcp`).
#[derive(Debug, Clone, Args)]
pub struct Rehearsal {
    /// Run against the built-in simulator (started in-process)
    #[arg(long)]
    pub sim: bool,
    /// Which Producer Pal the simulator imitates (with --sim)
    #[arg(
        long = "producer-pal",
        value_enum,
        default_value = "2.3",
        requires = "sim"
    )]
    pub producer_pal: Imitated,
}

/// `pplay run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The playbook to run
    pub file: PathBuf,
    #[command(flatten)]
    pub source: Source,
    #[command(flatten)]
    pub vars: VarArgs,
    #[command(flatten)]
    pub rehearsal: Rehearsal,
    /// Check, expand loops and print the calls without sending any
    #[arg(long)]
    pub dry_run: bool,
    /// With --dry-run: draw each planned clip's notes as a piano roll
    #[arg(long, requires = "dry_run")]
    pub piano_roll: bool,
    /// Write JSON Lines events to stdout (human output moves to stderr)
    #[arg(long)]
    pub json: bool,
    /// Write a JUnit XML report to FILE
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    #[command(flatten)]
    pub journal: journal::JournalArgs,
    #[command(flatten)]
    pub output: Output,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check a playbook, then run it
    Run(RunArgs),
    /// Show what a run would change, sending only read-only calls (exit 0:
    /// nothing would change, 1: something would, 2: a bad playbook)
    Plan(RunArgs),
    /// Check playbooks against the tool catalog without sending any call
    Check {
        /// The playbooks to check
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[command(flatten)]
        source: Source,
        #[command(flatten)]
        vars: VarArgs,
        /// Write the problems as JSON Lines to stdout
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        output: Shown,
    },
    /// Serve the Producer Pal simulator
    Sim(SimArgs),
    /// List the tools the device offers
    Tools {
        #[command(flatten)]
        source: Source,
        /// Print the list as JSON
        #[arg(long)]
        json: bool,
    },
    /// Show one tool's parameters
    Describe {
        /// The tool's name, as `pplay tools` lists it (e.g. ppal-create-clip)
        tool: String,
        #[command(flatten)]
        source: Source,
    },
    /// Call one tool, after checking the args against its schema
    Call {
        /// The tool's name, as `pplay tools` lists it
        tool: String,
        /// The args as a JSON object, or `-` to read them from stdin
        #[arg(default_value = "{}")]
        args: String,
        #[command(flatten)]
        source: Source,
        /// How long Producer Pal may take, in milliseconds (its own limit
        /// applies: up to 60000 on 1.4, 55000 on 2.x)
        #[arg(long, value_name = "N")]
        timeout_ms: Option<u64>,
        /// How the result is written: json (parsed, warnings apart) or
        /// compact (Producer Pal's terse text)
        #[arg(long, value_enum, default_value_t = Format::Json)]
        format: Format,
    },
    /// Pull, compare and publish tool schemas
    Schema {
        #[command(subcommand)]
        command: SchemaCommand,
    },
    /// Write a starter playbook
    Init {
        #[arg(default_value = "playbook.yaml")]
        file: PathBuf,
        /// Overwrite an existing file
        #[arg(long)]
        force: bool,
    },
    /// Serve the playbooks of folders as tools to AI assistants (MCP over stdio)
    Mcp(mcp::McpArgs),
    /// Rewrite Producer Pal 1.4 playbooks for 2.x, comments and all
    Migrate(migrate::MigrateArgs),
    /// Show a notes string as Producer Pal reads it: a piano roll and the notes
    Notes(notes::NotesArgs),
    /// Print a shell completion script
    Completions { shell: clap_complete::Shell },
}

#[derive(Debug, Subcommand)]
pub enum SchemaCommand {
    /// Save the live catalog (GET /api/tools) as pretty JSON
    Pull {
        #[command(flatten)]
        source: Source,
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Compare two catalogs, and show which playbook steps the changes touch
    Diff {
        old: PathBuf,
        new: PathBuf,
        #[arg(long = "playbook", value_name = "FILE")]
        playbooks: Vec<PathBuf>,
        #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
        color: ColorChoice,
    },
    /// Write the JSON Schema for playbooks that editors use
    Playbook {
        #[command(flatten)]
        source: Source,
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
}

/// Parses the command line, runs the command and returns the exit code.
pub fn main() -> i32 {
    let cli = Cli::parse();
    // A run sends one call at a time, so one thread answers each reply with
    // no hand-over between threads; the standalone simulator serves many
    // clients at once.
    let mut builder = if matches!(cli.command, Command::Sim(_)) {
        tokio::runtime::Builder::new_multi_thread()
    } else {
        tokio::runtime::Builder::new_current_thread()
    };
    let rt = match builder.enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            errln!("error: cannot start the async runtime: {e}");
            return crate::exit::INVALID;
        }
    };
    rt.block_on(dispatch(cli))
}

/// Runs the command; a failure is reported here, with its exit code.
async fn dispatch(cli: Cli) -> i32 {
    let result = match cli.command {
        Command::Run(args) => run::run(args).await,
        Command::Plan(args) => run::plan(args).await,
        Command::Check {
            files,
            source,
            vars,
            json,
            output,
        } => run::check(files, source, vars, json, output).await,
        Command::Sim(args) => sim::sim(args).await,
        Command::Tools { source, json } => tools::tools(source, json).await,
        Command::Describe { tool, source } => tools::describe(tool, source).await,
        Command::Call {
            tool,
            args,
            source,
            timeout_ms,
            format,
        } => tools::call(tool, args, source, timeout_ms, format).await,
        Command::Schema { command } => match command {
            SchemaCommand::Pull { source, output } => schema::pull(source, output).await,
            SchemaCommand::Diff {
                old,
                new,
                playbooks,
                color,
            } => schema::diff(old, new, playbooks, color),
            SchemaCommand::Playbook { source, output } => {
                schema::playbook_schema(source, output).await
            }
        },
        Command::Init { file, force } => init::init(file, force),
        Command::Migrate(args) => migrate::migrate(args),
        Command::Notes(args) => Ok(notes::notes(args)),
        Command::Mcp(args) => mcp::mcp(args).await,
        Command::Completions { shell } => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut cmd, "pplay", &mut script);
            output::out_raw(String::from_utf8_lossy(&script));
            Ok(crate::exit::OK)
        }
    };
    result.unwrap_or_else(failure::Failure::report)
}
