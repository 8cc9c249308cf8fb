//! Shared harness code of the comparison benches in `benches/`.

pub mod datachannel;
pub mod figures;
pub mod sctp;
