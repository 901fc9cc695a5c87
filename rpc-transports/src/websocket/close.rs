//! Close frames as capnweb uses them: code 3000 and a reason that fits a control frame.

/// The close code a session end sends: capnweb closes with 3000 (the first code RFC 6455 leaves
/// to applications) whatever the reason, so a browser peer reads `Peer closed WebSocket: 3000 …`.
pub const SESSION_CLOSE_CODE: u16 = 3000;

/// The longest close reason a WebSocket can carry, in bytes: a control frame holds at most 125
/// bytes, two of which are the code.
pub const MAX_CLOSE_REASON_BYTES: usize = 123;

/// The normal-closure code, sent when a sink is closed without a reason.
pub(crate) const NORMAL_CLOSE_CODE: u16 = 1000;

/// The code RFC 6455 reports for a close frame that carried no code at all.
pub(crate) const NO_STATUS_CODE: u16 = 1005;

/// Cuts `reason` to at most [`MAX_CLOSE_REASON_BYTES`] bytes, on a UTF-8 character boundary, so
/// that a long error message still fits in a close frame instead of failing the close.
///
/// ```
/// use rpc_transports::websocket::truncate_close_reason;
///
/// assert_eq!(truncate_close_reason("bye"), "bye");
/// let long = "é".repeat(100); // 200 bytes
/// let cut = truncate_close_reason(&long);
/// assert_eq!(cut.len(), 122); // 61 whole characters; the 62nd would end at byte 124
/// ```
pub fn truncate_close_reason(reason: &str) -> &str {
    if reason.len() <= MAX_CLOSE_REASON_BYTES {
        return reason;
    }
    let mut end = MAX_CLOSE_REASON_BYTES;
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    &reason[..end]
}

/// What a transport yields as `Frame::Close` when the peer closes: `"<code> <reason>"`, the
/// same text capnweb puts after "Peer closed WebSocket: ".
pub(crate) fn describe_peer_close(code: u16, reason: &str) -> String {
    format!("{code} {reason}")
}

/// The close handshake's bookkeeping, shared by the WebSocket adapters.
#[derive(Debug, Default)]
pub(crate) struct CloseState {
    /// A close frame (ours) went out: closing the sink must not send a second one.
    sent: bool,
    /// The peer's close was yielded as `Frame::Close`: the stream is over, and tungstenite
    /// queues the reply itself (echoing the peer's code), refusing any other close.
    peer_closed: bool,
}

impl CloseState {
    /// The peer's close arrived.
    pub(crate) fn peer_closed(&mut self) {
        self.peer_closed = true;
    }

    /// Whether the peer has closed.
    pub(crate) fn is_peer_closed(&self) -> bool {
        self.peer_closed
    }

    /// Whether a close frame of ours is still owed (none sent, none being answered).
    pub(crate) fn owes_close(&self) -> bool {
        !self.sent && !self.peer_closed
    }

    /// A close frame of ours has gone out (or is no longer owed).
    pub(crate) fn mark_sent(&mut self) {
        self.sent = true;
    }

    /// For a session's `Frame::Close(reason)`: the code and reason to send (capnweb's 3000 and
    /// the reason cut to 123 bytes), or `None` when no close is owed any more.
    pub(crate) fn session_close<'a>(&mut self, reason: &'a str) -> Option<(u16, &'a str)> {
        let owed = self.owes_close();
        self.mark_sent();
        owed.then(|| (SESSION_CLOSE_CODE, truncate_close_reason(reason)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_reasons_are_kept_whole() {
        assert_eq!(truncate_close_reason(""), "");
        let exact = "x".repeat(MAX_CLOSE_REASON_BYTES);
        assert_eq!(truncate_close_reason(&exact), exact);
    }

    #[test]
    fn ascii_reasons_are_cut_at_123_bytes() {
        let long = "a".repeat(500);
        assert_eq!(truncate_close_reason(&long), &long[..123]);
    }

    #[test]
    fn cuts_never_split_a_character() {
        // 3-byte characters: 41 of them take exactly 123 bytes.
        let euros = "€".repeat(60);
        assert_eq!(truncate_close_reason(&euros), "€".repeat(41));
        // A 4-byte character straddling byte 123 is dropped whole.
        let shifted = format!("{}{}", "a".repeat(121), "😀".repeat(3));
        assert_eq!(truncate_close_reason(&shifted), "a".repeat(121));
        // Every cut of every prefix is valid UTF-8 and within the limit.
        let mixed = "aé€😀".repeat(40);
        for n in 0..mixed.len() {
            if let Some(prefix) = mixed.get(..n) {
                let cut = truncate_close_reason(prefix);
                assert!(prefix.starts_with(cut));
                if prefix.len() <= MAX_CLOSE_REASON_BYTES {
                    assert_eq!(cut, prefix);
                } else {
                    // At most one partial character (under 4 bytes) is given up.
                    assert!(
                        (MAX_CLOSE_REASON_BYTES - 3..=MAX_CLOSE_REASON_BYTES).contains(&cut.len())
                    );
                }
            }
        }
    }

    #[test]
    fn peer_close_reads_like_capnweb() {
        assert_eq!(describe_peer_close(3000, "bye"), "3000 bye");
        assert_eq!(describe_peer_close(1000, ""), "1000 ");
    }
}
