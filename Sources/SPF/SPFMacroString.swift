/// A parsed `macro-string` or `explain-string` (RFC 7208 section 7.1).
///
/// Parsing happens once, when the record is parsed, so every macro syntax
/// error in a record is found before evaluation starts — RFC 7208 section 4.6
/// requires syntax errors anywhere in the record to be detected — and
/// expansion (`MacroExpander`) cannot fail.
public struct SPFMacroString: Sendable, Hashable, CustomStringConvertible {
    public enum Token: Sendable, Hashable {
        /// Text copied as is; `%%`, `%_` and `%-` are already turned into
        /// `%`, a space and `%20`.
        case literal(String)
        case macro(SPFMacro)
    }

    /// Where a macro-string appears decides what it may contain.
    public enum Context: Sendable {
        /// A `domain-spec` (`a:`, `include:`, `redirect=`, `exp=` …): visible
        /// characters only, and no `c`, `r`, `t` macros.
        case domainSpec
        /// The TXT record an `exp=` points at: spaces allowed, every macro letter.
        case explanation
        /// The value of a modifier this library does not know: checked for
        /// macro syntax only (RFC 7208 appendix A), never expanded.
        case unknownModifier
    }

    public let tokens: [Token]
    /// The text as written in the record.
    public let text: String

    public var description: String { text }

    /// The macro letters used, so a caller can tell whether the costly `%{p}`
    /// is needed before expanding.
    public var letters: Set<SPFMacro.Letter> {
        Set(tokens.compactMap { if case .macro(let macro) = $0 { return macro.letter } else { return nil } })
    }

    /// Whether the string contains any `%{…}` macro (so its value depends on
    /// the message being checked).
    public var hasMacros: Bool { !letters.isEmpty }

    public init(parsing text: String, context: Context) throws(SPFSyntaxError) {
        self.text = text
        var tokens: [Token] = []
        var literal = ""
        var scalars = Array(text.unicodeScalars)[...]

        func flushLiteral() {
            if !literal.isEmpty { tokens.append(.literal(literal)); literal = "" }
        }

        while let scalar = scalars.popFirst() {
            if scalar != "%" {
                let allowed = (0x21...0x7E).contains(scalar.value) || (context != .domainSpec && scalar == " ")
                guard allowed else {
                    throw SPFSyntaxError("\"\(text)\" contains \(SPFMacroString.describe(scalar)), which is not allowed there")
                }
                literal.unicodeScalars.append(scalar)
                continue
            }
            guard let next = scalars.popFirst() else {
                throw SPFSyntaxError("\"\(text)\" ends with a lone \"%\" (write \"%%\" for a percent sign)")
            }
            switch next {
            case "%": literal += "%"
            case "_": literal += " "
            case "-": literal += "%20"
            case "{":
                guard let close = scalars.firstIndex(of: "}") else {
                    throw SPFSyntaxError("\"\(text)\" has a \"%{\" macro with no closing \"}\"")
                }
                let body = String(String.UnicodeScalarView(scalars[..<close]))
                scalars = scalars[scalars.index(after: close)...]
                let macro = try SPFMacroString.parseMacro(body, in: text)
                if macro.letter.isExplanationOnly, context == .domainSpec {
                    throw SPFSyntaxError("macro \"%{\(body)}\" in \"\(text)\" is only allowed in explanation text")
                }
                flushLiteral()
                tokens.append(.macro(macro))
            default:
                throw SPFSyntaxError("\"\(text)\" has \"%\(next)\", which is not a macro (a \"%\" must be followed by \"{\", \"%\", \"_\" or \"-\")")
            }
        }
        flushLiteral()
        self.tokens = tokens
    }

    /// `macro-letter transformers *delimiter`, the inside of `%{…}`.
    private static func parseMacro(_ body: String, in text: String) throws(SPFSyntaxError) -> SPFMacro {
        var characters = body[...]
        guard let first = characters.popFirst(), first.isASCII,
              let letter = SPFMacro.Letter(rawValue: Character(first.lowercased())) else {
            let shown = body.first.map { "\"\($0)\"" } ?? "nothing"
            throw SPFSyntaxError("macro \"%{\(body)}\" in \"\(text)\" starts with \(shown), which is not a macro letter (s, l, o, d, i, p, h, v, c, r, t)")
        }
        let digits = characters.prefix(while: { $0.isASCII && $0.isNumber })
        characters = characters.dropFirst(digits.count)
        var rightmost: Int?
        if !digits.isEmpty {
            // Saturate instead of overflowing; anything past the label count keeps every part.
            let value = digits.reduce(0) { min($0 * 10 + Int(String($1))!, 10_000) }
            guard value > 0 else {
                throw SPFSyntaxError("macro \"%{\(body)}\" in \"\(text)\" keeps zero parts; the digit transformer must be at least 1")
            }
            rightmost = value
        }
        var reversed = false
        if characters.first == "r" || characters.first == "R" {
            reversed = true
            characters = characters.dropFirst()
        }
        var delimiters: [Character] = []
        for character in characters {
            guard ".-+,/_=".contains(character) else {
                throw SPFSyntaxError("macro \"%{\(body)}\" in \"\(text)\" has \"\(character)\" where only the delimiters . - + , / _ = may follow")
            }
            delimiters.append(character)
        }
        return SPFMacro(letter: letter, urlEscaped: first.isUppercase, rightmostParts: rightmost,
                        reversed: reversed, delimiters: delimiters.isEmpty ? ["."] : delimiters)
    }

    /// Names a character in an error message so that control characters are visible.
    static func describe(_ scalar: Unicode.Scalar) -> String {
        switch scalar {
        case " ": return "a space"
        case "\0": return "a NUL byte"
        case "\r": return "a carriage return"
        case "\n": return "a line feed"
        case "\t": return "a tab"
        default:
            let hex = String(scalar.value, radix: 16, uppercase: true)
            if scalar.value < 0x20 || scalar.value == 0x7F { return "the control character U+\(String(repeating: "0", count: max(0, 4 - hex.count)) + hex)" }
            return "the non-ascii character U+\(String(repeating: "0", count: max(0, 4 - hex.count)) + hex)"
        }
    }
}
