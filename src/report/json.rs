//! `--json`: JSON Lines on stdout, one event per line, flushed as it happens.

use std::io::Write;

use crate::event::{Event, Sink};

pub struct JsonReporter<W: Write> {
    out: std::io::BufWriter<W>,
}

impl<W: Write> JsonReporter<W> {
    pub fn new(out: W) -> Self {
        JsonReporter {
            out: std::io::BufWriter::new(out),
        }
    }
}

impl<W: Write> Sink for JsonReporter<W> {
    fn emit(&mut self, event: &Event) {
        // A closed pipe must not take the run down with it.
        let _ = event.write_json(&mut self.out);
        // Lines are buffered within a step and flushed as each step ends, so
        // a reader sees every step as it finishes without a write per event.
        if matches!(
            event,
            Event::StepFinished { .. }
                | Event::RunStarted { .. }
                | Event::RunFinished { .. }
                | Event::Retry { .. }
        ) {
            let _ = self.out.flush();
        }
    }
}
