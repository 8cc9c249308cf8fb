//! Sets of unwrapped TSNs as sorted, disjoint, non-adjacent inclusive ranges: received TSNs
//! above the cumulative point (the gap ack blocks to report, RFC 9260 §3.3.4) and, on the
//! sending side, TSNs the peer has gap-acked, so that a SACK repeating old blocks costs a
//! binary search per block instead of a walk over every TSN it covers.

/// A set of `u64`s kept as ranges. Few ranges are expected (one per hole in the TSN space);
/// the association bounds how far ahead of the cumulative point a TSN may be.
#[derive(Debug, Default, Clone)]
pub(crate) struct RangeSet {
    ranges: Vec<(u64, u64)>,
}

impl RangeSet {
    pub(crate) fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = (u64, u64)> + '_ {
        self.ranges.iter().copied()
    }

    /// Index of the first range whose end is `>= value - 1` (the first that may touch it).
    fn lower(&self, value: u64) -> usize {
        self.ranges
            .partition_point(|&(_, end)| end.saturating_add(1) < value)
    }

    pub(crate) fn contains(&self, value: u64) -> bool {
        let i = self.ranges.partition_point(|&(_, end)| end < value);
        self.ranges.get(i).is_some_and(|&(start, _)| start <= value)
    }

    /// Adds `start..=end`; calls `new` with each sub-range that was not in the set before.
    /// Returns the number of values added.
    pub(crate) fn insert_with(
        &mut self,
        start: u64,
        end: u64,
        mut new: impl FnMut(u64, u64),
    ) -> u64 {
        if start > end {
            return 0;
        }
        let first = self.lower(start);
        // Ranges first..last touch or overlap start..=end.
        let mut last = first;
        while last < self.ranges.len() && self.ranges[last].0 <= end.saturating_add(1) {
            last += 1;
        }
        let mut added = 0;
        let mut cursor = start;
        for &(s, e) in &self.ranges[first..last] {
            if s > cursor {
                let until = (s - 1).min(end);
                if until >= cursor {
                    new(cursor, until);
                    added += until - cursor + 1;
                }
            }
            cursor = cursor.max(e.saturating_add(1));
            if cursor > end {
                break;
            }
        }
        if cursor <= end {
            new(cursor, end);
            added += end - cursor + 1;
        }
        let merged_start = self.ranges.get(first).map_or(start, |&(s, _)| s.min(start));
        let merged_end = if last > first {
            self.ranges[last - 1].1.max(end)
        } else {
            end
        };
        let merged_start = if last > first { merged_start } else { start };
        self.ranges
            .splice(first..last, std::iter::once((merged_start, merged_end)));
        added
    }

    /// Adds one value; false when it was already there.
    pub(crate) fn insert(&mut self, value: u64) -> bool {
        self.insert_with(value, value, |_, _| {}) == 1
    }

    /// Removes every value `<= value`.
    pub(crate) fn remove_through(&mut self, value: u64) {
        let keep = self.ranges.partition_point(|&(_, end)| end <= value);
        self.ranges.drain(..keep);
        if let Some(first) = self.ranges.first_mut()
            && first.0 <= value
        {
            first.0 = value + 1;
        }
    }

    /// When the first range starts at `value + 1`, removes it and returns its end: the new
    /// cumulative point after `value`.
    pub(crate) fn pop_contiguous(&mut self, value: u64) -> Option<u64> {
        match self.ranges.first() {
            Some(&(start, end)) if start == value + 1 => {
                self.ranges.remove(0);
                Some(end)
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::RangeSet;
    use std::collections::BTreeSet;

    #[test]
    fn insert_reports_only_new_values() {
        let mut set = RangeSet::default();
        let mut seen = Vec::new();
        set.insert_with(10, 20, |a, b| seen.push((a, b)));
        set.insert_with(30, 40, |a, b| seen.push((a, b)));
        seen.clear();
        assert_eq!(set.insert_with(5, 45, |a, b| seen.push((a, b))), 5 + 9 + 5);
        assert_eq!(seen, vec![(5, 9), (21, 29), (41, 45)]);
        assert_eq!(set.iter().collect::<Vec<_>>(), vec![(5, 45)]);
        assert_eq!(set.insert_with(6, 44, |_, _| panic!()), 0);
    }

    #[test]
    fn matches_a_btreeset() {
        let mut rng = 0x1234_5678_u64;
        let mut next = move || {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng
        };
        for _ in 0..200 {
            let mut set = RangeSet::default();
            let mut model = BTreeSet::new();
            for _ in 0..50 {
                let op = next() % 4;
                let a = next() % 100;
                let b = a + next() % 8;
                if op == 3 {
                    set.remove_through(a);
                    model.retain(|&v| v > a);
                } else {
                    let mut added = 0;
                    set.insert_with(a, b, |s, e| {
                        for v in s..=e {
                            assert!(model.insert(v), "{v} reported new twice");
                            added += 1;
                        }
                    });
                    for v in a..=b {
                        assert!(!model.insert(v), "{v} not reported");
                    }
                    let _ = added;
                }
                let flat: Vec<u64> = set.iter().flat_map(|(s, e)| s..=e).collect();
                assert_eq!(flat, model.iter().copied().collect::<Vec<_>>());
                let ranges: Vec<_> = set.iter().collect();
                for w in ranges.windows(2) {
                    assert!(w[0].1 + 1 < w[1].0, "ranges {ranges:?} not disjoint");
                }
                for v in 0..110 {
                    assert_eq!(set.contains(v), model.contains(&v));
                }
            }
        }
    }
}
