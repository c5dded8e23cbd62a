@testable import MailformDeliverability
import Testing

/// DKIM key records and key sizes (RFC 6376 section 3.6.1, RFC 8301, RFC 8463).
/// The keys were made with `openssl genpkey` and `openssl pkey -pubout -outform DER | base64`.
struct DKIMKeyTests {
    /// The 512-bit key of weakdkim.test.
    static let rsa512 = "MFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBANXO04R/VWYjzmQG9/qD6fBsG0F9D8JiLBX/eyHiVni/YrEcgiZv5MateyvYQf01CLrJQ6lOcaMHSC+RToDM9lUCAwEAAQ=="
    static let rsa1023 = "MIGeMA0GCSqGSIb3DQEBAQUAA4GMADCBiAKBgGXy2DMUNRpzpB2GmQQXwKR56dPpGf5zsDAwJd9nbpkBPfntBS4jtpvCjbhsnRts+56w3C/XzjeZzcxIYsdQLrO/9gSbJjHijN2TMK2aGwNkKg02r5rsGprmiBYVI3IiDG/ihp7Q52k3FnrvGh7mcsTyeQtSB9n0gpAhp7qgshfNAgMBAAE="
    static let rsa1024 = "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDbKQFfIzLSMuNkEtHoyk/i7HoSWLvTZST7jV0G2NZoQ2CHnQWEFCpDdQ1BEIicHA6cVuTLDUh4bkTlltj6fOdPXedt9+5E/G4xxBXBSA5t9zbyym8YEFyMnQzrq5UiofLSCYFEmscO5ZZXCIoKqZvjsh+t9LSlhNNaKOrloCuwKQIDAQAB"
    /// The same 1024-bit key as bare PKCS #1 RSAPublicKey (`openssl rsa -RSAPublicKey_out`).
    static let rsa1024PKCS1 = "MIGJAoGBANspAV8jMtIy42QS0ejKT+LsehJYu9NlJPuNXQbY1mhDYIedBYQUKkN1DUEQiJwcDpxW5MsNSHhuROWW2Pp8509d52337kT8bjHEFcFIDm33NvLKbxgQXIydDOurlSKh8tIJgUSaxw7lllcIigqpm+OyH630tKWE01oo6uWgK7ApAgMBAAE="
    /// The 2048-bit key of good.test.
    static let rsa2048 = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAu3Dztppd8iIv1kD5YljNw9iScFa1vYM5yZpqFe5C0nDMIbEtsDjWugdBvCjdh1dt37EwmcG//qyQPb6Yh2ppgvmIMifc8NEFpIigjdqMRAymVNaHgJS7PIrOLpW0MndcD5t/C5E/cAeeVi1tNpe1IrVRanojPV/+LFlT/0PC92TmpKEkyAD/up98nNuu8NPUswQ/tv+YU6VUzHcm1JBLHzCmKftPpenE49sN+341bm50wtWDbUjPSAsDVEUqqW3GhVVhBa1310dfI3LWfa8FM+GpcTgpzLUB/5t1MNM97u4+bEPC8/uGJQKONBaXJpZgoXk2HtImouUk8Ox6YSHLmQIDAQAB"
    /// An Ed25519 public key: the raw 32 bytes (what RFC 8463 publishes), and as SubjectPublicKeyInfo.
    static let ed25519Raw = "PG2/vh7OPOgV3xihCtSD3pZUomqAr57MEMpSv8ZBa2M="
    static let ed25519SPKI = "MCowBQYDK2VwAyEAPG2/vh7OPOgV3xihCtSD3pZUomqAr57MEMpSv8ZBa2M="
    /// A P-256 key: not RSA.
    static let ecP256 = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAElbzrhDSSMSwMWG2zGm8Li1DtS8v7lZkYbD4PGduuCq8on2gRdr7HGQxUwcXorwDF4LbsEt4rrkkxQkHltGtf9w=="

    @Test func rsaKeySizes() throws {
        #expect(try DKIMPublicKey.decode(base64: Self.rsa512, keyType: "rsa") == .rsa(bits: 512))
        #expect(try DKIMPublicKey.decode(base64: Self.rsa1023, keyType: "rsa") == .rsa(bits: 1023))
        #expect(try DKIMPublicKey.decode(base64: Self.rsa1024, keyType: "rsa") == .rsa(bits: 1024))
        #expect(try DKIMPublicKey.decode(base64: Self.rsa1024PKCS1, keyType: "rsa") == .rsa(bits: 1024))
        #expect(try DKIMPublicKey.decode(base64: Self.rsa2048, keyType: "rsa") == .rsa(bits: 2048))
        // Whitespace inside p= (folded records) and missing padding are fine.
        let folded = String(Self.rsa2048.prefix(100)) + " \t" + String(Self.rsa2048.dropFirst(100))
        #expect(try DKIMPublicKey.decode(base64: folded, keyType: "rsa") == .rsa(bits: 2048))
        #expect(try DKIMPublicKey.decode(base64: String(Self.rsa512.dropLast(2)), keyType: "rsa") == .rsa(bits: 512))
    }

    @Test func otherKeys() throws {
        #expect(try DKIMPublicKey.decode(base64: Self.ed25519Raw, keyType: "ed25519") == .ed25519)
        #expect(throws: DKIMKeyError("the ed25519 key is 44 bytes; rfc 8463 keys are 32")) {
            try DKIMPublicKey.decode(base64: Self.ed25519SPKI, keyType: "ed25519")
        }
        #expect(throws: DKIMKeyError("k=rsa, but the key is not an rsa key")) {
            try DKIMPublicKey.decode(base64: Self.ecP256, keyType: "rsa")
        }
        #expect(throws: DKIMKeyError("p= is not valid base64")) { try DKIMPublicKey.decode(base64: "not*base64", keyType: "rsa") }
        #expect(throws: DKIMKeyError("p= is not an rsa public key openssl can read")) {
            try DKIMPublicKey.decode(base64: "AAECAwQFBgcICQ==", keyType: "rsa")
        }
        #expect(throws: DKIMKeyError("k=dsa is not a key type verifiers know (rsa or ed25519)")) {
            try DKIMPublicKey.decode(base64: Self.rsa1024, keyType: "dsa")
        }
    }

    @Test func keyRecords() throws {
        #expect(try DKIMKeyRecord.key(in: "v=DKIM1; k=rsa; p=\(Self.rsa2048)") == .rsa(bits: 2048))
        #expect(try DKIMKeyRecord.key(in: "p=\(Self.rsa1024)") == .rsa(bits: 1024), "v= and k= are optional")
        #expect(try DKIMKeyRecord.key(in: "v=DKIM1; k=ed25519; p=\(Self.ed25519Raw)") == .ed25519)
        #expect(throws: DKIMKeyError("p= is empty, which means the key is revoked")) { try DKIMKeyRecord.key(in: "v=DKIM1; k=rsa; p=") }
        #expect(throws: DKIMKeyError("the record has no p= tag (the public key)")) { try DKIMKeyRecord.key(in: "v=DKIM1; k=rsa") }
        #expect(throws: DKIMKeyError.self) { try DKIMKeyRecord.key(in: "k=rsa; v=DKIM1; p=\(Self.rsa1024)") }
        #expect(DKIMKeyRecord.looksLikeKeyRecord("v=DKIM1; p="))
        #expect(!DKIMKeyRecord.looksLikeKeyRecord("google-site-verification=abc"))
    }
}
