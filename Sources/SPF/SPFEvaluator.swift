import Foundation

/// RFC 7208's `check_host()`: is `ip` allowed to send mail for `domain`?
///
/// Proven on the openspf RFC 7208 test suite (Tests/SPFTests). All DNS goes
/// through an `SPFResolver`, so the evaluator itself does no I/O and can be
/// tested with a fake zone. `analyse(domain:)` (in SPFAnalyser.swift) looks at
/// a published record without a client address, for deliverability reports.
public struct SPFEvaluator: Sendable {
    public var resolver: any SPFResolver
    /// `%{r}`: this host's domain, shown in explanations (RFC 7208 says `unknown` when not known).
    public var receiver: String
    /// The explanation of a `fail` when the record has no usable `exp=`. RFC 7208
    /// leaves it to the receiver; nil leaves `SPFResult.explanation` empty.
    public var defaultExplanation: String?
    /// DNS-querying terms allowed per check; RFC 7208 section 4.6.4 fixes it at 10.
    public var lookupLimit = 10
    /// Void lookups allowed per check; RFC 7208 recommends 2.
    public var voidLookupLimit = 2
    /// MX names an `mx` term may have, and PTR names a `ptr` term or `%{p}` looks at (10).
    public var namesPerMechanismLimit = 10
    /// `%{t}`: seconds since the epoch; replaceable so tests are repeatable.
    public var clock: @Sendable () -> Int = { Int(Date().timeIntervalSince1970) }

    public init(resolver: any SPFResolver, receiver: String = "unknown", defaultExplanation: String? = nil) {
        self.resolver = resolver
        self.receiver = receiver
        self.defaultExplanation = defaultExplanation
    }

    /// Checks the MAIL FROM identity as an MTA does (RFC 7208 section 2.4):
    /// an empty reverse-path (a bounce) is checked as `postmaster@<helo>`.
    public func checkMailFrom(ip: IPAddress, mailFrom: String, helo: String) async -> SPFResult {
        if mailFrom.isEmpty {
            return await checkHost(ip: ip, domain: helo, sender: "postmaster@" + helo, helo: helo)
        }
        let domain = mailFrom.lastIndex(of: "@").map { String(mailFrom[mailFrom.index(after: $0)...]) } ?? mailFrom
        return await checkHost(ip: ip, domain: domain, sender: mailFrom, helo: helo)
    }

    /// `check_host(<ip>, <domain>, <sender>)` (RFC 7208 section 4).
    ///
    /// - Parameters:
    ///   - ip: the SMTP client; an IPv4-mapped IPv6 address is checked as IPv4.
    ///   - domain: the domain whose record to evaluate (normally the sender's).
    ///   - sender: the MAIL FROM address (or `postmaster@` the HELO name); an empty
    ///     local-part becomes `postmaster`.
    ///   - helo: the HELO/EHLO name, for `%{h}`.
    public func checkHost(ip: IPAddress, domain: String, sender: String, helo: String) async -> SPFResult {
        let ip = ip.ipv4Mapped ?? ip
        let domain = DomainName.withoutTrailingDot(domain)
        var localPart = ""
        var senderDomain = domain
        if let at = sender.lastIndex(of: "@") {
            localPart = String(sender[..<at])
            senderDomain = String(sender[sender.index(after: at)...])
        } else if !sender.isEmpty {
            senderDomain = sender
        }
        if localPart.isEmpty { localPart = "postmaster" }
        let state = SPFEvaluation(ip: ip, sender: localPart + "@" + senderDomain, localPart: localPart,
                                  senderDomain: senderDomain, helo: helo, receiver: receiver, timestamp: clock(),
                                  lookupLimit: lookupLimit, voidLookupLimit: voidLookupLimit)

        // RFC 7208 section 4.3: a malformed or single-label domain is "none",
        // without asking DNS.
        guard DomainName.isValidStartingDomain(domain) else {
            return SPFResult(code: .none, domain: domain, reason: "\"\(domain)\" is not a valid multi-label domain name")
        }
        do throws(SPFAbort) {
            let outcome = try await evaluate(domain: domain, state: state)
            var explanation: String?
            if outcome.code == .fail {
                explanation = await explain(outcome, state: state) ?? defaultExplanation
            }
            return SPFResult(code: outcome.code, domain: domain, mechanism: outcome.mechanism,
                             mechanismDomain: outcome.mechanismDomain, explanation: explanation, reason: outcome.reason,
                             lookupCount: state.lookups, voidLookupCount: state.voidLookups)
        } catch {
            switch error {
            case .permerror(let reason):
                return SPFResult(code: .permerror, domain: domain, reason: reason, lookupCount: state.lookups, voidLookupCount: state.voidLookups)
            case .temperror(let reason):
                return SPFResult(code: .temperror, domain: domain, reason: reason, lookupCount: state.lookups, voidLookupCount: state.voidLookups)
            }
        }
    }

    // MARK: - Records

    /// What evaluating one record (and its redirects) decided.
    private struct Outcome {
        var code: SPFResult.Code
        var mechanism: String?
        var mechanismDomain: String?
        /// The deciding record's `exp=` and its `<domain>`: after `redirect=` the
        /// target's, never an included record's (RFC 7208 section 6.2).
        var explanation: (spec: SPFMacroString, domain: String)?
        var reason: String?
    }

    /// Looks up `domain`'s record and evaluates it; the recursion point for
    /// `include` and `redirect`.
    private func evaluate(domain: String, state: SPFEvaluation) async throws(SPFAbort) -> Outcome {
        let record: SPFRecord
        switch try await fetchRecord(domain) {
        case .absent(let reason): return Outcome(code: .none, reason: reason)
        case .found(let found): record = found
        }
        for directive in record.directives {
            guard try await matches(directive, domain: domain, state: state) else { continue }
            return Outcome(code: directive.qualifier.result, mechanism: directive.text, mechanismDomain: domain,
                           explanation: record.explanation.map { ($0, domain) })
        }
        if let redirect = record.redirect {
            let term = "redirect=\(redirect)"
            try state.countLookup(term, in: domain)
            guard let target = await expandDomain(redirect, domain: domain, state: state) else {
                throw .permerror("\"\(term)\" in \(domain) does not expand to a valid domain name")
            }
            let outcome = try await evaluate(domain: target, state: state)
            if outcome.code == .none {
                throw .permerror("\"\(term)\" in \(domain) points at a domain with no spf record (\(outcome.reason ?? target))")
            }
            return outcome
        }
        return Outcome(code: .neutral, explanation: record.explanation.map { ($0, domain) },
                       reason: "no mechanism in the record of \(domain) matched and it has no redirect=")
    }

    private enum Fetched {
        case found(SPFRecord)
        case absent(String)
    }

    /// Record selection (RFC 7208 section 4.5): of the TXT records, exactly one
    /// may start with `v=spf1`; none is `none`, several is `permerror`.
    private func fetchRecord(_ domain: String) async throws(SPFAbort) -> Fetched {
        switch await resolver.txt(domain) {
        case .failure(let failure):
            throw .temperror("txt lookup for \(domain) \(describe(failure))")
        case .nxdomain:
            return .absent("\(domain) does not exist")
        case .noData:
            return .absent("\(domain) has no txt records")
        case .records(let records):
            let candidates = records.map(\.text).filter(SPFRecord.isSPFRecord)
            guard let text = candidates.first else { return .absent("\(domain) has no spf record") }
            guard candidates.count == 1 else {
                throw .permerror("\(domain) has \(candidates.count) spf records; there must be exactly one")
            }
            do throws(SPFSyntaxError) {
                return .found(try SPFRecord(parsing: text))
            } catch {
                throw .permerror("the spf record of \(domain) is invalid: \(error.message)")
            }
        }
    }

    // MARK: - Mechanisms

    private func matches(_ directive: SPFDirective, domain: String, state: SPFEvaluation) async throws(SPFAbort) -> Bool {
        let term = directive.text
        if directive.mechanism.countsAsDNSLookup {
            try state.countLookup(term, in: domain)
        }
        let ip = state.ip
        switch directive.mechanism {
        case .all:
            return true
        case .ip4(let network, let prefix), .ip6(let network, let prefix):
            return ip.isInNetwork(network, prefixLength: prefix)
        case .include(let spec):
            guard let target = await expandDomain(spec, domain: domain, state: state) else {
                throw .permerror("\"\(term)\" in \(domain) does not expand to a valid domain name")
            }
            // RFC 7208 section 5.2: pass matches; fail, softfail and neutral do
            // not; none is a permerror; errors propagate as thrown.
            let outcome = try await evaluate(domain: target, state: state)
            switch outcome.code {
            case .pass: return true
            case .fail, .softfail, .neutral: return false
            case .none: throw .permerror("\"\(term)\" in \(domain) points at a domain with no spf record (\(outcome.reason ?? target))")
            case .permerror, .temperror: return false // thrown, never returned
            }
        case .a(let spec, let ipv4Prefix, let ipv6Prefix):
            guard let target = await target(spec, domain: domain, state: state) else { return false }
            let addresses = try await addresses(of: target, family: ip.family, voidCountsFor: term, in: domain, state: state)
            let prefix = ip.family == .v4 ? ipv4Prefix : ipv6Prefix
            return addresses.contains { ip.isInNetwork($0, prefixLength: prefix) }
        case .mx(let spec, let ipv4Prefix, let ipv6Prefix):
            guard let target = await target(spec, domain: domain, state: state) else { return false }
            let records: [SPFMXRecord]
            switch await resolver.mx(target) {
            case .failure(let failure): throw .temperror("mx lookup for \(target) (\"\(term)\" in \(domain)) \(describe(failure))")
            case .nxdomain, .noData, .records([]):
                try state.countVoidLookup(term, in: domain)
                return false
            case .records(let found): records = found
            }
            // RFC 7208 section 4.6.4: more than 10 MX names is a permerror,
            // decided before looking at any so the result does not depend on
            // the order DNS returns them in.
            guard records.count <= namesPerMechanismLimit else {
                throw .permerror("\"\(term)\" in \(domain): \(target) has \(records.count) mx records, over the limit of \(namesPerMechanismLimit)")
            }
            let prefix = ip.family == .v4 ? ipv4Prefix : ipv6Prefix
            for record in records {
                let host = DomainName.withoutTrailingDot(record.exchange)
                guard DomainName.isQueryable(host) else { continue } // null MX (RFC 7505) or garbage
                let addresses = try await addresses(of: host, family: ip.family, voidCountsFor: nil, in: domain, state: state)
                if addresses.contains(where: { ip.isInNetwork($0, prefixLength: prefix) }) { return true }
            }
            return false
        case .ptr(let spec):
            guard let target = await target(spec, domain: domain, state: state) else { return false }
            let names = try await validatedNames(voidCountsFor: term, in: domain, state: state) { DomainName.isSubdomain($0, of: target) }
            return !names.isEmpty
        case .exists(let spec):
            guard let target = await expandDomain(spec, domain: domain, state: state) else { return false }
            // Always type A, whatever the client's family (RFC 7208 section 5.7).
            switch await resolver.a(target) {
            case .failure(let failure): throw .temperror("a lookup for \(target) (\"\(term)\" in \(domain)) \(describe(failure))")
            case .nxdomain, .noData, .records([]):
                try state.countVoidLookup(term, in: domain)
                return false
            case .records: return true
            }
        }
    }

    /// The name an `a`/`mx`/`ptr` term looks at: its domain-spec, or `<domain>`.
    private func target(_ spec: SPFMacroString?, domain: String, state: SPFEvaluation) async -> String? {
        guard let spec else { return domain }
        return await expandDomain(spec, domain: domain, state: state)
    }

    /// The A or AAAA records of `name` (matching the client's family). A DNS
    /// failure is a `temperror`; a void answer counts against the void limit
    /// when the query is the term's own (`voidCountsFor`), not a follow-up.
    private func addresses(of name: String, family: IPAddress.Family, voidCountsFor term: String?, in domain: String,
                           state: SPFEvaluation) async throws(SPFAbort) -> [IPAddress] {
        let answer = family == .v4 ? await resolver.a(name) : await resolver.aaaa(name)
        switch answer {
        case .failure(let failure):
            throw .temperror("\(family == .v4 ? "a" : "aaaa") lookup for \(name) (in the record of \(domain)) \(describe(failure))")
        case .nxdomain, .noData, .records([]):
            if let term { try state.countVoidLookup(term, in: domain) }
            return []
        case .records(let addresses):
            return addresses
        }
    }

    /// RFC 7208 section 5.5: the names the client's PTR records give (first
    /// 10 only) whose own A/AAAA records lead back to the client. Only names
    /// passing `filter` are validated, to save queries; DNS errors skip a name.
    private func validatedNames(voidCountsFor term: String?, in domain: String, state: SPFEvaluation,
                                filter: (String) -> Bool) async throws(SPFAbort) -> [String] {
        let names: [String]
        switch await resolver.ptr(state.ip.reverseDNSName) {
        case .failure: return []
        case .nxdomain, .noData, .records([]):
            if let term { try state.countVoidLookup(term, in: domain) }
            return []
        case .records(let found): names = found
        }
        var validated: [String] = []
        for name in names.prefix(namesPerMechanismLimit).map(DomainName.withoutTrailingDot) where filter(name) {
            guard DomainName.isQueryable(name) else { continue }
            let answer = state.ip.family == .v4 ? await resolver.a(name) : await resolver.aaaa(name)
            if answer.recordsOrEmpty.contains(state.ip) { validated.append(name) }
        }
        return validated
    }

    /// `%{p}`: a validated name of the client, preferring `<domain>` itself,
    /// then a subdomain of it (RFC 7208 section 7.3); `unknown` when none.
    private func validatedName(domain: String, state: SPFEvaluation) async -> String {
        if let known = state.validatedNames[domain] { return known }
        let names = (try? await validatedNames(voidCountsFor: nil, in: domain, state: state) { _ in true }) ?? []
        let chosen = names.first { $0.lowercased() == domain.lowercased() }
            ?? names.first { DomainName.isSubdomain($0, of: domain) }
            ?? names.first
            ?? "unknown"
        state.validatedNames[domain] = chosen
        return chosen
    }

    // MARK: - Macros and explanations

    /// Expands a domain-spec into a query name; nil if it does not make one.
    private func expandDomain(_ spec: SPFMacroString, domain: String, state: SPFEvaluation) async -> String? {
        let p = spec.letters.contains(.validatedName) ? await validatedName(domain: domain, state: state) : nil
        return DomainName.queryName(fromExpanded: MacroExpander.expand(spec, in: state.macroContext(domain: domain, validatedName: p)))
    }

    /// The `exp=` text for a `fail` (RFC 7208 section 6.2). Any problem —
    /// no name, a DNS error, zero or several TXT records, a syntax error or
    /// non-ASCII text — means "as if there were no exp=", so this returns nil.
    /// The lookup counts against no limit.
    private func explain(_ outcome: Outcome, state: SPFEvaluation) async -> String? {
        guard let (spec, domain) = outcome.explanation,
              let name = await expandDomain(spec, domain: domain, state: state),
              case .records(let records) = await resolver.txt(name), records.count == 1,
              let text = try? SPFMacroString(parsing: records[0].text, context: .explanation) else { return nil }
        let p = text.letters.contains(.validatedName) ? await validatedName(domain: domain, state: state) : nil
        return MacroExpander.expand(text, in: state.macroContext(domain: domain, validatedName: p))
    }

    private func describe(_ failure: SPFDNSFailure) -> String {
        switch failure {
        case .timeout: return "timed out"
        case .servfail: return "failed (server failure)"
        }
    }
}
