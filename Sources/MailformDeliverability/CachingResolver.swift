import SPF

/// Wraps the caller's resolver so that every question is asked at most once
/// per run, whatever the resolver does.
///
/// `DNSClient` caches too, but `DeliverabilityChecker` takes any
/// `SPFResolver`, and the promise "each domain's records are looked up once
/// per run" must not depend on which one; concurrent checks of companies
/// sharing a domain also share the lookup in flight. Names are keyed
/// lowercased without a trailing dot, as DNS compares them.
final class CachingResolver: SPFResolver {
    private let base: any SPFResolver
    private let txtAnswers = AsyncMemo<String, SPFDNSAnswer<SPFTXTRecord>>()
    private let aAnswers = AsyncMemo<String, SPFDNSAnswer<IPAddress>>()
    private let aaaaAnswers = AsyncMemo<String, SPFDNSAnswer<IPAddress>>()
    private let mxAnswers = AsyncMemo<String, SPFDNSAnswer<SPFMXRecord>>()
    private let ptrAnswers = AsyncMemo<String, SPFDNSAnswer<String>>()

    init(_ base: any SPFResolver) {
        self.base = base
    }

    private static func key(_ name: String) -> String {
        let lower = name.lowercased()
        return lower.hasSuffix(".") ? String(lower.dropLast()) : lower
    }

    func txt(_ name: String) async -> SPFDNSAnswer<SPFTXTRecord> {
        await txtAnswers.value(for: Self.key(name)) { [base] in await base.txt(name) }
    }

    func a(_ name: String) async -> SPFDNSAnswer<IPAddress> {
        await aAnswers.value(for: Self.key(name)) { [base] in await base.a(name) }
    }

    func aaaa(_ name: String) async -> SPFDNSAnswer<IPAddress> {
        await aaaaAnswers.value(for: Self.key(name)) { [base] in await base.aaaa(name) }
    }

    func mx(_ name: String) async -> SPFDNSAnswer<SPFMXRecord> {
        await mxAnswers.value(for: Self.key(name)) { [base] in await base.mx(name) }
    }

    func ptr(_ name: String) async -> SPFDNSAnswer<String> {
        await ptrAnswers.value(for: Self.key(name)) { [base] in await base.ptr(name) }
    }
}
