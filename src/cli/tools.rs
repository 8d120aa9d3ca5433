//! `pplay tools`, `pplay describe` and `pplay call`: the tools the device
//! offers, one tool's parameters, and one call by hand.

use super::output::{errln, outln};
use serde_json::Value as Json;

use super::failure::Failure;
use super::{Source, catalog, url};
use crate::arg_path::describe_path;
use crate::catalog::{Catalog, Tool, type_summary};
use crate::client::Reply;
use crate::diagnostic::did_you_mean;
use crate::exit;
use crate::protocol::Format;

/// How `tools` and `describe` name a tool's annotations.
fn kind(t: &Tool) -> &'static str {
    if t.read_only {
        "read-only"
    } else if t.destructive {
        "destructive"
    } else {
        "changes state"
    }
}

/// The tool by name, or an error with a "did you mean".
fn find_tool<'a>(cat: &'a Catalog, tool: &str, note: &str) -> Result<&'a Tool, Failure> {
    cat.get(tool).ok_or_else(|| {
        let mut m = format!("unknown tool `{tool}`{note}");
        if let Some(s) = did_you_mean(tool, cat.names()) {
            m.push_str(&format!("\n  help: did you mean `{s}`?"));
        }
        Failure::Invalid(m)
    })
}

async fn catalog_of(source: &Source) -> Result<Catalog, Failure> {
    catalog::load(source.tools.as_deref(), &url::client_of_source(source)?).await
}

pub async fn tools(source: Source, json: bool) -> Result<i32, Failure> {
    let cat = catalog_of(&source).await?;
    if json {
        let list: Vec<Json> = cat
            .tools()
            .iter()
            .map(|t| serde_json::json!({"name": t.name, "title": t.title, "readOnly": t.read_only, "destructive": t.destructive}))
            .collect();
        outln!("{}", serde_json::to_string_pretty(&list).expect("JSON"));
        return Ok(exit::OK);
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
    outln!("{:w$}  {:tw$}  KIND", "TOOL", "TITLE");
    for t in cat.tools() {
        outln!("{:w$}  {:tw$}  {}", t.name, t.title, kind(t));
    }
    Ok(exit::OK)
}

pub async fn describe(tool: String, source: Source) -> Result<i32, Failure> {
    let cat = catalog_of(&source).await?;
    let t = find_tool(&cat, &tool, "")?;
    outln!("{} — {}", t.name, t.title);
    if !t.description.is_empty() {
        outln!("{}", t.description);
    }
    outln!("{}\n", kind(t));
    let params: Vec<(&str, &Json)> = t.params().collect();
    if params.is_empty() {
        outln!("no parameters");
        return Ok(exit::OK);
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
    outln!(
        "{:w0$}  {:w1$}  {:w2$}  DESCRIPTION",
        "PARAMETER",
        "TYPE",
        "REQUIRED"
    );
    for r in rows {
        outln!("{:w0$}  {:w1$}  {:w2$}  {}", r[0], r[1], r[2], r[3]);
    }
    Ok(exit::OK)
}

/// `pplay call`: one tool, args checked against its schema first.
/// The args of `call TOOL -`, read from stdin (no more than a playbook
/// file may hold).
fn read_stdin() -> Result<String, Failure> {
    use std::io::Read;
    let cap = crate::playbook::MAX_FILE_BYTES;
    let mut text = String::new();
    std::io::stdin()
        .take(cap + 1)
        .read_to_string(&mut text)
        .map_err(|e| Failure::Invalid(format!("cannot read the args from stdin: {e}")))?;
    if text.len() as u64 > cap {
        return Err(Failure::Invalid(format!(
            "the args on stdin are larger than {} MiB",
            cap >> 20
        )));
    }
    Ok(text)
}

pub async fn call(
    tool: String,
    args: String,
    source: Source,
    timeout_ms: Option<u64>,
    format: Format,
) -> Result<i32, Failure> {
    let args = if args == "-" { read_stdin()? } else { args };
    let args: Json = match serde_json::from_str(&args) {
        Ok(v @ Json::Object(_)) => v,
        Ok(_) => {
            return Err(Failure::Invalid(
                "the args must be a JSON object, such as '{\"trackIndex\": 0}'".into(),
            ));
        }
        Err(e) => {
            return Err(Failure::Invalid(format!(
                "the args are not valid JSON: {e}"
            )));
        }
    };
    let range = crate::protocol::timeout_range();
    if let Some(t) = timeout_ms
        && !range.contains(t)
    {
        return Err(Failure::Invalid(format!(
            "--timeout-ms must be from {} to {}, not {t}",
            range.min, range.max
        )));
    }
    let client = url::client_of_source(&source)?;
    let cat = catalog::load(source.tools.as_deref(), &client).await?;
    let range = cat.generation().timeout_range();
    if let Some(t) = timeout_ms
        && !range.contains(t)
    {
        return Err(Failure::Invalid(format!(
            "--timeout-ms must be from {} to {} on {}, not {t}; nothing was sent",
            range.min,
            range.max,
            cat.generation().label()
        )));
    }
    let t = find_tool(&cat, &tool, "; nothing was sent")?;
    let issues = t.check_args(&args, &[]);
    if !issues.is_empty() {
        for i in &issues {
            errln!("error: {}", i.message);
            if let Some(h) = &i.help {
                errln!("  help: {h}");
            }
        }
        errln!(
            "{} problem{} in the args; nothing was sent",
            issues.len(),
            if issues.len() == 1 { "" } else { "s" }
        );
        return Ok(exit::INVALID);
    }
    let reply = client
        .call_with_format(&tool, &args, timeout_ms, format)
        .await?;
    Ok(print_reply(reply, format))
}

/// Prints a reply: the result on stdout, warnings and errors on stderr.
fn print_reply(reply: Reply, format: Format) -> i32 {
    match reply {
        Reply::Http {
            status,
            error,
            details,
            ..
        } => {
            errln!("error: HTTP {status}: {error}");
            for r in crate::protocol::rejections(details.as_ref()) {
                errln!("  {}: {}", describe_path(&r.path), r.message);
            }
            exit::STEP_FAILED
        }
        Reply::Tool {
            result,
            warnings,
            is_error,
            appended,
        } => {
            for w in &warnings {
                errln!("warning: {w}");
            }
            if is_error {
                errln!(
                    "error: {}",
                    result
                        .as_str()
                        .map_or_else(|| result.to_string(), str::to_owned)
                );
                return exit::STEP_FAILED;
            }
            match (&*result, format) {
                (Json::String(s), Format::Compact) => outln!("{s}"),
                _ => outln!("{}", serde_json::to_string_pretty(&result).expect("JSON")),
            }
            for block in &appended {
                eprintln!("{block}");
            }
            exit::OK
        }
    }
}
