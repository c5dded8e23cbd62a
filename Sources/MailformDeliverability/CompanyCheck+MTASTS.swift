import Foundation

/// MTA-STS (RFC 8461) and TLS-RPT (RFC 8460) of the domains that receive
/// mail: the sender's (bounces, replies) and the DSAR sender's (the data
/// subjects' replies). Without MTA-STS, an attacker on the path can strip
/// STARTTLS and read that mail; a policy whose `mx` lines do not match the
/// domain's MX makes senders that enforce it refuse to deliver.
extension CompanyCheck {
    /// The domains checked, with the field each finding points at.
    var receivingDomains: [(domain: String, field: String)] {
        [(senderDomain, "sender.email")] + (dsarDomain.map { [($0, "dsar_sender.email")] } ?? [])
    }

    func mtaSTSFindings(domain: String, field: String, lookup: MTASTSLookup, tlsRPT: TLSRPTLookup, mx: MXLookup) -> [DeliverabilityFinding] {
        var findings: [DeliverabilityFinding] = []
        let policyURL = "https://mta-sts.\(domain)/.well-known/mta-sts.txt"
        let exchanges: [String] = if case .records(let records, _) = mx {
            records.map { $0.exchange.hasSuffix(".") ? String($0.exchange.dropLast()) : $0.exchange }.map { $0.lowercased() }
        } else { [] }
        let suggestedMX = exchanges.isEmpty ? ["mail.\(domain)"] : Array(Set(exchanges)).sorted().prefix(10).map { $0 }
        let suggestedPolicy = (["version: STSv1", "mode: testing"] + suggestedMX.map { "mx: \($0)" } + ["max_age: 604800"]).joined(separator: "\\n")
        let record = "_mta-sts.\(domain) TXT \"v=STSv1; id=\(Self.policyID(now: lookups.now))\""
        var published = false
        switch lookup {
        case .failure(let problem):
            findings.append(dnsFinding(problem, domain: domain, field: field, purpose: "mta-sts record of \(domain)"))
        case .missing:
            guard requireMTASTS else { break }
            findings.append(finding("mta-sts-missing", .warning, domain: domain, field: field,
                message: "\(domain) publishes no mta-sts policy (_mta-sts.\(domain) has no v=STSv1 record), so mail to it can be sent without tls by anyone who strips starttls on the way",
                hint: "publish the TXT record and serve the policy at \(policyURL) (text/plain, \"\(suggestedPolicy)\"); start with mode: testing (or set probe.require_mta_sts: false)",
                record: record, details: ["query": "_mta-sts.\(domain) TXT"]))
        case .invalidRecord(let text, let why):
            findings.append(finding("mta-sts-record-invalid", .warning, domain: domain, field: field,
                message: "the mta-sts record of \(domain) is discarded by senders: \(why), so its policy is not used",
                hint: "publish exactly one record at _mta-sts.\(domain): v=STSv1; id= and 1 to 32 letters and digits",
                record: record, details: ["query": "_mta-sts.\(domain) TXT", "found": SafeLine.excerpt(text, limit: 200)]))
        case .published(_, let policy):
            published = true
            findings += policyFindings(policy, domain: domain, field: field, url: policyURL, suggestedPolicy: suggestedPolicy, exchanges: exchanges)
        }
        findings += tlsRPTFindings(tlsRPT, domain: domain, field: field, mtaSTS: published)
        return findings
    }

    private func policyFindings(_ policy: MTASTSLookup.PolicyState, domain: String, field: String, url: String, suggestedPolicy: String,
                                exchanges: [String]) -> [DeliverabilityFinding] {
        var findings: [DeliverabilityFinding] = []
        let details = ["query": "_mta-sts.\(domain) TXT", "policy": url]
        func expiring(_ expiry: Date?) {
            guard let expiry, lookups.certWarningDays > 0 else { return }
            let days = Int((expiry.timeIntervalSince(lookups.now) / 86_400).rounded(.down))
            guard days < lookups.certWarningDays, days >= 0 else { return }
            let date = ISO8601DateFormatter.string(from: expiry, timeZone: TimeZone(identifier: "UTC")!, formatOptions: [.withFullDate])
            findings.append(finding("mta-sts-cert-expiring", .warning, domain: domain, field: field,
                message: "the certificate of mta-sts.\(domain) expires on \(date) (\(days) day\(days == 1 ? "" : "s") left); after that senders cannot fetch the mta-sts policy",
                hint: "renew the certificate of mta-sts.\(domain) before \(date) (probe.cert_warning_days sets how early this warns)",
                details: details.merging(["expires": date, "days_left": String(days)]) { a, _ in a }))
        }
        switch policy {
        case .notFetched:
            break
        case .hostUnresolved(let problem):
            if let problem {
                findings.append(dnsFinding(problem, domain: domain, field: field, purpose: "mta-sts policy host of \(domain)"))
            } else {
                findings.append(finding("mta-sts-policy-unavailable", .warning, domain: domain, field: field,
                    message: "\(domain) publishes an mta-sts record, but mta-sts.\(domain) has no address, so senders cannot fetch its policy and use none",
                    hint: "point mta-sts.\(domain) (A/AAAA) at an HTTPS server that serves \(url)", details: details))
            }
        case .notChecked(let why):
            findings.append(finding("mta-sts-not-checked", .error, domain: domain, field: field,
                message: "the mta-sts policy of \(domain) was not checked (\(why)), so whether senders can deliver to its mx hosts is unknown",
                hint: "raise probe.deadline (or --deadline), or probe fewer companies at once, and run the check again", details: details))
        case .unavailable(let why, let expiry):
            expiring(expiry)
            findings.append(finding("mta-sts-policy-unavailable", .warning, domain: domain, field: field,
                message: "\(domain) publishes an mta-sts record, but its policy could not be fetched from \(url): \(why); senders without a cached policy use none",
                hint: "serve the policy at \(url) over HTTPS with a valid certificate for mta-sts.\(domain), HTTP 200 and no redirect"
                    + (why.lowercased().contains("certificate") ? " (a certificate from a private CA: pass the CA with --ca-file or probe.ca_file)" : ""),
                details: details))
        case .invalid(let why, let expiry):
            expiring(expiry)
            findings.append(finding("mta-sts-policy-invalid", .warning, domain: domain, field: field,
                message: "the mta-sts policy at \(url) is discarded by senders: \(why)",
                hint: "serve a policy of the form \"\(suggestedPolicy)\" as text/plain", details: details))
        case .found(let found, let expiry):
            expiring(expiry)
            switch found.mode {
            case .testing:
                findings.append(finding("mta-sts-testing", .note, domain: domain, field: field,
                    message: "the mta-sts policy of \(domain) is in testing mode: senders report tls failures but still deliver without tls",
                    hint: "once TLS reports show no failures, set mode: enforce in \(url) and change the id= of _mta-sts.\(domain)", details: details))
            case .none:
                findings.append(finding("mta-sts-none", .note, domain: domain, field: field,
                    message: "the mta-sts policy of \(domain) has mode none: the domain has withdrawn its policy, and senders use none",
                    hint: "set mode: testing or enforce in \(url) to protect mail to \(domain) again", details: details))
            case .enforce:
                break
            }
            if found.mode != .none {
                let unmatched = exchanges.filter { !found.allows($0) }
                if !unmatched.isEmpty {
                    // Senders deliver to a matching MX when there is one: an
                    // unmatched backup is a risk, all unmatched is refused mail.
                    let enforce = found.mode == .enforce && unmatched.count == exchanges.count
                    let list = unmatched.prefix(5).joined(separator: ", ") + (unmatched.count > 5 ? " and \(unmatched.count - 5) more" : "")
                    findings.append(finding("mta-sts-mx-mismatch", enforce ? .error : .warning, domain: domain, field: field,
                        message: "the mx host\(unmatched.count == 1 ? "" : "s") \(list) of \(domain) match\(unmatched.count == 1 ? "es" : "") no mx line of its mta-sts policy (\(found.mx.prefix(5).joined(separator: ", "))\(found.mx.count > 5 ? " and \(found.mx.count - 5) more" : "")), so "
                            + (enforce ? "senders that enforce mta-sts refuse to deliver mail to \(unmatched.count == 1 ? "it" : "them")"
                               : found.mode == .enforce ? "senders that enforce mta-sts refuse \(unmatched.count == 1 ? "it" : "them") when the matching mx is down"
                               : "senders report each delivery to \(unmatched.count == 1 ? "it" : "them") as a failure"),
                        hint: "add an mx line for each MX host to \(url) (\(unmatched.prefix(3).map { "mx: \($0)" }.joined(separator: ", "))) and change the id= of _mta-sts.\(domain)",
                        details: details.merging(["mx": unmatched.prefix(10).joined(separator: " ")]) { a, _ in a }))
                }
            }
        }
        return findings
    }

    private func tlsRPTFindings(_ lookup: TLSRPTLookup, domain: String, field: String, mtaSTS: Bool) -> [DeliverabilityFinding] {
        let record = "_smtp._tls.\(domain) TXT \"v=TLSRPTv1; rua=mailto:tls-reports@\(domain)\""
        let details = ["query": "_smtp._tls.\(domain) TXT"]
        switch lookup {
        case .found:
            return []
        case .failure(let problem):
            return [dnsFinding(problem, domain: domain, field: field, purpose: "tls-rpt record of \(domain)")]
        case .missing:
            // Without MTA-STS there is little to report on: the missing policy is the finding.
            guard mtaSTS else { return [] }
            return [finding("tlsrpt-missing", .note, domain: domain, field: field,
                message: "\(domain) publishes an mta-sts policy but no tls-rpt record, so nobody hears when senders fail to deliver to it over tls",
                hint: "publish a TLS-RPT record at _smtp._tls.\(domain) naming where reports go (mailto: or https:)",
                record: record, details: details)]
        case .invalid(let text, let why):
            return [finding("tlsrpt-invalid", .warning, domain: domain, field: field,
                message: "the tls-rpt record of \(domain) is discarded by senders: \(why)",
                hint: "publish exactly one record at _smtp._tls.\(domain): v=TLSRPTv1; rua= and mailto: or https: URIs",
                record: record, details: details.merging(["found": SafeLine.excerpt(text, limit: 200)]) { a, _ in a })]
        }
    }

    /// A policy id from the date: `20261207T000000` (any change of it makes senders fetch the policy again).
    static func policyID(now: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'000000"
        return formatter.string(from: now)
    }
}
