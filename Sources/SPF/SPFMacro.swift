/// One `%{…}` macro: a letter, optional transformers and delimiters
/// (RFC 7208 section 7.1, `macro-expand`).
public struct SPFMacro: Sendable, Hashable {
    /// What the macro stands for (RFC 7208 section 7.2).
    public enum Letter: Character, Sendable, Hashable, CaseIterable {
        /// `<sender>`: local-part@domain.
        case sender = "s"
        /// The local-part of `<sender>`.
        case localPart = "l"
        /// The domain of `<sender>`.
        case senderDomain = "o"
        /// `<domain>`: the domain whose record is being evaluated.
        case domain = "d"
        /// `<ip>` as dotted labels (octets or nibbles).
        case ip = "i"
        /// The validated domain name of `<ip>` (costly; do not use).
        case validatedName = "p"
        /// `in-addr` for IPv4, `ip6` for IPv6.
        case ipVersion = "v"
        /// The HELO/EHLO domain.
        case helo = "h"
        /// `<ip>` in its readable form; explanation text only.
        case readableIP = "c"
        /// The receiving host's domain; explanation text only.
        case receiver = "r"
        /// The current time in seconds since the epoch; explanation text only.
        case timestamp = "t"

        /// RFC 7208 section 7.3: `c`, `r` and `t` only make sense in the
        /// explanation string, and elsewhere are a syntax error.
        public var isExplanationOnly: Bool { self == .readableIP || self == .receiver || self == .timestamp }
    }

    public var letter: Letter
    /// Written in uppercase (`%{L}`): the expansion is URL-escaped.
    public var urlEscaped: Bool
    /// Keep only this many right-hand parts (the DIGIT transformer); nil keeps all.
    public var rightmostParts: Int?
    /// Reverse the parts before keeping the rightmost ones (the `r` transformer).
    public var reversed: Bool
    /// Characters to split the value on; `.` when none are written.
    public var delimiters: [Character]

    public init(letter: Letter, urlEscaped: Bool = false, rightmostParts: Int? = nil, reversed: Bool = false, delimiters: [Character] = ["."]) {
        self.letter = letter
        self.urlEscaped = urlEscaped
        self.rightmostParts = rightmostParts
        self.reversed = reversed
        self.delimiters = delimiters
    }
}
