import SPF

/// SPF of the sender domain and the DSAR domain: the record must exist,
/// parse, and stay within RFC 7208's 10 lookups, or receivers ignore it.
extension CompanyCheck {
    /// The record to publish when a domain has none, by how the company sends;
    /// nil when it cannot be computed (relay not resolved, no platform include).
    func spfSuggestion(relay: RelayAddresses?) -> String? {
        switch sending {
        case .api(let api):
            return "v=spf1 include:\(api.spfInclude) ~all"
        case .platform(let include):
            guard let include = include.map(DomainNormalizer.normalize), !include.isEmpty else { return nil }
            return "v=spf1 include:\(include) ~all"
        case .smtp:
            guard let relay, !relay.addresses.isEmpty else { return nil }
            return "v=spf1 " + relay.addresses.map(Self.spfTerm).joined(separator: " ") + " ~all"
        }
    }

    /// `ip4:192.0.2.1` or `ip6:2001:db8::1`.
    static func spfTerm(_ address: IPAddress) -> String {
        (address.family == .v4 ? "ip4:" : "ip6:") + address.description
    }

    /// `record` with `terms` added right after `v=spf1`, where they are
    /// evaluated before any `all`.
    static func spfRecord(_ record: String, adding terms: [String]) -> String {
        var parts = record.split(separator: " ").map(String.init)
        parts.insert(contentsOf: terms, at: parts.isEmpty ? 0 : 1)
        return parts.joined(separator: " ")
    }

    func spfFindings(_ result: SPFDomainResult, domain: String, field: String, suggestion: String?) -> [DeliverabilityFinding] {
        let report = result.report
        var details = ["lookups": String(report.lookupCount), "lookup_limit": String(report.lookupLimit)]
        if let record = report.record { details["record"] = record }
        switch report.status {
        case .temperror:
            // The analysis stopped at a DNS failure: report the failure, not
            // the half-analysed record (a retry may find it fine).
            return result.failures.map { dnsFinding($0, domain: domain, field: field, purpose: "spf record of \(domain)") }
        case .none:
            // The analyser says "no spf record is published", or that the domain does not exist.
            let fact = report.errors.first.map { "\(domain): \($0.message)" } ?? "\(domain): no spf record is published"
            return [finding("spf-missing", .warning, domain: domain, field: field,
                            message: "\(fact), so receivers cannot tell its mail from forgeries",
                            hint: "add a TXT record at \(domain) that starts with v=spf1 and authorises the servers that send its mail",
                            record: suggestion.map { RecordText.txt(domain, $0) }, details: details)]
        case .valid, .permerror:
            var findings: [DeliverabilityFinding] = []
            let limitMessage = "spf record uses \(report.lookupCount) lookups, over the limit of \(report.lookupLimit)"
            if report.exceedsLookupLimit {
                findings.append(finding("spf-lookup-limit", .error, domain: domain, field: field,
                                        message: "the spf record of \(domain) needs \(report.lookupCount) dns lookups, over rfc 7208's limit of \(report.lookupLimit), so receivers get permerror",
                                        hint: "change the spf TXT record of \(domain): replace nested include: terms with the ip4:/ip6: ranges they stand for, or drop services that no longer send, until it needs at most \(report.lookupLimit) lookups",
                                        details: details))
            }
            let errors = report.errors.filter { $0.message != limitMessage }
            if !errors.isEmpty {
                let described = errors.map { $0.domain == domain ? $0.message : "\($0.domain): \($0.message)" }
                findings.append(finding("spf-invalid", .error, domain: domain, field: field,
                                        message: "the spf record of \(domain) is broken, so receivers get permerror: " + described.joined(separator: "; "),
                                        hint: "fix the spf TXT record of \(domain)" + (errors[0].domain == domain ? "" : " (or the record of \(errors[0].domain) it includes)")
                                            + ": " + errors[0].message,
                                        details: details))
            }
            return findings
        }
    }
}
