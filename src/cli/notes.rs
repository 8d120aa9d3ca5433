//! `pplay notes STRING`: a notes string as Producer Pal reads it, drawn as
//! a piano roll with the note list, or (`--json`) the notes as data. A
//! string Producer Pal would refuse gets the check's error (exit 2).

use clap::{Args, ValueEnum};

use super::Shown;
use super::failure::print_diagnostics;
use super::output::outln;
use crate::exit;
use crate::notation::Meter;
use crate::protocol::Generation;
use crate::report::{self, piano_roll};

/// Which Producer Pal reads the string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Reader {
    /// Producer Pal 1.4.6
    #[value(name = "1.4")]
    V1_4,
    /// Producer Pal 2.3 or the 2.4 candidate, which read notes alike (also
    /// accepted as 2.3 or 2.4)
    #[value(name = "2.x", alias = "2.3", alias = "2.4")]
    V2,
}

impl Reader {
    fn generation(self) -> Generation {
        match self {
            Reader::V1_4 => Generation::V1,
            Reader::V2 => Generation::V2,
        }
    }
}

#[derive(Debug, Args)]
pub struct NotesArgs {
    /// The notes string, in bar|beat notation (e.g. "C1 1|1 1|2 1|3 1|4")
    pub notes: String,
    /// Which Producer Pal reads it: its notation differs
    #[arg(long = "producer-pal", value_enum, default_value = "2.x")]
    pub producer_pal: Reader,
    /// The clip's time signature
    #[arg(long, default_value = "4/4", value_parser = Meter::parse)]
    pub time_signature: Meter,
    /// Print the notes as JSON instead
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub output: Shown,
}

pub fn notes(args: NotesArgs) -> i32 {
    let generation = args.producer_pal.generation();
    let meter = args.time_signature;
    let read = match crate::notes_arg::standalone(&args.notes, meter, generation) {
        Ok(r) => r,
        Err(d) => {
            print_diagnostics(&[d], args.output.color);
            return exit::INVALID;
        }
    };
    if args.json {
        outln!("{}", piano_roll::json(&read.notes, generation, meter));
        return exit::OK;
    }
    let color = report::use_color(args.output.color, report::stdout_is_terminal());
    outln!("As {} reads it, in {meter}:", generation.label());
    for line in piano_roll::render(&read.notes, generation, meter, color) {
        outln!("{}", line.trim_end());
    }
    for w in &read.warnings {
        outln!("warning: {}", w.message);
    }
    exit::OK
}
