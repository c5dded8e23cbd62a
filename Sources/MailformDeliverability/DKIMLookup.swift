/// What `<selector>._domainkey.<domain>` holds, judged as a verifier would.
enum DKIMLookup: Sendable, Hashable {
    /// A usable key; `record` is the TXT record as published.
    case key(DKIMPublicKey, record: String)
    /// No TXT record at the name (NXDOMAIN or NODATA).
    case missing(nonexistent: Bool)
    /// A record, but no usable key: no `p=`, an empty `p=` (revoked), a key
    /// that does not decode, an unknown `k=`.
    case noKey(reason: String, record: String?)
    case failure(DNSProblem)

    /// Whether a verifier could check a signature made with this selector.
    var isUsable: Bool {
        if case .key(let key, _) = self {
            if case .rsa(let bits) = key { return bits >= DKIMPublicKey.minimumRSABits }
            return true
        }
        return false
    }
}
