/// A parsed `v=spf1` record (RFC 7208 sections 4.5, 4.6, 5, 6 and 12).
///
/// The whole record is parsed before any of it is evaluated, because RFC 7208
/// section 4.6 requires a syntax error anywhere in the record — even after
/// `-all` — to make the result `permerror`. The parser is also what the
/// analyser uses to explain what is wrong with a published record.
public struct SPFRecord: Sendable, Hashable {
    /// The record as published (the TXT strings joined).
    public let text: String
    /// The mechanisms, in the order they are evaluated.
    public let directives: [SPFDirective]
    /// `redirect=`: where to continue when no mechanism matches.
    public let redirect: SPFMacroString?
    /// `exp=`: where the explanation for a `fail` is published.
    public let explanation: SPFMacroString?
    /// Modifiers this library does not know, as written; RFC 7208 section 6
    /// says to ignore them (after checking their macro syntax).
    public let unknownModifiers: [String]

    /// Whether a TXT record claims to be SPF: it starts with `v=spf1`, in any
    /// case, followed by a space or nothing. `v=spf10` and a record split as
    /// `"v=spf1" "mx"` (joined: `v=spf1mx`) are not SPF records.
    public static func isSPFRecord(_ text: String) -> Bool {
        let bytes = Array(text.utf8.prefix(7))
        guard bytes.count >= 6, String(decoding: bytes[0..<6], as: UTF8.self).lowercased() == "v=spf1" else { return false }
        return bytes.count == 6 || bytes[6] == UInt8(ascii: " ")
    }

    public init(parsing text: String) throws(SPFSyntaxError) {
        self.text = text
        // RFC 7208 section 3.1 restricts records to 7-bit ASCII, and 4.6.1
        // separates terms by spaces only, so any other byte is an error
        // wherever it is.
        if let (offset, scalar) = text.unicodeScalars.enumerated().first(where: { !(0x20...0x7E).contains($0.element.value) }) {
            throw SPFSyntaxError("record contains \(SPFMacroString.describe(scalar)) at character \(offset + 1); records are printable ascii separated by spaces")
        }
        guard SPFRecord.isSPFRecord(text) else {
            throw SPFSyntaxError("record does not start with \"v=spf1\" followed by a space")
        }
        var directives: [SPFDirective] = []
        var redirect: SPFMacroString?
        var explanation: SPFMacroString?
        var unknown: [String] = []
        for term in text.dropFirst(6).split(separator: " ") {
            if let (name, value) = SPFRecord.splitModifier(term) {
                switch name.lowercased() {
                case "redirect":
                    guard redirect == nil else { throw SPFSyntaxError("redirect= appears more than once") }
                    redirect = try SPFRecord.parseDomainSpec(value, term: term)
                case "exp":
                    guard explanation == nil else { throw SPFSyntaxError("exp= appears more than once") }
                    explanation = try SPFRecord.parseDomainSpec(value, term: term)
                default:
                    _ = try SPFMacroString(parsing: String(value), context: .unknownModifier)
                    unknown.append(String(term))
                }
            } else {
                directives.append(try SPFRecord.parseDirective(term))
            }
        }
        self.directives = directives
        self.redirect = redirect
        self.explanation = explanation
        self.unknownModifiers = unknown
    }

    /// `name "=" value` where `name = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." )`.
    /// A term whose name breaks that rule (`1up=foo`, `=all`,
    /// `moo.cow/far_out=man`) is not a modifier, and then fails as a mechanism.
    private static func splitModifier(_ term: Substring) -> (Substring, Substring)? {
        guard let equals = term.firstIndex(of: "="), equals != term.startIndex else { return nil }
        let name = term[..<equals]
        guard let first = name.first, first.isASCII, first.isLetter,
              name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }) else { return nil }
        return (name, term[term.index(after: equals)...])
    }

    private static func parseDirective(_ term: Substring) throws(SPFSyntaxError) -> SPFDirective {
        var body = term
        var qualifier = SPFQualifier.pass
        if let first = body.first, let explicit = SPFQualifier(rawValue: first) {
            qualifier = explicit
            body = body.dropFirst()
        }
        let nameEnd = body.firstIndex(where: { $0 == ":" || $0 == "/" }) ?? body.endIndex
        let name = body[..<nameEnd].lowercased()
        let rest = body[nameEnd...]
        let mechanism: SPFMechanism
        switch name {
        case "all":
            guard rest.isEmpty else { throw SPFSyntaxError("\"\(term)\": all takes no argument") }
            mechanism = .all
        case "include", "exists":
            guard rest.first == ":" else { throw SPFSyntaxError("\"\(term)\": \(name) needs a domain (\(name):example.com)") }
            let domain = try parseDomainSpec(rest.dropFirst(), term: term)
            mechanism = name == "include" ? .include(domain) : .exists(domain)
        case "ptr":
            if rest.isEmpty {
                mechanism = .ptr(domain: nil)
            } else {
                guard rest.first == ":" else { throw SPFSyntaxError("\"\(term)\": ptr takes only a domain, no prefix length") }
                mechanism = .ptr(domain: try parseDomainSpec(rest.dropFirst(), term: term))
            }
        case "a", "mx":
            let (remaining, ipv4, ipv6) = try parseDualCIDR(rest, term: term)
            var domain: SPFMacroString?
            if !remaining.isEmpty {
                guard remaining.first == ":" else { throw SPFSyntaxError("\"\(term)\": \"\(remaining)\" is neither \":domain\" nor a prefix length") }
                domain = try parseDomainSpec(remaining.dropFirst(), term: term)
            }
            mechanism = name == "a" ? .a(domain: domain, ipv4Prefix: ipv4 ?? 32, ipv6Prefix: ipv6 ?? 128)
                                    : .mx(domain: domain, ipv4Prefix: ipv4 ?? 32, ipv6Prefix: ipv6 ?? 128)
        case "ip4", "ip6":
            let family: IPAddress.Family = name == "ip4" ? .v4 : .v6
            guard rest.first == ":" else { throw SPFSyntaxError("\"\(term)\": \(name) needs an address (\(name):\(family == .v4 ? "192.0.2.0/24" : "2001:db8::/32"))") }
            let value = rest.dropFirst()
            let slash = value.firstIndex(of: "/")
            let addressText = value[..<(slash ?? value.endIndex)]
            guard let address = IPAddress(String(addressText)), address.family == family else {
                throw SPFSyntaxError("\"\(term)\": \"\(addressText)\" is not a valid \(family == .v4 ? "ipv4" : "ipv6") address")
            }
            var prefix = family.bitCount
            if let slash {
                prefix = try parsePrefix(value[value.index(after: slash)...], family: family, term: term)
            }
            mechanism = family == .v4 ? .ip4(network: address, prefixLength: prefix) : .ip6(network: address, prefixLength: prefix)
        default:
            throw SPFSyntaxError("\"\(term)\" is neither a known mechanism nor a modifier")
        }
        return SPFDirective(qualifier: qualifier, mechanism: mechanism, text: String(term))
    }

    /// A non-empty domain-spec, parsed and checked for a valid `domain-end`.
    private static func parseDomainSpec(_ text: Substring, term: Substring) throws(SPFSyntaxError) -> SPFMacroString {
        guard !text.isEmpty else { throw SPFSyntaxError("\"\(term)\" has an empty domain") }
        do throws(SPFSyntaxError) {
            let spec = try SPFMacroString(parsing: String(text), context: .domainSpec)
            try DomainName.validateDomainEnd(spec)
            return spec
        } catch {
            throw SPFSyntaxError("\"\(term)\": \(error.message)")
        }
    }

    /// Splits `dual-cidr-length = [ "/" ip4-prefix ] [ "//" ip6-prefix ]` off the
    /// end of an `a`/`mx` argument. Only a trailing `/digits` counts, because a
    /// domain-spec may itself contain `/` (`a:foo:bar/baz.example.com`).
    private static func parseDualCIDR(_ text: Substring, term: Substring) throws(SPFSyntaxError) -> (Substring, Int?, Int?) {
        func trailing(_ text: Substring) -> (rest: Substring, digits: Substring, isIPv6: Bool)? {
            guard let slash = text.lastIndex(of: "/") else { return nil }
            let digits = text[text.index(after: slash)...]
            guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
            let before = text[..<slash]
            return before.last == "/" ? (before.dropLast(), digits, true) : (before, digits, false)
        }
        var rest = text
        var ipv4: Int?
        var ipv6: Int?
        if let last = trailing(rest) {
            rest = last.rest
            if last.isIPv6 {
                ipv6 = try parsePrefix(last.digits, family: .v6, term: term)
                if let previous = trailing(rest), !previous.isIPv6 {
                    rest = previous.rest
                    ipv4 = try parsePrefix(previous.digits, family: .v4, term: term)
                }
            } else {
                ipv4 = try parsePrefix(last.digits, family: .v4, term: term)
            }
        }
        return (rest, ipv4, ipv6)
    }

    /// `1*DIGIT` within the family's range. Leading zeros are refused, as the
    /// test suite reads RFC 7208 (it forbids them in `ip4-network`).
    private static func parsePrefix(_ digits: Substring, family: IPAddress.Family, term: Substring) throws(SPFSyntaxError) -> Int {
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw SPFSyntaxError("\"\(term)\": \"/\(digits)\" is not a prefix length")
        }
        guard digits == "0" || digits.first != "0" else {
            throw SPFSyntaxError("\"\(term)\": prefix length /\(digits) has a leading zero")
        }
        guard digits.count <= 3, let value = Int(digits), value <= family.bitCount else {
            throw SPFSyntaxError("\"\(term)\": prefix length /\(digits) is over \(family.bitCount), the most for \(family == .v4 ? "ipv4" : "ipv6")")
        }
        return value
    }
}
