//! Numbers written the way Producer Pal's messages write them (JavaScript's
//! shortest form), so our copies of its texts match.

/// `2` for 2.0, `0.25` for 0.25, `1e+21` style is not needed for notes.
pub fn js(value: f64) -> String {
    if value == value.trunc() && value.abs() < 1e21 {
        format!("{value:.0}")
    } else {
        format!("{value}")
    }
}
