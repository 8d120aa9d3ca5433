//! The pinned catalog in `schemas/` against Producer Pal 1.4.6's own
//! `GET /api/tools` answer, when `../shared/producer-pal/tools-1.4.6.json` is
//! there (CI has it). The facts must match; the descriptions must be ours.

use std::io::Write;

use serde_json::Value;

/// Says so on the process's real stderr: the test harness captures the
/// output of passing tests, and a skip must be visible in CI logs. A
/// duplicate of descriptor 2 shares its file offset, so the line lands in
/// order even when stderr is a log file.
fn say(text: &str) {
    use std::os::fd::AsFd;
    match std::io::stderr().as_fd().try_clone_to_owned() {
        Ok(fd) => {
            let _ = writeln!(std::fs::File::from(fd), "conformance: {text}");
        }
        Err(_) => eprintln!("conformance: {text}"),
    }
}

fn strip_descriptions(v: &mut Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            if let Some(Value::String(d)) = m.remove("description") {
                out.push(d);
            }
            m.values_mut().for_each(|x| strip_descriptions(x, out));
        }
        Value::Array(a) => a.iter_mut().for_each(|x| strip_descriptions(x, out)),
        _ => {}
    }
}

#[test]
fn pinned_catalog_matches_producer_pal_1_4_6() {
    let upstream = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/producer-pal/tools-1.4.6.json");
    let Ok(text) = std::fs::read_to_string(&upstream) else {
        say(&format!(
            "SKIPPED: {} is not there; the pinned catalog was not compared",
            upstream.display()
        ));
        return;
    };
    let mut theirs: Value = serde_json::from_str(&text).unwrap();
    let mut ours: Value = serde_json::from_str(pplay::catalog::PINNED).unwrap();
    let (mut their_text, mut our_text) = (Vec::new(), Vec::new());
    strip_descriptions(&mut theirs, &mut their_text);
    strip_descriptions(&mut ours, &mut our_text);
    assert_eq!(
        ours, theirs,
        "names, titles, types, enums, ranges, defaults, required lists and annotations must match"
    );
    assert_eq!(
        our_text.len(),
        their_text.len(),
        "every description is replaced, none dropped"
    );
    for d in &our_text {
        assert!(
            !their_text.contains(d),
            "description copied from Producer Pal: {d}"
        );
    }
    say(&format!(
        "compared the pinned catalog with {}",
        upstream.display()
    ));
}

#[test]
fn the_real_catalog_and_its_traps() {
    let upstream = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/producer-pal/tools-1.4.6.json");
    let Ok(text) = std::fs::read_to_string(&upstream) else {
        say(&format!(
            "SKIPPED: {} is not there; the traps were checked against the pinned catalog only",
            upstream.display()
        ));
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
