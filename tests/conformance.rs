//! The pinned catalogs and hidden-parameter facts in `schemas/` against
//! Producer Pal's own answers, when `../shared/producer-pal/` is there (CI
//! has it). The facts must match; the descriptions must be ours.

use std::path::PathBuf;

mod common;

use pplay::catalog::Release;
use serde_json::Value;

/// A skip is said on the process's real stderr (see `common::say`), so it
/// shows in CI logs even though the test passes.
fn say(text: &str) {
    common::say("conformance", text);
}

fn upstream(file: &str) -> PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/producer-pal")
        .join(file)
}

/// The upstream file, or `None` after saying plainly what was skipped.
fn read_upstream(file: &str, skipped: &str) -> Option<String> {
    let path = upstream(file);
    match std::fs::read_to_string(&path) {
        Ok(text) => Some(text),
        Err(_) => {
            say(&format!(
                "SKIPPED: {} is not there; {skipped}",
                path.display()
            ));
            None
        }
    }
}

/// Takes out every description text (a `description` key whose value is a
/// string; a parameter *named* `description` is a schema and stays).
fn strip_descriptions(v: &mut Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            if let Some(Value::String(_)) = m.get("description")
                && let Some(Value::String(d)) = m.remove("description")
            {
                out.push(d);
            }
            m.values_mut().for_each(|x| strip_descriptions(x, out));
        }
        Value::Array(a) => a.iter_mut().for_each(|x| strip_descriptions(x, out)),
        _ => {}
    }
}

/// Everything but the descriptions equal; every description replaced by
/// one of ours.
fn assert_same_facts(mut ours: Value, mut theirs: Value, what: &str) {
    let (mut their_text, mut our_text) = (Vec::new(), Vec::new());
    strip_descriptions(&mut theirs, &mut their_text);
    strip_descriptions(&mut ours, &mut our_text);
    assert_eq!(
        ours, theirs,
        "{what}: names, titles, types, enums, ranges, defaults, required lists and annotations must match"
    );
    assert_eq!(
        our_text.len(),
        their_text.len(),
        "{what}: every description is replaced, none dropped"
    );
    for d in &our_text {
        assert!(
            !their_text.contains(d),
            "{what}: description copied from Producer Pal: {d}"
        );
    }
}

fn compare_catalog(release: Release, live_api: bool, file: &str) {
    let Some(text) = read_upstream(file, "that pinned catalog was not compared") else {
        return;
    };
    let theirs: Value = serde_json::from_str(&text).unwrap();
    assert_same_facts(release.document(live_api), theirs, file);
    say(&format!(
        "compared the pinned catalog with {}",
        upstream(file).display()
    ));
}

#[test]
fn pinned_catalog_matches_producer_pal_1_4_6() {
    compare_catalog(Release::V1_4_6, false, "tools-1.4.6.json");
}

#[test]
fn pinned_catalog_matches_producer_pal_2_3_0() {
    compare_catalog(Release::V2_3_0, false, "tools-2.3.0.json");
}

#[test]
fn pinned_catalog_with_the_live_api_matches_producer_pal_2_3_0() {
    compare_catalog(Release::V2_3_0, true, "tools-2.3.0-liveapi.json");
}

#[test]
fn hidden_parameters_match_producer_pal_2_3_0() {
    let file = "hidden-params-2.3.0.json";
    let Some(text) = read_upstream(file, "the hidden parameters were not compared") else {
        return;
    };
    let mut theirs: Value = serde_json::from_str(&text).unwrap();
    let mut ours: Value = serde_json::from_str(pplay::hidden_params::HIDDEN_PARAMS_2_3_0).unwrap();
    let (their_about, our_about) = (theirs["about"].take(), ours["about"].take());
    assert_ne!(their_about, our_about, "the `about` text is in our words");
    assert_eq!(ours, theirs, "every hidden parameter's facts must match");
    // And the crate reads all of them.
    let hidden = pplay::hidden_params::HiddenParams::v2_3_0();
    for (tool, params) in theirs["tools"].as_object().unwrap() {
        for (name, fact) in params.as_object().unwrap() {
            let ours = hidden.get(tool, name).unwrap();
            let want = fact
                .get("replacedBy")
                .or_else(|| fact.get("canonical"))
                .and_then(Value::as_str);
            assert_eq!(Some(ours.replacement()), want, "{tool}.{name}");
            assert_eq!(
                ours.example.as_deref(),
                fact.get("example").and_then(Value::as_str)
            );
        }
    }
    say(&format!(
        "compared the hidden parameters with {}",
        upstream(file).display()
    ));
}

#[test]
fn the_real_catalog_and_its_traps() {
    let Some(text) = read_upstream(
        "tools-1.4.6.json",
        "the traps were checked against the pinned catalog only",
    ) else {
        return;
    };
    let real = pplay::catalog::Catalog::from_json(&text).unwrap();
    assert_eq!(real.tools().len(), 21);
    // `include` has a default, although the schema lists it as required.
    assert!(
        real.get("ppal-read-live-set")
            .unwrap()
            .check_args(&serde_json::json!({}), &[])
            .is_empty()
    );
    // `ids` is a (coerced) string: a number is refused, with the quoting hint.
    let issues = real
        .get("ppal-update-track")
        .unwrap()
        .check_args(&serde_json::json!({"ids": 12}), &[]);
    assert_eq!(issues.len(), 1);
    assert_eq!(
        issues[0].message,
        "`ids` must be a string, found the integer 12"
    );
    assert_eq!(
        issues[0].help.as_deref(),
        Some("quote it (\"12\") to send it as a string")
    );
    // A missing `ids` is refused before Producer Pal turns it into "undefined".
    let issues = real
        .get("ppal-update-track")
        .unwrap()
        .check_args(&serde_json::json!({"mute": true}), &[]);
    assert_eq!(issues[0].message, "missing required argument `ids`");
}
