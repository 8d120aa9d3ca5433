//! What migration leaves for a person: located warnings, one per argument or
//! expression left as it was, each saying what to do.

use std::sync::Arc;

use crate::diagnostic::Diagnostic;
use crate::source::SourceFile;
use crate::yaml::Span;

/// Why something was left for a person; each kind has its own code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `split` needs each clip's start to become `arrangementSplit`.
    Split,
    /// Device paths in `params[].name` that differ per entry.
    DeviceParams,
    /// A take lane on a duplicate addressed by `id`.
    TakeLaneById,
    /// A template whose shape does not show where each part of a path is.
    Template,
    /// A result field 2.3 no longer returns.
    ResultField,
    /// A captured index also read where a number is meant.
    Capture,
    /// The old argument and its replacement are both there.
    Conflict,
    /// A `bar:beat` length whose beats cannot be converted (templated, or
    /// in a meter nothing states).
    Duration,
    /// A notes string with no exact 2.x form, or a templated one.
    Notes,
    /// A conversion that assumed 4/4, as nothing states the meter.
    Meter,
    /// No offline rewrite exists (a removed tool, an option 2.3 dropped).
    Unsupported,
}

impl Kind {
    pub fn code(self) -> &'static str {
        match self {
            Kind::Split => "pplay::migrate::split",
            Kind::DeviceParams => "pplay::migrate::device-params",
            Kind::TakeLaneById => "pplay::migrate::take-lane",
            Kind::Template => "pplay::migrate::template",
            Kind::ResultField => "pplay::migrate::result-field",
            Kind::Capture => "pplay::migrate::capture",
            Kind::Conflict => "pplay::migrate::conflict",
            Kind::Duration => "pplay::migrate::duration",
            Kind::Notes => "pplay::migrate::notes",
            Kind::Meter => "pplay::migrate::meter",
            Kind::Unsupported => "pplay::migrate::unsupported",
        }
    }
}

/// A note at `span` of `file`.
pub fn note(
    file: &Arc<SourceFile>,
    kind: Kind,
    message: impl Into<String>,
    span: Span,
    label: impl Into<String>,
    help: impl Into<String>,
) -> Diagnostic {
    Diagnostic::warning(kind.code(), message)
        .in_file(file)
        .label(span, label)
        .help(help)
}

/// `file:line` of a byte offset, for notes that point into another file.
pub fn place(file: &SourceFile, offset: usize) -> String {
    let (line, _) = file.line_col(offset);
    format!("{}:{line}", file.name())
}
