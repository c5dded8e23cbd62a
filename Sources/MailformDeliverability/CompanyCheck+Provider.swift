import SPF

/// The checks that depend on how the company sends: the relay must be
/// authorised by SPF, the platform's include must be in the record, and an
/// HTTP-API provider's records must be valid and its domain aligned with the sender.
extension CompanyCheck {
    func providerFindings(senderSPF: SPFDomainResult, relay: RelayAddresses?) async -> (findings: [DeliverabilityFinding], spf: ProviderSPF) {
        switch sending {
        case .smtp(let host):
            guard let relay else {
                return ([], ProviderSPF(.unknown))
            }
            return await relayFindings(host: host, relay: relay, senderSPF: senderSPF)
        case .platform(let include):
            return platformFindings(include: include, senderSPF: senderSPF)
        case .api(let api):
            return apiFindings(api)
        }
    }

    // MARK: SMTP relay

    /// Runs `check_host()` for every address of the relay: a relay whose
    /// submission address SPF does not cover usually sends from another
    /// address, or mail from it fails SPF.
    private func relayFindings(host: String, relay: RelayAddresses, senderSPF: SPFDomainResult) async -> ([DeliverabilityFinding], ProviderSPF) {
        var findings = relay.failures.map { dnsFinding($0, domain: senderDomain, field: "smtp.host", purpose: "relay \(relay.host)") }
        guard !relay.addresses.isEmpty else {
            if relay.failures.isEmpty {
                findings.append(finding("smtp-host-unresolved", .warning, domain: senderDomain, field: "smtp.host",
                                        message: relay.nonexistent ? "smtp host \(relay.host) does not exist in dns, so whether spf authorises it cannot be checked"
                                                                   : "smtp host \(relay.host) has no a or aaaa records, so whether spf authorises it cannot be checked",
                                        hint: "correct smtp.host, or add A/AAAA records for \(relay.host)",
                                        details: ["host": relay.host]))
            }
            return (findings, ProviderSPF(.unknown))
        }
        let report = senderSPF.report
        switch report.status {
        case .temperror:
            return (findings, ProviderSPF(.unknown)) // already reported as a dns finding
        case .none:
            return (findings, ProviderSPF(.fails("\(senderDomain) publishes no spf record")))
        case .valid, .permerror:
            break
        }
        var unauthorised: [(IPAddress, SPFResult)] = []
        var unknown = false
        for address in relay.addresses {
            let result = await lookups.checkHost(ip: address, domain: senderDomain, helo: relay.host)
            switch result.code {
            case .pass:
                continue
            case .temperror:
                unknown = true
                let reason = result.reason ?? "a dns lookup failed"
                let id = reason.contains("timed out") ? "dns-timeout" : "dns-servfail"
                findings.append(finding(id, .error, domain: senderDomain, field: "smtp.host",
                                        message: "the spf check of relay \(relay.host) (\(address)) for \(senderDomain) stopped: \(reason)",
                                        hint: "make sure the name servers of the domains in the spf record of \(senderDomain) answer, then run the check again",
                                        details: ["address": address.description]))
            default:
                unauthorised.append((address, result))
            }
        }
        if report.status == .permerror {
            // spf-invalid or spf-lookup-limit says why; receivers fail it all.
            return (findings, ProviderSPF(unauthorised.isEmpty ? (unknown ? .unknown : .passes)
                                                               : .fails("the spf record of \(senderDomain) is broken (permerror)")))
        }
        guard !unauthorised.isEmpty else {
            return (findings, ProviderSPF(unknown ? .unknown : .passes))
        }
        let listed = unauthorised.map { "\($0.0) (\($0.1.code.rawValue))" }.joined(separator: ", ")
        let terms = unauthorised.map { Self.spfTerm($0.0) }
        findings.append(finding("spf-relay-not-authorized", .warning, domain: senderDomain, field: "smtp.host",
                                message: "the spf record of \(senderDomain) does not authorise smtp host \(relay.host) at \(listed); the relay's outbound address may differ from its submission address, but if it sends from there, its mail fails spf",
                                hint: "add \(terms.joined(separator: " ")) (or the relay provider's include:) to the spf TXT record of \(senderDomain), after checking which addresses the relay really sends from",
                                record: report.record.map { RecordText.txt(senderDomain, Self.spfRecord($0, adding: terms)) },
                                details: ["addresses": unauthorised.map { $0.0.description }.joined(separator: " "),
                                          "results": unauthorised.map { $0.1.code.rawValue }.joined(separator: " ")]))
        return (findings, ProviderSPF(.fails("the spf record of \(senderDomain) does not authorise the relay \(relay.host) (\(listed))")))
    }

    // MARK: Platform

    /// The platform's servers are authorised only through its include, which
    /// may sit in a nested include of the sender's record.
    private func platformFindings(include: String?, senderSPF: SPFDomainResult) -> ([DeliverabilityFinding], ProviderSPF) {
        guard let include = include.map(DomainNormalizer.normalize), !include.isEmpty else {
            return ([finding("platform-spf-include-unset", .note, domain: senderDomain, field: "provider",
                             message: "the platform's spf include is not configured, so whether the spf record of \(senderDomain) authorises the platform was not checked",
                             hint: "set the platform's spf include in the workspace so the check can look for it in the spf TXT record of \(senderDomain)")],
                    ProviderSPF(.unknown))
        }
        let report = senderSPF.report
        switch report.status {
        case .temperror:
            return ([], ProviderSPF(.unknown))
        case .none:
            return ([], ProviderSPF(.fails("\(senderDomain) publishes no spf record")))
        case .valid, .permerror:
            break
        }
        guard Self.reaches(report, include: include) else {
            return ([finding("spf-platform-include-missing", .error, domain: senderDomain, field: "sender.email",
                             message: "the spf record of \(senderDomain) does not include \(include), so mail the platform sends for it fails spf",
                             hint: "add include:\(include) to the spf TXT record of \(senderDomain)",
                             record: report.record.map { RecordText.txt(senderDomain, Self.spfRecord($0, adding: ["include:\(include)"])) },
                             details: ["include": include, "lookups": String(report.lookupCount)])],
                    ProviderSPF(.fails("the spf record of \(senderDomain) does not include \(include)")))
        }
        if report.status == .permerror {
            return ([], ProviderSPF(.fails("the spf record of \(senderDomain) is broken (permerror)")))
        }
        return ([], ProviderSPF(.passes))
    }

    /// Whether `include` is the target of an `include:` (or `redirect=`) in
    /// the record or anything it includes.
    static func reaches(_ report: SPFRecordReport, include: String) -> Bool {
        var pending = [report]
        while let node = pending.popLast() {
            if node.term != nil, DomainNormalizer.normalize(node.domain) == include { return true }
            if let text = node.record, let record = try? SPFRecord(parsing: text) {
                let targets = record.directives.compactMap { directive -> String? in
                    if case .include(let spec) = directive.mechanism { return spec.text }
                    return nil
                } + [record.redirect?.text].compactMap { $0 }
                if targets.contains(where: { DomainNormalizer.normalize($0) == include }) { return true }
            }
            pending += node.children
        }
        return false
    }

    // MARK: HTTP-API providers

    /// The provider signs with and bounces to its own domain (Mailgun's
    /// `mg.acme.com`, SendGrid's authenticated domain): the records it lists
    /// must be valid, and that domain must share the sender's organisational
    /// domain for DMARC to count its SPF and DKIM.
    private func apiFindings(_ api: DeliverabilityInput.APISending) -> ([DeliverabilityFinding], ProviderSPF) {
        let (name, records) = (api.provider, api.records)
        let providerDomain = DomainNormalizer.normalize(api.domain)
        var findings: [DeliverabilityFinding] = []
        for record in records ?? [] where record.valid == false {
            findings.append(finding("\(name)-dns-record-invalid", .error, domain: providerDomain, field: "\(name).domain",
                                    message: "\(name) reports its \(record.recordType.uppercased()) record at \(DomainNormalizer.normalize(record.name)) as not valid, so \(record.isDKIMKey ? "\(name) signs with a key receivers cannot find" : "\(name) does not treat \(providerDomain) as set up")",
                                    hint: "publish the \(record.recordType.uppercased()) record at \(DomainNormalizer.normalize(record.name)) exactly as \(name) lists it, then verify the domain in \(name)",
                                    record: record.zoneLine,
                                    details: ["type": record.recordType.uppercased(), "name": DomainNormalizer.normalize(record.name), "value": record.value]))
        }
        let relaxedAligned = organizationalDomain(providerDomain) == organizationalDomain(senderDomain)
        if !relaxedAligned {
            findings.append(finding("\(name)-not-aligned", .warning, domain: senderDomain, field: "\(name).domain",
                                    message: "\(name) domain \(providerDomain) is not under the organisational domain of \(senderDomain), so dmarc cannot count \(name)'s spf or dkim for mail from \(senderDomain)",
                                    hint: "send through a \(name) domain under \(organizationalDomain(senderDomain)) (such as mg.\(senderDomain)) and publish the records \(name) lists for it",
                                    details: ["\(name)_domain": providerDomain, "organizational_domain": organizationalDomain(senderDomain)]))
        }
        let brokenSPF = (records ?? []).contains { $0.isSPF && $0.valid == false }
        func status(aligned: Bool, mode: String) -> DMARCAuthentication {
            if brokenSPF { return .fails("\(name) reports the spf record of \(providerDomain) as not valid") }
            return aligned ? .passes : .fails("\(name)'s envelope domain \(providerDomain) is not aligned with \(senderDomain) (\(mode))")
        }
        return (findings, ProviderSPF(relaxed: status(aligned: relaxedAligned, mode: "aspf=r"),
                                      strict: status(aligned: providerDomain == senderDomain, mode: "aspf=s")))
    }
}
