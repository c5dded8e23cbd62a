import CYAML
import JSONSchema

/// Builds a located ``JSONNode`` tree from YAML text, straight from libyaml's
/// event API, with YAML 1.2 core-schema scalars.
///
/// Why not Yams' `compose`: it resolves scalars with regular expressions and is
/// about 20 times slower than the bare libyaml scan (see FACTS.md). Why YAML
/// 1.2: 1.1 reads `no` as false and `0587` as octal, both wrong for settings.
///
/// Anchors and aliases are refused: no mail setting needs them, and refusing
/// them removes the "billion laughs" memory bomb outright.
public struct YAMLLoader {
    /// Files over this size are refused before parsing.
    public static let maxFileSize = 1 << 20
    /// Deeper nesting than this is refused (a company file needs about 6).
    public static let maxDepth = 64

    public struct Failure: MailformError, Sendable {
        public var message: String
        public var mark: Mark
        public var hint: String?
        public var related: (Mark, String)?
        /// A rule id, for problems a policy names (`literal-secret`).
        public var rule: String?
        public var code: ErrorCode { .yamlSyntax }
        public var description: String { message }
    }

    let source: Int

    public init(source: Int) { self.source = source }

    /// Parses one YAML document that must be a mapping.
    public func load(_ bytes: [UInt8]) -> Result<JSONNode, Failure> {
        if bytes.count > Self.maxFileSize {
            return .failure(Failure(message: "file is \(bytes.count) bytes, over the 1 MiB limit", mark: mark(0, 0),
                                    hint: "split the settings or remove what does not belong in a company file"))
        }
        if let bad = Self.firstInvalidUTF8(bytes) {
            let (line, column) = Self.position(ofByte: bad, in: bytes)
            return .failure(Failure(message: "file is not valid UTF-8 (byte 0x\(String(bytes[bad], radix: 16, uppercase: true)))",
                                    mark: mark(line, column), hint: "save the file as UTF-8"))
        }
        if let tab = Self.indentationTab(bytes) {
            return .failure(Failure(message: "tab character used for indentation", mark: mark(tab.line, tab.column),
                                    hint: "indent with spaces; YAML does not allow tabs there"))
        }
        return bytes.withUnsafeBufferPointer { buffer in parse(buffer) }
    }

    private func mark(_ line: Int, _ column: Int) -> Mark { Mark(line: line + 1, column: column + 1, source: source) }
    private func mark(_ m: yaml_mark_t) -> Mark { mark(Int(m.line), Int(m.column)) }

    /// An open collection. A class, so appending to the innermost one does not
    /// copy it: building is linear in the number of nodes (a value-type frame
    /// popped, appended to and pushed back was copied each time, and 50,000
    /// list items took 17 s).
    private final class Frame {
        let start: Mark
        let isMapping: Bool
        var items: [JSONNode] = []
        var members: [JSONMember] = []
        var pendingKey: (String, Mark)?
        /// Keys seen so far and where, for duplicate detection in O(1).
        var keyMarks: [String: Mark] = [:]

        init(start: Mark, isMapping: Bool) {
            self.start = start
            self.isMapping = isMapping
        }

        var node: JSONNode { JSONNode(isMapping ? .object(members) : .array(items), mark: start) }
    }

    private func parse(_ buffer: UnsafeBufferPointer<UInt8>) -> Result<JSONNode, Failure> {
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else {
            return .failure(Failure(message: "cannot initialise the YAML parser", mark: mark(0, 0)))
        }
        defer { yaml_parser_delete(&parser) }
        yaml_parser_set_input_string(&parser, buffer.baseAddress ?? UnsafePointer(bitPattern: 1), buffer.count)
        yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING)

        var stack: [Frame] = []
        var root: JSONNode?
        var documents = 0
        var event = yaml_event_t()
        while true {
            guard yaml_parser_parse(&parser, &event) == 1 else {
                return .failure(syntaxError(parser))
            }
            defer { yaml_event_delete(&event) }
            let start = mark(event.start_mark)
            switch event.type {
            case YAML_STREAM_END_EVENT:
                guard let root else {
                    return .failure(Failure(message: "file is empty", mark: mark(0, 0),
                                            hint: "write the settings as a mapping, starting with 'company: <id>'"))
                }
                return .success(root)
            case YAML_DOCUMENT_START_EVENT:
                documents += 1
                if documents > 1 {
                    return .failure(Failure(message: "file holds more than one YAML document", mark: start,
                                            hint: "put each company in a file of its own and remove the '---' separator"))
                }
            case YAML_ALIAS_EVENT:
                return .failure(Failure(message: "YAML aliases are not allowed", mark: start,
                                        hint: "write the value out in full, or move shared settings into a profile with 'extends:'"))
            case YAML_SCALAR_EVENT:
                let scalar = event.data.scalar
                if scalar.anchor != nil { return .failure(anchorFailure(start)) }
                let text = String(decoding: UnsafeBufferPointer(start: scalar.value, count: scalar.length), as: UTF8.self)
                let tag = scalar.tag.map { String(cString: $0) }
                // A value under a secret key is never quoted back in a message.
                var secret = false
                if let top = stack.last, top.isMapping, let pending = top.pendingKey { secret = SecretFields.keys.contains(pending.0) }
                let value: JSONValue
                switch resolve(text, plain: scalar.style == YAML_PLAIN_SCALAR_STYLE, tag: tag, at: start, secret: secret) {
                case .success(let v): value = v
                case .failure(let f): return .failure(f)
                }
                if let failure = add(JSONNode(value, mark: start), text: text, to: stack, root: &root) {
                    return .failure(failure)
                }
            case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
                let isMapping = event.type == YAML_MAPPING_START_EVENT
                let anchor = isMapping ? event.data.mapping_start.anchor : event.data.sequence_start.anchor
                if anchor != nil { return .failure(anchorFailure(start)) }
                if let failure = checkCollectionKey(stack, at: start) { return .failure(failure) }
                if stack.count >= Self.maxDepth { return .failure(depthFailure(start)) }
                stack.append(Frame(start: start, isMapping: isMapping))
            case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                let node = stack.removeLast().node
                if let failure = add(node, text: nil, to: stack, root: &root) { return .failure(failure) }
            default:
                break
            }
        }
    }

    private func anchorFailure(_ at: Mark) -> Failure {
        Failure(message: "YAML anchors are not allowed", mark: at,
                hint: "remove the '&' anchor; share settings through a profile with 'extends:' instead")
    }

    private func depthFailure(_ at: Mark) -> Failure {
        Failure(message: "nesting deeper than \(Self.maxDepth) levels", mark: at, hint: "flatten the structure")
    }

    /// Keys must be scalars; a mapping or list in key position is refused.
    private func checkCollectionKey(_ stack: [Frame], at: Mark) -> Failure? {
        if let top = stack.last, top.isMapping, top.pendingKey == nil {
            return Failure(message: "a mapping key must be a plain value, not a mapping or list", mark: at,
                           hint: "use a string as the key")
        }
        return nil
    }

    private func add(_ node: JSONNode, text: String?, to stack: [Frame], root: inout JSONNode?) -> Failure? {
        guard let top = stack.last else {
            guard case .object = node.value else {
                // Never quote the value: a file that is not a company file (a key,
                // a credentials file behind a link) must not be echoed into a log.
                return Failure(message: "top level must be a mapping of settings, not \(describe(node.value))",
                               mark: node.mark!, hint: "start the file with 'company: <id>' and the settings below it")
            }
            root = node
            return nil
        }
        if !top.isMapping {
            top.items.append(node)
        } else if let (key, keyMark) = top.pendingKey {
            top.members.append(JSONMember(key: key, keyMark: keyMark, value: node))
            top.pendingKey = nil
        } else {
            let key = text ?? ""
            if let first = top.keyMarks[key] {
                let shown = Self.isShowableKey(key) ? " '\(key)'" : ""
                return Failure(message: "duplicate key\(shown)", mark: node.mark!,
                               hint: "remove one of the two; YAML keeps only one value per key",
                               related: (first, "first\(shown) is here"))
            }
            top.keyMarks[key] = node.mark!
            top.pendingKey = (key, node.mark!)
        }
        return nil
    }

    /// Keys that look like setting names may be quoted back; anything else
    /// (long, spaced, control characters) is shown by position only.
    static func isShowableKey(_ key: String) -> Bool {
        key.utf8.count <= 64 && !key.isEmpty && key.utf8.allSatisfy { b in
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F || b == 0x2D || b == 0x2E
        }
    }

    private func describe(_ value: JSONValue) -> String {
        switch value {
        case .array: "a list"
        case .null: "an empty value"
        default: "a single value"
        }
    }

    private func syntaxError(_ parser: yaml_parser_t) -> Failure {
        let problem = parser.problem.map { String(cString: $0) } ?? "invalid YAML"
        let context = parser.context.map { String(cString: $0) }
        // An unclosed quote runs to the end of the file: libyaml's problem
        // mark is then past the last line, its context mark where the quote opens.
        if context == "while scanning a quoted scalar",
           problem == "found unexpected end of stream" || problem == "found unexpected document indicator" {
            return Failure(message: "YAML syntax error: quoted value is never closed", mark: mark(parser.context_mark),
                           hint: "add the closing quote at the end of the value that starts here")
        }
        let message = context.map { "\(problem) \($0)" } ?? problem
        return Failure(message: "YAML syntax error: \(message)", mark: mark(parser.problem_mark),
                       hint: "check the indentation and quoting on this line and the one before")
    }

    // MARK: - YAML 1.2 core schema

    private func resolve(_ text: String, plain: Bool, tag: String?, at: Mark, secret: Bool) -> Result<JSONValue, Failure> {
        if let tag, tag != "!" {
            switch tag {
            case "tag:yaml.org,2002:str": return .success(.string(text))
            case "tag:yaml.org,2002:int", "tag:yaml.org,2002:float", "tag:yaml.org,2002:bool", "tag:yaml.org,2002:null":
                let resolved = ScalarResolution.resolvePlain(text)
                if case .string = resolved {
                    let shownValue = secret ? "the secret value" : "the value"
                    return .failure(Failure(message: "\(shownValue) is not a valid \(tag.split(separator: ":").last!)", mark: at,
                                            hint: "remove the '!!' tag, or write a value of that type"))
                }
                return .success(resolved)
            default:
                let shownTag = Self.isShowableKey(tag.replacingOccurrences(of: "!", with: "")) ? " '\(tag)'" : ""
                return .failure(Failure(message: "unsupported YAML tag\(shownTag)", mark: at, hint: "remove the tag"))
            }
        }
        guard plain else { return .success(.string(text)) }
        if ScalarResolution.hasLeadingZero(text) {
            if secret {
                return .failure(Failure(message: "the secret value is written in the file", mark: at,
                                        hint: "write a reference instead: ${env:MAILFORM_...} or ${file:PATH}, and keep the value out of Git",
                                        rule: "literal-secret"))
            }
            return .failure(Failure(message: "number has a leading zero", mark: at,
                                    hint: "write it without the leading zero, or quote it if it is text; YAML 1.1 tools read it as octal"))
        }
        return .success(ScalarResolution.resolvePlain(text))
    }

    // MARK: - Byte-level checks done before libyaml sees the text

    /// The offset of the first byte that is not part of valid UTF-8, if any.
    static func firstInvalidUTF8(_ bytes: [UInt8]) -> Int? {
        var i = 0
        let n = bytes.count
        while i < n {
            let b = bytes[i]
            if b < 0x80 { i += 1; continue }
            let length: Int
            var minimum: UInt32
            var scalar: UInt32
            switch b {
            case 0xC2...0xDF: length = 2; minimum = 0x80; scalar = UInt32(b & 0x1F)
            case 0xE0...0xEF: length = 3; minimum = 0x800; scalar = UInt32(b & 0x0F)
            case 0xF0...0xF4: length = 4; minimum = 0x10000; scalar = UInt32(b & 0x07)
            default: return i
            }
            guard i + length <= n else { return i }
            for j in 1..<length {
                let c = bytes[i + j]
                guard c & 0xC0 == 0x80 else { return i }
                scalar = scalar << 6 | UInt32(c & 0x3F)
            }
            if scalar < minimum || scalar > 0x10FFFF || (0xD800...0xDFFF).contains(scalar) { return i }
            i += length
        }
        return nil
    }

    /// 0-based line and column (in characters) of a byte offset.
    static func position(ofByte offset: Int, in bytes: [UInt8]) -> (Int, Int) {
        var line = 0, column = 0
        for i in 0..<min(offset, bytes.count) {
            if bytes[i] == 0x0A { line += 1; column = 0 } else if bytes[i] & 0xC0 != 0x80 { column += 1 }
        }
        return (line, column)
    }

    /// The first tab in a line's leading whitespace, outside block scalars.
    static func indentationTab(_ bytes: [UInt8]) -> (line: Int, column: Int)? {
        var line = 0
        var atLineStart = true
        var column = 0
        for b in bytes {
            if b == 0x0A { line += 1; column = 0; atLineStart = true; continue }
            if atLineStart {
                if b == 0x09 { return (line, column) }
                if b != 0x20 { atLineStart = false }
            }
            column += 1
        }
        return nil
    }
}

/// YAML 1.2 core-schema resolution of plain scalars.
enum ScalarResolution {
    static func resolvePlain(_ text: String) -> JSONValue {
        switch text {
        case "", "~", "null", "Null", "NULL": return .null
        case "true", "True", "TRUE": return .bool(true)
        case "false", "False", "FALSE": return .bool(false)
        case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF": return .number(.infinity)
        case "-.inf", "-.Inf", "-.INF": return .number(-.infinity)
        case ".nan", ".NaN", ".NAN": return .number(.nan)
        default: break
        }
        guard let first = text.utf8.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+")
                || first == UInt8(ascii: ".") || (0x30...0x39).contains(first) else { return .string(text) }
        // Core schema: `0o[0-7]+` and `0x[0-9a-fA-F]+`, no sign (Swift's
        // `Int(_:radix:)` would accept `0x+24B` and `0x-1`).
        if text.hasPrefix("0o") { return radixInteger(text.dropFirst(2), radix: 8) ?? .string(text) }
        if text.hasPrefix("0x") { return radixInteger(text.dropFirst(2), radix: 16) ?? .string(text) }
        if isDecimalInteger(text) {
            if let i = Int(text) { return .integer(i) }
            if let d = Double(text) { return .number(d) }
        }
        if isFloat(text), let d = Double(text) { return .number(d) }
        return .string(text)
    }

    /// Digits of one radix only; a value too large for `Int` is kept as a
    /// number (so the schema reports it as out of range, not as a string).
    static func radixInteger(_ digits: Substring, radix: Int) -> JSONValue? {
        guard !digits.isEmpty else { return nil }
        var exact: Int? = 0
        var approximate = 0.0
        for c in digits.unicodeScalars {
            guard let d = Int(String(c), radix: radix), c.isASCII else { return nil }
            approximate = approximate * Double(radix) + Double(d)
            if let e = exact {
                let (m, o1) = e.multipliedReportingOverflow(by: radix)
                let (s, o2) = m.addingReportingOverflow(d)
                exact = o1 || o2 ? nil : s
            }
        }
        return exact.map(JSONValue.integer) ?? .number(approximate)
    }

    static func isDecimalInteger(_ text: String) -> Bool {
        var digits = Substring(text)
        if digits.hasPrefix("-") || digits.hasPrefix("+") { digits = digits.dropFirst() }
        return !digits.isEmpty && digits.utf8.allSatisfy { (0x30...0x39).contains($0) }
    }

    /// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`
    static func isFloat(_ text: String) -> Bool {
        var s = Substring(text).utf8[...]
        if let f = s.first, f == UInt8(ascii: "-") || f == UInt8(ascii: "+") { s = s.dropFirst() }
        let isDigit: (UInt8) -> Bool = { (0x30...0x39).contains($0) }
        let intDigits = s.prefix(while: isDigit).count
        s = s.dropFirst(intDigits)
        var fracDigits = 0
        if s.first == UInt8(ascii: ".") {
            s = s.dropFirst()
            fracDigits = s.prefix(while: isDigit).count
            s = s.dropFirst(fracDigits)
        } else if intDigits == 0 {
            return false
        }
        if intDigits == 0 && fracDigits == 0 { return false }
        if let e = s.first, e == UInt8(ascii: "e") || e == UInt8(ascii: "E") {
            s = s.dropFirst()
            if let sign = s.first, sign == UInt8(ascii: "-") || sign == UInt8(ascii: "+") { s = s.dropFirst() }
            let expDigits = s.prefix(while: isDigit).count
            guard expDigits > 0 else { return false }
            s = s.dropFirst(expDigits)
        }
        return s.isEmpty
    }

    /// `0587`: an integer with a leading zero, ambiguous between YAML versions.
    static func hasLeadingZero(_ text: String) -> Bool {
        var digits = Substring(text).utf8
        if let first = digits.first, first == 0x2D || first == 0x2B { digits = digits.dropFirst() }
        return digits.count > 1 && digits.first == 0x30 && digits.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
    }
}
