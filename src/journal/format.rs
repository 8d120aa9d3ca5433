//! The journal's lines: one JSON object per line, told apart by `kind`.
//!
//! The first line is the run's identity (`kind: run`, with `format` and
//! `version`); docs/journals.md documents every field. A reader refuses a version
//! it does not know instead of guessing what its lines mean.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};

/// What the first line's `format` says, so a stray JSON file is not taken
/// for a journal.
pub const FORMAT: &str = "pplay-journal";

/// The version of the line format this pplay writes and reads.
pub const VERSION: u32 = 1;

/// One line of the journal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(
    tag = "kind",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum Line {
    /// The run's identity; always the first line.
    Run(Identity),
    /// A resume began here; later lines belong to it.
    Resumed {
        /// What the user chose for the call in flight, when there was one.
        in_flight: Option<InFlight>,
        /// `--force`: recorded outcomes of changed steps are kept.
        force: bool,
    },
    /// A call is about to be sent.
    Sent(Sent),
    /// What a call came to.
    Outcome(Outcome),
    /// The run ended with this exit code.
    Finished { exit_code: i32 },
}

/// What makes a run the run it is: the files, the vars, the server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Identity {
    pub format: String,
    pub version: u32,
    /// The playbook path as it was given on the command line.
    pub playbook: String,
    /// Every file of the run (the playbook, its includes, vars files), hashed.
    pub files: Vec<FileHash>,
    /// `--vars-file` and `--var` values, in the order they apply; a resume
    /// applies them again.
    pub overrides: Map<String, Json>,
    /// The top-level vars as the run evaluated them.
    pub vars: Map<String, Json>,
    pub url: String,
    /// Producer Pal's generation, as read from its catalog (`1` or `2`).
    pub generation: String,
    /// SHA-256 of the catalog the run was checked against.
    pub catalog_sha256: String,
}

impl Identity {
    /// Fills in `format` and `version`.
    pub fn new(playbook: String, url: String) -> Self {
        Identity {
            format: FORMAT.to_owned(),
            version: VERSION,
            playbook,
            files: Vec::new(),
            overrides: Map::new(),
            vars: Map::new(),
            url,
            generation: String::new(),
            catalog_sha256: String::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileHash {
    pub path: String,
    pub sha256: String,
}

/// Which call: the step's path through the playbook and its includes
/// (`"3"`, `"2/1"`: positions in each file's `steps`, from 0) and, in a loop,
/// the iteration (from 0).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct CallKey {
    pub step: String,
    pub iteration: Option<usize>,
}

impl std::fmt::Display for CallKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.iteration {
            Some(i) => write!(f, "step {} [iteration {}]", self.step, i + 1),
            None => write!(f, "step {}", self.step),
        }
    }
}

/// Written before a call is sent (once per call: a retry sends the same call).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Sent {
    #[serde(flatten)]
    pub key: CallKey,
    pub tool: String,
    /// SHA-256 of the step's text in its file: a completed step that was
    /// edited is not silently taken as done.
    pub step_sha256: String,
    /// SHA-256 of the rendered args as sent (compact JSON).
    pub args_sha256: String,
    /// The rendered args themselves, so that a call left in flight can be
    /// shown to the user as it was sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub args: Option<Json>,
    /// The step's name as rendered for this call, when its `name` is a
    /// template: a call left in flight is named as the run showed it
    /// (`Clip 4`), not by its template. Absent, the written name says it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// Written once a call's reply has been judged (captures and expectations
/// included).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Outcome {
    #[serde(flatten)]
    pub key: CallKey,
    pub status: CallStatus,
    /// The HTTP status, when an answer came.
    pub http: Option<u16>,
    pub result: Option<Json>,
    #[serde(default)]
    pub warnings: Vec<String>,
    #[serde(default)]
    pub is_error: bool,
    #[serde(default)]
    pub duration_ms: f64,
    /// The names the step captured, with their values.
    #[serde(default)]
    pub captures: Map<String, Json>,
}

/// What a call came to, as far as a resume cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum CallStatus {
    /// The step succeeded.
    Ok,
    /// The step failed with `onError: continue`: the run went on past it.
    Ignored,
    /// The step failed on an answer that says what happened (a tool error, a
    /// 4xx, a capture or expectation): a resume sends it again.
    Failed,
    /// No answer, or one that does not say whether Live acted (a transport
    /// error, a timeout, a 5xx): a resume treats the call as in flight.
    Unknown,
    /// The call was in flight and the user chose `--in-flight skip`.
    Skipped,
}

impl CallStatus {
    /// A resume does not send this call again.
    pub fn is_done(self) -> bool {
        matches!(
            self,
            CallStatus::Ok | CallStatus::Ignored | CallStatus::Skipped
        )
    }
}

/// What to do with the call that was in flight when the run stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "camelCase")]
pub enum InFlight {
    /// Send it again (Live may then have done it twice).
    Resend,
    /// Take it as done, without a result.
    Skip,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lines_have_the_documented_shape() {
        let sent = Line::Sent(Sent {
            key: CallKey {
                step: "2/1".into(),
                iteration: Some(3),
            },
            tool: "ppal-create-clip".into(),
            step_sha256: "ab".into(),
            args_sha256: "cd".into(),
            args: Some(json!({"slot": "0/3"})),
            name: None,
        });
        assert_eq!(
            serde_json::to_value(&sent).unwrap(),
            json!({"kind": "sent", "step": "2/1", "iteration": 3, "tool": "ppal-create-clip",
                   "stepSha256": "ab", "argsSha256": "cd", "args": {"slot": "0/3"}})
        );
        let fin = Line::Finished { exit_code: 1 };
        assert_eq!(
            serde_json::to_value(&fin).unwrap(),
            json!({"kind": "finished", "exitCode": 1})
        );
        let back: Line = serde_json::from_value(serde_json::to_value(&sent).unwrap()).unwrap();
        assert_eq!(back, sent);
        // A templated step name is kept as it was rendered for the call.
        let Line::Sent(mut named) = sent else {
            unreachable!()
        };
        named.name = Some("Clip 4".into());
        let v = serde_json::to_value(Line::Sent(named.clone())).unwrap();
        assert_eq!(v["name"], "Clip 4");
        assert_eq!(
            serde_json::from_value::<Line>(v).unwrap(),
            Line::Sent(named)
        );
    }

    #[test]
    fn only_finished_skipped_and_ignored_calls_are_done() {
        assert!(CallStatus::Ok.is_done());
        assert!(CallStatus::Ignored.is_done());
        assert!(CallStatus::Skipped.is_done());
        assert!(!CallStatus::Failed.is_done());
        assert!(!CallStatus::Unknown.is_done());
    }
}
