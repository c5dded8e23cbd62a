import COpenSSL
import Foundation

/// What a DKIM `p=` value holds, decoded: the key type and its strength.
///
/// RFC 8301 makes RSA keys under 1024 bits unusable (verifiers ignore the
/// signature, so DMARC sees no DKIM at all), hence the bit count. RSA keys
/// are SubjectPublicKeyInfo (RFC 6376 section 3.6.1); some publishers put the
/// bare PKCS #1 RSAPublicKey there, which common verifiers also accept, so it
/// is measured too. Ed25519 keys (RFC 8463) are the raw 32 bytes.
enum DKIMPublicKey: Sendable, Hashable {
    case rsa(bits: Int)
    case ed25519

    /// RFC 8301's minimum.
    static let minimumRSABits = 1024

    private static let rsaEncryptionOID: [UInt8] = [0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01] // 1.2.840.113549.1.1.1

    /// Decodes `base64` as a key of type `keyType` (`rsa` or `ed25519`, the
    /// record's `k=`). Throws a lowercase message when it is not a usable key.
    static func decode(base64: String, keyType: String) throws(DKIMKeyError) -> DKIMPublicKey {
        let compact = base64.filter { !$0.isWhitespace }
        let padded = compact + String(repeating: "=", count: (4 - compact.count % 4) % 4)
        guard let data = Data(base64Encoded: padded) else {
            throw DKIMKeyError("p= is not valid base64")
        }
        let bytes = [UInt8](data)
        switch keyType {
        case "rsa":
            return .rsa(bits: try rsaBits(bytes))
        case "ed25519":
            guard bytes.count == 32 else {
                throw DKIMKeyError("the ed25519 key is \(bytes.count) bytes; rfc 8463 keys are 32")
            }
            return .ed25519
        default:
            throw DKIMKeyError("k=\(keyType) is not a key type verifiers know (rsa or ed25519)")
        }
    }

    /// The modulus size of an RSA key given as SubjectPublicKeyInfo (or bare
    /// RSAPublicKey), as OpenSSL measures it.
    private static func rsaBits(_ bytes: [UInt8]) throws(DKIMKeyError) -> Int {
        var rsaPublicKey = bytes
        var outer = DERReader(bytes)
        if let spki = outer.read(), spki.tag == 0x30, outer.isAtEnd {
            var inner = DERReader(spki.contents)
            // SEQUENCE { SEQUENCE { algorithm OID, parameters }, BIT STRING }
            if let algorithm = inner.read(), algorithm.tag == 0x30,
               let bitString = inner.read(), bitString.tag == 0x03, inner.isAtEnd {
                var algorithmReader = DERReader(algorithm.contents)
                guard let oid = algorithmReader.read(), oid.tag == 0x06 else {
                    throw DKIMKeyError("the key's algorithm identifier does not parse")
                }
                guard oid.contents == rsaEncryptionOID else {
                    throw DKIMKeyError("k=rsa, but the key is not an rsa key")
                }
                guard bitString.contents.first == 0 else {
                    throw DKIMKeyError("the key's bit string does not parse")
                }
                rsaPublicKey = Array(bitString.contents.dropFirst())
            }
        }
        let bits: Int32 = rsaPublicKey.withUnsafeBufferPointer { buffer in
            var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
            guard cursor != nil else { return 0 }
            guard let key = d2i_PublicKey(EVP_PKEY_RSA, nil, &cursor, buffer.count) else { return 0 }
            defer { EVP_PKEY_free(key) }
            return EVP_PKEY_get_bits(key)
        }
        guard bits > 0 else {
            throw DKIMKeyError("p= is not an rsa public key openssl can read")
        }
        return Int(bits)
    }
}
