//! decide
pub mod plan;
