//! Shared harness code of the comparison benches in `benches/`.

pub mod sctp;
