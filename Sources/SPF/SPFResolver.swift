/// The DNS queries an SPF check makes, and nothing more.
///
/// `SPFEvaluator` is written against this protocol so it can be proven on the
/// RFC 7208 test suite with a fake zone, and so the real network resolver
/// (c-ares based, elsewhere) stays out of this module. Implementations:
///
/// - receive names as SPF produced them: no trailing dot, possibly odd
///   characters from macro expansion (`foo:bar/baz.example.com`); every label
///   is 1–63 bytes and the whole name at most 253, the evaluator checks that;
/// - follow CNAME chains, and report a loop as `.failure(.servfail)`;
/// - return `.nxdomain` for RCODE 3 and `.noData` for an empty answer of
///   RCODE 0 — the evaluator counts both as "void lookups";
/// - return `.failure` for timeouts and every other error, which turns the
///   check into `temperror` (except where RFC 7208 says to skip the name);
/// - decode TXT bytes that are not valid UTF-8 lossily: the replacement
///   character makes the record non-ASCII, and SPF rejects it as it should.
///
/// The evaluator may make the same query more than once; caching is the
/// resolver's business.
public protocol SPFResolver: Sendable {
    /// TXT records at `name`; SPF records and explanation strings live here.
    func txt(_ name: String) async -> SPFDNSAnswer<SPFTXTRecord>
    /// IPv4 addresses (type A) of `name`.
    func a(_ name: String) async -> SPFDNSAnswer<IPAddress>
    /// IPv6 addresses (type AAAA) of `name`.
    func aaaa(_ name: String) async -> SPFDNSAnswer<IPAddress>
    /// MX records of `name`.
    func mx(_ name: String) async -> SPFDNSAnswer<SPFMXRecord>
    /// PTR targets of `name` (a `….in-addr.arpa` or `….ip6.arpa` name).
    func ptr(_ name: String) async -> SPFDNSAnswer<String>
}
