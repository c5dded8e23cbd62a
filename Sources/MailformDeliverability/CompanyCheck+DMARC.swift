/// DMARC of the sender domain (RFC 7489): bulk-sender rules require a record,
/// it must parse, and a reject or quarantine policy with neither aligned SPF
/// nor an aligned DKIM key means the company's mail will not arrive.
extension CompanyCheck {
    /// - Parameter senderExists: false when the sender domain has no A, AAAA
    ///   or MX record (RFC 9989's non-existent domain: `np=` applies to it).
    func dmarcFindings(_ lookup: DMARCLookup, spf: ProviderSPF, selectorKey: DKIMLookup?, senderExists: Bool = true) -> [DeliverabilityFinding] {
        let field = "sender.email"
        let suggestionValue = "v=DMARC1; p=none; rua=mailto:dmarc@\(senderDomain)"
        switch lookup {
        case .failure(let problem):
            return [dnsFinding(problem, domain: senderDomain, field: field, purpose: "dmarc policy of \(senderDomain)")]
        case .missing(let asked, let ignored):
            if let first = ignored.first {
                // Receivers ignore it (RFC 9989 section 4.7): there is no policy, whatever it says.
                return [finding("dmarc-missing", .warning, domain: senderDomain, field: field,
                                message: "\(senderDomain) publishes no dmarc record receivers apply: _dmarc.\(first.at) has \"\(first.text.prefix(120))\", \(DMARCRecord.ignoredReason(first.text) ?? "which is not a dmarc record"), so receivers ignore it",
                                hint: "start the TXT record at _dmarc.\(first.at) with v=DMARC1; (in capitals, then a semicolon)",
                                record: RecordText.txt("_dmarc." + first.at, "v=DMARC1" + first.text.drop { $0 != ";" }),
                                details: ["record_domain": first.at, "record": first.text])]
            }
            return [finding("dmarc-missing", .warning, domain: senderDomain, field: field,
                            message: "\(senderDomain) publishes no dmarc record (none at \(asked.joined(separator: " or "))); bulk-sender rules (gmail, yahoo) require one",
                            hint: "add a TXT record at _dmarc.\(senderDomain), starting with p=none to collect reports before enforcing",
                            record: RecordText.txt("_dmarc." + senderDomain, suggestionValue))]
        case .several(let count, let at):
            // Receivers discard them all: no DMARC, as with no record (a warning).
            return [finding("dmarc-invalid", .warning, domain: senderDomain, field: field,
                            message: "_dmarc.\(at) has \(count) dmarc records; receivers discard them all, so no dmarc policy applies",
                            hint: "keep exactly one TXT record starting with v=DMARC1 at _dmarc.\(at)",
                            details: ["record_domain": at])]
        case .found(let record, let at, let discarded):
            var findings = discarded.map { name, count in
                finding("dmarc-invalid", .warning, domain: senderDomain, field: field,
                        message: "_dmarc.\(name) has \(count) dmarc records; receivers discard them all and apply the record at _dmarc.\(at)",
                        hint: "keep exactly one TXT record starting with v=DMARC1 at _dmarc.\(name), or none",
                        details: ["record_domain": name])
            }
            findings += foundDMARC(record, at: at, spf: spf, selectorKey: selectorKey, suggestionValue: suggestionValue, senderExists: senderExists)
            return findings
        }
    }

    private func foundDMARC(_ record: DMARCRecord, at: String, spf: ProviderSPF, selectorKey: DKIMLookup?,
                            suggestionValue: String, senderExists: Bool) -> [DeliverabilityFinding] {
        let field = "sender.email"
        let isSubdomain = at != senderDomain
        let effective = record.effectivePolicy(forSubdomain: isSubdomain, nonExistent: !senderExists)
        var details = ["record_domain": at, "record": record.text, "t": record.testMode ? "y" : "n",
                       "adkim": record.dkimAlignment.rawValue, "aspf": record.spfAlignment.rawValue]
        if let policy = record.policy { details["p"] = policy.rawValue }
        if let policy = record.subdomainPolicy ?? record.policy { details["sp"] = policy.rawValue }
        if let policy = record.nonExistentPolicy { details["np"] = policy.rawValue }
        if let effective { details["policy"] = effective.rawValue }

        var findings: [DeliverabilityFinding] = []
        if !record.problems.isEmpty {
            let fixed = record.policy == nil
                ? "v=DMARC1; p=none; rua=" + (record.aggregateReports ?? "mailto:dmarc@\(senderDomain)")
                : nil
            findings.append(finding("dmarc-invalid", .error, domain: senderDomain, field: field,
                                    message: "the dmarc record at _dmarc.\(at) is invalid: " + record.problems.joined(separator: "; "),
                                    hint: "fix the TXT record at _dmarc.\(at): " + record.problems[0],
                                    record: fixed.map { RecordText.txt("_dmarc." + at, $0) }, details: details))
        }
        if !record.policyProblems.isEmpty {
            let what = record.policyProblems.joined(separator: "; ")
            findings.append(finding("dmarc-invalid", .warning, domain: senderDomain, field: field,
                                    message: "the dmarc record at _dmarc.\(at) has no valid policy (\(what)), so receivers "
                                        + (record.actsAsNone ? "act as if it said p=none (its rua= has an address)" : "apply no dmarc to its mail (it has no rua= address either)"),
                                    hint: "set p= to none, quarantine or reject in the TXT record at _dmarc.\(at)"
                                        + (record.policyProblems.contains { $0.hasPrefix("sp=") || $0.hasPrefix("np=") } ? ", and sp=/np= too" : ""),
                                    record: RecordText.txt("_dmarc." + at, "v=DMARC1; p=none; rua=" + (record.aggregateReports ?? "mailto:dmarc@\(senderDomain)")),
                                    details: details))
        }
        if !record.ignored.isEmpty {
            findings.append(finding("dmarc-tag-ignored", .warning, domain: senderDomain, field: field,
                                    message: "the dmarc record at _dmarc.\(at) has values receivers ignore, using the tag's default instead: " + record.ignored.joined(separator: "; "),
                                    hint: "fix the TXT record at _dmarc.\(at): " + record.ignored[0],
                                    details: details))
        }
        if !record.removedTags.isEmpty {
            let tags = record.removedTags.map { "\($0.name)=\($0.value)" }.joined(separator: ", ")
            let pct = record.removedTags.contains { $0.name == "pct" }
            findings.append(finding("dmarc-removed-tag", .warning, domain: senderDomain, field: field,
                                    message: "the dmarc record at _dmarc.\(at) carries \(tags), which RFC 9989 removed: receivers ignore \(record.removedTags.count == 1 ? "it" : "them")"
                                        + (pct ? " and apply the policy to all mail" : ""),
                                    hint: "remove \(record.removedTags.map { $0.name + "=" }.joined(separator: " and ")) from the TXT record at _dmarc.\(at)"
                                        + (pct ? "; to test a policy before enforcing it, use t=y" : ""),
                                    details: details))
        }
        guard let effective, effective != .none else { return findings }
        guard case .fails(let spfReason) = spf.under(record.spfAlignment),
              case .fails(let dkimReason) = dkimAuthentication(mode: record.dkimAlignment, selectorKey: selectorKey) else {
            return findings
        }
        let outcome = effective == .reject ? "rejected" : "quarantined (sent to spam)"
        let policyTag = isSubdomain && !senderExists && record.nonExistentPolicy != nil ? "np=\(effective.rawValue) (\(senderDomain) does not exist)"
            : isSubdomain && record.subdomainPolicy != nil ? "sp=\(effective.rawValue)" : "p=\(effective.rawValue)"
        if record.testMode {
            // Receivers are asked not to apply it: a warning of what ending the test does.
            findings.append(finding("dmarc-test-mode", .warning, domain: senderDomain, field: field,
                                    message: "the dmarc record at _dmarc.\(at) says \(policyTag) with t=y (testing: receivers are asked not to apply it); once t=y is removed, mail will be \(outcome): \(spfReason), and \(dkimReason)",
                                    hint: "authorise the sending servers in the spf TXT record of \(senderDomain) or publish an aligned DKIM key before removing t=y from _dmarc.\(at)",
                                    details: details))
            return findings
        }
        findings.append(finding("dmarc-reject-misaligned", .error, domain: senderDomain, field: field,
                                message: "mail will be \(outcome): the dmarc record at _dmarc.\(at) says \(policyTag), but \(spfReason), and \(dkimReason)",
                                hint: "authorise the sending servers in the spf TXT record of \(senderDomain) or "
                                    + (dkimSelector.map { "publish a usable DKIM key at \($0)._domainkey.\(senderDomain)" }
                                       ?? "publish an aligned DKIM key (TXT at <selector>._domainkey.\(senderDomain)) and set dkim.selector")
                                    + "; until then set p=none in the TXT record at _dmarc.\(at)",
                                details: details))
        return findings
    }

    /// Whether an aligned DKIM signature can be expected under `mode`: from
    /// the configured selector's key (signed as the sender domain), or from
    /// the DKIM record an HTTP-API provider signs with.
    func dkimAuthentication(mode: DMARCAlignment, selectorKey: DKIMLookup?) -> DMARCAuthentication {
        var reasons: [String] = []
        var unknown = false
        if let selectorKey, let dkimSelector {
            let name = "\(dkimSelector)._domainkey.\(senderDomain)"
            switch selectorKey {
            case .key(let key, _):
                if selectorKey.isUsable { return .passes }
                if case .rsa(let bits) = key { reasons.append("the dkim key at \(name) is \(bits) bits, too weak for verifiers") }
            case .missing: reasons.append("there is no dkim key at \(name)")
            case .noKey(let reason, _): reasons.append("the dkim key at \(name) is unusable (\(reason))")
            case .failure: unknown = true
            }
        } else if case .api = sending {
            // The provider signs on its own; its records below decide.
        } else {
            reasons.append("no dkim key is known (dkim.selector is not set)")
        }
        if case .api(let api) = sending {
            let (name, records) = (api.provider, api.records)
            let providerDomain = DomainNormalizer.normalize(api.domain)
            let dkimRecords = (records ?? []).filter(\.isDKIMKey)
            // The provider signs for its configured domain; no name from its
            // answer is looked up (a name can carry what the server was sent).
            let signingDomain = providerDomain
            let aligned = mode == .strict ? signingDomain == senderDomain
                : organizationalDomain(signingDomain) == organizationalDomain(senderDomain)
            if !aligned {
                reasons.append("\(name) signs as \(signingDomain), which is not aligned with \(senderDomain) (adkim=\(mode.rawValue))")
            } else if records == nil {
                unknown = true
            } else if dkimRecords.isEmpty {
                reasons.append("\(name)'s records for \(providerDomain) list no dkim key")
            } else if dkimRecords.contains(where: { $0.valid != false }) {
                return .passes
            } else {
                reasons.append("\(name) reports its dkim record for \(providerDomain) as not valid")
            }
        }
        if unknown { return .unknown }
        return .fails(reasons.joined(separator: ", and "))
    }
}
