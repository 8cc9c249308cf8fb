//! The replay list of RFC 3711 §3.3.2: a sliding window of received indices.

use crate::Error;

/// A sliding-window bitmap over the highest index seen. Its storage is allocated once, when the
/// stream is created.
#[derive(Debug, Clone)]
pub(crate) struct ReplayWindow {
    /// Highest index accepted, if any.
    highest: Option<u64>,
    /// Bit `i` (word `i / 64`, bit `i % 64`) set when `highest - i` was received.
    bits: Vec<u64>,
    size: u64,
}

impl ReplayWindow {
    /// A window remembering `size` indices (at least 64, rounded up to a multiple of 64).
    pub(crate) fn new(size: usize) -> Self {
        let words = size.max(64).div_ceil(64);
        Self {
            highest: None,
            bits: vec![0; words],
            size: (words * 64) as u64,
        }
    }

    /// Whether `index` may be accepted: not seen, not older than the window.
    pub(crate) fn check(&self, index: u64) -> Result<(), Error> {
        let Some(highest) = self.highest else {
            return Ok(());
        };
        if index > highest {
            return Ok(());
        }
        let age = highest - index;
        if age >= self.size {
            return Err(Error::TooOld(index));
        }
        if self.bit(age) {
            return Err(Error::Replayed(index));
        }
        Ok(())
    }

    /// Records `index` as received (after it authenticated).
    pub(crate) fn accept(&mut self, index: u64) {
        let highest = match self.highest {
            None => {
                self.highest = Some(index);
                self.set(0);
                return;
            }
            Some(h) => h,
        };
        if index > highest {
            self.shift(index - highest);
            self.highest = Some(index);
            self.set(0);
        } else if highest - index < self.size {
            self.set(highest - index);
        }
    }

    fn bit(&self, age: u64) -> bool {
        let (word, bit) = ((age / 64) as usize, age % 64);
        self.bits.get(word).is_some_and(|w| w & (1 << bit) != 0)
    }

    fn set(&mut self, age: u64) {
        let (word, bit) = ((age / 64) as usize, age % 64);
        if let Some(w) = self.bits.get_mut(word) {
            *w |= 1 << bit;
        }
    }

    /// Ages every entry by `by`.
    fn shift(&mut self, by: u64) {
        if by >= self.size {
            self.bits.fill(0);
            return;
        }
        let words = (by / 64) as usize;
        let bits = (by % 64) as u32;
        let n = self.bits.len();
        for i in (0..n).rev() {
            let src = i.checked_sub(words);
            let hi = src.map_or(0, |s| self.bits[s]);
            let lo = src
                .and_then(|s| s.checked_sub(1))
                .map_or(0, |s| self.bits[s]);
            self.bits[i] = if bits == 0 {
                hi
            } else {
                (hi << bits) | (lo >> (64 - bits))
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_new_rejects_replays_and_old() {
        let mut w = ReplayWindow::new(128);
        for i in [10u64, 12, 11, 200, 150, 73] {
            w.check(i).unwrap();
            w.accept(i);
        }
        for i in [200u64, 150, 73] {
            assert_eq!(w.check(i), Err(Error::Replayed(i)));
        }
        // 12 and 11 are now 188 and 189 behind: out of the 128-index window.
        assert_eq!(w.check(12), Err(Error::TooOld(12)));
        assert_eq!(w.check(72), Err(Error::TooOld(72)));
        w.check(74).unwrap();
        w.check(201).unwrap();
        // A jump beyond the window forgets everything older.
        w.accept(10_000);
        assert_eq!(w.check(200), Err(Error::TooOld(200)));
        w.check(9_999).unwrap();
    }

    #[test]
    fn matches_a_set_model() {
        // Deterministic pseudo-random walk, compared with a plain set.
        let mut w = ReplayWindow::new(256);
        let mut seen = std::collections::BTreeSet::new();
        let mut highest = 0u64;
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let index = (highest + 40).saturating_sub(x % 300);
            let expected = if !seen.is_empty() && index + 256 <= highest {
                Err(Error::TooOld(index))
            } else if seen.contains(&index) {
                Err(Error::Replayed(index))
            } else {
                Ok(())
            };
            assert_eq!(w.check(index), expected, "index {index}, highest {highest}");
            if expected.is_ok() {
                w.accept(index);
                seen.insert(index);
                highest = highest.max(index);
            }
        }
    }
}
