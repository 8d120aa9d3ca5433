//! Which values a run must keep, worked out before it starts.
//!
//! A long batch job must not hold every result it has seen: a step's outcome
//! (`steps.<id>`, in a loop one per iteration) and a captured or given name
//! are kept only while a later template, capture or expectation can still
//! read them. The checker sees every template in run order, so it records
//! here, for every name and every `steps.<id>`, the last step that reads it;
//! the runner stores an outcome only when a later step reads it, and drops
//! each value once its last reader has run.

use foldhash::HashMap;

use compact_str::CompactString;

/// The last reader of each name and step outcome, by step index (run
/// order, includes expanded).
#[derive(Debug, Default)]
pub struct Readers {
    // Compact strings: names and ids are short, and a batch job has one
    // per step.
    names: HashMap<CompactString, usize>,
    steps: HashMap<CompactString, usize>,
    /// The last step that reads `steps` as a whole (`steps[name]`, or the
    /// mapping itself), which may read any outcome.
    all_steps: Option<usize>,
    /// What each step's run is the last reader of, ordered by step index
    /// (`expiring_at[i]` is the index of `expiring[i]`): one flat list, as
    /// a batch job's steps mostly expire one value each or none.
    expiring_at: Vec<usize>,
    expiring: Vec<Expiring>,
}

/// A value whose last reader is a given step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expiring {
    Name(CompactString),
    Step(CompactString),
}

impl Readers {
    /// Records that step `index` reads `name`, as a template reports it:
    /// a top-level name, or a dotted path such as `steps.clip.result.id`.
    pub fn read(&mut self, index: usize, name: &str) {
        let mut parts = name.split('.');
        let top = parts.next().unwrap_or(name);
        if top == "steps" {
            match parts.next() {
                Some(id) => raise(&mut self.steps, id, index),
                None => self.all_steps = Some(self.all_steps.map_or(index, |i| i.max(index))),
            }
        } else {
            raise(&mut self.names, top, index);
        }
    }

    /// Whether a later step than `index` reads the outcome of step `id`.
    pub fn keeps_step(&self, id: &str, index: usize) -> bool {
        let last = self.steps.get(id).copied().max(self.all_steps);
        last.is_some_and(|l| l > index)
    }

    /// Indexes what each step is the last reader of; call once every step
    /// has been seen.
    pub fn seal(&mut self) {
        let all_steps = self.all_steps;
        let mut expiring: Vec<(usize, Expiring)> = self
            .names
            .iter()
            .map(|(name, &i)| (i, Expiring::Name(name.clone())))
            // Read as a whole later: kept until then.
            .chain(self.steps.iter().map(|(id, &i)| {
                (
                    all_steps.map_or(i, |a| a.max(i)),
                    Expiring::Step(id.clone()),
                )
            }))
            .collect();
        // Stable: values a step expires keep the order they were listed in.
        expiring.sort_by_key(|(i, _)| *i);
        (self.expiring_at, self.expiring) = expiring.into_iter().unzip();
    }

    /// What nothing reads once step `index` has run.
    pub fn expiring_after(&self, index: usize) -> &[Expiring] {
        let from = self.expiring_at.partition_point(|&i| i < index);
        let to = self.expiring_at.partition_point(|&i| i <= index);
        &self.expiring[from..to]
    }
}

fn raise(map: &mut HashMap<CompactString, usize>, key: &str, index: usize) {
    match map.get_mut(key) {
        Some(i) => *i = (*i).max(index),
        None => {
            map.insert(CompactString::new(key), index);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_outcome_is_kept_until_its_last_reader() {
        let mut r = Readers::default();
        r.read(3, "steps.clip.result.id");
        r.read(5, "steps.clip.isError");
        r.read(4, "tempo");
        r.seal();
        assert!(r.keeps_step("clip", 2));
        assert!(r.keeps_step("clip", 4));
        assert!(!r.keeps_step("clip", 5), "read by no later step");
        assert!(!r.keeps_step("other", 0), "read by nothing");
        assert_eq!(r.expiring_after(4), &[Expiring::Name("tempo".into())]);
        assert_eq!(r.expiring_after(5), &[Expiring::Step("clip".into())]);
        assert!(r.expiring_after(9).is_empty());
    }

    #[test]
    fn reading_steps_as_a_whole_keeps_every_outcome_until_then() {
        let mut r = Readers::default();
        r.read(2, "steps.a.result");
        r.read(7, "steps");
        r.seal();
        assert!(r.keeps_step("b", 6), "any id may be read at step 7");
        assert!(!r.keeps_step("b", 7));
        assert!(r.expiring_after(2).is_empty());
        assert_eq!(r.expiring_after(7), &[Expiring::Step("a".into())]);
    }
}
