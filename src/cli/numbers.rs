//! Whole-number options (`--seed`, `--generated`, `--runs`, …): one parser, so that a negative,
//! fractional or oversized value gets a message quoting what was typed, as a bad duration does
//! ([`overtime_harness::BadMillis`]). Every numeric option also accepts a leading `-`, so that
//! `--seed -1` reaches the parser instead of being read as an unknown flag.

use std::fmt::Display;
use std::str::FromStr;

/// Parses a whole number from 0 to `T`'s largest value.
pub fn whole<T>(text: &str) -> Result<T, String>
where
    T: FromStr + TryFrom<u128> + Bounded,
{
    let trimmed = text.trim();
    let refuse = |why: &str| format!("must be a whole number >= 0{why}, got {trimmed:?}");
    match trimmed.parse::<u128>() {
        Ok(n) => T::try_from(n).map_err(|_| refuse(&format!(" and at most {}", T::LARGEST))),
        Err(_) => Err(refuse("")),
    }
}

/// The largest value of a whole-number option's type, for its message.
pub trait Bounded {
    const LARGEST: &'static dyn Display;
}

impl Bounded for u32 {
    const LARGEST: &'static dyn Display = &u32::MAX;
}

impl Bounded for u64 {
    const LARGEST: &'static dyn Display = &u64::MAX;
}

impl Bounded for usize {
    const LARGEST: &'static dyn Display = &usize::MAX;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_what_was_typed() {
        assert_eq!(whole::<u64>(" 7 "), Ok(7));
        assert_eq!(
            whole::<u64>("-1"),
            Err("must be a whole number >= 0, got \"-1\"".into())
        );
        assert_eq!(
            whole::<u32>("1.5"),
            Err("must be a whole number >= 0, got \"1.5\"".into())
        );
        assert_eq!(
            whole::<u32>("4294967296"),
            Err("must be a whole number >= 0 and at most 4294967295, got \"4294967296\"".into())
        );
    }
}
