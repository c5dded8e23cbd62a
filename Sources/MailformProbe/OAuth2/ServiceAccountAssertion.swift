import COpenSSL
import Foundation
import JSONSchema
import MailformCore

/// Google's service-account flow: a JWT signed RS256 with the account's
/// private key, exchanged at `{base}/token` for an access token that acts
/// for `sub` (domain-wide delegation). RFC 7523; Google's "Using OAuth 2.0
/// for Server to Server Applications".
enum ServiceAccountAssertion {
    struct Failure: MailformError {
        var message: String
        var code: ErrorCode { .credential }
        var description: String { message }
    }

    /// The key file's fields mailform needs.
    struct Key {
        var clientEmail: String
        var privateKeyID: String?
        var privateKeyPEM: [UInt8]
    }

    /// Reads the JSON key (`type: service_account`).
    static func key(_ secret: Secret) throws -> Key {
        try secret.withRevealedBytes { bytes in
            guard let node = try? JSONParser.parse(bytes: bytes), case .object = node.value else {
                throw Failure(message: "is not JSON (a Google service-account key is the JSON file the Cloud console downloads)")
            }
            guard node["type"]?.value.stringValue == "service_account" else {
                throw Failure(message: "is not a service-account key (its \"type\" is not \"service_account\")")
            }
            guard let email = node["client_email"]?.value.stringValue, let pem = node["private_key"]?.value.stringValue else {
                throw Failure(message: "has no client_email or private_key")
            }
            return Key(clientEmail: email, privateKeyID: node["private_key_id"]?.value.stringValue, privateKeyPEM: Array(pem.utf8))
        }
    }

    /// `header.claims.signature`, base64url, valid for one hour from `now`.
    static func assertion(key: Key, subject: String, scope: String, audience: String, now: Date = Date()) throws -> Secret {
        let iat = Int(now.timeIntervalSince1970)
        var header: [(String, JSONValue)] = [("alg", .string("RS256")), ("typ", .string("JWT"))]
        if let kid = key.privateKeyID { header.append(("kid", .string(kid))) }
        let claims: [(String, JSONValue)] = [
            ("iss", .string(key.clientEmail)), ("sub", .string(subject)), ("scope", .string(scope)),
            ("aud", .string(audience)), ("iat", .integer(iat)), ("exp", .integer(iat + 3600)),
        ]
        let signingInput = base64URL(Array(json(header).utf8)) + "." + base64URL(Array(json(claims).utf8))
        let signature = try sign(Array(signingInput.utf8), pem: key.privateKeyPEM)
        return Secret(signingInput + "." + base64URL(signature))
    }

    /// A flat JSON object of strings and integers.
    static func json(_ members: [(String, JSONValue)]) -> String {
        func quoted(_ s: String) -> String {
            var out = "\""
            for c in s.unicodeScalars {
                switch c {
                case "\"": out += "\\\""
                case "\\": out += "\\\\"
                default:
                    if c.value < 0x20 { out += String(format: "\\u%04x", c.value) } else { out.unicodeScalars.append(c) }
                }
            }
            return out + "\""
        }
        let body = members.map { key, value -> String in
            switch value {
            case .integer(let i): quoted(key) + ":" + String(i)
            default: quoted(key) + ":" + quoted(value.stringValue ?? "")
            }
        }
        return "{" + body.joined(separator: ",") + "}"
    }

    /// RSASSA-PKCS1-v1_5 with SHA-256 (JWS "RS256").
    static func sign(_ message: [UInt8], pem: [UInt8]) throws -> [UInt8] {
        guard let bio = pem.withUnsafeBytes({ BIO_new_mem_buf($0.baseAddress, Int32($0.count)) }) else {
            throw Failure(message: "cannot be read (out of memory)")
        }
        defer { BIO_free(bio) }
        // Never OpenSSL's own passphrase prompt: it would wait on the terminal.
        let noPassphrase: @convention(c) (UnsafeMutablePointer<CChar>?, Int32, Int32, UnsafeMutableRawPointer?) -> Int32 = { _, _, _, _ in 0 }
        guard let pkey = PEM_read_bio_PrivateKey(bio, nil, noPassphrase, nil) else {
            ERR_clear_error()
            if String(decoding: pem, as: UTF8.self).contains("ENCRYPTED") {
                throw Failure(message: "holds an encrypted private_key (Google's JSON keys are not encrypted; download a new key)")
            }
            throw Failure(message: "holds a private_key OpenSSL cannot read (not a PEM private key)")
        }
        defer { EVP_PKEY_free(pkey) }
        guard EVP_PKEY_get_base_id(pkey) == EVP_PKEY_RSA else { throw Failure(message: "holds a private_key that is not an RSA key") }
        guard let ctx = EVP_MD_CTX_new() else { throw Failure(message: "cannot be used (out of memory)") }
        defer { EVP_MD_CTX_free(ctx) }
        guard EVP_DigestSignInit(ctx, nil, EVP_sha256(), nil, pkey) == 1,
              message.withUnsafeBytes({ EVP_DigestSignUpdate(ctx, $0.baseAddress, $0.count) }) == 1 else {
            throw Failure(message: "cannot sign (OpenSSL refused the key)")
        }
        var length = 0
        guard EVP_DigestSignFinal(ctx, nil, &length) == 1 else { throw Failure(message: "cannot sign (OpenSSL refused the key)") }
        var signature = [UInt8](repeating: 0, count: length)
        guard EVP_DigestSignFinal(ctx, &signature, &length) == 1 else { throw Failure(message: "cannot sign (OpenSSL refused the key)") }
        return Array(signature.prefix(length))
    }

    static func base64URL(_ bytes: [UInt8]) -> String {
        var text = Data(bytes).base64EncodedString()
        text = text.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        while text.hasSuffix("=") { text.removeLast() }
        return text
    }
}
