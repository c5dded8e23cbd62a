import Foundation

/// Deterministic JSON for `--format json`: sorted keys, pretty printed, in
/// the layout of Foundation's `JSONSerialization` (`.prettyPrinted`,
/// `.sortedKeys`, `.withoutEscapingSlashes`), which it replaced: the output
/// is byte for byte the same (a test compares them), but it is written in
/// pieces as it is made. A plan of 10,000 added companies is 25 MB of JSON;
/// built whole as Foundation objects and serialized at once it took 4 s and
/// 380 MB. A `LazyArray` (a plan's changes) makes each element only when
/// it is written.
public enum JSONOutput {
    /// An array whose elements are made one at a time as it is written.
    public struct LazyArray {
        public let count: Int
        public let element: (Int) -> Any

        public init(count: Int, element: @escaping (Int) -> Any) {
            self.count = count
            self.element = element
        }
    }

    /// The whole text (small documents).
    public static func string(_ object: Any) -> String {
        var out = ""
        write(object) { out += $0 }
        return out
    }

    /// The text in pieces of about 64 KiB, ending with a line break.
    public static func write(_ object: Any, emit: (String) -> Void) {
        withoutActuallyEscaping(emit) { emit in
            var writer = Writer(emit: emit)
            writer.value(object, indent: 0)
            writer.out += "\n"
            writer.flush()
        }
    }

    private struct Writer {
        var out = ""
        let emit: (String) -> Void
        /// Sorted keys by a cheap signature of the key set (count and an
        /// order-free sum of hashes): objects of one shape share an order.
        /// A cached order is used only if it holds exactly the object's keys.
        var orders: [Int: [String]] = [:]

        init(emit: @escaping (String) -> Void) { self.emit = emit }

        mutating func flush() {
            guard !out.isEmpty else { return }
            emit(out)
            out = ""
        }

        mutating func value(_ value: Any, indent: Int) {
            // The commonest first: every failed cast costs.
            switch value {
            case let text as String: string(text)
            case let object as [String: Any]: self.object(object, indent: indent)
            case let items as [Any]: array(count: items.count, indent: indent) { items[$0] }
            case let flag as Bool: out += flag ? "true" : "false"
            case let number as Int: out += String(number)
            case let number as Int64: out += String(number)
            case let number as Int32: out += String(number)
            case let number as Int16: out += String(number)
            case let number as Int8: out += String(number)
            case let number as UInt: out += String(number)
            case let number as UInt64: out += String(number)
            case let number as UInt32: out += String(number)
            case let number as UInt16: out += String(number)
            case let number as UInt8: out += String(number)
            case let number as Double: out += Self.foundationNumber(number)
            case let number as Float: out += Self.foundationNumber(Double(number))
            case is NSNull: out += "null"
            case let lazy as LazyArray: array(count: lazy.count, indent: indent) { lazy.element($0) }
            case let optional as Any? where optional == nil: out += "null"
            default: string(String(describing: value))
            }
            if out.utf8.count >= 65_536 { flush() }
        }

        mutating func array(count: Int, indent: Int, element: (Int) -> Any) {
            let inner = String(repeating: " ", count: indent + 2)
            out += "[\n"
            if count == 0 { out += "\n" }
            for i in 0..<count {
                out += inner
                value(element(i), indent: indent + 2)
                out += i + 1 < count ? ",\n" : "\n"
            }
            out += String(repeating: " ", count: indent) + "]"
        }

        mutating func object(_ object: [String: Any], indent: Int) {
            let inner = String(repeating: " ", count: indent + 2)
            out += "{\n"
            if object.isEmpty { out += "\n" }
            let keys = sortedKeys(object)
            for (i, key) in keys.enumerated() {
                out += inner
                string(key)
                out += " : "
                value(object[key]!, indent: indent + 2)
                out += i + 1 < keys.count ? ",\n" : "\n"
            }
            out += String(repeating: " ", count: indent) + "}"
        }

        /// Foundation's order of keys (numeric, case-insensitive, in the system locale).
        mutating func sortedKeys(_ object: [String: Any]) -> [String] {
            // Only ASCII keys are cached: two keys that are the same text in
            // other bytes (é composed or not) are equal in Swift, and the
            // cache would write the first one's bytes.
            let cached = object.keys.allSatisfy { $0.utf8.allSatisfy { $0 < 0x80 } }
            var signature = object.count
            for key in object.keys { signature = signature &+ key.hashValue }
            if cached, let known = orders[signature], known.count == object.count, known.allSatisfy({ object[$0] != nil }) { return known }
            // As swift-corelibs-foundation's JSONSerialization sorts them.
            let sorted = object.keys.sorted { a, b in
                a.compare(b, options: [.numeric, .caseInsensitive, .forcedOrdering], range: a.startIndex..<a.endIndex,
                          locale: NSLocale.system) == .orderedAscending
            }
            if cached { orders[signature] = sorted }
            return sorted
        }

        mutating func string(_ text: String) {
            out += "\""
            var copy = text
            let plain = copy.withUTF8 { bytes in
                for b in bytes where b < 0x20 || b == 0x22 || b == 0x5C { return false }
                return true
            }
            if plain {
                out += text
            } else {
                for scalar in text.unicodeScalars {
                    switch scalar {
                    case "\"": out += "\\\""
                    case "\\": out += "\\\\"
                    case "\u{8}": out += "\\b"
                    case "\t": out += "\\t"
                    case "\n": out += "\\n"
                    case "\u{C}": out += "\\f"
                    case "\r": out += "\\r"
                    case _ where scalar.value < 0x20:
                        let hex = String(scalar.value, radix: 16)
                        out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                    default: out.unicodeScalars.append(scalar)
                    }
                }
            }
            out += "\""
        }

        /// A number as `JSONSerialization` writes it (`2`, `1e+16`, `1e-07`).
        static func foundationNumber(_ number: Double) -> String {
            guard number.isFinite else { return "null" }
            var text = number.description
            if text.hasSuffix(".0") { text.removeLast(2) }
            return text
        }
    }
}
