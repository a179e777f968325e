//! `--shard K/N`: a deterministic split of a run's work — executors × modes × cases — so that
//! N machines each run one part and `overtime merge` puts the parts back together.
//!
//! The work is listed in run order (executors as given, then modes, then cases in catalogue
//! order, the modes an executor does not support left out) and dealt round-robin: item `i`
//! goes to shard `i mod N + 1`. Every shard lists the same work, so together the shards run
//! each item exactly once, and neighbouring (often equally slow) cases land on different
//! machines.

use overtime_harness::{Mode, Profile};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Shard `index` of `count`, 1-based: `--shard 2/3`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl Shard {
    /// Whether the item at `position` of the run's work list is this shard's.
    pub fn takes(self, position: usize) -> bool {
        position % self.count == self.index - 1
    }
}

impl FromStr for Shard {
    type Err = String;

    fn from_str(text: &str) -> Result<Shard, String> {
        let bad = || format!("--shard takes K/N with 1 <= K <= N (e.g. 2/3), got {text:?}");
        let (k, n) = text.split_once('/').ok_or_else(bad)?;
        let index: usize = k.trim().parse().map_err(|_| bad())?;
        let count: usize = n.trim().parse().map_err(|_| bad())?;
        if index == 0 || index > count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// One item of a run's work: case `case` (an index into the run's cases) of executor
/// `executor` in `mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Item {
    pub executor: usize,
    pub mode: Mode,
    pub case: usize,
}

/// The run's work in run order.
pub fn plan(profiles: &[Profile], modes: &[Mode], n_cases: usize) -> Vec<Item> {
    let mut items = Vec::new();
    for (executor, profile) in profiles.iter().enumerate() {
        for &mode in modes.iter().filter(|m| profile.modes.contains(m)) {
            items.extend((0..n_cases).map(|case| Item {
                executor,
                mode,
                case,
            }));
        }
    }
    items
}

/// The items of `shard` (all of them for `None`), in run order.
pub fn select(items: Vec<Item>, shard: Option<Shard>) -> Vec<Item> {
    match shard {
        None => items,
        Some(s) => items
            .into_iter()
            .enumerate()
            .filter(|(i, _)| s.takes(*i))
            .map(|(_, item)| item)
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use overtime_harness::Contract;

    fn profile(modes: &[Mode]) -> Profile {
        Profile {
            name: "p".into(),
            modes: modes.to_vec(),
            contract: Contract::JOBLIB_DOCUMENTED,
            per_mode: Default::default(),
        }
    }

    #[test]
    fn parses_k_of_n_and_refuses_the_rest() {
        assert_eq!("2/3".parse(), Ok(Shard { index: 2, count: 3 }));
        for bad in ["0/3", "4/3", "3", "a/b", "1/0", ""] {
            let e = bad.parse::<Shard>().expect_err(bad);
            assert!(e.contains("K/N"), "{e}");
        }
    }

    #[test]
    fn the_shards_cover_the_work_exactly_once_and_skip_unsupported_modes() {
        let profiles = [profile(&Mode::ALL), profile(&[Mode::List])];
        let all = plan(&profiles, &Mode::ALL, 5);
        assert_eq!(all.len(), 3 * 5 + 5);
        for count in 1..=7 {
            let mut seen: Vec<Item> = (1..=count)
                .flat_map(|index| select(all.clone(), Some(Shard { index, count })))
                .collect();
            assert_eq!(seen.len(), all.len(), "{count} shards");
            seen.sort_by_key(|i| (i.executor, i.mode, i.case));
            let mut expected = all.clone();
            expected.sort_by_key(|i| (i.executor, i.mode, i.case));
            assert_eq!(seen, expected, "{count} shards");
        }
    }
}
