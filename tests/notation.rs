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
                let close = |a: f64, b: f64| (a - b).abs() < 1e-6;
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
