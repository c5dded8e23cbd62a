/// Hands the event loop, created on the caller's thread, to the client's
/// thread. The loop is not `Sendable` (it owns a c-ares channel); after the
/// handover only that thread ever touches it, which is what makes this safe.
struct LoopHandover: @unchecked Sendable {
    let loop: DNSEventLoop
}
