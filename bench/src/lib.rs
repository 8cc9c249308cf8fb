//! Holds no code: the comparisons are in `benches/`.
