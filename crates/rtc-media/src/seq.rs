//! RTP's wrapping counters extended to 64 bits, and the crate's time bookkeeping.
//!
//! Sequence numbers (RTP's and the transport-wide ones) wrap at 2^16 and RTP timestamps at
//! 2^32; everything that orders packets or measures gaps here works on extended values, each
//! number placed in the cycle nearest the highest one seen so far (RFC 3550 §A.1 counts cycles
//! the same way).

use std::time::{Duration, Instant};

/// Extends 16-bit sequence numbers to 64 bits.
///
/// Each number is placed in the cycle that puts it nearest the highest extended number seen
/// (a step of at most 2^15 either way). The first number `n` becomes `2^16 + n`, so numbers
/// that arrive before it (reordered) stay positive and keep their order.
///
/// ```
/// use rtc_media::SequenceUnwrapper;
///
/// let mut seq = SequenceUnwrapper::new();
/// let first = seq.unwrap(65534);
/// assert_eq!(seq.unwrap(1), first + 3); // wrapped
/// assert_eq!(seq.unwrap(65535), first + 1); // reordered across the wrap
/// assert_eq!(seq.highest(), Some(first + 3));
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SequenceUnwrapper {
    highest: Option<u64>,
}

impl SequenceUnwrapper {
    /// An unwrapper that has seen nothing.
    pub const fn new() -> Self {
        Self { highest: None }
    }

    /// The extended value of `seq`, without remembering it.
    pub fn peek(&self, seq: u16) -> u64 {
        match self.highest {
            None => (1 << 16) + u64::from(seq),
            Some(h) => {
                let delta = seq.wrapping_sub(h as u16) as i16;
                h.wrapping_add_signed(i64::from(delta))
            }
        }
    }

    /// The extended value of `seq`; the highest value seen moves up to it.
    pub fn unwrap(&mut self, seq: u16) -> u64 {
        let v = self.peek(seq);
        if self.highest.is_none_or(|h| v > h) {
            self.highest = Some(v);
        }
        v
    }

    /// The highest extended value seen.
    pub const fn highest(&self) -> Option<u64> {
        self.highest
    }
}

/// Extends 32-bit RTP timestamps to 64 bits, as [`SequenceUnwrapper`] does sequence numbers
/// (a step of at most 2^31 either way). The first timestamp keeps its value.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct TimestampUnwrapper {
    highest: Option<i64>,
}

impl TimestampUnwrapper {
    pub(crate) fn unwrap(&mut self, ts: u32) -> i64 {
        let v = match self.highest {
            None => i64::from(ts),
            Some(h) => {
                let delta = ts.wrapping_sub(h as u32) as i32;
                h.wrapping_add(i64::from(delta))
            }
        };
        if self.highest.is_none_or(|h| v > h) {
            self.highest = Some(v);
        }
        v
    }
}

/// The crate's clock: times are nanoseconds since the first `now` a component was given, as
/// `i64`, so that sums and differences saturate instead of overflowing an `Instant`.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Epoch(Option<Instant>);

impl Epoch {
    /// `now` in nanoseconds since the epoch (set by the first call). A `now` before the epoch
    /// counts as the epoch.
    pub(crate) fn nanos(&mut self, now: Instant) -> i64 {
        let epoch = *self.0.get_or_insert(now);
        duration_nanos(now.saturating_duration_since(epoch))
    }

    /// The instant `nanos` after the epoch (the epoch for negative values); `None` before the
    /// first `now` or past what an `Instant` can hold.
    pub(crate) fn instant(&self, nanos: i64) -> Option<Instant> {
        self.0?
            .checked_add(Duration::from_nanos(u64::try_from(nanos).unwrap_or(0)))
    }
}

/// A duration in nanoseconds, saturating at `i64::MAX`.
pub(crate) fn duration_nanos(d: Duration) -> i64 {
    i64::try_from(d.as_nanos()).unwrap_or(i64::MAX)
}

/// Nanoseconds as a duration (0 for negative values).
pub(crate) fn nanos_duration(nanos: i64) -> Duration {
    Duration::from_nanos(u64::try_from(nanos).unwrap_or(0))
}

/// `units` of a clock at `rate` Hz in nanoseconds, saturating.
pub(crate) fn units_to_nanos(units: i64, rate: u32) -> i64 {
    let ns = i128::from(units) * 1_000_000_000 / i128::from(rate.max(1));
    i64::try_from(ns).unwrap_or(if ns < 0 { i64::MIN } else { i64::MAX })
}

/// Nanoseconds in units of a clock at `rate` Hz (rounded down), saturating.
pub(crate) fn nanos_to_units(nanos: i64, rate: u32) -> i64 {
    let units = (i128::from(nanos) * i128::from(rate)).div_euclid(1_000_000_000);
    i64::try_from(units).unwrap_or(if units < 0 { i64::MIN } else { i64::MAX })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequence_numbers_wrap_both_ways() {
        let mut s = SequenceUnwrapper::new();
        assert_eq!(s.unwrap(10), 65_546);
        assert_eq!(s.unwrap(9), 65_545);
        assert_eq!(s.highest(), Some(65_546));
        // 2^15 - 1 ahead and 2^15 behind the highest.
        assert_eq!(s.peek(10 + 32_767), 65_546 + 32_767);
        assert_eq!(s.peek(10u16.wrapping_sub(32_768)), 65_546 - 32_768);
        let mut last = 65_546;
        for step in 0..200_000u64 {
            let v = s.unwrap((10 + step + 1) as u16);
            assert_eq!(v, last + 1);
            last = v;
        }
    }

    #[test]
    fn timestamps_wrap_both_ways() {
        let mut t = TimestampUnwrapper::default();
        assert_eq!(t.unwrap(u32::MAX - 1), i64::from(u32::MAX) - 1);
        assert_eq!(t.unwrap(3), i64::from(u32::MAX) + 4);
        assert_eq!(t.unwrap(u32::MAX), i64::from(u32::MAX));
        let mut t = TimestampUnwrapper::default();
        assert_eq!(t.unwrap(5), 5);
        assert_eq!(t.unwrap(u32::MAX), -1);
    }

    #[test]
    fn clock_conversions_saturate() {
        assert_eq!(units_to_nanos(90_000, 90_000), 1_000_000_000);
        assert_eq!(units_to_nanos(i64::MAX, 1), i64::MAX);
        assert_eq!(units_to_nanos(-45, 90_000), -500_000);
        assert_eq!(nanos_to_units(1_000_000_000, 48_000), 48_000);
        assert_eq!(nanos_to_units(-1, 48_000), -1);
        assert_eq!(nanos_to_units(i64::MAX, u32::MAX), i64::MAX);
        assert_eq!(nanos_duration(-5), Duration::ZERO);
        assert_eq!(duration_nanos(Duration::MAX), i64::MAX);
    }
}
