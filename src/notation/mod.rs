//! Producer Pal's bar|beat notes strings, for both generations: one home
//! for reading them into spanned elements ([`parse`]), turning them into the
//! notes Producer Pal would send to Live ([`interpret`]), and writing notes
//! back in a generation's notation ([`format()`]). Check, the simulator and
//! migrate all go through here.

mod element;
mod error;
mod explain;
mod format;
mod grammar;
mod interpret;
mod meter;
mod number;
mod parser;
mod pitch;

pub use element::{
    BarCopy, Bracket, Element, ElementKind, Length, Pitch, Position, Repeat, Velocity,
};
pub use error::{ErrorKind, NotationError, Warning};
pub use format::format;
pub use interpret::{Interpretation, Note};
pub use meter::Meter;
pub use parser::parse;
pub use pitch::name as pitch_name;

use crate::protocol::Generation;

/// Reads and interprets `src` as Producer Pal of `generation` does for a
/// clip in `meter`: the notes in emission order and the warnings, or the
/// first refusal. An empty string yields no notes.
pub fn interpret(
    src: &str,
    generation: Generation,
    meter: Meter,
) -> Result<Interpretation, NotationError> {
    if src.is_empty() {
        return Ok(Interpretation::default());
    }
    let elements = parse(src, generation)?;
    interpret::interpret_elements(&elements, generation, meter)
}
