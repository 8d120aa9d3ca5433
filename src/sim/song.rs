//! Song-level changes, which both generations request with the same
//! arguments: tempo, meter, scale and locators.

use serde_json::{Map, Value};

use super::args::{n, s};
use super::live_set::LiveSet;

impl LiveSet {
    /// Applies `ppal-update-live-set`'s arguments; answers the warnings.
    /// With `live_spelling`, a scale is stored the way Live spells it
    /// (2.3 answers `Gb Dorian` for `F# Dorian`).
    pub(super) fn update_song(
        &mut self,
        args: &Map<String, Value>,
        live_spelling: bool,
    ) -> Result<Vec<String>, String> {
        let mut warnings = Vec::new();
        if let Some(t) = n(args, "tempo") {
            self.tempo = t;
        }
        if let Some(ts) = s(args, "timeSignature") {
            warnings.extend(self.set_meter(ts));
        }
        if let Some(sc) = s(args, "scale") {
            self.scale = if live_spelling {
                live_scale(sc)
            } else {
                sc.to_owned()
            };
        }
        match s(args, "locatorOperation") {
            Some("create") => {
                let time =
                    s(args, "locatorTime").ok_or("locatorTime is required to create a locator")?;
                self.add_locator(s(args, "locatorName").unwrap_or_default(), time);
            }
            Some(op @ ("delete" | "rename")) => {
                let pos = self
                    .find_locator(s(args, "locatorId"), s(args, "locatorTime"))
                    .ok_or("No locator matches locatorId or locatorTime")?;
                if op == "delete" {
                    self.locators.remove(pos);
                } else {
                    self.locators[pos].name = s(args, "locatorName").unwrap_or_default().into();
                }
            }
            _ => {}
        }
        Ok(warnings)
    }
}

/// Live names a scale's root with a flat where a sharp is asked for.
fn live_scale(scale: &str) -> String {
    let (root, rest) = scale.split_once(' ').unwrap_or((scale, ""));
    let flat = match root {
        "C#" => "Db",
        "D#" => "Eb",
        "F#" => "Gb",
        "G#" => "Ab",
        "A#" => "Bb",
        other => other,
    };
    if rest.is_empty() {
        flat.to_owned()
    } else {
        format!("{flat} {rest}")
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn sharps_become_flats() {
        assert_eq!(super::live_scale("F# Dorian"), "Gb Dorian");
        assert_eq!(super::live_scale("D Minor"), "D Minor");
    }
}
