import Foundation
import SPF

/// An asynchronous DNS client for one run of mailform, on c-ares.
///
/// **One instance per run.** The instance is the run's cache: every answer —
/// records, NXDOMAIN, NODATA and failures alike — is kept until the instance
/// goes away, so the SPF, DMARC and DKIM checks of many companies that share
/// a provider's include ask the network once, and a name that timed out does
/// not cost the timeout again. Identical questions asked while a lookup is
/// under way share that lookup.
///
/// **Threading model.** Each instance owns one thread, started in `init`,
/// that runs a c-ares channel in a `poll` loop; all of c-ares happens there
/// (channels are not thread-safe). Up to
/// `DNSClientConfiguration.maxConcurrentQueries` queries are in flight at
/// once, the rest wait their turn in order. Three ways in, all safe from any
/// thread:
///
/// - `async` methods (`txt`, `a`, `aaaa`, `mx`, `ptr`, `resolve`) suspend the
///   task, not a thread;
/// - `resolve(_:completion:)` returns at once; the completion runs on the
///   client's thread (or immediately on the caller's, for a cached answer) and
///   must be quick and must not block;
/// - `resolveAll(_:)` blocks the calling thread until every answer is in: for
///   synchronous code such as the probe's libcurl multi loop, which can ask
///   for all the names it needs in one batch. Calling it from a completion
///   (the client's own thread) would wait forever; it answers `.other` then.
///
/// When the last reference goes, the thread finishes the lookups already
/// asked for (their completions still run) and exits. Task cancellation is
/// not observed: a lookup ends within the timeout anyway, and other callers
/// may be sharing it.
///
/// **Names are absolute.** Queries go out with `ares_query`, not
/// `ares_search`: a `search corp.example` line in resolv.conf must not turn
/// a missing `_dmarc.example.com` into an answer for
/// `_dmarc.example.com.corp.example`.
///
/// No lookup ever throws or traps: every outcome, including a timeout,
/// SERVFAIL or a malformed answer, is a `DNSAnswer` case.
public final class DNSClient: Sendable {
    public let configuration: DNSClientConfiguration
    private let mailbox: DNSMailbox

    /// Sets up c-ares with `configuration` — the system's resolvers when
    /// `servers` is empty — and starts the client's thread. Throws for a
    /// server entry that is not `address[:port]`, or when c-ares cannot start.
    public init(configuration: DNSClientConfiguration = DNSClientConfiguration()) throws(DNSConfigurationError) {
        self.configuration = configuration
        let mailbox = try DNSMailbox()
        let loop = try DNSEventLoop(configuration: configuration, mailbox: mailbox)
        let handover = LoopHandover(loop: loop)
        self.mailbox = mailbox
        let thread = Thread { handover.loop.run() }
        thread.name = "mailform-dns"
        thread.start()
    }

    /// Convenience: explicit servers (`["127.0.0.1:5353"]`), defaults otherwise.
    public convenience init(servers: [String], timeoutMilliseconds: Int = 5_000) throws(DNSConfigurationError) {
        try self.init(configuration: DNSClientConfiguration(servers: servers, timeoutMilliseconds: timeoutMilliseconds))
    }

    deinit {
        mailbox.shutDown()
    }

    /// What the client has done so far (requests, upstream lookups, cache hits).
    public var statistics: DNSClientStatistics { mailbox.statistics }

    // MARK: Callback and blocking forms

    /// Asks `query` and returns at once; `completion` gets the answer on the
    /// client's thread, or right away on this thread when the run has it.
    public func resolve(_ query: DNSQuery, completion: @escaping @Sendable (DNSResult) -> Void) {
        mailbox.submit(query, completion)
    }

    /// Asks every query (all at once, within the concurrency budget) and
    /// blocks this thread until all are answered. Duplicates are asked once.
    /// Returns every query's answer, keyed by the (normalised) query.
    public func resolveAll(_ queries: [DNSQuery]) -> [DNSQuery: DNSResult] {
        let unique = Array(Set(queries))
        guard !unique.isEmpty else { return [:] }
        guard !mailbox.isLoopThread else {
            let failure = DNSResult.failure(.other("resolveAll was called on the DNS client's own thread, where it would wait forever"))
            return Dictionary(uniqueKeysWithValues: unique.map { ($0, failure) })
        }
        let collector = BatchCollector(expected: unique.count)
        for query in unique {
            mailbox.submit(query) { collector.add(query, $0) }
        }
        return collector.wait()
    }

    // MARK: Async forms

    /// The answer to one query of any type.
    public func resolve(_ query: DNSQuery) async -> DNSResult {
        await withCheckedContinuation { continuation in
            mailbox.submit(query) { continuation.resume(returning: $0) }
        }
    }

    /// TXT records at `name`, each record's character-strings joined with
    /// nothing between them (how SPF, DMARC and DKIM read them).
    public func txt(_ name: String) async -> DNSAnswer<[String]> {
        await txtRecords(name).map { $0.map { $0.joined() } }
    }

    /// TXT records at `name` with each record's character-strings kept apart.
    public func txtRecords(_ name: String) async -> DNSAnswer<[[String]]> {
        await resolve(DNSQuery(name, .txt)).map { $0.compactMap { if case .txt(let strings) = $0 { strings } else { nil } } }
    }

    /// IPv4 addresses of `name`.
    public func a(_ name: String) async -> DNSAnswer<[IPAddress]> {
        await resolve(DNSQuery(name, .a)).map { $0.compactMap { if case .a(let address) = $0 { address } else { nil } } }
    }

    /// IPv6 addresses of `name`.
    public func aaaa(_ name: String) async -> DNSAnswer<[IPAddress]> {
        await resolve(DNSQuery(name, .aaaa)).map { $0.compactMap { if case .aaaa(let address) = $0 { address } else { nil } } }
    }

    /// MX records of `name`, in answer order (sort by preference to use them).
    public func mx(_ name: String) async -> DNSAnswer<[DNSMXRecord]> {
        await resolve(DNSQuery(name, .mx)).map { $0.compactMap { if case .mx(let record) = $0 { record } else { nil } } }
    }

    /// PTR targets of `name` (`1.0.0.127.in-addr.arpa`; see `IPAddress.reverseDNSName`).
    public func ptr(_ name: String) async -> DNSAnswer<[String]> {
        await resolve(DNSQuery(name, .ptr)).map { $0.compactMap { if case .ptr(let target) = $0 { target } else { nil } } }
    }
}
