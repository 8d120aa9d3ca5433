//! What check and migrate say about the Producer Pal 2.4 candidate: a
//! capture of a value 2.4 no longer echoes warns, once per capture; what
//! 2.4 deprecates is a located note, and nothing is rewritten.

mod common;

use common::Test;
use common::cmd;
use pplay::catalog::{Catalog, Release};

fn two() -> Catalog {
    Catalog::pinned_release(Release::V2_3_0, false)
}

#[test]
fn a_capture_of_a_value_2_4_no_longer_echoes_warns_once() {
    let yaml = r#"name: Echo
steps:
  - tool: ppal-update-live-set
    args: { tempo: 128 }
    capture:
      bpm: result.tempo ~ "/" ~ result.timeSignature
      fine: result.scale
  - tool: ppal-update-track
    args: { path: t0, gainDb: -3 }
    capture: { gain: "result.gainDb", where: result.path }
  - tool: ppal-update-device
    args: { path: t0/d0, params: [{ name: Drive, value: "2" }] }
    capture: { drive: "result.params[0].value" }
"#;
    let (_, warnings) = Test::new(yaml).check_against(&two()).unwrap();
    assert_eq!(
        warnings.matches("pplay::not-echoed-in-2.4").count(),
        3,
        "{warnings}"
    );
    insta::assert_snapshot!("not_echoed_in_2_4", warnings);
    // 1.4 echoes what it echoes: nothing to say.
    let yaml14 = "name: Echo\nsteps:\n  - tool: ppal-update-live-set\n    args: { tempo: 128 }\n    capture: { bpm: result.tempo }\n";
    let (_, warnings) = Test::new(yaml14).check_against(&Catalog::pinned()).unwrap();
    assert!(!warnings.contains("not-echoed"), "{warnings}");
}

const DEPRECATED_IN_2_4: &str = r#"name: Kit
steps:
  - tool: ppal-create-track
    args: { count: 3, name: Kit }
  - tool: ppal-create-device
    args:
      path: t0
      deviceName: Drift
"#;

#[test]
fn what_2_4_deprecates_is_a_located_note_and_not_an_error() {
    let (steps, notes) = Test::new(DEPRECATED_IN_2_4).check_against(&two()).unwrap();
    assert_eq!(steps, 2);
    assert_eq!(
        notes.matches("pplay::deprecated-in-2.4").count(),
        2,
        "{notes}"
    );
    insta::assert_snapshot!("deprecated_in_2_4", notes);
}

#[test]
fn migrate_names_what_2_4_deprecates_and_keeps_it() {
    let out = cmd::Test::new()
        .arg("migrate")
        .playbook("kit.yaml", DEPRECATED_IN_2_4)
        .stderr_has("pplay::deprecated-in-2.4")
        .stderr_has("for example `path: \"t+,t+,t+\"`")
        .stderr_has("for example `device: \"Drift\"`")
        .status(0)
        .run();
    // Printed as it was: 2.3 needs `count` and `deviceName`.
    assert_eq!(out.stdout, DEPRECATED_IN_2_4);
}
