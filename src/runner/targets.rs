//! Targets: a write's result may hold one entry per target (Producer Pal
//! 2.4), and a target that could not be done keeps its place as `{path or
//! id, ok: false, <explanation>}` while the call as a whole succeeds (HTTP
//! 200, `isError: false`). Such a skip fails the step, since a runner that
//! calls it a success hides a failure; an explanation on a target that
//! landed is a warning. Both are drawn at the step and, where the list of
//! targets is written out in the playbook, at the target inside it.

use serde_json::Value as Json;

use super::Runner;
use super::call::CallResult;
use crate::candidate::EXPLANATION_KEYS;
use crate::check::CheckedStep;
use crate::diagnostic::Diagnostic;
use crate::event::{Event, StepRef, TargetOutcome};
use crate::playbook::Action;
use crate::yaml::{Node, Span};

/// The per-target outcomes of a result, when some target was skipped or
/// explained; empty otherwise (a plain result, or every target landed).
pub fn outcomes(result: &Json) -> Vec<TargetOutcome> {
    let entries: Vec<&Json> = match result {
        Json::Array(items) => items.iter().collect(),
        one @ Json::Object(_) => vec![one],
        _ => return Vec::new(),
    };
    let out: Vec<TargetOutcome> = entries.into_iter().filter_map(outcome).collect();
    if out.iter().any(|t| !t.ok || t.explanation.is_some()) {
        out
    } else {
        Vec::new()
    }
}

fn outcome(entry: &Json) -> Option<TargetOutcome> {
    let m = entry.as_object()?;
    let target = ["path", "id"].iter().find_map(|k| match m.get(*k)? {
        Json::String(s) => Some(s.clone()),
        Json::Number(n) => Some(n.to_string()),
        _ => None,
    })?;
    let explanation = EXPLANATION_KEYS
        .iter()
        .find_map(|k| m.get(*k).and_then(Json::as_str))
        .map(str::to_owned);
    Some(TargetOutcome {
        target,
        ok: m.get("ok") != Some(&Json::Bool(false)),
        explanation,
    })
}

impl Runner<'_> {
    /// Reports a write's per-target outcomes (an event, and a warning for
    /// each explained target that landed); answers the step's failure when
    /// a target was skipped. The call reached Live, so it is never sent
    /// again for this.
    pub(super) fn targets(
        &mut self,
        cs: &CheckedStep<'_, '_>,
        sr: &StepRef,
        call: &CallResult,
    ) -> Option<Diagnostic> {
        if call.is_error || cs.tool.is_some_and(|t| t.read_only) {
            return None;
        }
        let targets = outcomes(&call.result);
        if targets.is_empty() {
            return None;
        }
        let step = cs.step;
        let tool = step.tool().unwrap_or_default();
        let anchor = step.anchor();
        let places = Places::of(cs);
        for (k, t) in targets.iter().enumerate() {
            let (true, Some(why)) = (t.ok, &t.explanation) else {
                continue;
            };
            self.summary.warnings += 1;
            let mut d = Diagnostic::warning(
                "pplay::target-explained",
                format!("{tool}: {}: {why}", t.target),
            )
            .in_file(&step.file)
            .label(anchor, "Producer Pal explained a target of this call");
            if let Some(span) = places.find(&t.target, k, targets.len()) {
                d = d.label(span, why.clone());
            }
            self.sink.emit(&Event::Warning {
                step: sr.clone(),
                diagnostic: d,
            });
        }
        self.sink.emit(&Event::Targets {
            step: sr.clone(),
            targets: targets.clone(),
        });
        skipped(cs, &targets, &places)
    }
}

/// The failure for the skipped targets, if any: each named with why.
fn skipped(
    cs: &CheckedStep<'_, '_>,
    targets: &[TargetOutcome],
    places: &Places,
) -> Option<Diagnostic> {
    let skipped: Vec<(usize, &TargetOutcome)> =
        targets.iter().enumerate().filter(|(_, t)| !t.ok).collect();
    if skipped.is_empty() {
        return None;
    }
    let step = cs.step;
    let tool = step.tool().unwrap_or_default();
    let listed: Vec<String> = skipped
        .iter()
        .map(|(_, t)| match &t.explanation {
            Some(e) => format!("{} ({e})", t.target),
            None => t.target.clone(),
        })
        .collect();
    let mut d = Diagnostic::error(
        "pplay::target-skipped",
        format!(
            "`{tool}` skipped {} of {} targets: {}",
            skipped.len(),
            targets.len(),
            listed.join("; ")
        ),
    )
    .in_file(&step.file)
    .label(
        step.anchor(),
        format!("{} of {} targets not done", skipped.len(), targets.len()),
    );
    for (k, t) in &skipped {
        if let Some(span) = places.find(&t.target, *k, targets.len()) {
            let why = t.explanation.as_deref().unwrap_or("skipped");
            d = d.label(span, format!("skipped: {why}"));
        }
    }
    Some(d.help(
        "the call reached Live and its other targets were done, so it is not sent again; fix the skipped targets and run a step for them",
    ))
}

/// Where each target of the call is written, when its `path` or `id` is
/// a literal list in the playbook: the target's text and its span.
struct Places(Vec<(String, Span)>);

impl Places {
    fn of(cs: &CheckedStep<'_, '_>) -> Places {
        let Action::Call { args, .. } = &cs.step.action else {
            return Places(Vec::new());
        };
        let src = cs.step.file.text();
        let found = ["path", "id"]
            .iter()
            .find_map(|k| literal(args, k))
            .map(|node| items(src, node))
            .unwrap_or_default();
        Places(found)
    }

    /// The span of `target`, the `k`th of `count` entries: the item with
    /// its text, else the `k`th item when there is one item per entry.
    fn find(&self, target: &str, k: usize, count: usize) -> Option<Span> {
        self.0
            .iter()
            .find(|(text, _)| text == target)
            .or_else(|| (self.0.len() == count).then(|| &self.0[k]))
            .map(|(_, span)| *span)
    }
}

/// The arg `key` when it is a string with no template in it.
fn literal<'n>(args: &'n Node, key: &str) -> Option<&'n Node> {
    let (_, node) = args.as_map()?.iter().find(|(k, _)| k.name == key)?;
    node.as_str().filter(|s| !s.contains("{{")).map(|_| node)
}

/// The comma-separated items of a literal list, each with its span in the
/// source (an item the source does not spell out as is, through escapes,
/// is left out).
fn items(src: &str, node: &Node) -> Vec<(String, Span)> {
    let Some(text) = node.as_str() else {
        return Vec::new();
    };
    crate::path::split_list(text)
        .into_iter()
        .filter_map(|item| {
            let trimmed = item.trim();
            let start = trimmed.as_ptr() as usize - text.as_ptr() as usize;
            let r = crate::migrate::scalar::source_range(
                src,
                node,
                text,
                start..start + trimmed.len(),
            )?;
            Some((trimmed.to_owned(), Span::new(r.start, r.len())))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_a_skip_or_an_explanation_makes_outcomes() {
        assert!(
            outcomes(&json!([{"id": "1", "path": "t0"}, {"id": "2", "path": "t1"}])).is_empty()
        );
        assert!(outcomes(&json!({"tempo": 120})).is_empty());
        let got = outcomes(&json!([
            {"id": "1", "path": "t0"},
            {"path": "t5", "ok": false, "reason": "no track"},
            {"id": 7, "note": "renamed"}
        ]));
        assert_eq!(
            got,
            [
                TargetOutcome {
                    target: "t0".into(),
                    ok: true,
                    explanation: None
                },
                TargetOutcome {
                    target: "t5".into(),
                    ok: false,
                    explanation: Some("no track".into())
                },
                TargetOutcome {
                    target: "7".into(),
                    ok: true,
                    explanation: Some("renamed".into())
                },
            ]
        );
    }
}
