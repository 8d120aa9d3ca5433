//! Reading a journal back for a resume.
//!
//! A kill can land in the middle of a write, so a last line without its
//! newline is dropped: it was never complete, and since a `sent` line is
//! synced before its request leaves, dropping it never hides a call that was
//! sent. Anything else that does not read as a journal is an error pointing
//! at its line.

use foldhash::{HashMap, HashMapExt};
use std::path::Path;
use std::sync::Arc;

use serde_json::Value as Json;

use super::format::{CallKey, FORMAT, Identity, Line, Outcome, Sent, VERSION};
use crate::diagnostic::Diagnostic;
use crate::source::SourceFile;
use crate::yaml::Span;

/// A journal as read: the identity and, per call, what was recorded last.
#[derive(Debug)]
pub struct Journal {
    pub file: Arc<SourceFile>,
    pub identity: Identity,
    calls: HashMap<CallKey, Record>,
    /// Calls in the order their first line appeared.
    order: Vec<CallKey>,
    /// The exit code of the last `finished` line, when no call came after it.
    pub finished: Option<i32>,
    /// Where the complete lines end: appending continues from here.
    pub valid_len: u64,
}

/// One call's latest lines.
#[derive(Debug, Clone)]
pub struct Record {
    pub sent: Sent,
    /// The outcome after the latest `sent` line; none while in flight.
    pub outcome: Option<Outcome>,
    /// Where the latest `sent` line is in the journal.
    pub span: Span,
}

impl Journal {
    /// What the journal holds for a call.
    pub fn get(&self, key: &CallKey) -> Option<&Record> {
        self.calls.get(key)
    }

    /// Every call in journal order.
    pub fn records(&self) -> impl Iterator<Item = &Record> {
        self.order.iter().filter_map(|k| self.calls.get(k))
    }

    /// Calls sent with no outcome, or with one that does not say whether Live
    /// acted: the run stopped with them in flight.
    pub fn in_flight(&self) -> impl Iterator<Item = &Record> {
        self.records().filter(|r| {
            r.outcome
                .as_ref()
                .is_none_or(|o| o.status == super::CallStatus::Unknown)
        })
    }

    /// Takes `outcome` as the call's latest (a call in flight the user chose
    /// to skip).
    pub fn settle(&mut self, outcome: Outcome) {
        if let Some(r) = self.calls.get_mut(&outcome.key) {
            r.outcome = Some(outcome);
        }
    }

    /// How many calls a resume will not send again.
    pub fn done(&self) -> usize {
        self.records()
            .filter(|r| r.outcome.as_ref().is_some_and(|o| o.status.is_done()))
            .count()
    }
}

/// Reads the journal at `path`. `Ok(None)` when it holds no complete line:
/// the run stopped before its first call, so nothing was sent.
pub fn read(path: &Path) -> Result<Option<Journal>, Diagnostic> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Diagnostic::error(
            "pplay::journal",
            format!("cannot read journal {}: {e}", path.display()),
        )
    })?;
    parse(SourceFile::new(path, text))
}

/// Reads a journal from its text.
pub fn parse(file: Arc<SourceFile>) -> Result<Option<Journal>, Diagnostic> {
    let text = file.text();
    // Only lines that end with a newline were written completely.
    let valid_len = text.rfind('\n').map_or(0, |i| i + 1);
    let mut lines = text[..valid_len]
        .split_inclusive('\n')
        .scan(0usize, |at, l| {
            let start = *at;
            *at += l.len();
            Some((start, l.trim_end_matches(['\n', '\r'])))
        })
        .enumerate()
        .filter(|(_, (_, l))| !l.trim().is_empty());
    let Some((_, (start, first))) = lines.next() else {
        return Ok(None);
    };
    let identity = identity(&file, start, first)?;
    let mut j = Journal {
        file: file.clone(),
        identity,
        calls: HashMap::new(),
        order: Vec::new(),
        finished: None,
        valid_len: valid_len as u64,
    };
    for (n, (start, line)) in lines {
        let span = Span::new(start, line.len());
        match entry(&file, n + 1, start, line)? {
            Line::Run(_) => {
                return Err(corrupt(&file, span, "a second `run` line", n + 1));
            }
            Line::Resumed { .. } => {}
            Line::Finished { exit_code } => j.finished = Some(exit_code),
            Line::Sent(sent) => {
                j.finished = None;
                if !j.calls.contains_key(&sent.key) {
                    j.order.push(sent.key.clone());
                }
                let key = sent.key.clone();
                let record = Record {
                    sent,
                    outcome: None,
                    span,
                };
                j.calls.insert(key, record);
            }
            Line::Outcome(outcome) => {
                let Some(record) = j.calls.get_mut(&outcome.key) else {
                    return Err(corrupt(
                        &file,
                        span,
                        "an outcome for a call that was never sent",
                        n + 1,
                    ));
                };
                // The args are kept only while the call may be asked about.
                if outcome.status != super::CallStatus::Unknown {
                    record.sent.args = None;
                }
                record.outcome = Some(outcome);
            }
        }
    }
    Ok(Some(j))
}

/// The first line: a `run` line of a format and version this pplay reads.
fn identity(file: &Arc<SourceFile>, start: usize, line: &str) -> Result<Identity, Diagnostic> {
    let span = Span::new(start, line.len());
    let json = json_line(file, 1, start, line)?;
    if json.get("kind").and_then(Json::as_str) != Some("run")
        || json.get("format").and_then(Json::as_str) != Some(FORMAT)
    {
        return Err(Diagnostic::error(
            "pplay::journal",
            format!("{} is not a pplay journal", file.name()),
        )
        .in_file(file)
        .label(span, "a journal starts with a `run` line")
        .help("pass the file that `pplay run --journal` wrote"));
    }
    let version = json.get("version").and_then(Json::as_u64);
    if version != Some(u64::from(VERSION)) {
        let shown = version.map_or_else(|| "no version".to_owned(), |v| format!("version {v}"));
        return Err(Diagnostic::error(
            "pplay::journal-version",
            format!(
                "{} has journal format {shown}; this pplay reads version {VERSION}",
                file.name()
            ),
        )
        .in_file(file)
        .label(span, "the journal's identity")
        .help("resume it with the pplay that wrote it"));
    }
    match serde_json::from_value(json) {
        Ok(Line::Run(identity)) => Ok(identity),
        Ok(_) => unreachable!("`kind` was checked above"),
        Err(e) => Err(corrupt(file, span, &format!("a `run` line that {e}"), 1)),
    }
}

/// A later line: any known kind.
fn entry(file: &Arc<SourceFile>, n: usize, start: usize, line: &str) -> Result<Line, Diagnostic> {
    let json = json_line(file, n, start, line)?;
    serde_json::from_value(json)
        .map_err(|e| corrupt(file, Span::new(start, line.len()), &e.to_string(), n))
}

fn json_line(
    file: &Arc<SourceFile>,
    n: usize,
    start: usize,
    line: &str,
) -> Result<Json, Diagnostic> {
    serde_json::from_str(line).map_err(|e| {
        let col = e.column().saturating_sub(1).min(line.len());
        let at = Span::new(start + col, usize::from(col < line.len()));
        corrupt(file, at, &format!("not JSON: {e}"), n)
    })
}

fn corrupt(file: &Arc<SourceFile>, span: Span, what: &str, n: usize) -> Diagnostic {
    let what = what.split(" at line ").next().unwrap_or(what);
    Diagnostic::error(
        "pplay::journal-corrupt",
        format!("the journal {} is corrupt at line {n}", file.name()),
    )
    .in_file(file)
    .label(span, what.to_owned())
    .help(
        "pplay writes journals one whole line at a time; a line it did not write cannot \
         be trusted. Restore the file, or start over with a new --journal (calls already \
         made would then be made again)",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::{CallStatus, write::line_text};

    fn run_line() -> String {
        let id = Identity::new("pb.yaml".into(), "http://x".into());
        line_text(&Line::Run(id))
    }

    fn sent(step: &str) -> String {
        line_text(&Line::Sent(Sent {
            key: CallKey {
                step: step.into(),
                iteration: None,
            },
            tool: "t".into(),
            step_sha256: "s".into(),
            args_sha256: "a".into(),
            args: None,
            name: None,
        }))
    }

    fn outcome(step: &str, status: CallStatus) -> String {
        line_text(&Line::Outcome(Outcome {
            key: CallKey {
                step: step.into(),
                iteration: None,
            },
            status,
            http: Some(200),
            result: Some(serde_json::json!({"id": "1"})),
            warnings: Vec::new(),
            is_error: false,
            duration_ms: 1.0,
            captures: Default::default(),
        }))
    }

    /// A run whose one call (step "0") ended with `status`.
    fn called_once(status: CallStatus) -> String {
        format!("{}{}{}", run_line(), sent("0"), outcome("0", status))
    }

    fn parse_text(text: &str) -> Result<Option<Journal>, Diagnostic> {
        parse(SourceFile::new("j.jsonl", text.to_owned()))
    }

    #[test]
    fn an_empty_journal_recorded_nothing() {
        assert!(parse_text("").unwrap().is_none());
        // A first line cut short: still nothing was sent.
        assert!(parse_text(&run_line()[..20]).unwrap().is_none());
    }

    #[test]
    fn a_truncated_last_line_is_dropped() {
        let full = called_once(CallStatus::Ok);
        let cut = &full[..full.len() - 5];
        let j = parse_text(cut).unwrap().unwrap();
        assert_eq!(j.in_flight().count(), 1);
        assert_eq!(j.done(), 0);
        assert_eq!(j.valid_len as usize, run_line().len() + sent("0").len());
        let j = parse_text(&full).unwrap().unwrap();
        assert_eq!((j.in_flight().count(), j.done()), (0, 1));
    }

    #[test]
    fn a_resend_clears_the_earlier_outcome() {
        let text = format!("{}{}", called_once(CallStatus::Failed), sent("0"));
        let j = parse_text(&text).unwrap().unwrap();
        assert_eq!(j.in_flight().count(), 1);
        assert_eq!(j.records().count(), 1);
    }

    #[test]
    fn unknown_outcomes_are_in_flight_and_finished_is_the_last_word() {
        let text = format!(
            "{}{}",
            called_once(CallStatus::Unknown),
            line_text(&Line::Finished { exit_code: 1 })
        );
        let j = parse_text(&text).unwrap().unwrap();
        assert_eq!(j.in_flight().count(), 1);
        assert_eq!(j.finished, Some(1));
        let more = format!("{text}{}", sent("1"));
        assert_eq!(parse_text(&more).unwrap().unwrap().finished, None);
    }

    #[test]
    fn a_bad_line_in_the_middle_is_located() {
        let text = format!("{}{{\"kind\": \"sent\", oops}}\n{}", run_line(), sent("0"));
        let d = parse_text(&text).unwrap_err();
        assert_eq!(d.code, "pplay::journal-corrupt");
        assert_eq!(d.location().unwrap().line, 2);
        assert!(d.message.contains("line 2"), "{}", d.message);
    }

    #[test]
    fn other_files_and_versions_are_refused() {
        let d = parse_text("{\"hello\": 1}\n").unwrap_err();
        assert!(d.message.contains("not a pplay journal"), "{}", d.message);
        let newer = run_line().replace("\"version\":1", "\"version\":2");
        let d = parse_text(&newer).unwrap_err();
        assert_eq!(d.code, "pplay::journal-version");
        assert!(d.message.contains("version 2"), "{}", d.message);
    }

    #[test]
    fn an_outcome_without_a_sent_line_is_corrupt() {
        let text = format!("{}{}", run_line(), outcome("4", CallStatus::Ok));
        let d = parse_text(&text).unwrap_err();
        assert!(d.labels[0].text.as_deref().unwrap().contains("never sent"));
    }

    #[test]
    fn a_call_in_flight_keeps_its_args_to_show_them() {
        let with_args = sent("0").replace(
            r#""argsSha256":"a""#,
            r#""argsSha256":"a","args":{"name":"Kick"}"#,
        );
        for (status, kept) in [(CallStatus::Unknown, true), (CallStatus::Ok, false)] {
            let text = format!("{}{with_args}{}", run_line(), outcome("0", status));
            let j = parse_text(&text).unwrap().unwrap();
            let args = j.records().next().unwrap().sent.args.clone();
            assert_eq!(args.is_some(), kept, "{status:?}");
        }
    }
}
