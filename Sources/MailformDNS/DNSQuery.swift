/// One question: a name and a record type, in class IN.
///
/// The name is normalised when the query is made — ASCII letters lowercased,
/// one trailing dot dropped — because DNS names compare that way: `Good.Test.`
/// and `good.test` are one question, one cache entry and one dictionary key
/// in `DNSClient.resolveAll(_:)`. Non-ASCII bytes are left alone (DNS case
/// folding is ASCII only).
public struct DNSQuery: Sendable, Hashable, CustomStringConvertible {
    public let name: String
    public let type: DNSRecordType

    public init(_ name: String, _ type: DNSRecordType) {
        var normalized = String(decoding: name.utf8.map { (65...90).contains($0) ? $0 + 32 : $0 }, as: UTF8.self)
        if normalized.hasSuffix("."), normalized != "." { normalized.removeLast() }
        self.name = normalized
        self.type = type
    }

    public var description: String { "\(name) \(type)" }
}
