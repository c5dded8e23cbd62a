import COpenSSL

/// SHA-256 through OpenSSL (it was a hand-written Swift version, 40 MB/s:
/// the digest of a 10,000-company plan's text took 50 ms). Used for logo
/// identity and plan digests; secrets use keyed HMAC in the store module.
public enum Digest {
    public static func sha256Hex(_ bytes: [UInt8]) -> String {
        bytes.withUnsafeBytes { sha256Hex(buffer: $0) }
    }

    public static func sha256Hex(_ text: String) -> String {
        var text = text
        return text.withUTF8 { sha256Hex(buffer: UnsafeRawBufferPointer($0)) }
    }

    public static func sha256(_ message: [UInt8]) -> [UInt8] {
        message.withUnsafeBytes { digest($0) }
    }

    static func sha256Hex(buffer: UnsafeRawBufferPointer) -> String {
        var out = [UInt8]()
        out.reserveCapacity(64)
        appendHex(digest(buffer), to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// `bytes` as lower-case hex digits, appended to `out`.
    public static func appendHex(_ bytes: some Sequence<UInt8>, to out: inout [UInt8]) {
        let digits = Array("0123456789abcdef".utf8)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0F)])
        }
    }

    /// OpenSSL's SHA-256 (its low-level interface: `EVP_Digest` fetches the
    /// algorithm and allocates a context per call, 4 times the cost on the
    /// short inputs of per-field hashes).
    static func digest(_ buffer: UnsafeRawBufferPointer) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        mailform_sha256_direct(buffer.baseAddress?.assumingMemoryBound(to: UInt8.self) ?? UnsafePointer(bitPattern: 1), buffer.count, &out)
        return out
    }
}

extension Digest {
    /// SHA-256 of text given in pieces (a plan's text as it is printed).
    public final class Stream {
        private let context: OpaquePointer?

        public init() {
            context = EVP_MD_CTX_new()
            _ = EVP_DigestInit_ex(context, EVP_sha256(), nil)
        }

        deinit { EVP_MD_CTX_free(context) }

        public func update(_ bytes: [UInt8]) {
            bytes.withUnsafeBufferPointer { _ = EVP_DigestUpdate(context, $0.baseAddress, $0.count) }
        }

        public func update(_ text: String) {
            var text = text
            text.withUTF8 { bytes in _ = EVP_DigestUpdate(context, bytes.baseAddress, bytes.count) }
        }

        /// The digest in hex; the stream is finished.
        public func finishHex() -> String {
            var out = [UInt8](repeating: 0, count: 32)
            var length: UInt32 = 0
            _ = EVP_DigestFinal_ex(context, &out, &length)
            let digits = Array("0123456789abcdef".utf8)
            return String(decoding: out.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 0x0F)]] }, as: UTF8.self)
        }
    }
}
