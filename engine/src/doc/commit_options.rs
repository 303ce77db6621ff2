//! What a commit records beside its ops: a message and a time.

/// A commit's message and time (seconds since the epoch, as Automerge's;
/// `None` leaves the choice to the caller: the store writes the current time).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CommitOptions {
    /// A message stored in the change.
    pub message: Option<String>,
    /// The change's time.
    pub time: Option<i64>,
}

impl CommitOptions {
    /// With this message.
    pub fn with_message(mut self, message: impl Into<String>) -> Self {
        self.message = Some(message.into());
        self
    }

    /// With this time, in seconds since the epoch.
    pub fn with_time(mut self, time: i64) -> Self {
        self.time = Some(time);
        self
    }
}

/// The current time in seconds since the epoch (0 if the clock is before it).
pub fn now_seconds() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}
