//! Commands around the tool catalog: sim, tools, describe, call, schema,
//! init.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde_json::Value as Json;

use super::run::{load_catalog, print_diagnostics};
use super::{SimArgs, Source};
use crate::catalog::{Catalog, describe_path, type_summary};
use crate::client::{Client, Format, Reply};
use crate::diagnostic::did_you_mean;
use crate::report::ColorChoice;
use crate::runner::exit;
use crate::sim::{self, SimOptions};

pub async fn sim(args: SimArgs) -> i32 {
    let SimArgs {
        port,
        host,
        tools,
        default_format,
        latency_ms,
        fail_tools,
        disable_tools,
        legacy,
    } = args;
    let mut opts = SimOptions {
        default_format,
        latency_ms,
        fail_tools,
        disable_tools,
        legacy,
        ..SimOptions::default()
    };
    if let Some(t) = &tools {
        match std::fs::read_to_string(t).map(|s| serde_json::from_str::<Json>(&s)) {
            Ok(Ok(v)) => opts.catalog = v,
            Ok(Err(e)) => {
                eprintln!("error: tool catalog {} is not JSON: {e}", t.display());
                return exit::INVALID;
            }
            Err(e) => {
                eprintln!("error: cannot read tool catalog {}: {e}", t.display());
                return exit::INVALID;
            }
        }
    }
    let addr: SocketAddr = match format!("{host}:{port}").parse() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("error: `{host}:{port}` is not an address: {e}");
            return exit::INVALID;
        }
    };
    let handle = match sim::start_on(addr, opts).await {
        Ok(h) => h,
        Err(e) => {
            eprintln!("error: cannot serve on {addr}: {e}");
            return exit::INVALID;
        }
    };
    println!(
        "Producer Pal simulator listening on {} (Ctrl-C stops it)",
        handle.url()
    );
    let _ = tokio::signal::ctrl_c().await;
    println!("{}", handle.summary());
    handle.stop().await;
    0
}

/// How `tools` and `describe` name a tool's annotations.
fn kind(t: &crate::catalog::Tool) -> &'static str {
    if t.read_only {
        "read-only"
    } else if t.destructive {
        "destructive"
    } else {
        "changes state"
    }
}

/// The tool by name, or an error with a "did you mean" (exit 2).
fn find_tool<'a>(
    cat: &'a Catalog,
    tool: &str,
    note: &str,
) -> Result<&'a crate::catalog::Tool, i32> {
    cat.get(tool).ok_or_else(|| {
        eprintln!("error: unknown tool `{tool}`{note}");
        if let Some(s) = did_you_mean(tool, cat.names()) {
            eprintln!("  help: did you mean `{s}`?");
        }
        exit::INVALID
    })
}

async fn catalog(source: &Source) -> Result<Catalog, i32> {
    let url = source.url_or_default();
    load_catalog(source.tools.as_deref(), &Client::new(&url)).await
}

pub async fn tools(source: Source, json: bool) -> i32 {
    let cat = match catalog(&source).await {
        Ok(c) => c,
        Err(code) => return code,
    };
    if json {
        let list: Vec<Json> = cat
            .tools()
            .iter()
            .map(|t| serde_json::json!({"name": t.name, "title": t.title, "readOnly": t.read_only, "destructive": t.destructive}))
            .collect();
        println!("{}", serde_json::to_string_pretty(&list).expect("JSON"));
        return 0;
    }
    let w = cat
        .tools()
        .iter()
        .map(|t| t.name.len())
        .max()
        .unwrap_or(4)
        .max(4);
    let tw = cat
        .tools()
        .iter()
        .map(|t| t.title.len())
        .max()
        .unwrap_or(5)
        .max(5);
    println!("{:w$}  {:tw$}  KIND", "TOOL", "TITLE");
    for t in cat.tools() {
        println!("{:w$}  {:tw$}  {}", t.name, t.title, kind(t));
    }
    0
}

pub async fn describe(tool: String, source: Source) -> i32 {
    let cat = match catalog(&source).await {
        Ok(c) => c,
        Err(code) => return code,
    };
    let t = match find_tool(&cat, &tool, "") {
        Ok(t) => t,
        Err(code) => return code,
    };
    println!("{} — {}", t.name, t.title);
    if !t.description.is_empty() {
        println!("{}", t.description);
    }
    println!("{}\n", kind(t));
    let params: Vec<(&str, &Json)> = t.params().collect();
    if params.is_empty() {
        println!("no parameters");
        return 0;
    }
    let rows: Vec<[String; 4]> = params
        .iter()
        .map(|(name, p)| {
            let need = if t.is_required(name) {
                "required".to_owned()
            } else if let Some(d) = p.get("default") {
                format!("default {d}")
            } else {
                "optional".to_owned()
            };
            let desc = p
                .get("description")
                .and_then(Json::as_str)
                .unwrap_or_default()
                .to_owned();
            [(*name).to_owned(), type_summary(p), need, desc]
        })
        .collect();
    let w0 = rows.iter().map(|r| r[0].len()).max().unwrap_or(0).max(9);
    let w1 = rows
        .iter()
        .map(|r| r[1].chars().count())
        .max()
        .unwrap_or(0)
        .clamp(4, 48);
    let w2 = rows.iter().map(|r| r[2].len()).max().unwrap_or(0).max(8);
    println!(
        "{:w0$}  {:w1$}  {:w2$}  DESCRIPTION",
        "PARAMETER", "TYPE", "REQUIRED"
    );
    for r in rows {
        println!("{:w0$}  {:w1$}  {:w2$}  {}", r[0], r[1], r[2], r[3]);
    }
    0
}

pub async fn call(
    tool: String,
    args: String,
    source: Source,
    timeout_ms: Option<u64>,
    format: Format,
) -> i32 {
    let args: Json = match serde_json::from_str(&args) {
        Ok(v @ Json::Object(_)) => v,
        Ok(_) => {
            eprintln!("error: the args must be a JSON object, such as '{{\"trackIndex\": 0}}'");
            return exit::INVALID;
        }
        Err(e) => {
            eprintln!("error: the args are not valid JSON: {e}");
            return exit::INVALID;
        }
    };
    if let Some(t) = timeout_ms
        && !(1..=60_000).contains(&t)
    {
        eprintln!("error: --timeout-ms must be from 1 to 60000, not {t}");
        return exit::INVALID;
    }
    let url = source.url_or_default();
    let client = Client::new(&url);
    let cat = match load_catalog(source.tools.as_deref(), &client).await {
        Ok(c) => c,
        Err(code) => return code,
    };
    let t = match find_tool(&cat, &tool, "; nothing was sent") {
        Ok(t) => t,
        Err(code) => return code,
    };
    let issues = t.check_args(&args, &[]);
    if !issues.is_empty() {
        for i in &issues {
            eprintln!("error: {}", i.message);
            if let Some(h) = &i.help {
                eprintln!("  help: {h}");
            }
        }
        eprintln!(
            "{} problem{} in the args; nothing was sent",
            issues.len(),
            if issues.len() == 1 { "" } else { "s" }
        );
        return exit::INVALID;
    }
    match client
        .call_with_format(&tool, &args, timeout_ms, format)
        .await
    {
        Err(e) => {
            eprintln!("error: {e}");
            if e.is_unreachable() {
                exit::UNREACHABLE
            } else {
                exit::STEP_FAILED
            }
        }
        Ok(Reply::Http {
            status,
            error,
            details,
        }) => {
            eprintln!("error: HTTP {status}: {error}");
            for d in details
                .iter()
                .flat_map(|d| d.as_array().cloned().unwrap_or_default())
            {
                let path: Vec<crate::catalog::PathSeg> = d
                    .get("path")
                    .and_then(Json::as_array)
                    .into_iter()
                    .flatten()
                    .map(|p| match p {
                        Json::Number(n) => {
                            crate::catalog::PathSeg::Index(n.as_u64().unwrap_or(0) as usize)
                        }
                        other => crate::catalog::PathSeg::Key(
                            other.as_str().unwrap_or_default().to_owned(),
                        ),
                    })
                    .collect();
                eprintln!(
                    "  {}: {}",
                    describe_path(&path),
                    d.get("message").and_then(Json::as_str).unwrap_or_default()
                );
            }
            exit::STEP_FAILED
        }
        Ok(Reply::Tool {
            result,
            warnings,
            is_error,
        }) => {
            for w in &warnings {
                eprintln!("warning: {w}");
            }
            if is_error {
                eprintln!(
                    "error: {}",
                    result
                        .as_str()
                        .map_or_else(|| result.to_string(), str::to_owned)
                );
                return exit::STEP_FAILED;
            }
            match (&*result, format) {
                (Json::String(s), Format::Compact) => println!("{s}"),
                _ => println!("{}", serde_json::to_string_pretty(&result).expect("JSON")),
            }
            0
        }
    }
}

fn write_out(output: Option<&Path>, text: &str) -> i32 {
    match output {
        Some(p) => match std::fs::write(p, text) {
            Ok(()) => {
                eprintln!("wrote {}", p.display());
                0
            }
            Err(e) => {
                eprintln!("error: cannot write {}: {e}", p.display());
                exit::INVALID
            }
        },
        None => {
            print!("{text}");
            0
        }
    }
}

pub async fn pull(source: Source, output: Option<PathBuf>) -> i32 {
    if source.tools.is_some() {
        eprintln!("error: `schema pull` reads the live catalog from --url; --tools does not apply");
        return exit::INVALID;
    }
    let url = source.url_or_default();
    let raw = match Client::new(&url).list_tools().await {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return if e.is_unreachable() {
                exit::UNREACHABLE
            } else {
                exit::STEP_FAILED
            };
        }
    };
    if let Err(e) = Catalog::from_value(raw.clone()) {
        eprintln!("error: the tool list from {url}: {e}");
        return exit::STEP_FAILED;
    }
    let mut text = serde_json::to_string_pretty(&raw).expect("JSON");
    text.push('\n');
    write_out(output.as_deref(), &text)
}

fn read_catalog(path: &Path) -> Result<Catalog, i32> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        eprintln!("error: cannot read {}: {e}", path.display());
        exit::INVALID
    })?;
    Catalog::from_json(&text).map_err(|e| {
        eprintln!("error: {}: {e}", path.display());
        exit::INVALID
    })
}

pub fn diff(old: PathBuf, new: PathBuf, playbooks: Vec<PathBuf>, color: ColorChoice) -> i32 {
    let (old_c, new_c) = match (read_catalog(&old), read_catalog(&new)) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(c), _) | (_, Err(c)) => return c,
    };
    let changes = crate::diff::diff(&old_c, &new_c);
    if changes.is_empty() {
        println!(
            "no differences between {} and {}",
            old.display(),
            new.display()
        );
    } else {
        for c in &changes {
            println!("{c}");
        }
    }
    let mut affected_any = false;
    for p in &playbooks {
        let pb = match crate::playbook::load(p) {
            Ok(pb) => pb,
            Err(d) => {
                print_diagnostics(&d, color);
                return exit::INVALID;
            }
        };
        let hits = crate::diff::affected(&pb, &changes);
        if hits.is_empty() {
            println!("✓ {}: not affected", p.display());
        } else {
            affected_any = true;
            println!(
                "✗ {}: {} step{} affected",
                p.display(),
                hits.len(),
                if hits.len() == 1 { "" } else { "s" }
            );
            print_diagnostics(&hits, color);
        }
    }
    if affected_any { exit::STEP_FAILED } else { 0 }
}

pub async fn playbook_schema(source: Source, output: Option<PathBuf>) -> i32 {
    let cat = if source.tools.is_none() && source.url.is_none() {
        Catalog::pinned()
    } else {
        match catalog(&source).await {
            Ok(c) => c,
            Err(code) => return code,
        }
    };
    write_out(output.as_deref(), &crate::editor_schema::generate(&cat))
}

/// The playbook `pplay init` writes; it passes `pplay check` against the
/// pinned catalog.
pub const STARTER: &str = r#"# yaml-language-server: $schema=playbook.schema.json
name: My first playbook
description: Sets the tempo, adds a drum track with a one-bar beat, and reads the set back.
vars:
  tempo: 120
defaults:
  timeoutMs: 10000

steps:
  - name: Set the tempo to {{ tempo }}
    tool: ppal-update-live-set
    args:
      tempo: "{{ tempo }}"

  - id: drums
    tool: ppal-create-track
    args: { name: Drums, type: midi }
    capture:
      drums: result.trackIndex

  - name: A one-bar beat
    tool: ppal-create-clip
    args:
      slot: "{{ drums }}/0"
      notes: C1 1|1 1|3 D1 1|2 1|4
      length: "1:0"
    expect: result.noteCount == 4

  - tool: ppal-read-live-set
    args: { include: [tracks] }
    expect: result.trackCount >= 1
"#;

pub fn init(file: PathBuf, force: bool) -> i32 {
    if file.exists() && !force {
        eprintln!(
            "error: {} exists; pass --force to overwrite it",
            file.display()
        );
        return exit::INVALID;
    }
    // The editor schema the starter names, beside it, unless one is there.
    let schema = file
        .parent()
        .unwrap_or(Path::new(""))
        .join("playbook.schema.json");
    if !schema.exists() {
        if let Err(e) = std::fs::write(&schema, crate::editor_schema::generate(&Catalog::pinned()))
        {
            eprintln!("error: cannot write {}: {e}", schema.display());
            return exit::INVALID;
        }
        println!(
            "wrote {} (the editor schema for the pinned catalog)",
            schema.display()
        );
    }
    match std::fs::write(&file, STARTER) {
        Ok(()) => {
            println!(
                "wrote {}; try `pplay run {} --sim`",
                file.display(),
                file.display()
            );
            0
        }
        Err(e) => {
            eprintln!("error: cannot write {}: {e}", file.display());
            exit::INVALID
        }
    }
}
