//! The run's scope: vars, captures and `steps.<id>`, as templates see them.

use std::collections::BTreeMap;

use minijinja::value::Value as MjValue;

use crate::readers::Expiring;

/// Vars, captures and `steps`, as the templates see them.
pub(super) struct Scope {
    vars: BTreeMap<String, MjValue>,
    steps: BTreeMap<String, MjValue>,
    ctx: Option<MjValue>,
}

impl Scope {
    pub(super) fn new(vars: BTreeMap<String, MjValue>) -> Self {
        Scope {
            vars,
            steps: BTreeMap::new(),
            ctx: None,
        }
    }

    pub(super) fn set(&mut self, name: &str, v: MjValue) {
        self.vars.insert(name.to_owned(), v);
        self.ctx = None;
    }

    pub(super) fn get(&self, name: &str) -> Option<&MjValue> {
        self.vars.get(name)
    }

    pub(super) fn set_step(&mut self, id: &str, v: MjValue) {
        self.steps.insert(id.to_owned(), v);
        self.ctx = None;
    }

    /// Whether a var or captured name is set.
    pub(super) fn has(&self, name: &str) -> bool {
        self.vars.contains_key(name)
    }

    /// Whether the outcome of step `id` is kept.
    pub(super) fn has_step(&self, id: &str) -> bool {
        self.steps.contains_key(id)
    }

    /// Drops a value that no later step reads.
    pub(super) fn forget(&mut self, what: &Expiring) {
        let gone = match what {
            Expiring::Name(name) => self.vars.remove(name.as_str()).is_some(),
            Expiring::Step(id) => self.steps.remove(id.as_str()).is_some(),
        };
        if gone {
            self.ctx = None;
        }
    }

    /// The context for templates, rebuilt only after something changed.
    pub(super) fn ctx(&mut self) -> MjValue {
        if let Some(c) = &self.ctx {
            return c.clone();
        }
        let steps = MjValue::from_iter(self.steps.iter().map(|(k, v)| (k.clone(), v.clone())));
        let c = MjValue::from_iter(
            self.vars
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .chain(std::iter::once(("steps".to_owned(), steps))),
        );
        self.ctx = Some(c.clone());
        c
    }
}
