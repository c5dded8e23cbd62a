import Foundation
import COpenSSL
import MailformCore

/// A secret encrypted at rest: AES-256-GCM with a random 96-bit nonce per value.
public struct SealedSecret: Sendable {
    public var keyID: String
    public var nonce: [UInt8]
    public var ciphertext: [UInt8]
    public var tag: [UInt8]
}

/// Encrypts, decrypts and fingerprints secrets with the store key.
///
/// The associated data binds each ciphertext to its company and field, so a
/// ciphertext copied to another row does not decrypt. Fingerprints use a key
/// derived for that purpose only, so they reveal nothing about the encryption.
public struct SecretBox: Sendable {
    let key: StoreKey
    let fingerprintKey: [UInt8]
    private let planKey: [UInt8]
    private let planFingerprintKey: [UInt8]

    /// - Throws: ``Failure`` when OpenSSL's HMAC does not work.
    public init(key: StoreKey) throws {
        self.key = key
        self.fingerprintKey = try SecretBox.hmac(key: key.bytes, Array("mailform fingerprint v1".utf8))
        self.planKey = try SecretBox.hmac(key: key.bytes, Array("mailform saved plan v1".utf8))
        self.planFingerprintKey = try SecretBox.hmac(key: key.bytes, Array("mailform plan fingerprint v2".utf8))
    }

    public var keyID: String { key.id }

    /// The associated data of a secret: its company and field path.
    public static func context(company: String, path: String) -> String { "mailform:\(company):\(path)" }

    public struct Failure: MailformError {
        public var description: String
        public var code: ErrorCode { .secretSealing }
        public var message: String { description }
    }

    /// Seals one secret (many: a `Sealer`).
    /// - Throws: ``Failure`` when OpenSSL cannot encrypt.
    public func seal(_ secret: Secret, context: String) throws -> SealedSecret {
        try Sealer(self).seal(secret, context: context)
    }

    /// - Throws: ``Failure`` for a secret sealed with another key, or one that fails authentication (a tampered store).
    public func open(_ sealed: SealedSecret, context: String) throws -> Secret {
        guard sealed.keyID == key.id else {
            throw Failure(description: "the store key does not match the store (secrets were encrypted with key \(sealed.keyID), the key given is \(key.id)); set MAILFORM_STORE_KEY or the key file to the store's key")
        }
        let aad = Array(context.utf8)
        var out = [UInt8](repeating: 0, count: max(sealed.ciphertext.count, 1))
        let ok = mailform_aes256gcm_open(key.bytes, sealed.nonce, aad, Int32(aad.count), sealed.ciphertext,
                                         Int32(sealed.ciphertext.count), sealed.tag, &out)
        guard ok == 1 else { throw Failure(description: "a stored secret failed authentication (wrong key or tampered store) at \(context)") }
        return Secret(bytes: Array(out.prefix(sealed.ciphertext.count)))
    }

    /// HMAC-SHA256 of the value under the fingerprint key, in hex.
    /// - Throws: ``Failure`` when OpenSSL cannot compute the HMAC.
    public func fingerprint(_ secret: Secret) throws -> SecretFingerprint {
        let mac = try secret.withRevealedBytes { try SecretBox.hmac(key: fingerprintKey, $0) }
        return SecretFingerprint(hex: Hex.encode(mac))
    }

    /// The fingerprint a saved plan carries: HMAC-SHA256 under a key derived
    /// for plans only, over the store's id, the company, the field, the
    /// plan's own random salt and the value, each length-prefixed. Two values
    /// compare only within one store, company and field of one plan (where
    /// there is one value), so no plan artifact is an oracle: a guess placed
    /// in another company or field, or in another plan, never fingerprints
    /// like the secret it targets.
    /// - Throws: ``Failure`` when OpenSSL's HMAC fails.
    public func planFingerprint(_ secret: Secret, store: String?, company: String, path: String, salt: String) throws -> String {
        var data: [UInt8] = []
        for part in ["mailform plan fingerprint v2", store ?? "", company, path, salt] {
            let bytes = Array(part.utf8)
            data += withUnsafeBytes(of: UInt32(bytes.count).bigEndian, Array.init) + bytes
        }
        let mac = try secret.withRevealedBytes { value -> [UInt8] in
            var all = data + withUnsafeBytes(of: UInt32(value.count).bigEndian, Array.init) + value
            defer { for i in all.indices { all[i] = 0 } }
            return try SecretBox.hmac(key: planFingerprintKey, all)
        }
        return "v2:" + Hex.encode(mac)
    }

    /// The MAC of a saved plan's canonical bytes, in hex, under a key derived
    /// from the store key for that purpose only.
    public func planMAC(_ bytes: [UInt8]) -> String {
        // HMAC was proven to work in `init`; should it fail now, the value is
        // one no plan carries, so verification fails closed.
        (try? SecretBox.hmac(key: planKey, bytes)).map(Hex.encode) ?? "unavailable"
    }

    /// `planMAC` over bytes given piece by piece: the same value as
    /// `planMAC` of all the pieces joined.
    public func planMACStream() -> MACStream { MACStream(key: planKey) }

    /// HMAC-SHA256 piece by piece. A failure in OpenSSL makes `finishHex`
    /// return a value no plan carries, so verification fails closed.
    public final class MACStream: @unchecked Sendable {
        private let stream: UnsafeMutablePointer<mailform_mac_stream>?
        private var failed = false

        init(key: [UInt8]) { stream = mailform_mac_stream_new(key, Int32(key.count)) }
        deinit { mailform_mac_stream_free(stream) }

        public func update(_ bytes: [UInt8]) {
            guard let stream, !failed else { failed = true; return }
            if mailform_mac_stream_update(stream, bytes, bytes.count) != 1 { failed = true }
        }

        /// The MAC in hex, or "unavailable"; the stream is finished.
        public func finishHex() -> String {
            guard let stream, !failed else { return "unavailable" }
            var out = [UInt8](repeating: 0, count: 32)
            guard mailform_mac_stream_final(stream, &out) == 1 else { return "unavailable" }
            failed = true
            return Hex.encode(out)
        }
    }

    /// HMAC-SHA256; throws when OpenSSL reports a failure (a zeroed MAC would
    /// make every fingerprint equal).
    static func hmac(key: [UInt8], _ data: [UInt8]) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        guard mailform_hmac_sha256(key, Int32(key.count), data, data.count, &out) == 1 else {
            throw Failure(description: "HMAC-SHA256 failed in OpenSSL")
        }
        return out
    }
}

/// Seals and fingerprints many secrets with the key set up once (an apply
/// of 10,000 companies seals 13,000 secrets: a fresh OpenSSL context and a
/// random draw each cost more than the encryption). One per thread.
public final class Sealer {
    private let handle: UnsafeMutablePointer<mailform_sealer>
    private let keyID: String
    /// Random bytes drawn ahead, twelve per nonce.
    private var nonces: [UInt8] = []
    private var used = 0

    /// - Throws: ``SecretBox/Failure`` when OpenSSL cannot set up AES-256-GCM and HMAC-SHA256.
    public init(_ box: SecretBox) throws {
        guard let handle = mailform_sealer_new(box.key.bytes, box.fingerprintKey, Int32(box.fingerprintKey.count)) else {
            throw SecretBox.Failure(description: "cannot set up AES-256-GCM and HMAC-SHA256 in OpenSSL")
        }
        self.handle = handle
        self.keyID = box.key.id
    }

    deinit { mailform_sealer_free(handle) }

    /// AES-256-GCM with a random 96-bit nonce; `context` is the associated data.
    /// - Throws: ``SecretBox/Failure`` when no nonce can be drawn or encryption fails.
    public func seal(_ secret: Secret, context: String) throws -> SealedSecret {
        if used == nonces.count {
            nonces = [UInt8](repeating: 0, count: 12 * 256)
            guard RAND_bytes(&nonces, Int32(nonces.count)) == 1 else { throw SecretBox.Failure(description: "cannot generate a nonce") }
            used = 0
        }
        let nonce = Array(nonces[used..<used + 12])
        used += 12
        let aad = Array(context.utf8)
        var tag = [UInt8](repeating: 0, count: 16)
        let ciphertext = try secret.withRevealedBytes { plain -> [UInt8] in
            var out = [UInt8](repeating: 0, count: max(plain.count, 1))
            guard mailform_sealer_seal(handle, nonce, aad, Int32(aad.count), plain, Int32(plain.count), &out, &tag) == 1 else {
                throw SecretBox.Failure(description: "encryption failed")
            }
            if out.count > plain.count { out.removeLast(out.count - plain.count) }
            return out
        }
        return SealedSecret(keyID: keyID, nonce: nonce, ciphertext: ciphertext, tag: tag)
    }

    /// The same as `SecretBox.fingerprint`.
    /// - Throws: ``SecretBox/Failure`` when OpenSSL cannot compute the HMAC.
    public func fingerprint(_ secret: Secret) throws -> SecretFingerprint {
        var mac = [UInt8](repeating: 0, count: 32)
        let ok = secret.withRevealedBytes { mailform_sealer_mac(handle, $0, $0.count, &mac) }
        guard ok == 1 else { throw SecretBox.Failure(description: "HMAC-SHA256 failed in OpenSSL") }
        return SecretFingerprint(hex: Hex.encode(mac))
    }
}

/// Lowercase hex without `String(format:)`, which is slow on Linux.
public enum Hex {
    private static let digits = Array("0123456789abcdef".utf8)

    /// `count` random bytes (OpenSSL's generator), in hex.
    public static func random(_ count: Int) -> String {
        var bytes = [UInt8](repeating: 0, count: count)
        if RAND_bytes(&bytes, Int32(count)) != 1 { for i in bytes.indices { bytes[i] = UInt8.random(in: 0...255) } }
        return encode(bytes)
    }

    public static func encode(_ bytes: [UInt8]) -> String {
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
