import Foundation
import SPF

/// Fetches an MTA-STS policy over HTTPS (RFC 8461 section 3.3): the
/// deliverability checks know what to ask, the probe knows how (its TLS
/// trust, its time limits). `MailformProbe.MTASTSFetcher` is the real one.
public protocol MTASTSPolicyFetching: Sendable {
    /// `GET https://<host>/.well-known/mta-sts.txt`, connecting only to
    /// `addresses` (the host as the run's resolver answered it), with no
    /// redirect followed and at most `MTASTSFetch.maxBytes` read.
    func fetchPolicy(host: String, addresses: [IPAddress]) async -> MTASTSFetch
}

/// What one policy fetch got.
public struct MTASTSFetch: Sendable, Hashable {
    public enum Outcome: Sendable, Hashable {
        /// An HTTP answer: its status, `Content-Type` and body.
        case answered(status: Int, contentType: String?, body: [UInt8])
        /// The body was longer than `maxBytes` (the fetch stopped there).
        case tooLarge
        /// No HTTP answer: the connection, TLS (certificate) or time limit
        /// failed; what libcurl said.
        case failed(String)
        /// Not fetched (or cut) because the run's deadline came first.
        case notChecked(String)
    }

    public var outcome: Outcome
    /// When the policy host's certificate expires, when the handshake got that far.
    public var certificateExpiry: Date?

    /// The largest policy body read.
    public static let maxBytes = MTASTSPolicy.maxBytes

    public init(outcome: Outcome, certificateExpiry: Date? = nil) {
        self.outcome = outcome
        self.certificateExpiry = certificateExpiry
    }
}

/// What the MTA-STS lookup of one domain found.
enum MTASTSLookup: Sendable {
    /// No `v=STSv1` record at `_mta-sts.<domain>`.
    case missing
    case failure(DNSProblem)
    /// A record senders discard (`why`), or several records (senders use none).
    case invalidRecord(text: String, why: String)
    /// A valid record; what its policy host gave.
    case published(record: MTASTSRecord, policy: PolicyState)

    enum PolicyState: Sendable {
        /// No fetcher in this run (the checks without the network).
        case notFetched
        /// `mta-sts.<domain>` has no address, or its lookup failed.
        case hostUnresolved(DNSProblem?)
        /// No usable answer: why.
        case unavailable(String, certificateExpiry: Date?)
        /// An answer senders discard: why.
        case invalid(String, certificateExpiry: Date?)
        /// The run's deadline came before the fetch ended: unknown, so it fails the run.
        case notChecked(String)
        case found(MTASTSPolicy, certificateExpiry: Date?)
    }
}

/// What the TLS-RPT lookup of one domain found.
enum TLSRPTLookup: Sendable {
    case missing
    case failure(DNSProblem)
    case invalid(text: String, why: String)
    case found(TLSRPTRecord)
}
