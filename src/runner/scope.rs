//! The run's scope: vars, captures and `steps.<id>`, as templates see them.

use std::collections::BTreeMap;

use minijinja::value::Value as MjValue;

use crate::readers::Expiring;

/// Vars, captures and `steps`, as the templates see them. Each name is
/// kept beside its value as the template value of the name too, so that
/// rebuilding the context after a capture (every step of a batch that
/// captures) shares the names instead of copying them.
pub(super) struct Scope {
    vars: BTreeMap<String, Entry>,
    steps: BTreeMap<String, Entry>,
    ctx: Option<MjValue>,
}

/// A name as templates see it, and its value.
struct Entry {
    key: MjValue,
    value: MjValue,
}

impl Entry {
    fn new(name: &str, value: MjValue) -> Self {
        Entry {
            key: MjValue::from(name),
            value,
        }
    }

    fn pair(&self) -> (MjValue, MjValue) {
        (self.key.clone(), self.value.clone())
    }
}

/// Sets `name` to `v`, keeping the template value of a name already there.
fn put(map: &mut BTreeMap<String, Entry>, name: &str, v: MjValue) {
    match map.get_mut(name) {
        Some(e) => e.value = v,
        None => {
            map.insert(name.to_owned(), Entry::new(name, v));
        }
    }
}

impl Scope {
    pub(super) fn new(vars: BTreeMap<String, MjValue>) -> Self {
        Scope {
            vars: vars
                .into_iter()
                .map(|(k, v)| {
                    let e = Entry::new(&k, v);
                    (k, e)
                })
                .collect(),
            steps: BTreeMap::new(),
            ctx: None,
        }
    }

    pub(super) fn set(&mut self, name: &str, v: MjValue) {
        put(&mut self.vars, name, v);
        self.ctx = None;
    }

    pub(super) fn get(&self, name: &str) -> Option<&MjValue> {
        self.vars.get(name).map(|e| &e.value)
    }

    pub(super) fn set_step(&mut self, id: &str, v: MjValue) {
        put(&mut self.steps, id, v);
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
        let steps = crate::template::StepsScope::value(self.steps.values().map(Entry::pair));
        let c = MjValue::from_iter(
            self.vars
                .values()
                .map(Entry::pair)
                .chain(std::iter::once((MjValue::from("steps"), steps))),
        );
        self.ctx = Some(c.clone());
        c
    }
}
