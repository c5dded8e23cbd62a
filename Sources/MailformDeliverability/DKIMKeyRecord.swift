import Foundation

/// Reading a DKIM key record (RFC 6376 section 3.6.1) the way verifiers do.
enum DKIMKeyRecord {
    /// Whether a TXT record is meant as a DKIM key: it starts with `v=DKIM1`
    /// or has a `p=` tag. Used to pick the key out of several TXT records.
    static func looksLikeKeyRecord(_ text: String) -> Bool {
        let list = TagList(parsing: text)
        return list.tags.first?.name == "v" || list["p"] != nil
    }

    /// The usable key in `text`, or why there is none.
    static func key(in text: String) throws(DKIMKeyError) -> DKIMPublicKey {
        let list = TagList(parsing: text)
        if let version = list["v"] {
            guard list.tags.first?.name == "v", version == "DKIM1" else {
                throw DKIMKeyError("the record's v=\(version) is not v=DKIM1 as the first tag, so verifiers ignore it")
            }
        }
        guard let key = list["p"] else {
            throw DKIMKeyError("the record has no p= tag (the public key)")
        }
        guard !key.filter({ !$0.isWhitespace }).isEmpty else {
            throw DKIMKeyError("p= is empty, which means the key is revoked")
        }
        // s= names the services the key is for; one without email (s=tls)
        // is not a mail key, and verifiers of mail ignore it.
        if let services = list["s"] {
            let types = services.split(separator: ":").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            guard types.contains("*") || types.contains("email") else {
                throw DKIMKeyError("s=\(services) limits the key to services other than email, so verifiers of mail ignore it (RFC 6376 section 3.6.1)")
            }
        }
        // h= lists the hashes signatures may use; verifiers refuse sha1 (RFC 8301).
        if let hashes = list["h"] {
            let algorithms = hashes.split(separator: ":").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            guard algorithms.contains("sha256") else {
                throw DKIMKeyError("h=\(hashes) allows no sha256, and verifiers refuse sha1 signatures (RFC 8301): no signature with this key verifies")
            }
        }
        return try DKIMPublicKey.decode(base64: key, keyType: (list["k"] ?? "rsa").lowercased())
    }
}
