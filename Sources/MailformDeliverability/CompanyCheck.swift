import Foundation
import SPF

/// The checks of one `DeliverabilityInput`, over the run's shared lookups.
///
/// Each check is a function from lookup results to findings, in the
/// `CompanyCheck+…` files; this file starts all lookups at once — a domain
/// that times out then costs one timeout, not one per record type — and
/// puts the findings together.
struct CompanyCheck: Sendable {
    let company: String
    /// Normalised: lowercase, no trailing dot, IDN labels in `xn--` form.
    let senderDomain: String
    /// Normalised; nil when unset or the same as the sender domain.
    let dsarDomain: String?
    let sending: DeliverabilityInput.Sending
    let dkimSelector: String?
    let bulkSender: Bool
    let requireMTASTS: Bool
    let lookups: DeliverabilityLookups
    /// The organisational domains (RFC 9989's tree walk) of the sender
    /// domain and the providers' domains, found before the checks run.
    var organizational: [String: String] = [:]

    /// The organisational domain of a domain `run` looked up (itself otherwise).
    func organizationalDomain(_ domain: String) -> String { organizational[domain] ?? domain }

    init(_ input: DeliverabilityInput, lookups: DeliverabilityLookups) {
        company = input.company
        senderDomain = DomainNormalizer.normalize(input.senderDomain)
        let dsar = input.dsarDomain.map(DomainNormalizer.normalize)
        dsarDomain = dsar == senderDomain || dsar?.isEmpty == true ? nil : dsar
        sending = input.sending
        let selector = input.dkimSelector?.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        dkimSelector = selector?.isEmpty == true ? nil : selector
        bulkSender = input.bulkSender
        requireMTASTS = input.requireMTASTS
        self.lookups = lookups
    }

    /// The domain replies go to: the DSAR sender's when set, else the sender's.
    var replyDomain: String { dsarDomain ?? senderDomain }
    var replyField: String { dsarDomain == nil ? "sender.email" : "dsar_sender.email" }

    func run() async -> [DeliverabilityFinding] {
        // Every lookup starts at once, the organisational domains' tree walks
        // too (a domain that times out costs one timeout, not one per step).
        async let organizational = organizationalDomains()
        async let senderSPF = lookups.spf(senderDomain)
        async let dsarSPF = optionalSPF(dsarDomain)
        async let dmarc = lookups.dmarc(senderDomain)
        async let dkim = optionalDKIM()
        async let mx = lookups.mx(replyDomain)
        async let relay = optionalRelay()
        async let receiving = receivingLookups()
        async let senderMX = lookups.mx(senderDomain)

        let relayAddresses = await relay
        let suggestion = spfSuggestion(relay: relayAddresses)
        let senderResult = await senderSPF
        var findings = spfFindings(senderResult, domain: senderDomain, field: "sender.email", suggestion: suggestion)
        if let dsarDomain, let dsarResult = await dsarSPF {
            findings += spfFindings(dsarResult, domain: dsarDomain, field: "dsar_sender.email", suggestion: suggestion)
        }
        var check = self
        check.organizational = await organizational
        let provider = await check.providerFindings(senderSPF: senderResult, relay: relayAddresses)
        findings += provider.findings
        // check_host() is lazy (RFC 7208 section 4.6.4): a relay matched
        // before the 10th lookup passes, so the limit is no error for this
        // company's mail, only a risk for senders matched later.
        if case .smtp = sending, provider.spf.relaxed == .passes, let relayAddresses,
           let i = findings.firstIndex(where: { $0.id == "spf-lookup-limit" && $0.domain == senderDomain }) {
            findings[i].severity = .warning
            findings[i].message = "the spf record of \(senderDomain) needs \(senderResult.report.lookupCount) dns lookups, over rfc 7208's limit of \(senderResult.report.lookupLimit); the relay \(relayAddresses.host) is matched before the limit is reached, so its mail passes (check_host stops at the first match, rfc 7208 section 4.6.4), but receivers give permerror for any sender matched later"
        }
        let dkimResult = await dkim
        if let dkimResult { findings += dkimFindings(dkimResult) }
        let dmarcResult = await dmarc
        // RFC 9989's non-existent domain: no A, AAAA or MX (a null MX is an MX).
        let senderExists: Bool = switch await senderMX {
        case .missing(let nonexistent, let nullMX): !nonexistent && nullMX
        default: true
        }
        findings += check.dmarcFindings(dmarcResult, spf: provider.spf, selectorKey: dkimResult, senderExists: senderExists)
        if bulkSender { findings += check.bulkSenderFindings(spf: senderResult, dkim: dkimResult, dmarc: dmarcResult, provider: provider.spf) }
        findings += mxFindings(await mx)
        for (domain, field, mtaSTS, tlsRPT, domainMX) in await receiving {
            // A domain whose lookups already failed is reported once, not once per record.
            let failed = findings.contains { $0.domain == domain && ($0.id == "dns-timeout" || $0.id == "dns-servfail") }
            findings += mtaSTSFindings(domain: domain, field: field, lookup: mtaSTS, tlsRPT: tlsRPT, mx: domainMX)
                .filter { !failed || ($0.id != "dns-timeout" && $0.id != "dns-servfail") }
        }
        return findings
    }

    /// MTA-STS, TLS-RPT and MX of each receiving domain, all at once.
    private func receivingLookups() async -> [(String, String, MTASTSLookup, TLSRPTLookup, MXLookup)] {
        await withTaskGroup(of: (Int, (String, String, MTASTSLookup, TLSRPTLookup, MXLookup)).self) { group in
            for (i, (domain, field)) in receivingDomains.enumerated() where !domain.isEmpty {
                group.addTask { [lookups] in
                    async let sts = lookups.mtaSTS(domain)
                    async let rpt = lookups.tlsRPT(domain)
                    async let mx = lookups.mx(domain)
                    return (i, (domain, field, await sts, await rpt, await mx))
                }
            }
            var out: [(Int, (String, String, MTASTSLookup, TLSRPTLookup, MXLookup))] = []
            for await item in group { out.append(item) }
            return out.sorted { $0.0 < $1.0 }.map(\.1)
        }
    }

    /// The organisational domains alignment compares: the sender domain's,
    /// and the provider's configured domain's (it signs as that domain).
    /// Only names from the files are looked up, never one from a provider's
    /// answer: a server that got the API key could spell it in a name, and
    /// the query would carry it to every resolver on the way.
    private func organizationalDomains() async -> [String: String] {
        var domains = [senderDomain]
        if case .api(let api) = sending {
            domains.append(DomainNormalizer.normalize(api.domain))
        }
        return await withTaskGroup(of: (String, String).self) { group in
            for domain in Set(domains) { group.addTask { (domain, await lookups.organizationalDomain(domain)) } }
            var out: [String: String] = [:]
            for await (domain, organizational) in group { out[domain] = organizational }
            return out
        }
    }

    private func optionalSPF(_ domain: String?) async -> SPFDomainResult? {
        guard let domain else { return nil }
        return await lookups.spf(domain)
    }

    private func optionalDKIM() async -> DKIMLookup? {
        guard let dkimSelector else { return nil }
        return await lookups.dkim(selector: dkimSelector, domain: senderDomain)
    }

    private func optionalRelay() async -> RelayAddresses? {
        guard case .smtp(let host) = sending else { return nil }
        let name = DomainNormalizer.normalize(host)
        guard !name.isEmpty else { return nil }
        return await lookups.relay(name)
    }

    // MARK: Building findings

    func finding(_ id: String, _ severity: DeliverabilityFinding.Severity, domain: String, field: String,
                 message: String, hint: String, record: String? = nil, details: [String: String] = [:]) -> DeliverabilityFinding {
        DeliverabilityFinding(id: id, severity: severity, company: company, domain: domain, field: field,
                              message: message, hint: hint, record: record, details: details)
    }

    /// `dns-timeout`/`dns-servfail` for a lookup that got no answer: an error,
    /// because the check it belongs to could not be done.
    func dnsFinding(_ problem: DNSProblem, domain: String, field: String, purpose: String) -> DeliverabilityFinding {
        finding(problem.findingID, .error, domain: domain, field: field,
                message: "\(problem.message), so the \(purpose) could not be checked",
                hint: "make sure the name servers of \(problem.name) answer \(problem.type) queries for it (or pass a working --dns-server), then run the check again",
                details: ["query": "\(problem.name) \(problem.type)"])
    }
}
