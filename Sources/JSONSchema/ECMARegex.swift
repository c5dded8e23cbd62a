import Foundation

/// JSON Schema's regular expressions (`pattern`, `patternProperties`) are
/// ECMA-262 regular expressions; Foundation's `NSRegularExpression` runs ICU's
/// dialect, which differs where it matters for validation:
///
/// | ECMA-262                        | ICU (no flags)                                   |
/// |---------------------------------|--------------------------------------------------|
/// | `$`  only at the very end       | also before a final `\n`, `\r\n`, `\r`, `\u{85}`, `\u{2028}`... |
/// | `\d` `[0-9]`                    | any Unicode decimal digit (`٣`, `৪`)             |
/// | `\w` `[A-Za-z0-9_]`, `\b` on it | Unicode letters, marks, digits                   |
/// | `\s` WhiteSpace + LineTerminator| Unicode White_Space (has U+0085, lacks U+FEFF)   |
/// | `.`  all but `\n \r \u2028 \u2029` | also excludes U+0085                          |
/// | `\v` the character U+000B       | any vertical whitespace                          |
/// | `a*+` a syntax error            | a possessive quantifier                          |
///
/// So a pattern is never handed to ICU as written: ``translate(_:)`` parses it
/// with the ECMA-262 grammar and writes an ICU pattern with the same meaning,
/// spelling out every construct ICU reads differently:
///
/// - `^` → `\A`, `$` → `\z` (no `m` flag: absolute start and end of input);
/// - `.` → `[^\n\r\u2028\u2029]`; `\d \D \w \W \s \S` → explicit sets (inside a
///   class too, as nested ICU sets, so `[^\s\d]` keeps its meaning);
/// - `\b` / `\B` → lookarounds on `[A-Za-z0-9_]`;
/// - every literal character other than `A-Z a-z 0-9` → `\x{…}`, so nothing
///   reaches ICU that ICU would read as syntax (`[:`, `&&`, `--`, `#`, `\Q`...);
/// - `\t \n \v \f \r \cX \0 \xHH \uHHHH \u{H…}` → `\x{…}`; `\uD83D\uDC32` is one code point;
/// - `\p{…}` / `\P{…}` are kept once they fit ECMA's grammar (`Value`, or `Name=Value`
///   with General_Category, Script or Script_Extensions): ICU knows the same
///   Unicode names (and accepts a few spellings ECMA does not, like `\p{letter}`);
/// - groups, `(?:…)`, `(?=…)`, `(?!…)`, `(?<=…)`, `(?<!…)` and greedy
///   quantifiers are the same in both; `(?<name>…)` becomes a plain group;
/// - lazy quantifiers (`*?`, `+?`, `{n,m}?`...) become greedy. JSON Schema only
///   asks whether a match exists, and without backreferences that does not
///   depend on the order repetitions are tried in; ICU gets lazy repetition of
///   a group that can match empty wrong (`^(?:|a)+?$` does not match "aa").
///
/// The translation is therefore for "is there a match" (all ``Validator`` asks),
/// not for match positions or captures.
///
/// Patterns are read in ECMA-262 *Unicode mode* (the `u` flag), as the JSON
/// Schema Test Suite expects: `\p{Letter}` is a property, `.` and quantifiers
/// take whole code points (`^🐲*$`), `\u{1F432}` is allowed. Unicode mode's
/// strictness is relaxed where the web's legacy grammar (ECMA-262 Annex B) gives
/// a pattern one obvious meaning: `\` before ASCII punctuation (`\-`, `\'`,
/// `\@`...) is that character, and `{`, `}`, `]` that do not form a quantifier
/// or class are literal.
///
/// What cannot be translated faithfully is refused (``Failure/Kind/unsupported``),
/// never approximated: backreferences (`\1`, `\k<n>` — ECMA lets a reference to
/// a group that has not matched match the empty string, ICU fails it), inline
/// modifiers `(?i:…)`, and what ICU itself cannot compile: a lookbehind of
/// unbounded length (`(?<=a+)`), a repetition count above ICU's limit, a
/// property name ICU does not know. Escapes that are not ECMA-262,
/// such as `\a`, `\z`, `\Q`, or octal `\012`, are syntax errors, as in Unicode mode.
enum ECMARegex {
    struct Failure: Error, CustomStringConvertible {
        enum Kind: Sendable {
            /// Not a valid ECMA-262 pattern.
            case syntax
            /// Valid ECMA-262, but with no faithful ICU equivalent here.
            case unsupported
        }
        var kind: Kind
        var message: String
        /// Offset in Unicode scalars from the start of the pattern, when known.
        var offset: Int?
        var description: String { offset.map { "\(message) (at character \($0 + 1))" } ?? message }
    }

    /// ECMA-262 `\s`: WhiteSpace (TAB, VT, FF, ZWNBSP U+FEFF and every Space_Separator)
    /// and LineTerminator (LF, CR, U+2028, U+2029), as closed ranges.
    static let whitespaceRanges: [ClosedRange<UInt32>] = [
        0x09...0x0D, 0x20...0x20, 0xA0...0xA0, 0x1680...0x1680, 0x2000...0x200A,
        0x2028...0x2029, 0x202F...0x202F, 0x205F...0x205F, 0x3000...0x3000, 0xFEFF...0xFEFF,
    ]
    /// ECMA-262 LineTerminator: what `.` does not match.
    static let lineTerminators: [UInt32] = [0x0A, 0x0D, 0x2028, 0x2029]

    static let digitSet = "[0-9]"
    static let nonDigitSet = "[^0-9]"
    static let wordSet = "[A-Za-z0-9_]"
    static let nonWordSet = "[^A-Za-z0-9_]"
    static let whitespaceSet = "[" + whitespaceRanges.map(icuRange).joined() + "]"
    static let nonWhitespaceSet = "[^" + whitespaceRanges.map(icuRange).joined() + "]"
    static let dot = "[^" + lineTerminators.map(icuLiteral).joined() + "]"
    static let wordBoundary = "(?:(?<=[A-Za-z0-9_])(?![A-Za-z0-9_])|(?<![A-Za-z0-9_])(?=[A-Za-z0-9_]))"
    static let notWordBoundary = "(?:(?<=[A-Za-z0-9_])(?=[A-Za-z0-9_])|(?<![A-Za-z0-9_])(?![A-Za-z0-9_]))"

    /// The ICU pattern with the meaning of the ECMA-262 `pattern`.
    static func translate(_ pattern: String) throws(Failure) -> String {
        var parser = Parser(Array(pattern.unicodeScalars))
        return try parser.run()
    }

    /// Compiles an ECMA-262 pattern to a regex for ``Validator/search(_:_:)``.
    static func compile(_ pattern: String) throws(Failure) -> NSRegularExpression {
        let icu = try translate(pattern)
        do {
            return try NSRegularExpression(pattern: icu, options: [])
        } catch {
            throw Failure(kind: .unsupported,
                          message: "the regex engine (ICU) cannot compile it: a lookbehind must have a bounded length, a repetition count must be below ICU's limit, a \\p{} name must be one ICU knows",
                          offset: nil)
        }
    }

    static func icuLiteral(_ value: UInt32) -> String {
        switch value {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: String(UnicodeScalar(UInt8(value)))
        default: "\\x{" + String(value, radix: 16, uppercase: true) + "}"
        }
    }

    static func icuRange(_ range: ClosedRange<UInt32>) -> String {
        range.lowerBound == range.upperBound
            ? icuLiteral(range.lowerBound) : icuLiteral(range.lowerBound) + "-" + icuLiteral(range.upperBound)
    }

    /// Recursive descent over ECMA-262's Pattern grammar (Unicode mode, with the
    /// Annex B allowances named above), writing ICU as it goes.
    private struct Parser {
        /// One element of a character class: a character, or a set such as `\d`.
        private enum ClassAtom {
            case character(UInt32)
            case set(String)
        }

        private let s: [Unicode.Scalar]
        private var i = 0
        private var depth = 0
        private var captureCount = 0
        private var groupNames: Set<String> = []
        private var numberedReferences: [(number: Int, offset: Int)] = []
        private var namedReferences: [(name: String, offset: Int)] = []
        private var unsupported: Failure?

        init(_ scalars: [Unicode.Scalar]) { s = scalars }

        mutating func run() throws(Failure) -> String {
            let out = try disjunction()
            if i < s.count { throw syntax("unmatched ')'") }
            for reference in numberedReferences where reference.number > captureCount {
                throw Failure(kind: .syntax, message: "\\\(reference.number) refers to a group the pattern does not have",
                              offset: reference.offset)
            }
            for reference in namedReferences where !groupNames.contains(reference.name) {
                throw Failure(kind: .syntax, message: "\\k<\(reference.name)> refers to a group the pattern does not have",
                              offset: reference.offset)
            }
            // Syntax errors anywhere win over a construct we cannot translate.
            if let unsupported { throw unsupported }
            return out.isEmpty ? "(?:)" : out  // NSRegularExpression refuses an empty pattern
        }

        // MARK: Helpers

        private var atEnd: Bool { i >= s.count }
        private func peek(_ ahead: Int = 0) -> Unicode.Scalar? { i + ahead < s.count ? s[i + ahead] : nil }
        private func peekIs(_ c: Character, _ ahead: Int = 0) -> Bool {
            guard let p = peek(ahead) else { return false }
            return Character(p) == c
        }
        private func syntax(_ message: String, at offset: Int? = nil) -> Failure {
            Failure(kind: .syntax, message: message, offset: offset ?? i)
        }
        private mutating func markUnsupported(_ message: String, at offset: Int) {
            if unsupported == nil { unsupported = Failure(kind: .unsupported, message: message, offset: offset) }
        }
        private static func isDigit(_ c: Unicode.Scalar?) -> Bool { c.map { (0x30...0x39).contains($0.value) } ?? false }
        private static func hexValue(_ c: Unicode.Scalar?) -> UInt32? {
            guard let v = c?.value else { return nil }
            switch v {
            case 0x30...0x39: return v - 0x30
            case 0x41...0x46: return v - 0x41 + 10
            case 0x61...0x66: return v - 0x61 + 10
            default: return nil
            }
        }
        private static func isSyntaxCharacter(_ c: Unicode.Scalar) -> Bool {
            "^$\\.*+?()[]{}|/".unicodeScalars.contains(c)
        }
        /// ASCII punctuation and symbols other than the syntax characters
        /// (Annex B identity escapes: `\-`, `\'`, `\@`, `\ `...).
        private static func isLenientIdentityEscape(_ c: Unicode.Scalar) -> Bool {
            switch c.value {
            case 0x20...0x2F, 0x3A...0x40, 0x5B...0x60, 0x7B...0x7E: true
            default: false
            }
        }

        // MARK: Disjunction, alternative, term

        private mutating func disjunction() throws(Failure) -> String {
            depth += 1
            defer { depth -= 1 }
            if depth > 200 { throw Failure(kind: .unsupported, message: "groups nested too deeply", offset: i) }
            var out = try alternative()
            while peekIs("|") {
                i += 1
                out += "|" + (try alternative())
            }
            return out
        }

        private mutating func alternative() throws(Failure) -> String {
            var out = ""
            while let c = peek(), c != "|", c != ")" {
                out += try term()
            }
            return out
        }

        private mutating func term() throws(Failure) -> String {
            guard let c = peek() else { throw syntax("unexpected end of pattern") }
            var atom: String
            switch c {
            case "^":
                i += 1
                return try assertion("\\A")
            case "$":
                i += 1
                return try assertion("\\z")
            case "\\" where peekIs("b", 1):
                i += 2
                return try assertion(ECMARegex.wordBoundary)
            case "\\" where peekIs("B", 1):
                i += 2
                return try assertion(ECMARegex.notWordBoundary)
            case "(":
                if peekIs("?", 1) && (peekIs("=", 2) || peekIs("!", 2)) {
                    let kind = String(s[i + 2])
                    i += 3
                    return try assertion("(?" + kind + (try groupBody()) + ")")
                }
                if peekIs("?", 1) && peekIs("<", 2) && (peekIs("=", 3) || peekIs("!", 3)) {
                    let kind = String(s[i + 3])
                    i += 4
                    return try assertion("(?<" + kind + (try groupBody()) + ")")
                }
                atom = try group()
            case ".":
                i += 1
                atom = ECMARegex.dot
            case "[":
                i += 1
                atom = try characterClass()
            case "*", "+", "?":
                throw syntax("nothing to repeat before '\(c)'")
            case "{":
                if quantifierLength() != nil { throw syntax("nothing to repeat before '{'") }
                i += 1
                atom = ECMARegex.icuLiteral(c.value)  // Annex B: a '{' that is no quantifier
            case "\\":
                atom = try atomEscape()
            default:
                // Any other character, ']' and '}' included (Annex B), stands for itself.
                i += 1
                atom = ECMARegex.icuLiteral(c.value)
            }
            return atom + (try quantifier())
        }

        /// An assertion: written as is, and never quantified (a syntax error in Unicode mode).
        private mutating func assertion(_ icu: String) throws(Failure) -> String {
            if let c = peek(), c == "*" || c == "+" || c == "?" || (c == "{" && quantifierLength() != nil) {
                throw syntax("an assertion cannot be repeated", at: i)
            }
            return icu
        }

        /// After '(' of a group: capturing, `(?:`, `(?<name>`, or modifiers `(?i:` (refused).
        private mutating func group() throws(Failure) -> String {
            let start = i
            i += 1  // (
            guard peekIs("?") else {
                captureCount += 1
                return "(" + (try groupBody()) + ")"
            }
            i += 1  // ?
            if peekIs(":") {
                i += 1
                return "(?:" + (try groupBody()) + ")"
            }
            if peekIs("<") {
                i += 1
                let name = try groupName(terminator: ">")
                groupNames.insert(name)
                captureCount += 1
                return "(" + (try groupBody()) + ")"
            }
            // ES2025 modifiers: (?ims-ims:...). Valid ECMA, but ICU's case folding and
            // line modes differ from ECMA's, so they are refused.
            var flags = ""
            while let c = peek(), "ims-".unicodeScalars.contains(c) {
                flags.unicodeScalars.append(c)
                i += 1
            }
            let parts = flags.split(separator: "-", omittingEmptySubsequences: false)
            let letters = parts.joined()
            if !flags.isEmpty, peekIs(":"), parts.count <= 2, !letters.isEmpty,
               Set(letters).count == letters.count {
                i += 1
                markUnsupported("inline modifiers (?\(flags):...) are not supported", at: start)
                return "(?:" + (try groupBody()) + ")"
            }
            throw syntax("'(?' must be followed by ':', '=', '!', '<=', '<!' or '<name>'", at: start)
        }

        /// The disjunction inside a group and its ')'.
        private mutating func groupBody() throws(Failure) -> String {
            let open = i
            let body = try disjunction()
            guard peekIs(")") else { throw syntax("unterminated group", at: open) }
            i += 1
            return body
        }

        /// A group name (RegExpIdentifierName) up to `terminator`, consumed.
        private mutating func groupName(terminator: Character) throws(Failure) -> String {
            let start = i
            var name = ""
            while let c = peek(), Character(c) != terminator {
                if c == "\\" {
                    markUnsupported("escapes in group names are not supported", at: i)
                } else {
                    let first = name.isEmpty
                    let ok = c == "$" || c == "_" || (first ? c.properties.isIDStart : (c.properties.isIDContinue || c.value == 0x200C || c.value == 0x200D))
                    if !ok { throw syntax("invalid group name", at: start) }
                }
                name.unicodeScalars.append(c)
                i += 1
            }
            guard peekIs(terminator), !name.isEmpty else { throw syntax("invalid group name", at: start) }
            i += 1
            return name
        }

        // MARK: Quantifiers

        /// `*`, `+`, `?`, `{n}`, `{n,}`, `{n,m}`, or "". A lazy `?` after one is
        /// read and dropped (see the type's notes: existence of a match is the same).
        private mutating func quantifier() throws(Failure) -> String {
            guard let c = peek() else { return "" }
            var out: String
            switch c {
            case "*", "+", "?":
                i += 1
                out = String(c)
            case "{":
                guard let length = quantifierLength() else { return "" }
                let text = String(String.UnicodeScalarView(s[i..<(i + length)]))
                let bounds = text.dropFirst().dropLast().split(separator: ",", omittingEmptySubsequences: false)
                if bounds.count == 2, !bounds[1].isEmpty {
                    // Compare as numbers of any length: strip zeros, then length, then text.
                    let lo = bounds[0].drop { $0 == "0" }, hi = bounds[1].drop { $0 == "0" }
                    if lo.count > hi.count || (lo.count == hi.count && lo > hi) {
                        throw syntax("numbers out of order in {} quantifier")
                    }
                }
                i += length
                out = text
            default:
                return ""
            }
            if peekIs("?") { i += 1 }
            return out
        }

        /// The length of a braced quantifier `{n}`, `{n,}` or `{n,m}` at `i`, or nil.
        private func quantifierLength() -> Int? {
            guard peekIs("{") else { return nil }
            var j = i + 1
            func digits() -> Int {
                let from = j
                while j < s.count, Parser.isDigit(s[j]) { j += 1 }
                return j - from
            }
            guard digits() > 0 else { return nil }
            if j < s.count, s[j] == "," {
                j += 1
                _ = digits()
            }
            guard j < s.count, s[j] == "}" else { return nil }
            return j + 1 - i
        }

        // MARK: Escapes

        /// `\` outside a class (`\b` and `\B` are handled as assertions).
        private mutating func atomEscape() throws(Failure) -> String {
            let start = i
            i += 1  // backslash
            guard let c = peek() else { throw syntax("'\\' at end of pattern", at: start) }
            switch c {
            case "1"..."9":
                var number = 0
                while Parser.isDigit(peek()) {
                    number = min(number * 10 + Int(peek()!.value - 0x30), 1_000_000)
                    i += 1
                }
                numberedReferences.append((number, start))
                markUnsupported("backreferences are not supported (ECMA-262 and ICU differ on groups that did not match)", at: start)
                return "(?:)"
            case "k":
                i += 1
                guard peekIs("<") else { throw syntax("\\k must be followed by <name>", at: start) }
                i += 1
                let name = try groupName(terminator: ">")
                namedReferences.append((name, start))
                markUnsupported("backreferences are not supported (ECMA-262 and ICU differ on groups that did not match)", at: start)
                return "(?:)"
            default:
                if let set = try classEscapeSet() { return set }
                return ECMARegex.icuLiteral(try characterEscape(start: start))
            }
        }

        /// `\d \D \w \W \s \S \p{} \P{}` at `i` (after the backslash), or nil.
        private mutating func classEscapeSet() throws(Failure) -> String? {
            guard let c = peek() else { return nil }
            switch c {
            case "d": i += 1; return ECMARegex.digitSet
            case "D": i += 1; return ECMARegex.nonDigitSet
            case "w": i += 1; return ECMARegex.wordSet
            case "W": i += 1; return ECMARegex.nonWordSet
            case "s": i += 1; return ECMARegex.whitespaceSet
            case "S": i += 1; return ECMARegex.nonWhitespaceSet
            case "p", "P": return try propertyEscape()
            default: return nil
            }
        }

        /// `\p{Name=Value}` or `\p{Value}`, checked against ECMA-262's grammar; ICU
        /// knows the same Unicode property names and values.
        private mutating func propertyEscape() throws(Failure) -> String {
            let start = i - 1
            let letter = String(s[i])
            i += 1
            guard peekIs("{") else { throw syntax("\\\(letter) must be followed by {property}", at: start) }
            i += 1
            var body = ""
            while let c = peek(), c != "}" {
                body.unicodeScalars.append(c)
                i += 1
            }
            guard peekIs("}") else { throw syntax("unterminated \\\(letter){", at: start) }
            i += 1
            let parts = body.split(separator: "=", omittingEmptySubsequences: false)
            func word(_ part: Substring, digits: Bool) -> Bool {
                !part.isEmpty && part.unicodeScalars.allSatisfy {
                    ("A"..."Z").contains($0) || ("a"..."z").contains($0) || $0 == "_" || (digits && ("0"..."9").contains($0))
                }
            }
            switch parts.count {
            case 1 where word(parts[0], digits: true):
                break
            case 2 where word(parts[0], digits: false) && word(parts[1], digits: true):
                let names: Set<Substring> = ["General_Category", "gc", "Script", "sc", "Script_Extensions", "scx"]
                guard names.contains(parts[0]) else {
                    throw syntax("\\\(letter){\(parts[0])=...}: ECMA-262 knows General_Category, Script and Script_Extensions", at: start)
                }
            default:
                throw syntax("invalid property escape \\\(letter){\(body)}", at: start)
            }
            return "\\" + letter + "{" + body + "}"
        }

        /// A CharacterEscape (after the backslash, which is at `start`): the code point.
        private mutating func characterEscape(start: Int, inClass: Bool = false) throws(Failure) -> UInt32 {
            guard let c = peek() else { throw syntax("'\\' at end of pattern", at: start) }
            i += 1
            switch c {
            case "t": return 0x09
            case "n": return 0x0A
            case "v": return 0x0B
            case "f": return 0x0C
            case "r": return 0x0D
            case "c":
                guard let letter = peek(), ("A"..."Z").contains(letter) || ("a"..."z").contains(letter) else {
                    throw syntax("\\c must be followed by a letter", at: start)
                }
                i += 1
                return letter.value % 32
            case "0":
                if Parser.isDigit(peek()) { throw syntax("octal escapes are not ECMA-262 (Unicode mode)", at: start) }
                return 0
            case "x":
                guard let h = Parser.hexValue(peek()), let l = Parser.hexValue(peek(1)) else {
                    throw syntax("\\x must be followed by two hex digits", at: start)
                }
                i += 2
                return h * 16 + l
            case "u":
                return try unicodeEscape(start: start)
            case "-" where inClass:
                return c.value
            default:
                if Parser.isSyntaxCharacter(c) || Parser.isLenientIdentityEscape(c) { return c.value }
                throw syntax("\\\(c) is not an ECMA-262 escape", at: start)
            }
        }

        /// After `\u`: `{H…}` or `HHHH`, with a surrogate pair `\uD83D\uDC32` as one code point.
        private mutating func unicodeEscape(start: Int) throws(Failure) -> UInt32 {
            if peekIs("{") {
                i += 1
                var value: UInt32 = 0
                var count = 0
                while let h = Parser.hexValue(peek()) {
                    value = value * 16 + h
                    count += 1
                    i += 1
                    if value > 0x10FFFF { throw syntax("\\u{...} above 10FFFF", at: start) }
                }
                guard count > 0, peekIs("}") else { throw syntax("\\u{ must hold hex digits and end with }", at: start) }
                i += 1
                return value
            }
            guard let value = fourHex(at: i) else { throw syntax("\\u must be followed by four hex digits or {…}", at: start) }
            i += 4
            if (0xD800...0xDBFF).contains(value), peekIs("\\"), peekIs("u", 1),
               let low = fourHex(at: i + 2), (0xDC00...0xDFFF).contains(low) {
                i += 6
                return 0x10000 + ((value - 0xD800) << 10) + (low - 0xDC00)
            }
            return value
        }

        private func fourHex(at j: Int) -> UInt32? {
            guard j + 4 <= s.count else { return nil }
            var value: UInt32 = 0
            for k in j..<(j + 4) {
                guard let h = Parser.hexValue(s[k]) else { return nil }
                value = value * 16 + h
            }
            return value
        }

        // MARK: Character classes

        /// After '[': the class as an ICU set; `[]` (matches nothing) and `[^]` (anything) spelled out.
        private mutating func characterClass() throws(Failure) -> String {
            let open = i - 1
            let negated = peekIs("^")
            if negated { i += 1 }
            var items = ""
            while true {
                guard let c = peek() else { throw syntax("unterminated character class", at: open) }
                if c == "]" {
                    i += 1
                    break
                }
                let atomStart = i
                let first = try classAtom()
                if peekIs("-"), let next = peek(1), next != "]" {
                    i += 1  // -
                    let second = try classAtom()
                    guard case .character(let lo) = first, case .character(let hi) = second else {
                        throw syntax("a class escape such as \\d cannot bound a range", at: atomStart)
                    }
                    guard lo <= hi else { throw syntax("range out of order in character class", at: atomStart) }
                    items += ECMARegex.icuRange(lo...hi)
                } else {
                    switch first {
                    case .character(let value): items += ECMARegex.icuLiteral(value)
                    case .set(let set): items += set
                    }
                }
            }
            if items.isEmpty { return negated ? "[\\x{0}-\\x{10FFFF}]" : "[^\\x{0}-\\x{10FFFF}]" }
            return (negated ? "[^" : "[") + items + "]"
        }

        private mutating func classAtom() throws(Failure) -> ClassAtom {
            guard let c = peek() else { throw syntax("unterminated character class") }
            guard c == "\\" else {
                i += 1
                return .character(c.value)
            }
            let start = i
            i += 1
            guard let e = peek() else { throw syntax("'\\' at end of pattern", at: start) }
            if e == "b" {
                i += 1
                return .character(0x08)
            }
            if let set = try classEscapeSet() { return .set(set) }
            if Parser.isDigit(e) && e != "0" { throw syntax("\\\(e) in a character class is not ECMA-262 (Unicode mode)", at: start) }
            return .character(try characterEscape(start: start, inClass: true))
        }
    }
}
