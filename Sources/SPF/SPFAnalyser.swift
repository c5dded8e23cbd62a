/// Static analysis of a published SPF record, for deliverability reports:
/// "SPF record uses 12 lookups, over the limit of 10" is the classic finding,
/// and only shows when nested includes are followed and counted.
extension SPFEvaluator {
    /// Fetches `domain`'s record and every record it includes or redirects to,
    /// counts the DNS-querying terms evaluation can reach, and lists problems.
    ///
    /// No client address is involved, so mechanisms are not matched: every
    /// include is followed (as if nothing before it matched — the worst case a
    /// receiver meets), terms after `all` are not counted (evaluation never gets
    /// there), and a `redirect=` is counted only when the record has no `all`.
    /// Domain-specs with macros are followed when they use only `%{d}` and
    /// `%{o}` (taken as the analysed domain); others depend on the message and
    /// are reported as not followed.
    public func analyse(domain: String) async -> SPFRecordReport {
        let domain = DomainName.withoutTrailingDot(domain)
        guard DomainName.isValidStartingDomain(domain) else {
            return SPFRecordReport(domain: domain, status: .none, lookupLimit: lookupLimit, voidLookupLimit: voidLookupLimit,
                                   problems: [SPFProblem(severity: .error, domain: domain, message: "\"\(domain)\" is not a valid multi-label domain name")])
        }
        let analysis = SPFAnalysis(rootDomain: domain, followLimit: lookupLimit * 4)
        var report = await analyseRecord(domain: domain, term: nil, ancestors: [], analysis: analysis)
        switch report.status {
        case .none:
            report.problems.insert(SPFProblem(severity: .error, domain: domain, message: report.record == nil && analysis.nonexistent.contains(domain.lowercased())
                ? "the domain does not exist, so it has no spf record" : "no spf record is published"), at: 0)
        case .valid, .permerror, .temperror:
            if report.lookupCount > lookupLimit {
                report.problems.append(SPFProblem(severity: .error, domain: domain,
                                                  message: "spf record uses \(report.lookupCount) lookups, over the limit of \(lookupLimit)"))
            }
            if report.voidLookupCount > voidLookupLimit {
                report.problems.append(SPFProblem(severity: .error, domain: domain,
                                                  message: "spf record has \(report.voidLookupCount) void lookups, over the limit of \(voidLookupLimit)"))
            }
            if report.status == .valid, !report.errors.isEmpty { report.status = .permerror }
        }
        return report
    }

    private func analyseRecord(domain: String, term: String?, ancestors: [String], analysis: SPFAnalysis) async -> SPFRecordReport {
        var node = SPFRecordReport(domain: domain, term: term, status: .valid, lookupLimit: lookupLimit, voidLookupLimit: voidLookupLimit)
        func problem(_ severity: SPFProblem.Severity, _ message: String) {
            node.problems.append(SPFProblem(severity: severity, domain: domain, message: message))
        }

        // Record selection, as check_host() does it.
        let candidates: [String]
        switch await analysis.txt(domain, resolver: resolver) {
        case .failure(let failure):
            node.status = .temperror
            problem(.error, "txt lookup for \(domain) \(failure == .timeout ? "timed out" : "failed (server failure)"); try again later")
            return node
        case .nxdomain:
            analysis.nonexistent.insert(domain.lowercased())
            node.status = .none
            return node
        case .noData:
            node.status = .none
            return node
        case .records(let records):
            candidates = records.map(\.text).filter(SPFRecord.isSPFRecord)
        }
        guard let text = candidates.first else {
            node.status = .none
            return node
        }
        guard candidates.count == 1 else {
            node.status = .permerror
            problem(.error, "\(candidates.count) spf records are published; there must be exactly one")
            return node
        }
        node.record = text
        let record: SPFRecord
        do throws(SPFSyntaxError) {
            record = try SPFRecord(parsing: text)
        } catch {
            node.status = .permerror
            problem(.error, "record is invalid: \(error.message)")
            return node
        }

        let path = ancestors + [domain.lowercased()]
        let allIndex = record.directives.firstIndex { $0.mechanism == .all }
        let reachable = allIndex.map { record.directives[...$0] } ?? record.directives[...]

        /// Follows an include or redirect target and folds its report into this one.
        func follow(_ spec: SPFMacroString, term: String) async {
            guard let target = staticTarget(spec, domain: domain, analysis: analysis) else {
                problem(.warning, "\"\(term)\" depends on the message being checked, so it was not followed")
                return
            }
            guard !path.contains(target.lowercased()) else {
                problem(.error, "\"\(term)\" leads back to \(target), a loop; checks give permerror")
                return
            }
            guard analysis.lookups <= analysis.followLimit else {
                problem(.warning, "\"\(term)\" was not followed: the analysis stops after \(analysis.followLimit) lookups")
                return
            }
            let child = await analyseRecord(domain: target, term: term, ancestors: path, analysis: analysis)
            if child.status == .none {
                problem(.error, "\"\(term)\" points at \(target), which has no spf record; checks give permerror")
            }
            node.lookupCount += child.lookupCount
            node.voidLookupCount += child.voidLookupCount
            node.problems += child.problems
            node.children.append(child)
            if child.status == .temperror { node.status = .temperror }
        }

        func countVoid(_ message: String) {
            node.voidLookupCount += 1
            problem(.warning, message + " (a void lookup)")
        }

        for directive in reachable {
            let term = directive.text
            if directive.mechanism.countsAsDNSLookup {
                node.lookupCount += 1
                analysis.lookups += 1
            }
            switch directive.mechanism {
            case .include(let spec):
                await follow(spec, term: term)
            case .a(let spec, _, _):
                guard let target = spec.map({ staticTarget($0, domain: domain, analysis: analysis) }) ?? domain else { continue }
                let v4 = await analysis.a(target, resolver: resolver)
                let v6 = await analysis.aaaa(target, resolver: resolver)
                if case .failure = v4 { problem(.warning, "\"\(term)\": could not check \(target), its a lookup failed") } else if case .failure = v6 {
                    problem(.warning, "\"\(term)\": could not check \(target), its aaaa lookup failed")
                } else if v4.recordsOrEmpty.isEmpty, v6.recordsOrEmpty.isEmpty {
                    countVoid("\"\(term)\": \(target) has no a or aaaa records")
                }
            case .mx(let spec, _, _):
                guard let target = spec.map({ staticTarget($0, domain: domain, analysis: analysis) }) ?? domain else { continue }
                let answer = await analysis.mx(target, resolver: resolver)
                if case .failure = answer {
                    problem(.warning, "\"\(term)\": could not check \(target), its mx lookup failed")
                } else if answer.recordsOrEmpty.isEmpty {
                    countVoid("\"\(term)\": \(target) has no mx records")
                } else if answer.recordsOrEmpty.count > namesPerMechanismLimit {
                    problem(.error, "\"\(term)\": \(target) has \(answer.recordsOrEmpty.count) mx records, over the limit of \(namesPerMechanismLimit)")
                }
            case .ptr:
                problem(.warning, "\"\(term)\" is slow and unreliable; rfc 7208 says not to use ptr")
            case .exists(let spec):
                guard let target = staticTarget(spec, domain: domain, analysis: analysis) else { continue }
                let answer = await analysis.a(target, resolver: resolver)
                if case .failure = answer {
                    problem(.warning, "\"\(term)\": could not check \(target), its a lookup failed")
                } else if answer.recordsOrEmpty.isEmpty {
                    countVoid("\"\(term)\": \(target) has no a records, so it never matches")
                }
            case .all:
                if directive.qualifier == .pass {
                    problem(.warning, "\"\(term)\" authorises every host on the internet to send for \(domain)")
                }
            case .ip4, .ip6:
                break
            }
        }
        if let allIndex {
            let ignored = record.directives.count - allIndex - 1
            if ignored > 0 {
                problem(.warning, "\(ignored) \(ignored == 1 ? "term after \"\(record.directives[allIndex].text)\" is" : "terms after \"\(record.directives[allIndex].text)\" are") never evaluated")
            }
            if record.redirect != nil {
                problem(.warning, "redirect= is ignored because the record has an all mechanism")
            }
        } else if let redirect = record.redirect {
            node.lookupCount += 1
            analysis.lookups += 1
            await follow(redirect, term: "redirect=\(redirect)")
        }
        if node.status == .valid, node.problems.contains(where: { $0.severity == .error }) {
            node.status = .permerror
        }
        return node
    }

    /// The query name of a domain-spec that does not depend on the message:
    /// literal, or using only `%{d}` and `%{o}`. Nil otherwise, or when it does
    /// not make a valid name.
    private func staticTarget(_ spec: SPFMacroString, domain: String, analysis: SPFAnalysis) -> String? {
        guard spec.letters.isSubset(of: [.domain, .senderDomain]) else { return nil }
        let context = SPFMacroContext(sender: "postmaster@" + analysis.rootDomain, localPart: "postmaster",
                                      senderDomain: analysis.rootDomain, domain: domain,
                                      ip: IPAddress(bytes: [192, 0, 2, 1])!, helo: analysis.rootDomain)
        return DomainName.queryName(fromExpanded: MacroExpander.expand(spec, in: context))
    }
}
