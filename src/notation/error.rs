//! A notes string that Producer Pal refuses: the kind of refusal, where it
//! is in the string, Producer Pal's own text, and our explanation.

use std::ops::Range;

use crate::protocol::Generation;

/// The two ways Producer Pal refuses a notes string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The grammar could not read the string (peggy's furthest failure).
    Syntax,
    /// A token was read but its value is refused (a range, a retired form).
    Value,
}

impl ErrorKind {
    /// The name the shared corpus and pplay's reports use.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Syntax => "syntax",
            ErrorKind::Value => "value",
        }
    }
}

/// A refused notes string.
#[derive(Debug, Clone, PartialEq)]
pub struct NotationError {
    pub kind: ErrorKind,
    /// Byte range of the offending token (syntax: the furthest failure, one
    /// character wide, empty at the end of the string).
    pub span: Range<usize>,
    /// Producer Pal's message, exactly as it reports it.
    pub message: String,
    /// The offset Producer Pal reports (UTF-16 code units); only syntax
    /// errors carry one.
    pub offset_utf16: Option<usize>,
    /// The grammar that refused it (the help differs).
    pub generation: Generation,
}

impl NotationError {
    /// A short reason and fix in pplay's words, for diagnostics.
    pub fn help(&self, source: &str) -> String {
        crate::notation::explain::help(self, source)
    }
}

impl std::fmt::Display for NotationError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for NotationError {}

/// Something Producer Pal accepts but warns about.
#[derive(Debug, Clone, PartialEq)]
pub struct Warning {
    /// Producer Pal's text.
    pub message: String,
    /// Byte range of the element it is about, when there is one.
    pub span: Option<Range<usize>>,
}
