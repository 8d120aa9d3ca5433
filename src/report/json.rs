//! `--json`: JSON Lines on stdout, one event per line, flushed as it happens.

use std::io::Write;

use crate::event::{Event, Sink};

pub struct JsonReporter<W: Write> {
    out: W,
}

impl<W: Write> JsonReporter<W> {
    pub fn new(out: W) -> Self {
        JsonReporter { out }
    }

    pub fn into_inner(self) -> W {
        self.out
    }
}

impl<W: Write> Sink for JsonReporter<W> {
    fn emit(&mut self, event: &Event) {
        // A closed pipe must not take the run down with it.
        let _ = writeln!(self.out, "{}", event.to_json());
        let _ = self.out.flush();
    }
}
