import CYAML
import JSONSchema

/// Changes the values of some keys of a YAML file in place, and nothing
/// else: its comments, order, quoting, blank lines and every other value
/// stay byte for byte. Export uses it to write a company changed in the
/// store (on the settings page) over its own file, so adopting a changed
/// sender name is a one-line diff, not a rewritten file.
///
/// Only a scalar on one line, reached through mappings alone
/// (`sender.name`, `smtp.port`), is changed; anything else (a list item, a
/// block scalar, a key the file does not have) makes `patch` give nil.
public enum YAMLScalarPatch {
    /// A new value for the scalar at a dotted key path.
    public struct Edit: Sendable {
        public var path: String
        public var value: JSONValue

        public init(path: String, value: JSONValue) {
            self.path = path
            self.value = value
        }

        /// The edit that writes a plan field's value; nil for a value that
        /// is not a string, an integer or a boolean (a secret, a list, a logo).
        public init?(path: String, field: FieldValue) {
            switch field.storage {
            case .text(let s): self.init(path: path, value: .string(s))
            case .int(let i): self.init(path: path, value: .integer(i))
            case .bool(let b): self.init(path: path, value: .bool(b))
            default: return nil
            }
        }
    }

    /// `bytes` with each edit's scalar replaced (as `CompanyYAMLWriter`
    /// writes values), checked by reading the result back: nil when a path
    /// has no single-line scalar, a value is not a string, integer or
    /// boolean, or the result does not read back as asked.
    public static func patch(_ bytes: [UInt8], _ edits: [Edit]) -> [UInt8]? {
        guard !edits.isEmpty, let ranges = ranges(bytes) else { return nil }
        var replacements: [(range: Range<Int>, text: String)] = []
        for edit in edits {
            guard let range = ranges[edit.path] else { return nil }
            let text: String
            switch edit.value {
            case .string(let s): text = CompanyYAMLWriter.scalar(s)
            case .integer(let i): text = String(i)
            case .bool(let b): text = b ? "true" : "false"
            default: return nil
            }
            replacements.append((range, text))
        }
        var out = bytes
        for (range, text) in replacements.sorted(by: { $0.range.lowerBound > $1.range.lowerBound }) {
            out.replaceSubrange(range, with: Array(text.utf8))
        }
        // Read back: every edited path holds its new value.
        guard case .success(let root) = YAMLLoader(source: 0).load(out) else { return nil }
        for edit in edits {
            guard let node = value(at: edit.path.split(separator: ".").map(String.init), in: root), same(node.value, edit.value) else { return nil }
        }
        return out
    }

    private static func same(_ a: JSONValue, _ b: JSONValue) -> Bool {
        switch (a, b) {
        case let (.string(x), .string(y)): x == y
        case let (.integer(x), .integer(y)): x == y
        case let (.bool(x), .bool(y)): x == y
        default: false
        }
    }

    private static func value(at path: [String], in node: JSONNode) -> JSONNode? {
        guard let first = path.first else { return node }
        guard case .object(let members) = node.value, let member = members.first(where: { $0.key == first }) else { return nil }
        return value(at: Array(path.dropFirst()), in: member.value)
    }

    /// The byte range of every single-line plain or quoted scalar value
    /// whose parents are all mappings with plain string keys, by dotted
    /// path; nil when the file does not parse.
    static func ranges(_ bytes: [UInt8]) -> [String: Range<Int>]? {
        // libyaml's marks count characters: lines and columns become byte
        // offsets here, with the line breaks YAML knows (LF, CR LF, a lone
        // CR, U+0085, U+2028, U+2029).
        var lineStarts = [0]
        var i = 0
        while i < bytes.count {
            switch bytes[i] {
            case UInt8(ascii: "\n"): lineStarts.append(i + 1)
            case UInt8(ascii: "\r"):
                if i + 1 < bytes.count && bytes[i + 1] == UInt8(ascii: "\n") { i += 1 }
                lineStarts.append(i + 1)
            case 0xC2 where i + 1 < bytes.count && bytes[i + 1] == 0x85:
                i += 1
                lineStarts.append(i + 1)
            case 0xE2 where i + 2 < bytes.count && bytes[i + 1] == 0x80 && (bytes[i + 2] == 0xA8 || bytes[i + 2] == 0xA9):
                i += 2
                lineStarts.append(i + 1)
            default: break
            }
            i += 1
        }
        func offset(line: Int, column: Int) -> Int? {
            guard line < lineStarts.count else { return nil }
            var at = lineStarts[line], characters = 0
            while characters < column {
                guard at < bytes.count else { return nil }
                let b = bytes[at]
                at += b < 0x80 ? 1 : b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : 2
                characters += 1
            }
            return min(at, bytes.count)
        }
        struct Frame {
            var isMapping: Bool
            var key: String?
            var expectingKey = true
        }
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else { return nil }
        defer { yaml_parser_delete(&parser) }
        var result: [String: Range<Int>] = [:]
        return bytes.withUnsafeBufferPointer { buffer -> [String: Range<Int>]? in
            yaml_parser_set_input_string(&parser, buffer.baseAddress ?? UnsafePointer(bitPattern: 1), buffer.count)
            yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING)
            var stack: [Frame] = []
            var event = yaml_event_t()
            while true {
                guard yaml_parser_parse(&parser, &event) == 1 else { return nil }
                defer { yaml_event_delete(&event) }
                switch event.type {
                case YAML_STREAM_END_EVENT:
                    return result
                case YAML_ALIAS_EVENT:
                    return nil
                case YAML_MAPPING_START_EVENT, YAML_SEQUENCE_START_EVENT:
                    if let top = stack.last, top.isMapping, top.expectingKey { return nil }  // a collection as a key
                    stack.append(Frame(isMapping: event.type == YAML_MAPPING_START_EVENT))
                case YAML_MAPPING_END_EVENT, YAML_SEQUENCE_END_EVENT:
                    stack.removeLast()
                    if !stack.isEmpty, stack[stack.count - 1].isMapping {
                        stack[stack.count - 1].key = nil
                        stack[stack.count - 1].expectingKey = true
                    }
                case YAML_SCALAR_EVENT:
                    guard let top = stack.last, top.isMapping else { continue }
                    let scalar = event.data.scalar
                    let text = String(decoding: UnsafeBufferPointer(start: scalar.value, count: scalar.length), as: UTF8.self)
                    if top.expectingKey {
                        stack[stack.count - 1].key = text
                        stack[stack.count - 1].expectingKey = false
                        continue
                    }
                    defer {
                        stack[stack.count - 1].key = nil
                        stack[stack.count - 1].expectingKey = true
                    }
                    let style = scalar.style
                    guard stack.allSatisfy({ $0.isMapping && $0.key != nil }),
                          style == YAML_PLAIN_SCALAR_STYLE || style == YAML_SINGLE_QUOTED_SCALAR_STYLE || style == YAML_DOUBLE_QUOTED_SCALAR_STYLE,
                          event.start_mark.line == event.end_mark.line,
                          let start = offset(line: Int(event.start_mark.line), column: Int(event.start_mark.column)),
                          let end = offset(line: Int(event.end_mark.line), column: Int(event.end_mark.column)), start <= end
                    else { continue }
                    let path = stack.compactMap(\.key).joined(separator: ".")
                    result[path] = start..<end
                default:
                    continue
                }
            }
        }
    }
}
