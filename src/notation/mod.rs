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
pub mod midi_json;
mod number;
mod parser;
mod pitch;

pub use element::{
    BarCopy, Bracket, Element, ElementKind, Length, Pitch, Position, Repeat, Velocity,
};
pub use error::{ErrorKind, NotationError, Warning};
pub use format::{beat_2x, format, length_2x, note_value_2x, plain_note_value_2x, position};
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_element_keeps_its_span() {
        let src = "v90 C3 E3 1|1,3 @2=1";
        let spans: Vec<&str> = (parse(src, Generation::V2).unwrap().iter())
            .map(|e| &src[e.span.clone()])
            .collect();
        assert_eq!(spans, ["v90", "C3", "E3", "1|1,3", "@2=1"]);
    }

    #[test]
    fn a_syntax_error_points_at_its_token_and_explains_it() {
        let src = "C1 1|1 H2 1|2";
        let e = interpret(src, Generation::V1, Meter::default()).unwrap_err();
        assert_eq!(
            (e.kind, e.span.clone(), e.offset_utf16),
            (ErrorKind::Syntax, 7..8, Some(7))
        );
        assert!(
            e.help(src).contains("`H2` is not a pitch"),
            "{}",
            e.help(src)
        );
        let src = "t/4 C3 1|1";
        let e = interpret(src, Generation::V2, Meter::default()).unwrap_err();
        assert!(e.help(src).contains("n/16"), "{}", e.help(src));
        let src = "C3 1|0";
        let e = interpret(src, Generation::V2, Meter::default()).unwrap_err();
        assert_eq!((e.kind, &src[e.span.clone()]), (ErrorKind::Value, "1|0"));
        assert!(e.help(src).contains("count from 1"), "{}", e.help(src));
    }

    #[test]
    fn offsets_count_utf16_units_as_producer_pal_does() {
        let src = "C3 /* 🎹 */ H2";
        let e = parse(src, Generation::V1).unwrap_err();
        assert_eq!(&src[e.span.clone()], "H");
        assert_eq!(e.offset_utf16, Some(12));
    }

    #[test]
    fn two_x_warns_where_one_four_refuses() {
        let m = Meter::default();
        assert!(interpret("v200 C3 1|1", Generation::V1, m).is_err());
        let out = interpret("v200 C3 1|1", Generation::V2, m).unwrap();
        assert_eq!(out.notes[0].velocity, 127);
        assert_eq!(out.warnings[0].span, Some(0..4));
    }
}
