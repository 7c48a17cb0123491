//! Which `max_concurrent` slot an allowed session holds, as a record
//! carries it.

use serde::Serialize;

use crate::sandbox::SessionSlot;

/// The slot a session holds and how long it queued for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SessionRecord {
    /// The slot, from 0.
    pub slot: u32,
    /// The profile's `max_concurrent`.
    pub max: u32,
    /// How long the session waited for the slot, in milliseconds.
    pub waited_ms: u64,
}

impl SessionRecord {
    /// The record of `slot`, one of `max`.
    pub fn new(slot: &SessionSlot, max: u32) -> Self {
        Self {
            slot: slot.slot,
            max,
            waited_ms: u64::try_from(slot.waited.as_millis()).unwrap_or(u64::MAX),
        }
    }
}
