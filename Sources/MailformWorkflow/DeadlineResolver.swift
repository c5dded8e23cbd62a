import Foundation
import SPF

/// A resolver bounded by the probe's run-wide deadline (`probe.deadline`):
/// past it, every question fails at once as a timeout, so the DNS stage
/// reports "DNS failure" findings (errors: the run fails closed) instead of
/// stretching the run with slow answers.
struct DeadlineResolver: SPFResolver {
    let base: any SPFResolver
    let deadline: Date

    private func bounded<R>(_ ask: () async -> SPFDNSAnswer<R>) async -> SPFDNSAnswer<R> {
        guard Date() < deadline else { return .failure(.timeout) }
        return await ask()
    }

    func txt(_ name: String) async -> SPFDNSAnswer<SPFTXTRecord> { await bounded { await base.txt(name) } }
    func a(_ name: String) async -> SPFDNSAnswer<IPAddress> { await bounded { await base.a(name) } }
    func aaaa(_ name: String) async -> SPFDNSAnswer<IPAddress> { await bounded { await base.aaaa(name) } }
    func mx(_ name: String) async -> SPFDNSAnswer<SPFMXRecord> { await bounded { await base.mx(name) } }
    func ptr(_ name: String) async -> SPFDNSAnswer<String> { await bounded { await base.ptr(name) } }
}
