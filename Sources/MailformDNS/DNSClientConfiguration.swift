/// How a `DNSClient` resolves: which servers, how long a query may take, and
/// how many queries may be on the wire at once.
public struct DNSClientConfiguration: Sendable, Hashable {
    /// Servers as `address` or `address:port` (`127.0.0.1:5353`,
    /// `[::1]:5353`, `192.0.2.53`; port 53 when omitted), tried in order.
    /// Empty: the system's resolvers, which c-ares reads from
    /// `/etc/resolv.conf` (the workspace's `probe.dns.servers` and
    /// `--dns-server` fill this in).
    public var servers: [String]

    /// The longest one query may take, all tries included, counted from the
    /// moment it is sent (time spent waiting for a slot in the concurrency
    /// budget does not count). c-ares doubles its per-try timeout after each
    /// round over the servers; the per-try value is derived from this so the
    /// tries fit, and the client enforces this bound itself as well.
    public var timeoutMilliseconds: Int

    /// Attempts per server (c-ares `tries`). UDP loses packets; 2 is the
    /// usual compromise between patience and a prompt answer.
    public var tries: Int

    /// At most this many queries in flight at once; the rest wait in order.
    /// The probe passes its own concurrency budget (`ProbeOptions.concurrency`)
    /// so a run with a thousand domains does not flood a resolver.
    public var maxConcurrentQueries: Int

    public init(servers: [String] = [], timeoutMilliseconds: Int = 5_000, tries: Int = 2, maxConcurrentQueries: Int = 64) {
        self.servers = servers
        self.timeoutMilliseconds = timeoutMilliseconds
        self.tries = tries
        self.maxConcurrentQueries = maxConcurrentQueries
    }
}
