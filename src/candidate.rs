//! What the Producer Pal 2.4 release candidate changes for a playbook, as
//! data (`MIGRATION-2.md`, "Producer Pal 2.4"): the values its write results
//! no longer echo, the parameters it newly deprecates, and the keys of the
//! per-target entries of its results. Check, migrate, the runner and the
//! simulator's 2.4 mode read them here; 2.3.0 is still the newest release,
//! so nothing here refuses anything.

use std::sync::Arc;

use crate::diagnostic::Diagnostic;
use crate::source::SourceFile;
use crate::yaml::{Key, Node};

/// Per tool, the result fields a 2.3 write echoes and a 2.4 write does not
/// (a value Live kept as asked is no longer repeated). `value` stands for
/// a device parameter's value, wherever the result lists parameters.
pub const NOT_ECHOED: &[(&str, &[&str])] = &[
    ("ppal-update-live-set", &["tempo", "timeSignature"]),
    ("ppal-update-track", &["gainDb", "pan", "sends"]),
    ("ppal-update-device", &["value"]),
];

/// The fields of `tool`'s write result that 2.4 no longer echoes.
pub fn not_echoed(tool: &str) -> &'static [&'static str] {
    NOT_ECHOED
        .iter()
        .find(|(t, _)| *t == tool)
        .map_or(&[], |(_, f)| f)
}

/// The tool that reads back what a write of `tool` no longer echoes.
pub fn read_back(tool: &str) -> Option<&'static str> {
    match tool {
        "ppal-update-live-set" => Some("ppal-read-live-set"),
        "ppal-update-track" => Some("ppal-read-track"),
        "ppal-update-device" => Some("ppal-read-device"),
        _ => None,
    }
}

/// A parameter 2.3 lists and the 2.4 candidate deprecates (still accepted,
/// with a warning).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deprecation {
    pub tool: &'static str,
    pub param: &'static str,
    pub replacement: &'static str,
    /// The replacement as a playbook writes it.
    pub example: &'static str,
}

/// What the 2.4 candidate newly deprecates.
pub const DEPRECATED: &[Deprecation] = &[
    Deprecation {
        tool: "ppal-create-track",
        param: "count",
        replacement: "path",
        example: "path: \"t+,t+,t+\"",
    },
    Deprecation {
        tool: "ppal-create-scene",
        param: "count",
        replacement: "path",
        example: "path: \"s2,s3,s4\"",
    },
    Deprecation {
        tool: "ppal-create-device",
        param: "deviceName",
        replacement: "device",
        example: "device: \"Drift\"",
    },
];

/// The 2.4 deprecation of `param` on `tool`, if there is one.
pub fn deprecation(tool: &str, param: &str) -> Option<&'static Deprecation> {
    DEPRECATED
        .iter()
        .find(|d| d.tool == tool && d.param == param)
}

/// The 2.4 candidate's deprecation warning (it names no tool; clients are
/// told to match on the parameter's name, not on the sentence).
pub fn warning(param: &str, replacement: &str, example: &str) -> String {
    format!(
        "param \"{param}\" is deprecated and will be removed; use \"{replacement}\" instead (e.g. {example})"
    )
}

/// The keys an entry of a 2.4 result explains itself with: `reason` in the
/// 2.4 guide, `detail` later in the candidate, `note` as well.
pub const EXPLANATION_KEYS: &[&str] = &["detail", "reason", "note"];

/// A note at each argument the 2.4 candidate deprecates (`count` on
/// create-track): the call is sent as written, since 2.3 needs it.
pub fn deprecation_notes(
    file: &Arc<SourceFile>,
    tool: &str,
    args: &[(Key, Node)],
) -> Vec<Diagnostic> {
    args.iter()
        .filter_map(|(k, _)| {
            let d = deprecation(tool, &k.name)?;
            Some(
                Diagnostic::note(
                    "pplay::deprecated-in-2.4",
                    format!(
                        "`{}` is {} (Producer Pal 2.4 candidate): use `{}`",
                        k.name,
                        crate::hidden_params::DEPRECATED,
                        d.replacement
                    ),
                )
                .in_file(file)
                .label(k.span, format!("2.4: use `{}`", d.replacement))
                .help(format!(
                    "for example `{}`; 2.3 takes `{}`, so it is kept as written",
                    d.example, k.name
                )),
            )
        })
        .collect()
}
