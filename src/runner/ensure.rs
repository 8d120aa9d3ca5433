//! Ensure: before a call with `ensure:`, read what the set holds (through
//! [`Cache`], one read per live set or track for the whole run) and decide
//! whether the call is needed, and with which arguments. What the table in
//! [`crate::converge`] says is looked up here; the decision is reported as
//! an [`Event::Change`].

use std::time::Instant;

use minijinja::value::Value as MjValue;
use serde_json::{Map, Value as Json};

use super::call::CallResult;
use super::render::Rendered;
use super::{Runner, err_at, ms};
use crate::check::CheckedStep;
use crate::client::Reply;
use crate::converge::{self, Kind, Rule, Source};
use crate::diagnostic::Diagnostic;
use crate::event::{Change, Event, StepRef};

/// The reads this run made, by what they list, kept up to date from the
/// run's own successful calls (a created track is added to its list), and
/// dropped where a call may have changed what pplay cannot follow.
#[derive(Debug, Default)]
pub(super) struct Cache {
    reads: foldhash::HashMap<Source, Json>,
    /// `pplay plan`: the objects the plan's creates would make, where their
    /// container lists them, so a later step asking for one plans no second
    /// create.
    planned: foldhash::HashMap<(Source, &'static str), Vec<Json>>,
}

impl Cache {
    /// `pplay plan` on a create it does not send: whether an earlier step of
    /// the plan already creates the object these `ensure:` fields name
    /// (`true`); else the object is noted as one the run would make (a
    /// create without `ensure:` is always made, and noted).
    pub(super) fn plan_create(
        &mut self,
        tool: &str,
        args: &Map<String, Json>,
        identity: &Map<String, Json>,
    ) -> bool {
        let Some(Rule::Create(kind)) = converge::rule(tool) else {
            return false;
        };
        let Some((source, key)) = converge::container(kind, args) else {
            return false;
        };
        let list = self.planned.entry((source, key)).or_default();
        if !identity.is_empty() && converge::find(list, identity).is_some() {
            return true;
        }
        list.push(converge::created(&Json::Null, args, identity));
        false
    }

    fn list_mut(&mut self, source: &Source, key: &str) -> Option<&mut Vec<Json>> {
        self.reads.get_mut(source)?.get_mut(key)?.as_array_mut()
    }

    /// After a successful call that changes the set: what it did, in the
    /// reads it touches. `identity` is the create's `ensure:` fields.
    pub(super) fn remember(
        &mut self,
        tool: &str,
        args: &Map<String, Json>,
        identity: &Map<String, Json>,
        result: &Json,
    ) {
        let Some(rule) = converge::rule(tool) else {
            return self.reads.clear();
        };
        match rule {
            Rule::Create(kind) => {
                let Some((source, key)) = converge::container(kind, args) else {
                    return self.reads.clear();
                };
                let object = converge::created(result, args, identity);
                let single = result.is_object();
                let list = self.list_mut(&source, key);
                match list {
                    Some(list) if single && converge::appends(kind, args) => list.push(object),
                    _ if single && converge::appends(kind, args) => {}
                    // An insertion moves the paths of what follows it.
                    _ => self.reads.clear(),
                }
            }
            Rule::Update(kind) => self.patch(kind, args),
        }
    }

    /// An update that succeeded: its values into the object it names, when
    /// the cache holds it; otherwise what it named is unknown, so all goes.
    fn patch(&mut self, kind: Kind, args: &Map<String, Json>) {
        let Some((source, key)) = converge::container(kind, args) else {
            return self.reads.clear();
        };
        let Some(read) = self.reads.get_mut(&source) else {
            return;
        };
        let known = if kind == Kind::LiveSet {
            read.as_object_mut()
                .is_some_and(|o| converge::apply(o, args, 0, 1))
        } else {
            let list = read.get_mut(key).and_then(Json::as_array_mut);
            list.is_some_and(|list| {
                let at = converge::target_indices(kind, list, args).unwrap_or_default();
                let n = at.len();
                n > 0
                    && at.into_iter().enumerate().all(|(k, i)| {
                        list[i]
                            .as_object_mut()
                            .is_some_and(|o| converge::apply(o, args, k, n))
                    })
            })
        };
        if !known {
            self.reads.clear();
        }
    }

    /// After a call that changes the set came back: what it did, or, when
    /// it failed, nothing kept.
    pub(super) fn after(
        &mut self,
        tool: &str,
        sent: &Json,
        identity: &Map<String, Json>,
        call: &CallResult,
    ) {
        match (sent, call.is_error) {
            (Json::Object(args), false) => self.remember(tool, args, identity, &call.result),
            _ => self.forget(),
        }
    }

    /// Nothing read yet: no call can change what the cache holds.
    pub(super) fn is_empty(&self) -> bool {
        self.reads.is_empty()
    }

    /// A call that failed after it may have reached Live.
    pub(super) fn forget(&mut self) {
        self.reads.clear();
    }
}

/// What `ensure:` decided for one call.
pub(super) enum Decision {
    /// Send these arguments (all of them, or the differing ones).
    Send { args: Json, change: Change },
    /// Nothing to send: the object as the read shows it stands in for the
    /// result.
    Done { result: Json, why: &'static str },
}

impl Runner<'_> {
    /// The read that lists `source`, made once and then kept.
    async fn read(
        &mut self,
        cs: &CheckedStep<'_, '_>,
        sr: &StepRef,
        source: &Source,
    ) -> Result<&Json, Diagnostic> {
        if !self.cache.reads.contains_key(source) {
            let (tool, args) = converge::read_call(source, self.generation);
            let value = self.send_read(cs, sr, tool, args).await?;
            self.cache.reads.insert(source.clone(), value);
        }
        Ok(&self.cache.reads[source])
    }

    /// One read call, reported as any call is; a tool error (a track that
    /// is not there) reads as nothing.
    async fn send_read(
        &mut self,
        cs: &CheckedStep<'_, '_>,
        sr: &StepRef,
        tool: &'static str,
        args: Json,
    ) -> Result<Json, Diagnostic> {
        let tool_name: std::sync::Arc<str> = std::sync::Arc::from(tool);
        let args = std::sync::Arc::new(args);
        self.sink.emit(&Event::CallSent {
            step: sr.clone(),
            tool: tool_name.clone(),
            url: self.client.base(),
            args: args.clone(),
            timeout_ms: None,
            attempt: 1,
        });
        let t0 = Instant::now();
        let res = self.client.call(tool, &args, None).await;
        self.summary.calls += 1;
        let error = self.report_attempt(sr, &tool_name, &res, ms(t0.elapsed()));
        match res {
            Ok(Reply::Tool {
                result, is_error, ..
            }) => Ok(if is_error {
                Json::Null
            } else {
                (*result).clone()
            }),
            _ => Err(Diagnostic::error(
                "pplay::ensure-read",
                format!(
                    "`ensure` could not read the set with `{tool}`: {}",
                    error.unwrap_or_default()
                ),
            )
            .in_file(&cs.step.file)
            .label(
                cs.step.ensure.as_ref().map_or(cs.step.anchor(), |e| e.key),
                "this needs the read",
            )),
        }
    }

    /// The step's `ensure:` fields, rendered.
    pub(super) fn identity(
        &self,
        cs: &CheckedStep<'_, '_>,
        ctx: &MjValue,
    ) -> Result<Map<String, Json>, Diagnostic> {
        let Some(e) = cs.ensure.as_deref() else {
            return Ok(Map::new());
        };
        let mut out = Map::new();
        for (name, c) in &e.identity {
            let v = c.render(ctx).map_err(|e| {
                err_at(
                    &cs.step.file,
                    "pplay::template",
                    &e,
                    &format!("`ensure` field `{name}` cannot be rendered"),
                )
            })?;
            out.insert((*name).to_owned(), v);
        }
        converge::slot_as_path(self.generation, &mut out);
        Ok(out)
    }

    /// Whether the call is needed, for a step with `ensure:`.
    pub(super) async fn decide(
        &mut self,
        cs: &CheckedStep<'_, '_>,
        sr: &StepRef,
        args: &Json,
        identity: &Map<String, Json>,
    ) -> Result<Decision, Diagnostic> {
        let rule = cs.ensure.as_ref().map(|e| e.rule);
        let empty = Map::new();
        let map = args.as_object().unwrap_or(&empty);
        let send_all = |change| Decision::Send {
            args: args.clone(),
            change,
        };
        let Some((rule, (source, key))) =
            rule.and_then(|r| Some((r, converge::container(kind_of(r), map)?)))
        else {
            // Nothing to look in (a clip on a track yet to be made).
            return Ok(send_all(creation(cs, rule, identity, map)));
        };
        let read = self.read(cs, sr, &source).await?;
        let list = read.get(key).and_then(Json::as_array).map(Vec::as_slice);
        Ok(match rule {
            Rule::Create(_) => match list.and_then(|l| converge::find(l, identity)) {
                Some(found) => Decision::Done {
                    result: found.clone(),
                    why: "exists",
                },
                None => send_all(creation(cs, Some(rule), identity, map)),
            },
            Rule::Update(kind) => {
                let current = match kind {
                    Kind::LiveSet => Some(vec![read]),
                    _ => list.and_then(|l| converge::targets(kind, l, map)),
                };
                let Some(current) = current else {
                    return Ok(send_all(Change::Send {
                        tool: cs.step.tool().unwrap_or_default().to_owned(),
                        args: args.clone(),
                    }));
                };
                let diffs = converge::differences(map, &current);
                if diffs.is_empty() {
                    // One object, or a list for several, as the update
                    // would have answered.
                    let result = match current.as_slice() {
                        [one] => (*one).clone(),
                        many => Json::Array(many.iter().map(|o| (*o).clone()).collect()),
                    };
                    Decision::Done {
                        result,
                        why: "up to date",
                    }
                } else {
                    Decision::Send {
                        args: Json::Object(converge::only_differing(map, &diffs)),
                        change: Change::Update(diffs),
                    }
                }
            }
        })
    }

    /// A step `ensure:` found done: not sent; its captures and expectations
    /// read the object as the set holds it.
    pub(super) fn already(
        &mut self,
        cs: &CheckedStep<'_, '_>,
        sr: StepRef,
        result: Json,
        why: &'static str,
        ctx: MjValue,
        keep: bool,
    ) -> Option<MjValue> {
        self.sink.emit(&Event::Change {
            step: sr.clone(),
            change: Change::Same { why },
        });
        let call = CallResult::found(result);
        self.summary.steps += 1;
        match self.verify(cs, &call, ctx) {
            Ok(()) => {
                let status = crate::event::StepStatus::Ok;
                self.finish(sr, status, 0.0, Some(why.to_owned()), None);
            }
            Err(d) => {
                self.summary.steps -= 1;
                self.finish_failed(cs, sr, 0.0, d);
            }
        }
        keep.then(|| call.outcome())
    }
}

fn kind_of(rule: Rule) -> Kind {
    match rule {
        Rule::Create(k) | Rule::Update(k) => k,
    }
}

/// How a plan names a create: `create track Kick`.
fn creation(
    cs: &CheckedStep<'_, '_>,
    rule: Option<Rule>,
    identity: &Map<String, Json>,
    args: &Map<String, Json>,
) -> Change {
    let tool = cs.step.tool().unwrap_or_default().to_owned();
    match rule {
        Some(Rule::Create(kind)) => {
            let name = identity
                .get("name")
                .or_else(|| args.get("name"))
                .or_else(|| identity.values().next())
                .map(converge::shown)
                .unwrap_or_default();
            Change::Create {
                kind: kind.noun(),
                name,
            }
        }
        _ => Change::Send {
            tool,
            args: Json::Object(args.clone()),
        },
    }
}

/// What [`Runner::converge`] leaves the call with.
pub(super) enum Converged {
    /// Send this; with the args as rendered (for the journal, which names
    /// a call by them) and the `ensure:` fields, for the cache.
    Send(Rendered, Json, Map<String, Json>),
    /// Not needed: the object as read, and why.
    Done(Json, &'static str),
    Failed(Diagnostic),
}

impl Runner<'_> {
    /// The call `ensure:` leaves to send, if any; without `ensure:` the
    /// call as rendered.
    pub(super) async fn converge(
        &mut self,
        cs: &CheckedStep<'_, '_>,
        sr: &StepRef,
        rendered: Rendered,
        ctx: &MjValue,
    ) -> Converged {
        // Only a journal reads the rendered args once the call is decided.
        let full = |r: &Rendered, j: bool| if j { r.args.clone() } else { Json::Null };
        let journaled = self.journal.is_some();
        if cs.ensure.is_none() {
            let args = full(&rendered, journaled);
            return Converged::Send(rendered, args, Map::new());
        }
        let identity = match self.identity(cs, ctx) {
            Ok(i) => i,
            Err(d) => return Converged::Failed(d),
        };
        match self.decide(cs, sr, &rendered.args, &identity).await {
            Err(d) => Converged::Failed(d),
            Ok(Decision::Done { result, why }) => Converged::Done(result, why),
            Ok(Decision::Send { args, change }) => {
                self.sink.emit(&Event::Change {
                    step: sr.clone(),
                    change,
                });
                let all = full(&rendered, journaled);
                let r = Rendered {
                    args,
                    timeout_ms: rendered.timeout_ms,
                };
                Converged::Send(r, all, identity)
            }
        }
    }
}
