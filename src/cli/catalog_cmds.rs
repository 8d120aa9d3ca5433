//! Commands around the tool catalog: tools, describe, call, schema, sim, init.

use std::path::PathBuf;

use super::Source;
use crate::client::{Client, Format};
use crate::runner::exit;

pub async fn sim(
    _port: u16,
    _host: String,
    _tools: Option<PathBuf>,
    _default_format: Format,
    _latency_ms: u64,
    _fail_tools: Vec<String>,
    _disable_tools: Vec<String>,
    _legacy: bool,
) -> i32 {
    eprintln!("not yet");
    exit::INVALID
}

pub async fn tools(_source: Source, _json: bool) -> i32 {
    exit::INVALID
}
pub async fn describe(_tool: String, _source: Source) -> i32 {
    exit::INVALID
}
pub async fn call(_tool: String, _args: String, _source: Source, _t: Option<u64>, _f: Format) -> i32 {
    let _ = Client::new("");
    exit::INVALID
}
pub async fn pull(_source: Source, _output: Option<PathBuf>) -> i32 {
    exit::INVALID
}
pub fn diff(_old: PathBuf, _new: PathBuf, _p: Vec<PathBuf>, _c: crate::report::ColorChoice) -> i32 {
    exit::INVALID
}
pub async fn playbook_schema(_source: Source, _output: Option<PathBuf>) -> i32 {
    exit::INVALID
}
pub fn init(_file: PathBuf, _force: bool) -> i32 {
    exit::INVALID
}
