//! The notes-string notation against Producer Pal's own verdicts: the shared
//! corpus (600 strings, both generations) when `../shared/producer-pal/` is
//! there, and always our pinned copy of representative rows.

use std::path::Path;

mod common;

use pplay::notation::{self, Meter};
use pplay::protocol::Generation;
use serde_json::Value;

const GENERATIONS: [(&str, Generation); 2] = [("1.4.6", Generation::V1), ("2.3", Generation::V2)];

/// Compares our answer for one row and generation with the oracle's; None
/// when they agree, else what differs.
fn compare(row: &Value, key: &str, generation: Generation) -> Option<String> {
    let src = row["notes"].as_str().unwrap_or_default();
    let meter = Meter::parse(row["timeSignature"].as_str().unwrap_or("4/4")).ok()?;
    let oracle = &row["oracle"][key];
    let ours = notation::interpret(src, generation, meter);
    let want_warnings: Vec<&str> = (oracle["warnings"].as_array().into_iter().flatten())
        .filter_map(Value::as_str)
        .collect();
    match (ours, oracle["ok"].as_bool() == Some(true)) {
        (Ok(got), true) => {
            let warnings: Vec<&str> = got.warnings.iter().map(|w| w.message.as_str()).collect();
            if warnings != want_warnings {
                return Some(format!("warnings {warnings:?} != {want_warnings:?}"));
            }
            let want = oracle["notes"].as_array().cloned().unwrap_or_default();
            if want.len() != got.notes.len() {
                return Some(format!("{} notes != {}", got.notes.len(), want.len()));
            }
            for (i, (n, w)) in got.notes.iter().zip(&want).enumerate() {
                let f = |k: &str| w[k].as_f64().unwrap_or(f64::NAN);
                let close = |a: f64, b: f64| (a - b).abs() <= 1e-6 * b.abs().max(1.0);
                let same = close(f64::from(n.pitch), f("pitch"))
                    && close(n.start, f("start_beats"))
                    && close(n.duration, f("duration"))
                    && close(f64::from(n.velocity), f("velocity"))
                    && close(f64::from(n.velocity_deviation), f("velocity_deviation"))
                    && close(n.probability, f("probability"));
                if !same {
                    return Some(format!("note {i}: {n:?} != {w}"));
                }
            }
            None
        }
        (Ok(_), false) => Some(format!("accepted; oracle: {}", oracle["error"])),
        (Err(e), true) => Some(format!("refused: {}", e.message)),
        (Err(e), false) => {
            let same = e.kind.as_str() == oracle["kind"].as_str().unwrap_or_default()
                && Some(e.message.as_str()) == oracle["error"].as_str()
                && e.offset_utf16.map(|o| o as u64) == oracle["offset"].as_u64();
            (!same).then(|| {
                format!(
                    "{} @{:?} != {} @{}",
                    e.message, e.offset_utf16, oracle["error"], oracle["offset"]
                )
            })
        }
    }
}

/// Runs every row of a JSON-lines file; answers (rows×generations, failures).
fn run(text: &str) -> (usize, Vec<String>) {
    let mut total = 0;
    let mut failures = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let row: Value = serde_json::from_str(line).expect("a JSON row");
        for (key, generation) in GENERATIONS {
            total += 1;
            if let Some(why) = compare(&row, key, generation) {
                failures.push(format!("{} [{key}] {:?}: {why}", row["id"], row["notes"]));
            }
        }
    }
    (total, failures)
}

fn assert_all(what: &str, text: &str) {
    let (total, failures) = run(text);
    common::say(
        "notation",
        &format!("{what}: {} of {total} agree", total - failures.len()),
    );
    assert!(
        failures.is_empty(),
        "{} of {total} differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn shared_corpus_matches_producer_pal() {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/producer-pal/notation-corpus.jsonl");
    let Ok(text) = std::fs::read_to_string(&path) else {
        common::say(
            "notation",
            &format!(
                "SKIPPED: {} is not there; the corpus was not run",
                path.display()
            ),
        );
        return;
    };
    assert_all("shared corpus", &text);
}

#[test]
fn pinned_rows_match_producer_pal() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/notation/pinned.jsonl");
    let text = std::fs::read_to_string(path).expect("the pinned rows");
    assert_all("pinned rows", &text);
}

mod round_trip {
    use pplay::notation::{self, Meter, Note};
    use pplay::protocol::Generation;
    use proptest::prelude::*;

    fn meter() -> impl Strategy<Value = Meter> {
        prop::sample::select(vec![
            (4, 4),
            (3, 4),
            (6, 8),
            (5, 4),
            (7, 8),
            (12, 8),
            (2, 2),
        ])
        .prop_map(|(numerator, denominator)| Meter {
            numerator,
            denominator,
        })
    }

    /// Notes on a grid of 48ths of a quarter (straight, dotted, triplet),
    /// with lengths a notes string can spell.
    fn note() -> impl Strategy<Value = Note> {
        let durations = vec![
            0.25,
            0.5,
            1.0,
            1.5,
            2.0,
            4.0,
            0.75,
            1.0 / 3.0,
            2.0 / 3.0,
            1.0 / 6.0,
            3.0,
        ];
        (
            0u8..=127,
            0u32..(48 * 16),
            prop::sample::select(durations),
            1u8..=127,
            0u8..=20,
            prop::sample::select(vec![1.0, 0.5, 0.25, 0.8]),
        )
            .prop_map(|(pitch, tick, duration, velocity, dev, probability)| Note {
                pitch,
                start: f64::from(tick) / 12.0,
                duration,
                velocity,
                velocity_deviation: dev.min(127 - velocity),
                probability,
            })
    }

    fn same(a: &[Note], b: &[Note]) -> bool {
        let close = |x: f64, y: f64| (x - y).abs() < 1e-9;
        a.len() == b.len()
            && a.iter().zip(b).all(|(x, y)| {
                x.pitch == y.pitch
                    && close(x.start, y.start)
                    && close(x.duration, y.duration)
                    && x.velocity == y.velocity
                    && x.velocity_deviation == y.velocity_deviation
                    && close(x.probability, y.probability)
            })
    }

    proptest! {
        #[test]
        fn reading_the_format_gives_the_notes_back(
            notes in prop::collection::vec(note(), 0..24),
            meter in meter(),
            v1 in any::<bool>(),
        ) {
            let generation = if v1 { Generation::V1 } else { Generation::V2 };
            let text = notation::format(&notes, generation, meter);
            let back = notation::interpret(&text, generation, meter);
            prop_assert!(back.is_ok(), "{text:?}: {back:?}");
            let back = back.unwrap();
            prop_assert!(same(&notes, &back.notes), "{text:?}\n{notes:?}\n{:?}", back.notes);
        }
    }

    #[test]
    fn two_x_writes_dotted_and_triplet_note_values() {
        let note = |duration| Note {
            pitch: 60,
            start: 0.0,
            duration,
            velocity: 100,
            velocity_deviation: 0,
            probability: 1.0,
        };
        let m = Meter::default();
        assert_eq!(
            notation::format(&[note(1.5)], Generation::V2, m),
            "n/4d C3 1|1"
        );
        assert_eq!(
            notation::format(&[note(1.0 / 3.0)], Generation::V2, m),
            "n/8t C3 1|1"
        );
        assert_eq!(
            notation::format(&[note(0.25)], Generation::V1, m),
            "t0.25 C3 1|1"
        );
    }
}
