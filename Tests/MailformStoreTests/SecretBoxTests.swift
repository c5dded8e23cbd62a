import COpenSSL
import Foundation
import Testing
@testable import MailformCore
@testable import MailformStore

struct SecretBoxTests {
    let key = StoreKey(bytes: Array(repeating: 7, count: 32))

    @Test func sealsAndOpensWithItsContext() throws {
        let box = try SecretBox(key: key)
        let sealed = try box.seal(Secret("s3cret-value"), context: "mailform:acme:smtp.password")
        #expect(sealed.ciphertext.count == 12)
        #expect(sealed.ciphertext != Array("s3cret-value".utf8))
        let opened = try box.open(sealed, context: "mailform:acme:smtp.password")
        #expect(opened == Secret("s3cret-value"))
        // The same ciphertext moved to another company or field does not decrypt.
        #expect(throws: SecretBox.Failure.self) { try box.open(sealed, context: "mailform:globex:smtp.password") }
    }

    @Test func noncesAreFreshPerValue() throws {
        let box = try SecretBox(key: key)
        let a = try box.seal(Secret("same"), context: "c")
        let b = try box.seal(Secret("same"), context: "c")
        #expect(a.nonce != b.nonce)
        #expect(a.ciphertext != b.ciphertext)
    }

    @Test func tamperedTagOrWrongKeyFails() throws {
        let box = try SecretBox(key: key)
        var sealed = try box.seal(Secret("value"), context: "c")
        sealed.tag[0] ^= 1
        #expect(throws: SecretBox.Failure.self) { try box.open(sealed, context: "c") }
        let other = try SecretBox(key: StoreKey(bytes: Array(repeating: 8, count: 32)))
        let good = try box.seal(Secret("value"), context: "c")
        let error = #expect(throws: SecretBox.Failure.self) { try other.open(good, context: "c") }
        #expect(error?.description.contains("does not match the store") == true)
    }

    /// NIST GCM test case 16 (AES-256, 96-bit IV, with AAD).
    enum NISTCase16 {
        static func hex(_ s: String) -> [UInt8] {
            var out: [UInt8] = []
            var i = s.startIndex
            while i < s.endIndex { let j = s.index(i, offsetBy: 2); out.append(UInt8(s[i..<j], radix: 16)!); i = j }
            return out
        }
        static let key = hex("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308")
        static let iv = hex("cafebabefacedbaddecaf888")
        static let plain = hex("d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39")
        static let aad = hex("feedfacedeadbeeffeedfacedeadbeefabaddad2")
        static let cipher = hex("522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662")
        static let tag = hex("76fc6ece0f4e1768cddf8853bb2d551b")
    }

    @Test func matchesNISTTestCase16() throws {
        let v = NISTCase16.self
        var out = [UInt8](repeating: 0, count: v.plain.count)
        var tag = [UInt8](repeating: 0, count: 16)
        #expect(mailform_aes256gcm_seal(v.key, v.iv, v.aad, Int32(v.aad.count), v.plain, Int32(v.plain.count), &out, &tag) == 1)
        #expect(out == v.cipher)
        #expect(tag == v.tag)
    }

    @Test func fingerprintsAreKeyedAndStable() throws {
        let box = try SecretBox(key: key)
        #expect(try box.fingerprint(Secret("a")) == box.fingerprint(Secret("a")))
        #expect(try box.fingerprint(Secret("a")) != box.fingerprint(Secret("b")))
        let other = try SecretBox(key: StoreKey(bytes: Array(repeating: 9, count: 32)))
        #expect(try box.fingerprint(Secret("a")) != other.fingerprint(Secret("a")))
    }

    /// An apply seals thousands of secrets with one `Sealer` (the key set up
    /// once, nonces drawn 256 at a time): every nonce is new across the
    /// draws, each value opens with the box under its own context only, and
    /// the fingerprints are the box's.
    @Test func aSealerSealsManyWithFreshNoncesAndTheBoxsFingerprints() throws {
        let box = try SecretBox(key: key)
        let sealer = try Sealer(box)
        var nonces = Set<[UInt8]>()
        for i in 0..<1_000 {
            let secret = Secret("value-\(i % 7)")
            let sealed = try sealer.seal(secret, context: "mailform:c\(i):smtp.password")
            nonces.insert(sealed.nonce)
            #expect(sealed.nonce.count == 12 && sealed.tag.count == 16 && sealed.keyID == box.keyID)
            #expect(try box.open(sealed, context: "mailform:c\(i):smtp.password") == secret)
            if i % 100 == 0 {
                #expect(throws: SecretBox.Failure.self) { try box.open(sealed, context: "mailform:c\(i + 1):smtp.password") }
            }
            #expect(try sealer.fingerprint(secret) == box.fingerprint(secret))
        }
        #expect(nonces.count == 1_000)
        #expect(try box.open(box.seal(Secret(""), context: "c"), context: "c") == Secret(""))
    }

    /// The sealer's AES-256-GCM with a fixed nonce gives NIST's test case 16,
    /// sealed twice with the one set-up.
    @Test func theSealerMatchesNISTTestCase16() throws {
        let v = NISTCase16.self
        let sealer = try #require(mailform_sealer_new(v.key, v.key, 32))
        defer { mailform_sealer_free(sealer) }
        for _ in 0..<2 {
            var out = [UInt8](repeating: 0, count: v.plain.count)
            var tag = [UInt8](repeating: 0, count: 16)
            #expect(mailform_sealer_seal(sealer, v.iv, v.aad, Int32(v.aad.count), v.plain, Int32(v.plain.count), &out, &tag) == 1)
            #expect(out == v.cipher)
            #expect(tag == v.tag)
        }
    }

    @Test func secretNeverPrints() {
        let secret = Secret("hunter2-value")
        #expect("\(secret)" == "(sensitive)")
        #expect(String(describing: secret) == "(sensitive)")
        #expect(String(reflecting: secret) == "(sensitive)")
        var dumped = ""
        dump(secret, to: &dumped)
        #expect(!dumped.contains("hunter2"))
    }

    @Test func keyFileIsCreatedOnceWithMode0600() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mailform-key-\(UUID())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = dir + "/s.db"
        let (created, source) = try #require(try StoreKey.load(storePath: store, environment: [:], create: true))
        #expect(source == .created(store + ".key"))
        let mode = try FileManager.default.attributesOfItem(atPath: store + ".key")[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let (again, source2) = try #require(try StoreKey.load(storePath: store, environment: [:], create: true))
        #expect(source2 == .file(store + ".key"))
        #expect(again.id == created.id)
        #expect(throws: StoreKey.Failure.self) { try StoreKey.load(storePath: store, environment: ["MAILFORM_STORE_KEY": "short"], create: true) }
        // The key had no other name on the way: nothing but the store's key is in the folder.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["s.db.key"])
    }

    /// A link at the key's path that leads nowhere is never followed to
    /// create a file, and the refusal says why.
    @Test func aDanglingLinkAtTheKeyPathIsRefused() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mailform-key-\(UUID())").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createSymbolicLink(atPath: dir + "/s.db.key", withDestinationPath: dir + "/elsewhere")
        let error = #expect(throws: StoreKey.Failure.self) { try StoreKey.load(storePath: dir + "/s.db", environment: [:], create: true) }
        #expect(error?.description == "cannot create store key file \(dir)/s.db.key: File exists", "\(String(describing: error))")
        #expect(!FileManager.default.fileExists(atPath: dir + "/elsewhere"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["s.db.key"])
    }
}
