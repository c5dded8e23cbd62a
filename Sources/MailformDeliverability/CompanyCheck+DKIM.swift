/// The DKIM key of the configured selector: without a usable key receivers
/// see no valid signature, and DMARC can lean on SPF alone.
extension CompanyCheck {
    func dkimFindings(_ lookup: DKIMLookup) -> [DeliverabilityFinding] {
        guard let selector = dkimSelector else { return [] }
        let name = "\(selector)._domainkey.\(senderDomain)"
        let field = "dkim.selector"
        let publish = "publish the public key of selector \(selector) as a TXT record at \(name) (v=DKIM1; k=rsa; p=<base64 public key>)"
        switch lookup {
        case .failure(let problem):
            return [dnsFinding(problem, domain: senderDomain, field: field, purpose: "dkim key of selector \(selector)")]
        case .missing(let nonexistent):
            return [finding("dkim-missing", .error, domain: senderDomain, field: field,
                            message: "there is no dkim key at \(name) (\(nonexistent ? "the name does not exist" : "no TXT record there")), so signatures made with selector \(selector) cannot be verified",
                            hint: publish + ", or correct dkim.selector",
                            details: ["selector": selector, "query": name])]
        case .noKey(let reason, let record):
            var details = ["selector": selector, "query": name]
            if let record { details["record"] = record }
            return [finding("dkim-no-key", .error, domain: senderDomain, field: field,
                            message: "the dkim record at \(name) has no usable key: \(reason)",
                            hint: publish + ", or point dkim.selector at the selector that signs",
                            details: details)]
        case .key(let key, let record):
            guard case .rsa(let bits) = key, bits < DKIMPublicKey.minimumRSABits else { return [] }
            return [finding("dkim-weak-key", .error, domain: senderDomain, field: field,
                            message: "the dkim key at \(name) is a \(bits)-bit rsa key; rfc 8301 requires at least \(DKIMPublicKey.minimumRSABits) bits, so verifiers ignore its signatures",
                            hint: "generate a 2048-bit rsa key, publish it as a TXT record at \(name) (or a new selector) and sign with it",
                            details: ["selector": selector, "query": name, "bits": String(bits), "record": record])]
        }
    }
}
