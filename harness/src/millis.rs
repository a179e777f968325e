//! Durations in milliseconds, the unit of every input and report: one type parses and checks
//! them wherever they come from — the command line, the environment, scenario files, the
//! process protocol — so a bad value gets the same message everywhere.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// A duration read or written as a (fractional) number of milliseconds: `20`, `0.5`,
/// `99.999999` (1 ns is `0.000001`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Millis(pub Duration);

/// Why a number of milliseconds was refused: what was given, quoted, and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadMillis {
    /// Not a number, negative, or infinite.
    #[error("a duration in milliseconds must be a finite number >= 0, got {0}")]
    NotADuration(String),
    /// Above 0 but below half a nanosecond: it would be read as 0, a different request.
    #[error(
        "a duration in milliseconds must be a finite number >= 0, got {0}: a positive duration \
         below 0.0000005 ms (half a nanosecond) would be read as 0; write 0, or at least \
         0.000001 (1 ns)"
    )]
    BelowOneNanosecond(String),
}

impl Millis {
    /// The largest duration a number of milliseconds maps to: about 584 years, the most
    /// nanoseconds a `u64` holds (what a trace's stamps hold).
    pub const MAX: Millis = Millis(Duration::from_nanos(u64::MAX));

    /// The duration `ms` milliseconds long, if `ms` is a finite number >= 0. Values above
    /// [`Millis::MAX`] saturate to it.
    pub fn from_f64(ms: f64) -> Result<Millis, BadMillis> {
        if !(ms.is_finite() && ms >= 0.0) {
            return Err(BadMillis::NotADuration(ms.to_string()));
        }
        let ns = (ms * 1e6).round();
        if ns == 0.0 && ms > 0.0 {
            return Err(BadMillis::BelowOneNanosecond(ms.to_string()));
        }
        Ok(Millis(if ns >= u64::MAX as f64 {
            Millis::MAX.0
        } else {
            Duration::from_nanos(ns as u64)
        }))
    }

    /// The duration as a number of milliseconds, rounded to the nanosecond.
    pub fn as_f64(self) -> f64 {
        self.0.as_nanos() as f64 / 1e6
    }

    /// Reads `name` from the environment: `Ok(None)` when it is not set.
    pub fn from_env(name: &str) -> Result<Option<Millis>, String> {
        match std::env::var(name) {
            Ok(text) => text
                .parse()
                .map(Some)
                .map_err(|e: BadMillis| format!("{name}: {e}")),
            Err(_) => Ok(None),
        }
    }
}

impl From<Duration> for Millis {
    fn from(d: Duration) -> Millis {
        Millis(d)
    }
}

impl From<Millis> for Duration {
    fn from(m: Millis) -> Duration {
        m.0
    }
}

impl FromStr for Millis {
    type Err = BadMillis;

    fn from_str(text: &str) -> Result<Millis, BadMillis> {
        let trimmed = text.trim();
        let typed = format!("{trimmed:?}");
        let ms: f64 = trimmed
            .parse()
            .map_err(|_| BadMillis::NotADuration(typed.clone()))?;
        // The message quotes what was typed, not the number it parsed to.
        Millis::from_f64(ms).map_err(|e| match e {
            BadMillis::NotADuration(_) => BadMillis::NotADuration(typed),
            BadMillis::BelowOneNanosecond(_) => BadMillis::BelowOneNanosecond(typed),
        })
    }
}

/// Exactly to the nanosecond, without trailing zeros: `100`, `99.999999`, `0.000001`.
impl fmt::Display for Millis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ns = self.0.as_nanos();
        let (whole, frac) = (ns / 1_000_000, ns % 1_000_000);
        if frac == 0 {
            write!(f, "{whole}")
        } else {
            let frac = format!("{frac:06}");
            write!(f, "{whole}.{}", frac.trim_end_matches('0'))
        }
    }
}

impl Serialize for Millis {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(self.as_f64())
    }
}

impl<'de> Deserialize<'de> for Millis {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Millis, D::Error> {
        let ms = f64::deserialize(d)?;
        Millis::from_f64(ms).map_err(serde::de::Error::custom)
    }
}

/// `#[serde(with = "millis::duration")]`: a `Duration` field written as milliseconds.
pub mod duration {
    use super::Millis;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use std::time::Duration;

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        Millis(*d).serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        Millis::deserialize(d).map(|m| m.0)
    }
}

/// `#[serde(with = "millis::opt_duration")]`: an optional `Duration` written as milliseconds
/// (absent or null: none).
pub mod opt_duration {
    use super::Millis;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use std::time::Duration;

    pub fn serialize<S: Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        d.map(Millis).serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
        Option::<Millis>::deserialize(d).map(|m| m.map(|m| m.0))
    }
}

/// `#[serde(with = "millis::rounded")]`: a measured `Duration` in a report, in milliseconds
/// rounded to the microsecond (what a report can honestly claim).
pub mod rounded {
    use serde::{Deserializer, Serializer};
    use std::time::Duration;

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64((d.as_secs_f64() * 1e6).round() / 1e3)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        super::duration::deserialize(d)
    }

    /// The optional form.
    pub mod opt {
        use serde::{Deserializer, Serializer};
        use std::time::Duration;

        pub fn serialize<S: Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
            match d {
                Some(d) => s.serialize_some(&((d.as_secs_f64() * 1e6).round() / 1e3)),
                None => s.serialize_none(),
            }
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
            super::super::opt_duration::deserialize(d)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_what_people_type_and_refuses_the_rest_with_one_message() {
        assert_eq!("20".parse(), Ok(Millis(Duration::from_millis(20))));
        assert_eq!(" 0.5 ".parse(), Ok(Millis(Duration::from_micros(500))));
        assert_eq!("0".parse(), Ok(Millis(Duration::ZERO)));
        assert_eq!("1e30".parse(), Ok(Millis::MAX));
        for bad in [
            "-1", "-5.000", "NaN", "inf", "", "ten", "1e-300", "4.9e-324",
        ] {
            let err = bad.parse::<Millis>().expect_err(bad);
            assert!(err.to_string().contains("finite number >= 0"), "{err}");
            assert!(err.to_string().contains(&format!("{bad:?}")), "{err}");
        }
        assert!("1e-300"
            .parse::<Millis>()
            .expect_err("rounds to 0")
            .to_string()
            .contains("would be read as 0"));
        assert_eq!("0.0000006".parse(), Ok(Millis(Duration::from_nanos(1))));
    }

    #[test]
    fn prints_exactly_to_the_nanosecond_and_reads_back() {
        for ns in [0, 1, 1_500_000, 99_999_999, 100_000_000, 100_000_001] {
            let m = Millis(Duration::from_nanos(ns));
            assert_eq!(m.to_string().parse(), Ok(m), "{m}");
        }
        assert_eq!(
            Millis(Duration::from_nanos(99_999_999)).to_string(),
            "99.999999"
        );
        assert_eq!(Millis(Duration::from_millis(100)).to_string(), "100");
    }

    #[test]
    fn serde_refuses_negative_durations() {
        let err = serde_json::from_str::<Millis>("-5").expect_err("negative");
        assert!(err.to_string().contains(">= 0"), "{err}");
        assert_eq!(
            serde_json::from_str::<Millis>("2.5").ok(),
            Some(Millis(Duration::from_micros(2500)))
        );
    }
}
