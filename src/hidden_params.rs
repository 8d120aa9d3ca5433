//! Parameters a Producer Pal release still accepts but no longer lists in
//! its catalog.
//!
//! Producer Pal 2.3 renamed most addressing parameters (`slot`, `trackIndex`,
//! `ids`, ...) yet keeps taking the old names, with a warning; the 2.4
//! candidate still takes them, and their removal is left to a later,
//! unnamed release.
//! A strict check against the published schema alone would call them
//! unknown; these facts let pplay tell a deprecated argument (a warning
//! naming its replacement) from a real mistake. They ship as data in
//! `schemas/`, so a new release's list is a new file, not new code.

use foldhash::HashMap;
use std::sync::OnceLock;

use serde::Deserialize;

/// How pplay words a deprecated parameter's status, everywhere it does
/// (check, migrate, the simulator): the facts name no release that drops it.
pub const DEPRECATED: &str = "deprecated; still accepted, to be removed in a later release";

/// The 2.3.0 facts, as shipped in `schemas/`.
pub const HIDDEN_PARAMS_2_3_0: &str =
    include_str!("../schemas/producer-pal-2.3.0-hidden-params.json");

/// What a hidden parameter is.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum HiddenKind {
    /// Still works, with a warning; to be removed in a later release.
    Deprecated {
        #[serde(rename = "replacedBy")]
        replaced_by: String,
    },
    /// A second spelling of `canonical` that stays.
    Alias { canonical: String },
}

/// One parameter a tool takes without listing it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct HiddenParam {
    #[serde(flatten)]
    pub kind: HiddenKind,
    /// The new form, where the release gives one (`t0[5|1]`).
    pub example: Option<String>,
}

/// How an index-named argument `old` is written as a 2.x path, for a
/// warning's help where the facts give no example of their own.
pub fn path_example(old: &str) -> Option<&'static str> {
    Some(match old {
        "trackIndex" | "trackType" => {
            "`trackIndex: 2` becomes `path: \"t2\"` (`rt0` a return track)"
        }
        "sceneIndex" => "`sceneIndex: 1` becomes `path: \"s1\"`",
        "slot" | "slots" => "`slot: \"0/1\"` becomes `path: \"t0/s1\"`",
        "toSlot" => "`toSlot: \"0/1\"` becomes `toPath: \"t0/s1\"`",
        "devicePath" => "the device's path is the `path`, such as `t1/d0`",
        "takeLane" => "`takeLane: 1` on track 2 becomes `t2/l0` (lanes count from 0 in a path)",
        "paths" => "several paths are one comma-separated `path`, such as `t0/s0,t1/s0`",
        _ => return None,
    })
}

impl HiddenParam {
    /// The listed parameter that takes over from this one.
    pub fn replacement(&self) -> &str {
        match &self.kind {
            HiddenKind::Deprecated { replaced_by } => replaced_by,
            HiddenKind::Alias { canonical } => canonical,
        }
    }
}

/// Every tool's hidden parameters for one release.
#[derive(Debug, Deserialize)]
pub struct HiddenParams {
    tools: HashMap<String, HashMap<String, HiddenParam>>,
}

impl HiddenParams {
    /// Producer Pal 2.3.0's hidden parameters (parsed once).
    pub fn v2_3_0() -> &'static HiddenParams {
        static PARSED: OnceLock<HiddenParams> = OnceLock::new();
        PARSED.get_or_init(|| {
            serde_json::from_str(HIDDEN_PARAMS_2_3_0).expect("the shipped hidden parameters parse")
        })
    }

    /// `param` of `tool`, when the release takes it without listing it.
    pub fn get(&self, tool: &str, param: &str) -> Option<&HiddenParam> {
        self.tools.get(tool)?.get(param)
    }

    /// The hidden parameters of one tool, in no particular order.
    pub fn of_tool(&self, tool: &str) -> impl Iterator<Item = (&str, &HiddenParam)> {
        self.tools
            .get(tool)
            .into_iter()
            .flat_map(|m| m.iter().map(|(k, v)| (k.as_str(), v)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_facts_parse_and_read_as_the_migration_guide_says() {
        let hidden = HiddenParams::v2_3_0();
        let slot = hidden.get("ppal-create-clip", "slot").unwrap();
        assert_eq!(
            slot.kind,
            HiddenKind::Deprecated {
                replaced_by: "path".into()
            }
        );
        let start = hidden.get("ppal-create-clip", "arrangementStart").unwrap();
        assert_eq!(start.example.as_deref(), Some("t0[5|1]"));
        let ids = hidden.get("ppal-delete", "ids").unwrap();
        assert_eq!(
            ids.kind,
            HiddenKind::Alias {
                canonical: "id".into()
            }
        );
        assert_eq!(ids.replacement(), "id");
        assert!(hidden.get("ppal-create-clip", "path").is_none());
        assert!(hidden.get("ppal-no-such-tool", "slot").is_none());
        assert_eq!(hidden.of_tool("ppal-library").count(), 1);
    }
}
