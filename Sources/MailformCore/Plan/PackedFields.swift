/// An added company's flattened fields in one byte buffer: a plan of
/// 100,000 new companies holds two million of them, and as separate values
/// and strings they were a third of its memory. They are unpacked only
/// when shown, digested or written, a company at a time.
///
/// Each field: its path, a tag, flags (sensitive, has a reference), the
/// value, and the reference; lengths and integers as LEB128.
struct PackedFields: Sendable {
    private let bytes: [UInt8]

    /// nil when a value has a form the buffer does not hold (a shown value
    /// whose JSON is not its display text): such fields stay unpacked.
    init?(_ fields: [(path: String, value: FieldValue)]) {
        var out: [UInt8] = []
        out.reserveCapacity(fields.count * 32)
        for (path, value) in fields {
            Self.put(path, &out)
            var flags: UInt8 = value.sensitive ? 1 : 0
            if value.reference != nil { flags |= 2 }
            switch value.storage {
            case .text(let s): out.append(0); out.append(flags); Self.put(s, &out)
            case .int(let i): out.append(1); out.append(flags); Self.put(UInt64(bitPattern: Int64(i)), &out)
            case .bool(let b): out.append(2); out.append(flags); out.append(b ? 1 : 0)
            case .list(let items):
                out.append(3); out.append(flags)
                Self.put(UInt64(items.count), &out)
                for item in items { Self.put(item, &out) }
            case .secret(let hex): out.append(4); out.append(flags); Self.put(hex, &out)
            case .shown(let display, let key, let json):
                switch json {
                case nil: out.append(5)
                case .string(let s)? where s == display: out.append(6)
                default: return nil
                }
                out.append(flags)
                Self.put(display, &out)
                Self.put(key, &out)
            }
            if let reference = value.reference { Self.put(reference, &out) }
        }
        bytes = out
    }

    var fields: [(path: String, value: FieldValue)] {
        var out: [(path: String, value: FieldValue)] = []
        var i = 0
        while i < bytes.count {
            let path = string(&i)
            let tag = bytes[i], flags = bytes[i + 1]
            i += 2
            var value: FieldValue
            switch tag {
            case 0: value = FieldValue(.text(string(&i)))
            case 1: value = FieldValue(.int(Int(Int64(bitPattern: number(&i)))))
            case 2: value = FieldValue(.bool(bytes[i] == 1)); i += 1
            case 3:
                let n = Int(number(&i))
                var items: [String] = []
                items.reserveCapacity(n)
                for _ in 0..<n { items.append(string(&i)) }
                value = FieldValue(.list(items))
            case 4: value = FieldValue(.secret(string(&i)))
            default:
                let display = string(&i), key = string(&i)
                value = FieldValue(.shown(display: display, key: key, json: tag == 6 ? .string(display) : nil))
            }
            value.sensitive = flags & 1 != 0
            if flags & 2 != 0 { value.reference = string(&i) }
            out.append((path, value))
        }
        return out
    }

    /// The paths alone: the values are stepped over, not made.
    var paths: [String] {
        var out: [String] = []
        var i = 0
        while i < bytes.count {
            out.append(string(&i))
            let tag = bytes[i], flags = bytes[i + 1]
            i += 2
            switch tag {
            case 0, 4: skip(&i)
            case 1: _ = number(&i)
            case 2: i += 1
            case 3: for _ in 0..<Int(number(&i)) { skip(&i) }
            default: skip(&i); skip(&i)
            }
            if flags & 2 != 0 { skip(&i) }
        }
        return out
    }

    private func skip(_ i: inout Int) { i += Int(number(&i)) }

    private static func put(_ n: UInt64, _ out: inout [UInt8]) {
        var n = n
        while n >= 0x80 {
            out.append(UInt8(n & 0x7F) | 0x80)
            n >>= 7
        }
        out.append(UInt8(n))
    }

    private static func put(_ s: String, _ out: inout [UInt8]) {
        var s = s
        s.withUTF8 { utf8 in
            put(UInt64(utf8.count), &out)
            out.append(contentsOf: utf8)
        }
    }

    private func number(_ i: inout Int) -> UInt64 {
        var n: UInt64 = 0, shift: UInt64 = 0
        while true {
            let b = bytes[i]
            i += 1
            n |= UInt64(b & 0x7F) << shift
            if b < 0x80 { return n }
            shift += 7
        }
    }

    private func string(_ i: inout Int) -> String {
        let n = Int(number(&i))
        defer { i += n }
        return String(decoding: bytes[i..<(i + n)], as: UTF8.self)
    }
}
