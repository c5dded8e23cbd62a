/// SHA-256 of a company's flattened fields: equal digests mean the fields
/// are equal as the diff compares them (`FieldValue ==`), so a plan needs
/// to keep neither side of an unchanged company.
///
/// Why a cryptographic digest: the desired side comes from a pull request.
/// A weaker hash would let it craft settings that collide with the store's
/// and hide a change. The encoding is injective: every part is tagged and
/// length-prefixed, so no value can shift into another field (a list
/// `["a b"]` and `["a", "b"]` digest differently, as they compare).
public struct FieldsDigest: Hashable, Sendable {
    let words: (UInt64, UInt64, UInt64, UInt64)

    public static func == (lhs: FieldsDigest, rhs: FieldsDigest) -> Bool { lhs.words == rhs.words }
    public func hash(into hasher: inout Hasher) { hasher.combine(words.0) }

    /// The digest as 64 hexadecimal digits.
    public var hex: String { Self.hex([words.0, words.1, words.2, words.3], digits: 64) }

    /// The first 8 hexadecimal digits (drift's per-field hashes).
    public var shortHex: String { Self.hex([words.0], digits: 8) }

    private static let digits = Array("0123456789abcdef".utf8)

    private static func hex(_ words: [UInt64], digits count: Int) -> String {
        String(unsafeUninitializedCapacity: count) { out in
            for i in 0..<count {
                let word = words[i / 16], shift = UInt64(60 - (i % 16) * 4)
                out[i] = digits[Int((word >> shift) & 0xF)]
            }
            return count
        }
    }

    public init(_ fields: [(path: String, value: FieldValue)]) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(fields.count * 48)
        self.init(fields, into: &bytes)
    }

    /// The digest of one field (drift's per-field hashes), encoded in
    /// `scratch` (reused between fields: a store of 100,000 companies has
    /// two million of them).
    public init(field: (path: String, value: FieldValue), scratch: inout [UInt8]) {
        scratch.removeAll(keepingCapacity: true)
        self.init(CollectionOfOne(field), into: &scratch)
    }

    private init(_ fields: some Collection<(path: String, value: FieldValue)>, into bytes: inout [UInt8]) {
        func put(_ n: Int) { withUnsafeBytes(of: UInt64(truncatingIfNeeded: n).littleEndian) { bytes.append(contentsOf: $0) } }
        func put(_ s: String) {
            put(s.utf8.count)
            bytes.append(contentsOf: s.utf8)
        }
        put(fields.count)
        for (path, value) in fields {
            put(path)
            bytes.append(value.sensitive ? 1 : 0)
            switch value.storage {
            case .text(let s): bytes.append(0x74); put(s)
            case .int(let i): bytes.append(0x69); put(i)
            case .bool(let b): bytes.append(0x62); bytes.append(b ? 1 : 0)
            case .list(let items):
                bytes.append(0x6C)
                put(items.count)
                for item in items { put(item) }
            case .secret(let hex): bytes.append(0x66); put(hex)
            // `==` compares a shown value by its key alone.
            case .shown(_, let key, _): bytes.append(0x6B); put(key)
            }
        }
        let d = Digest.sha256(bytes)
        func word(_ i: Int) -> UInt64 { (0..<8).reduce(0) { $0 << 8 | UInt64(d[i * 8 + $1]) } }
        words = (word(0), word(1), word(2), word(3))
    }
}
