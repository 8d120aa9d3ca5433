//! The clip's time signature, which turns bars and musical beats into
//! Ableton beats (quarter notes).

use super::element::Length;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Meter {
    pub numerator: u32,
    pub denominator: u32,
}

/// A meter as a time signature is written (`6/8`), the form
/// [`Meter::parse`] reads.
impl std::fmt::Display for Meter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.numerator, self.denominator)
    }
}

impl Default for Meter {
    fn default() -> Meter {
        Meter {
            numerator: 4,
            denominator: 4,
        }
    }
}

impl Meter {
    /// Reads `n/m` as create-clip does (`^\d+/\d+$`); its error text is
    /// Producer Pal's.
    pub fn parse(text: &str) -> Result<Meter, String> {
        let bad = || "Time signature must be in format \"n/m\" (e.g. \"4/4\")".to_owned();
        let (n, d) = text.split_once('/').ok_or_else(bad)?;
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(n) || !digits(d) {
            return Err(bad());
        }
        Ok(Meter {
            numerator: n.parse().map_err(|_| bad())?,
            denominator: d.parse().map_err(|_| bad())?,
        })
    }

    /// Musical beats in one bar.
    pub fn beats_per_bar(self) -> f64 {
        f64::from(self.numerator)
    }

    /// A length in musical beats of this meter.
    pub fn musical(self, length: Length) -> f64 {
        length.bars * self.beats_per_bar()
            + length.beats
            + length.whole * f64::from(self.denominator)
    }

    /// Musical beats to Ableton beats.
    pub fn ableton(self, musical: f64) -> f64 {
        musical * 4.0 / f64::from(self.denominator)
    }

    /// Ableton beats to musical beats.
    pub fn to_musical(self, ableton: f64) -> f64 {
        ableton * f64::from(self.denominator) / 4.0
    }
}
