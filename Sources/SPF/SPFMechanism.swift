/// A mechanism with its arguments already checked (RFC 7208 section 5).
///
/// Domain arguments stay unexpanded macro-strings: their value depends on the
/// message. Address arguments are parsed here, so a bad `ip4:` is a syntax
/// error of the record, found before evaluation starts.
public enum SPFMechanism: Sendable, Hashable {
    case all
    case include(SPFMacroString)
    /// `a[:domain][/ipv4-prefix][//ipv6-prefix]`; a nil domain means `<domain>`.
    case a(domain: SPFMacroString?, ipv4Prefix: Int, ipv6Prefix: Int)
    /// `mx[:domain][/ipv4-prefix][//ipv6-prefix]`; a nil domain means `<domain>`.
    case mx(domain: SPFMacroString?, ipv4Prefix: Int, ipv6Prefix: Int)
    /// `ptr[:domain]`; a nil domain means `<domain>`.
    case ptr(domain: SPFMacroString?)
    case ip4(network: IPAddress, prefixLength: Int)
    case ip6(network: IPAddress, prefixLength: Int)
    case exists(SPFMacroString)

    /// The mechanism's name as the grammar spells it.
    public var name: String {
        switch self {
        case .all: return "all"
        case .include: return "include"
        case .a: return "a"
        case .mx: return "mx"
        case .ptr: return "ptr"
        case .ip4: return "ip4"
        case .ip6: return "ip6"
        case .exists: return "exists"
        }
    }

    /// Whether evaluating it queries DNS and so counts towards the limit of
    /// 10 such terms (RFC 7208 section 4.6.4). `redirect=` counts too.
    public var countsAsDNSLookup: Bool {
        switch self {
        case .include, .a, .mx, .ptr, .exists: return true
        case .all, .ip4, .ip6: return false
        }
    }
}
