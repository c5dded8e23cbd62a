/// Just enough DER (X.690) to open a SubjectPublicKeyInfo: tag, length,
/// contents. The system OpenSSL module does not expose `d2i_PUBKEY`
/// (Sources/COpenSSL/shim.h includes evp.h but not x509.h), so the outer
/// structure is read here and the RSA key inside is handed to OpenSSL.
struct DERReader {
    private let bytes: [UInt8]
    private(set) var offset: Int

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
        self.offset = 0
    }

    var isAtEnd: Bool { offset >= bytes.count }

    /// Reads one element: its tag and its contents. Nil for truncated input,
    /// indefinite lengths (not DER) and lengths that do not fit.
    mutating func read() -> (tag: UInt8, contents: [UInt8])? {
        guard offset + 2 <= bytes.count else { return nil }
        let tag = bytes[offset]
        var length = Int(bytes[offset + 1])
        var position = offset + 2
        if length & 0x80 != 0 {
            let count = length & 0x7F
            guard (1...4).contains(count), position + count <= bytes.count else { return nil }
            length = bytes[position..<position + count].reduce(0) { $0 << 8 | Int($1) }
            position += count
        }
        guard length <= bytes.count - position else { return nil }
        offset = position + length
        return (tag, Array(bytes[position..<position + length]))
    }
}
