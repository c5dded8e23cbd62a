/// What a client has done so far: proof that the cache and the concurrency
/// budget work, and numbers for a run's summary.
public struct DNSClientStatistics: Sendable, Hashable {
    /// Questions asked of the client (every call, cached or not).
    public var requests = 0
    /// Queries handed to c-ares: each is one upstream lookup (c-ares may send
    /// it more than once on retries).
    public var upstreamQueries = 0
    /// Requests answered from the per-run cache.
    public var cacheHits = 0
    /// Requests that joined an identical lookup already under way.
    public var sharedLookups = 0
    /// The most queries that were in flight at one time.
    public var peakInFlight = 0
    /// Queries the client ended itself because they ran past the timeout.
    public var deadlineExpiries = 0

    public init() {}
}
