import Foundation
import SPF

/// An in-memory zone that counts every question, to prove what the checker
/// asks and how often without a DNS server. Names not listed are NXDOMAIN;
/// names listed in `failures` fail.
final class FakeResolver: SPFResolver, @unchecked Sendable {
    var txtRecords: [String: [String]] = [:]
    var aRecords: [String: [String]] = [:]
    var mxRecords: [String: [String]] = [:]
    var failures: [String: SPFDNSFailure] = [:]
    /// Failures of one type of question: "A name", "AAAA name", …
    var typeFailures: [String: SPFDNSFailure] = [:]
    /// Names whose AAAA question gets NXDOMAIN (a server that answers so
    /// for a name with an A record: RFC 4074); other AAAA questions get NODATA.
    var aaaaNXDomain: Set<String> = []
    private let lock = NSLock()
    private var asked: [String: Int] = [:]

    /// How many times `name` was asked with `type` (`TXT`, `A`, …).
    func count(_ type: String, _ name: String) -> Int {
        lock.withLock { asked["\(type) \(name)", default: 0] }
    }

    /// Every question asked, with how often.
    var questions: [String: Int] { lock.withLock { asked } }

    private func answer<T>(_ type: String, _ name: String, _ table: [String: [T]]) -> SPFDNSAnswer<T> {
        lock.withLock { asked["\(type) \(name)", default: 0] += 1 }
        if let failure = failures[name] ?? typeFailures["\(type) \(name)"] { return .failure(failure) }
        guard let records = table[name] else {
            let exists = [txtRecords.keys, aRecords.keys, mxRecords.keys].contains { $0.contains { $0 == name || $0.hasSuffix("." + name) } }
            return exists ? .noData : .nxdomain
        }
        return records.isEmpty ? .noData : .records(records)
    }

    func txt(_ name: String) async -> SPFDNSAnswer<SPFTXTRecord> {
        switch answer("TXT", name, txtRecords) {
        case .records(let texts): return .records(texts.map { SPFTXTRecord($0) })
        case .nxdomain: return .nxdomain
        case .noData: return .noData
        case .failure(let failure): return .failure(failure)
        }
    }

    func a(_ name: String) async -> SPFDNSAnswer<IPAddress> {
        switch answer("A", name, aRecords) {
        case .records(let texts): return .records(texts.compactMap { IPAddress($0) })
        case .nxdomain: return .nxdomain
        case .noData: return .noData
        case .failure(let failure): return .failure(failure)
        }
    }

    func aaaa(_ name: String) async -> SPFDNSAnswer<IPAddress> {
        lock.withLock { asked["AAAA \(name)", default: 0] += 1 }
        if let failure = failures[name] { return .failure(failure) }
        if aaaaNXDomain.contains(name) { return .nxdomain }
        let exists = [txtRecords.keys, aRecords.keys, mxRecords.keys].contains { $0.contains { $0 == name || $0.hasSuffix("." + name) } }
        return exists ? .noData : .nxdomain
    }

    func mx(_ name: String) async -> SPFDNSAnswer<SPFMXRecord> {
        switch answer("MX", name, mxRecords) {
        case .records(let hosts): return .records(hosts.map { SPFMXRecord(preference: 10, exchange: $0) })
        case .nxdomain: return .nxdomain
        case .noData: return .noData
        case .failure(let failure): return .failure(failure)
        }
    }

    func ptr(_ name: String) async -> SPFDNSAnswer<String> {
        lock.withLock { asked["PTR \(name)", default: 0] += 1 }
        return .nxdomain
    }
}
