/// The rules Gmail and Yahoo (February 2024) and Microsoft (May 2025) set
/// for domains that send 5,000 messages a day or more: SPF and DKIM both
/// set up, a DMARC record (p=none at least), and mail that passes DMARC
/// (SPF or DKIM aligned with the From domain). On with `probe.bulk_sender`:
/// one warning lists what the sender domain lacks; the finding of each part
/// (spf-…, dkim-…, dmarc-…) says how to fix it.
extension CompanyCheck {
    static let bulkSenderRules = "https://support.google.com/a/answer/81126, https://senders.yahooinc.com/best-practices/, https://techcommunity.microsoft.com/blog/microsoftdefenderforoffice365blog/strengthening-email-ecosystem-outlook%E2%80%99s-new-requirements-for-high%E2%80%90volume-senders/4399730"

    func bulkSenderFindings(spf: SPFDomainResult, dkim: DKIMLookup?, dmarc: DMARCLookup, provider: ProviderSPF) -> [DeliverabilityFinding] {
        // A lookup that failed decides nothing here: its own finding says so.
        if !spf.failures.isEmpty || spf.report.status == .temperror { return [] }
        if case .failure = dmarc { return [] }
        if case .failure? = dkim { return [] }
        if case .unknown = provider.under(.relaxed) { return [] }
        var missing: [String] = []
        if spf.report.status == .none { missing.append("no spf record") }
        let providerSigns: Bool = { if case .api = sending { return true } else { return false } }()
        switch dkim {
        case .key?: break
        case nil where providerSigns: break
        default: missing.append("no usable dkim key" + (dkimSelector == nil && !providerSigns ? " (dkim.selector is not set)" : ""))
        }
        switch dmarc {
        case .found(let record, _, _) where record.policy != nil: break
        default: missing.append("no dmarc record with a policy (p=none at least)")
        }
        let spfAligned: Bool = { if case .passes = provider.under(.relaxed) { return true } else { return false } }()
        let dkimAligned: Bool = { if case .passes = dkimAuthentication(mode: .relaxed, selectorKey: dkim) { return true } else { return false } }()
        if !spfAligned && !dkimAligned { missing.append("neither spf nor dkim aligned with the from domain, so mail fails dmarc") }
        guard !missing.isEmpty else { return [] }
        return [finding("bulk-sender-requirements", .warning, domain: senderDomain, field: "sender.email",
                        message: "mail from \(senderDomain) does not meet the bulk-sender rules of gmail, yahoo and microsoft (5,000 messages a day or more): " + missing.joined(separator: "; "),
                        hint: Self.bulkSenderHint(missing: missing, domain: senderDomain, selector: dkimSelector),
                        details: ["missing": missing.joined(separator: "; ")])]
    }

    /// One step per thing missing, in the order of the message.
    static func bulkSenderHint(missing: [String], domain: String, selector: String?) -> String {
        var steps: [String] = []
        for item in missing {
            if item.hasPrefix("no spf") { steps.append("publish an spf TXT record at \(domain) that authorises the servers that send its mail") }
            if item.hasPrefix("no usable dkim") {
                steps.append(selector.map { "publish a usable DKIM key at \($0)._domainkey.\(domain)" }
                             ?? "publish a DKIM key for \(domain) and set dkim.selector")
            }
            if item.hasPrefix("no dmarc") { steps.append("publish a TXT record at _dmarc.\(domain): v=DMARC1; p=none at least") }
            if item.hasPrefix("neither") { steps.append("send so that spf or dkim aligns with \(domain)") }
        }
        return steps.joined(separator: "; ") + " (rules: \(bulkSenderRules))"
    }
}
