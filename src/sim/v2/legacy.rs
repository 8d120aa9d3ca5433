//! 2.3's hidden parameters: the 1.4 names it still takes (deprecated,
//! still taken by 2.4, to be removed in a later release) and its permanent aliases. Which parameters a tool hides is
//! data ([`crate::hidden_params`]); here each one is folded into the listed
//! parameter that replaces it (`slot: "0/1"` becomes `path: "t0/s1"`), and
//! the call gets a warning naming the replacement.

use serde_json::{Map, Value};

use crate::hidden_params::{HiddenKind, HiddenParams};

/// The deprecation warnings a call earned.
pub type Deprecations = Vec<String>;

/// A hidden parameter whose value cannot be read: its name and why.
pub type Unreadable = (String, String);

/// The hidden parameters' values, taken out of the call.
struct Old(Map<String, Value>);

impl Old {
    fn text(&self, k: &str) -> Result<Option<String>, Unreadable> {
        match self.0.get(k) {
            None => Ok(None),
            Some(Value::String(t)) if !t.trim().is_empty() => Ok(Some(t.trim().to_owned())),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(_) => Err((k.into(), format!("{k} must be a non-blank string"))),
        }
    }

    fn index(&self, k: &str) -> Result<Option<i64>, Unreadable> {
        let bad = || (k.to_owned(), format!("{k} must be an integer"));
        match self.0.get(k) {
            None => Ok(None),
            Some(Value::Number(n)) => n.as_i64().map(Some).ok_or_else(bad),
            Some(Value::String(t)) => t.trim().parse().map(Some).map_err(|_| bad()),
            Some(_) => Err(bad()),
        }
    }
}

/// Folds the hidden parameters of `tool` in `args` into the listed ones,
/// in place. A listed parameter given as well wins. Answers one warning per
/// hidden parameter used, in 2.3's words or, with `candidate`, in the 2.4
/// candidate's (which also warns about what it newly deprecates).
pub fn translate(
    tool: &str,
    args: &mut Map<String, Value>,
    candidate: bool,
) -> Result<Deprecations, Unreadable> {
    let mut warnings = Vec::new();
    if candidate {
        for d in crate::candidate::DEPRECATED {
            if d.tool == tool && args.contains_key(d.param) {
                warnings.push(crate::candidate::warning(d.param, d.replacement, d.example));
            }
        }
    }
    let facts = HiddenParams::v2_3_0();
    let used: Vec<String> = args
        .keys()
        .filter(|k| facts.get(tool, k).is_some())
        .cloned()
        .collect();
    if used.is_empty() {
        return Ok(warnings);
    }
    let old = Old(used.iter().filter_map(|k| args.remove_entry(k)).collect());
    let new = fold(tool, &old)?;
    for k in &used {
        let fact = facts.get(tool, k).expect("listed as hidden");
        let to = fact.replacement();
        let value = new.iter().find(|(nk, _)| nk == to).map(|(_, v)| v);
        let example = value
            .map(|v| format!(" (here {to}: {v})"))
            .unwrap_or_default();
        warnings.push(match &fact.kind {
            HiddenKind::Deprecated { .. } if candidate => {
                let e = value.map_or_else(|| to.to_owned(), |v| format!("{to}: {v}"));
                crate::candidate::warning(k, to, &e)
            }
            HiddenKind::Deprecated { .. } => {
                format!(
                    "{k} is {}: use {to}{example}",
                    crate::hidden_params::DEPRECATED
                )
            }
            HiddenKind::Alias { .. } => format!("{k} is another name for {to}{example}"),
        });
    }
    for (k, v) in new {
        if args.contains_key(&k) {
            warnings.push(format!("{k} was given, so its old spelling was ignored"));
        } else {
            args.insert(k, v);
        }
    }
    Ok(warnings)
}

fn track_path(index: i64, kind: Option<&str>) -> String {
    match kind {
        Some("return") => format!("rt{index}"),
        Some("master" | "main") => "mt".into(),
        _ if index < 0 => "t+".into(),
        _ => format!("t{index}"),
    }
}

/// `"1/0"` as `t1/s0`, each of a comma-separated list.
fn slots(text: &str) -> String {
    text.split(',')
        .map(|one| match one.trim().split_once('/') {
            Some((t, s)) => format!("t{}/s{}", t.trim(), s.trim()),
            None => one.trim().to_owned(),
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// A take lane as a path step: 1.4 counts lanes from 1, 0 is the main lane.
fn lane(old: &Old) -> Result<String, Unreadable> {
    if old.text("takeLane")?.as_deref() == Some("new") {
        return Ok("/l+".into());
    }
    Ok(match old.index("takeLane")? {
        Some(n) if n >= 1 => format!("/l{}", n - 1),
        _ => String::new(),
    })
}

/// The listed parameters the hidden ones stand for.
fn fold(tool: &str, old: &Old) -> Result<Vec<(String, Value)>, Unreadable> {
    let mut new: Vec<(String, Value)> = Vec::new();
    let mut put = |k: &str, v: String| new.push((k.to_owned(), Value::String(v)));
    let track = old.index("trackIndex")?;
    let scene = old.index("sceneIndex")?;
    let kind = old.text("trackType")?;
    match (tool, track, scene) {
        ("ppal-create-clip", Some(t), _) if old.0.contains_key("arrangementStart") => {
            let lane = lane(old)?;
            let starts = old.text("arrangementStart")?.unwrap_or_default();
            let each: Vec<String> = starts
                .split(',')
                .map(|s| format!("t{t}{lane}[{}]", s.trim()))
                .collect();
            put("path", each.join(","));
        }
        (_, Some(t), Some(s)) => put("path", format!("t{t}/s{s}")),
        (_, Some(t), None) => put("path", track_path(t, kind.as_deref())),
        (_, None, Some(s)) => put("path", format!("s{s}")),
        _ => {}
    }
    for (from, to) in [("slot", "path"), ("slots", "path"), ("toSlot", "toPath")] {
        if let Some(t) = old.text(from)? {
            put(to, slots(&t));
        }
    }
    if let Some(at) = old.text("arrangementStart")?
        && tool != "ppal-create-clip"
    {
        put("toPath", format!("[{at}]"));
    }
    if let Some(name) = old.text("locator")? {
        put("toPath", format!("[loc:{name}]"));
    }
    for (from, to) in [
        ("startLocator", "startTime"),
        ("loopStartLocator", "loopStart"),
        ("loopEndLocator", "loopEnd"),
    ] {
        if let Some(name) = old.text(from)? {
            put(to, format!("loc:{name}"));
        }
    }
    let facts = HiddenParams::v2_3_0();
    for (k, v) in &old.0 {
        let Some(fact) = facts.get(tool, k) else {
            continue;
        };
        let plain = matches!(&fact.kind, HiddenKind::Alias { canonical } if canonical != "path")
            || k.ends_with("Id")
            || matches!(k.as_str(), "devicePath" | "split" | "paths");
        if plain && !new.iter().any(|(nk, _)| nk == fact.replacement()) {
            new.push((fact.replacement().to_owned(), v.clone()));
        }
    }
    Ok(new)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(tool: &str, args: Value) -> (Value, Deprecations) {
        let mut m = args.as_object().unwrap().clone();
        let w = translate(tool, &mut m, false).unwrap();
        (Value::Object(m), w)
    }

    #[test]
    fn old_addressing_becomes_paths() {
        let cases = [
            (
                "ppal-create-clip",
                json!({"slot": "0/1"}),
                json!({"path": "t0/s1"}),
            ),
            (
                "ppal-create-clip",
                json!({"trackIndex": 1, "arrangementStart": "5|1,9|1", "takeLane": 2}),
                json!({"path": "t1/l1[5|1],t1/l1[9|1]"}),
            ),
            (
                "ppal-create-track",
                json!({"trackIndex": -1}),
                json!({"path": "t+"}),
            ),
            (
                "ppal-read-track",
                json!({"trackIndex": 0, "trackType": "return"}),
                json!({"path": "rt0"}),
            ),
            (
                "ppal-read-clip",
                json!({"trackIndex": 2, "sceneIndex": 3}),
                json!({"path": "t2/s3"}),
            ),
            (
                "ppal-update-clip",
                json!({"ids": "7", "arrangementStart": "49|1"}),
                json!({"id": "7", "toPath": "[49|1]"}),
            ),
            (
                "ppal-duplicate",
                json!({"locator": "Chorus"}),
                json!({"toPath": "[loc:Chorus]"}),
            ),
            (
                "ppal-playback",
                json!({"startLocator": "Drop"}),
                json!({"startTime": "loc:Drop"}),
            ),
            (
                "ppal-update-track",
                json!({"inputRoutingTypeId": "x"}),
                json!({"inputRoutingType": "x"}),
            ),
        ];
        for (tool, args, want) in cases {
            let (got, warnings) = run(tool, args.clone());
            assert_eq!(got, want, "{tool} {args}");
            assert!(!warnings.is_empty());
        }
    }

    #[test]
    fn warnings_name_the_replacement_and_the_listed_parameter_wins() {
        let (got, w) = run("ppal-create-clip", json!({"slot": "0/1"}));
        assert_eq!(got, json!({"path": "t0/s1"}));
        assert_eq!(
            w,
            [
                "slot is deprecated; still accepted, to be removed in a later release: use path (here path: \"t0/s1\")"
            ]
        );
        let (got, w) = run("ppal-create-clip", json!({"slot": "0/1", "path": "t3/s3"}));
        assert_eq!(got, json!({"path": "t3/s3"}));
        assert_eq!(w.len(), 2);
    }

    #[test]
    fn the_2_4_candidate_words_it_its_own_way_and_warns_about_count() {
        let mut m = json!({"trackIndex": 3}).as_object().unwrap().clone();
        let w = translate("ppal-read-track", &mut m, true).unwrap();
        assert_eq!(
            w,
            [
                r#"param "trackIndex" is deprecated and will be removed; use "path" instead (e.g. path: "t3")"#
            ]
        );
        let mut m = json!({"count": 3}).as_object().unwrap().clone();
        let w = translate("ppal-create-track", &mut m, true).unwrap();
        assert_eq!(
            w,
            [
                r#"param "count" is deprecated and will be removed; use "path" instead (e.g. path: "t+,t+,t+")"#
            ]
        );
        assert!(
            translate("ppal-create-track", &mut m, false)
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn an_unreadable_value_is_refused() {
        let mut m = json!({"trackIndex": "two"}).as_object().unwrap().clone();
        assert_eq!(
            translate("ppal-read-track", &mut m, false).unwrap_err().0,
            "trackIndex"
        );
    }
}
