/// One lookup c-ares is working on; its address is the `arg` of the c-ares
/// callback (retained until the callback runs, exactly once).
///
/// Lives on the event loop thread only.
final class InFlightQuery {
    let query: DNSQuery
    /// When the client stops waiting, whatever c-ares is still doing.
    let deadline: ContinuousClock.Instant
    /// Set when the deadline passed: the answer was given (a timeout), and
    /// c-ares's late callback only frees the slot.
    var expired = false
    /// The channel (server first asked) of the current try.
    var channel = 0
    /// Tries repeated on this channel after a lost connection.
    var connectionRetries = 0
    /// The channel's answer count when this try was sent.
    var answersBeforeTry = 0
    unowned let loop: DNSEventLoop

    init(query: DNSQuery, deadline: ContinuousClock.Instant, loop: DNSEventLoop) {
        self.query = query
        self.deadline = deadline
        self.loop = loop
    }
}
