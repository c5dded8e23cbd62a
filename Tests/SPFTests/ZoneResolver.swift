import SPF

/// A resolver serving a test suite document's `zonedata`, emulating the
/// reference driver (pyspf's test/testspf.py) so results mean the same thing:
///
/// - names match case-insensitively, with or without a trailing dot;
/// - `SPF` (type 99) entries are never served as themselves — RFC 7208 dropped
///   the type — but are copied to `TXT` when the name has no `TXT` entry at
///   all (`TXT: NONE` is such an entry, and stops the copy);
/// - `TIMEOUT` in a name's list makes a query time out unless a record of the
///   asked type came before it (so `TXT …` then `TIMEOUT` is "the SPF-type
///   query times out", which we never make);
/// - CNAMEs are followed when the name has no records of the asked type; a loop
///   is a server failure;
/// - an unknown name is NXDOMAIN, a known name without the type is NODATA.
struct ZoneResolver: SPFResolver {
    enum Entry: Sendable, Hashable {
        case txt([String])
        case a(IPAddress)
        case aaaa(IPAddress)
        case mx(UInt16, String)
        case ptr(String)
        case cname(String)
        /// A type we do not serve (the type-99 `SPF` entries).
        case ignored
        case timeout

        var type: String? {
            switch self {
            case .txt: return "TXT"
            case .a: return "A"
            case .aaaa: return "AAAA"
            case .mx: return "MX"
            case .ptr: return "PTR"
            case .cname: return "CNAME"
            case .ignored, .timeout: return nil
            }
        }
    }

    let zone: [String: [Entry]]

    init(zone: [String: [Entry]]) {
        self.zone = zone
    }

    /// Builds the zone from a document's `zonedata` (as JSONSerialization gives it).
    init(zonedata: [String: Any]) throws {
        var zone: [String: [Entry]] = [:]
        for (name, value) in zonedata {
            guard let items = value as? [Any] else { throw SuiteLoadError(message: "zonedata \(name) is not a list") }
            var entries: [Entry] = []
            var generatedTXT: [Entry] = []
            var hasTXT = false
            for item in items {
                if let word = item as? String, word == "TIMEOUT" {
                    entries.append(.timeout)
                    continue
                }
                guard let record = item as? [String: Any] else { throw SuiteLoadError(message: "zonedata \(name) has \(item)") }
                for (type, data) in record {
                    switch type {
                    case "TXT":
                        hasTXT = true
                        if let text = data as? String, text == "NONE" { continue }
                        entries.append(.txt(try Self.strings(data, name: name)))
                    case "SPF":
                        entries.append(.ignored)
                        generatedTXT.append(.txt(try Self.strings(data, name: name)))
                    case "A", "AAAA":
                        guard let text = data as? String, let address = IPAddress(text) else {
                            throw SuiteLoadError(message: "zonedata \(name) has a bad \(type): \(data)")
                        }
                        entries.append(type == "A" ? .a(address) : .aaaa(address))
                    case "MX":
                        guard let pair = data as? [Any], pair.count == 2, let preference = pair[0] as? Int, let exchange = pair[1] as? String else {
                            throw SuiteLoadError(message: "zonedata \(name) has a bad MX: \(data)")
                        }
                        entries.append(.mx(UInt16(preference), exchange))
                    case "PTR", "CNAME":
                        guard let target = data as? String else { throw SuiteLoadError(message: "zonedata \(name) has a bad \(type)") }
                        entries.append(type == "PTR" ? .ptr(target) : .cname(target))
                    default:
                        throw SuiteLoadError(message: "zonedata \(name) has an unknown record type \(type)")
                    }
                }
            }
            if !hasTXT { entries += generatedTXT }
            zone[Self.key(name), default: []] += entries
        }
        self.zone = zone
    }

    private static func strings(_ data: Any, name: String) throws -> [String] {
        if let text = data as? String { return [text] }
        if let list = data as? [Any] {
            return try list.map {
                guard let text = $0 as? String else { throw SuiteLoadError(message: "zonedata \(name) has a non-string txt part") }
                return text
            }
        }
        throw SuiteLoadError(message: "zonedata \(name) has a bad txt value \(data)")
    }

    private static func key(_ name: String) -> String {
        (name.hasSuffix(".") ? String(name.dropLast()) : name).lowercased()
    }

    /// The entries of `type` at `name`, with the suite's TIMEOUT and CNAME rules.
    func lookup(_ name: String, type: String) -> SPFDNSAnswer<Entry> {
        var name = Self.key(name)
        var visited: Set<String> = []
        while true {
            guard let entries = zone[name] else { return .nxdomain }
            var found: [Entry] = []
            var alias: String?
            for entry in entries {
                if entry == .timeout {
                    if found.isEmpty { return .failure(.timeout) }
                    break
                }
                if entry.type == type { found.append(entry) }
                if case .cname(let target) = entry { alias = target }
            }
            if !found.isEmpty { return .records(found) }
            guard let alias else { return .noData }
            visited.insert(name)
            name = Self.key(alias)
            if visited.contains(name) { return .failure(.servfail) }
        }
    }

    private func map<T>(_ answer: SPFDNSAnswer<Entry>, _ transform: (Entry) -> T?) -> SPFDNSAnswer<T> {
        switch answer {
        case .records(let entries): return .records(entries.compactMap(transform))
        case .nxdomain: return .nxdomain
        case .noData: return .noData
        case .failure(let failure): return .failure(failure)
        }
    }

    func txt(_ name: String) async -> SPFDNSAnswer<SPFTXTRecord> {
        map(lookup(name, type: "TXT")) { if case .txt(let strings) = $0 { SPFTXTRecord(strings: strings) } else { nil } }
    }

    func a(_ name: String) async -> SPFDNSAnswer<IPAddress> {
        map(lookup(name, type: "A")) { if case .a(let address) = $0 { address } else { nil } }
    }

    func aaaa(_ name: String) async -> SPFDNSAnswer<IPAddress> {
        map(lookup(name, type: "AAAA")) { if case .aaaa(let address) = $0 { address } else { nil } }
    }

    func mx(_ name: String) async -> SPFDNSAnswer<SPFMXRecord> {
        map(lookup(name, type: "MX")) { if case .mx(let preference, let exchange) = $0 { SPFMXRecord(preference: preference, exchange: exchange) } else { nil } }
    }

    func ptr(_ name: String) async -> SPFDNSAnswer<String> {
        map(lookup(name, type: "PTR")) { if case .ptr(let target) = $0 { target } else { nil } }
    }
}
