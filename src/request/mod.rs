//! The request: what the client asked for, from where, with which key, as whom.

pub mod tokenize;
