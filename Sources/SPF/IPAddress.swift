/// An IPv4 or IPv6 address.
///
/// SPF needs only a handful of operations on addresses — strict parsing of
/// `ip4:`/`ip6:` terms, prefix matching, the reverse-DNS name for `ptr` and the
/// `%{i}`/`%{c}` macros — so this small value type does them itself rather than
/// depend on platform socket types, which differ between Linux and macOS.
///
/// The 128 bits are kept as two `UInt64` halves (IPv4 uses the low 32 bits of
/// `low`); `UInt128` would be neater but needs macOS 15.
public struct IPAddress: Hashable, Sendable, CustomStringConvertible, LosslessStringConvertible {
    public enum Family: Sendable, Hashable {
        case v4
        case v6

        /// The longest prefix an address of this family has: 32 or 128.
        public var bitCount: Int { self == .v4 ? 32 : 128 }
    }

    public let family: Family
    private let high: UInt64
    private let low: UInt64

    /// Parses dotted-quad IPv4 (`192.0.2.1`, no leading zeros, as RFC 7208's
    /// `ip4-network` demands) or any RFC 4291 IPv6 text form, including `::`
    /// compression and a trailing dotted quad (`::ffff:192.0.2.1`).
    /// Zone identifiers (`fe80::1%eth0`) are rejected: they mean nothing in SPF.
    public init?(_ text: String) {
        if text.contains(":") {
            guard let (high, low) = IPAddress.parseIPv6(Substring(text)) else { return nil }
            self.init(family: .v6, high: high, low: low)
        } else {
            guard let value = IPAddress.parseIPv4(Substring(text)) else { return nil }
            self.init(family: .v4, high: 0, low: UInt64(value))
        }
    }

    /// Builds an address from its network-order bytes: 4 for IPv4, 16 for IPv6
    /// (the form a DNS A or AAAA record carries).
    public init?(bytes: [UInt8]) {
        switch bytes.count {
        case 4:
            let value = bytes.reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            self.init(family: .v4, high: 0, low: value)
        case 16:
            let high = bytes[0..<8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            let low = bytes[8..<16].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            self.init(family: .v6, high: high, low: low)
        default:
            return nil
        }
    }

    private init(family: Family, high: UInt64, low: UInt64) {
        self.family = family
        self.high = high
        self.low = low
    }

    /// The address in network byte order: 4 or 16 bytes.
    public var bytes: [UInt8] {
        switch family {
        case .v4:
            return (0..<4).map { UInt8(truncatingIfNeeded: low >> (24 - 8 * UInt64($0))) }
        case .v6:
            let h = (0..<8).map { UInt8(truncatingIfNeeded: high >> (56 - 8 * UInt64($0))) }
            let l = (0..<8).map { UInt8(truncatingIfNeeded: low >> (56 - 8 * UInt64($0))) }
            return h + l
        }
    }

    /// The embedded IPv4 address if this is an IPv4-mapped IPv6 address
    /// (`::ffff:a.b.c.d`). RFC 7208 section 5 requires such a client to be
    /// treated as the IPv4 address it carries.
    public var ipv4Mapped: IPAddress? {
        guard family == .v6, high == 0, low >> 32 == 0xFFFF else { return nil }
        return IPAddress(family: .v4, high: 0, low: low & 0xFFFF_FFFF)
    }

    /// Whether this address lies in `network/prefixLength`. Addresses of
    /// different families never match, which is how `ip6:` terms ignore IPv4
    /// clients and vice versa. A prefix longer than the family allows is
    /// treated as the full length.
    public func isInNetwork(_ network: IPAddress, prefixLength: Int) -> Bool {
        guard family == network.family else { return false }
        let bits = min(max(prefixLength, 0), family.bitCount)
        switch family {
        case .v4:
            let mask: UInt64 = bits == 0 ? 0 : (0xFFFF_FFFF << UInt64(32 - bits)) & 0xFFFF_FFFF
            return low & mask == network.low & mask
        case .v6:
            let highBits = min(bits, 64)
            let lowBits = max(bits - 64, 0)
            let highMask: UInt64 = highBits == 0 ? 0 : ~UInt64(0) << UInt64(64 - highBits)
            let lowMask: UInt64 = lowBits == 0 ? 0 : ~UInt64(0) << UInt64(64 - lowBits)
            return high & highMask == network.high & highMask && low & lowMask == network.low & lowMask
        }
    }

    /// The labels of the `%{i}` macro: the four decimal octets for IPv4, or the
    /// 32 hexadecimal nibbles for IPv6 (RFC 7208 section 7.3).
    ///
    /// Nibbles are uppercase, as pyspf and the RFC 7208 test suite's expected
    /// explanations use; DNS names are case-insensitive, so queries are unaffected.
    public var macroLabels: [String] {
        switch family {
        case .v4:
            return bytes.map { String($0) }
        case .v6:
            return bytes.flatMap { [String($0 >> 4, radix: 16, uppercase: true), String($0 & 0xF, radix: 16, uppercase: true)] }
        }
    }

    /// The name a PTR query for this address goes to:
    /// `4.3.2.1.in-addr.arpa` or the 32-nibble `….ip6.arpa` form.
    public var reverseDNSName: String {
        macroLabels.reversed().joined(separator: ".") + (family == .v4 ? ".in-addr.arpa" : ".ip6.arpa")
    }

    /// Dotted quad for IPv4; RFC 5952 text for IPv6 (lowercase, the longest
    /// run of two or more zero groups shortened to `::`, and `::ffff:` followed
    /// by a dotted quad for an IPv4-mapped address).
    public var description: String {
        switch family {
        case .v4:
            return bytes.map { String($0) }.joined(separator: ".")
        case .v6:
            if let mapped = ipv4Mapped { return "::ffff:" + mapped.description }
            let groups = (0..<8).map { index -> UInt16 in
                let half = index < 4 ? high : low
                return UInt16(truncatingIfNeeded: half >> UInt64(48 - 16 * (index % 4)))
            }
            // Find the longest run of zero groups (first one wins a tie).
            var bestStart = -1, bestLength = 0, runStart = -1
            for index in 0...8 {
                if index < 8, groups[index] == 0 {
                    if runStart < 0 { runStart = index }
                } else if runStart >= 0 {
                    if index - runStart > bestLength { bestStart = runStart; bestLength = index - runStart }
                    runStart = -1
                }
            }
            let text = groups.map { String($0, radix: 16) }
            guard bestLength >= 2 else { return text.joined(separator: ":") }
            let head = text[..<bestStart].joined(separator: ":")
            let tail = text[(bestStart + bestLength)...].joined(separator: ":")
            return head + "::" + tail
        }
    }

    // MARK: - Parsing

    /// Strict dotted-quad: exactly four decimal octets, 0–255, no leading zeros.
    private static func parseIPv4(_ text: Substring) -> UInt32? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            guard !part.isEmpty, part.count <= 3, part.allSatisfy({ $0.isASCII && $0.isNumber }),
                  part == "0" || part.first != "0",
                  let octet = UInt32(part), octet <= 255 else { return nil }
            value = value << 8 | octet
        }
        return value
    }

    private static func parseIPv6(_ text: Substring) -> (UInt64, UInt64)? {
        // Split around a single "::" if present.
        let head: Substring
        let tail: Substring?
        if let range = text.range(of: "::") {
            head = text[..<range.lowerBound]
            tail = text[range.upperBound...]
            if tail!.contains("::") { return nil }
        } else {
            head = text
            tail = nil
        }
        guard let headGroups = parseGroups(head, allowIPv4Tail: tail == nil) else { return nil }
        var groups = headGroups
        if let tail {
            guard let tailGroups = parseGroups(tail, allowIPv4Tail: true),
                  headGroups.count + tailGroups.count <= 7 else { return nil }
            groups += Array(repeating: 0, count: 8 - headGroups.count - tailGroups.count) + tailGroups
        }
        guard groups.count == 8 else { return nil }
        let high = groups[0..<4].reduce(UInt64(0)) { $0 << 16 | UInt64($1) }
        let low = groups[4..<8].reduce(UInt64(0)) { $0 << 16 | UInt64($1) }
        return (high, low)
    }

    /// Colon-separated 16-bit groups; the last may be a dotted quad (two groups).
    /// An empty string is zero groups (one side of `::`).
    private static func parseGroups(_ text: Substring, allowIPv4Tail: Bool) -> [UInt16]? {
        if text.isEmpty { return [] }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        var groups: [UInt16] = []
        for (index, part) in parts.enumerated() {
            if index == parts.count - 1, allowIPv4Tail, part.contains(".") {
                guard let v4 = parseIPv4(part) else { return nil }
                groups.append(UInt16(v4 >> 16))
                groups.append(UInt16(v4 & 0xFFFF))
                continue
            }
            guard (1...4).contains(part.count), part.allSatisfy({ $0.isHexDigit && $0.isASCII }),
                  let group = UInt16(part, radix: 16) else { return nil }
            groups.append(group)
        }
        return groups
    }
}
