/// The prefix of a directive, deciding the result when its mechanism matches
/// (RFC 7208 section 4.6.2); no prefix means `+`.
public enum SPFQualifier: Character, Sendable, Hashable {
    case pass = "+"
    case fail = "-"
    case softfail = "~"
    case neutral = "?"

    public var result: SPFResult.Code {
        switch self {
        case .pass: return .pass
        case .fail: return .fail
        case .softfail: return .softfail
        case .neutral: return .neutral
        }
    }
}
