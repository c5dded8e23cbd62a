import SPF

/// One record of any type `DNSClient` asks about; the element of `DNSResult`.
///
/// The batch API (`resolveAll(_:)`) mixes types in one call, so its results
/// need one record type; the typed async methods (`txt`, `a`, ...) unwrap it.
public enum DNSRecord: Sendable, Hashable, CustomStringConvertible {
    case a(IPAddress)
    case aaaa(IPAddress)
    /// The record's character-strings in order, not joined: SPF and DKIM join
    /// them with nothing between, but a report may want to show the split.
    case txt([String])
    case mx(DNSMXRecord)
    /// The target name, without the trailing dot.
    case ptr(String)

    public var description: String {
        switch self {
        case .a(let address), .aaaa(let address): return address.description
        case .txt(let strings): return strings.map { "\"\($0)\"" }.joined(separator: " ")
        case .mx(let mx): return mx.description
        case .ptr(let name): return name
        }
    }
}
