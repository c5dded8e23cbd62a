@testable import MailformDeliverability
import Testing

/// DMARC record parsing (RFC 7489 section 6.3) and the policy that applies.
struct DMARCRecordTests {
    @Test func fullRecord() {
        let record = DMARCRecord(parsing: "v=DMARC1; p=reject; sp=quarantine; pct=50; adkim=s; aspf=r; rua=mailto:d@acme.com;")
        #expect(record.problems.isEmpty)
        #expect(record.policy == .reject)
        #expect(record.subdomainPolicy == .quarantine)
        #expect(record.removedTags.map(\.name) == ["pct"] && !record.testMode, "pct is removed in RFC 9989")
        #expect(record.dkimAlignment == .strict)
        #expect(record.spfAlignment == .relaxed)
        #expect(record.aggregateReports == "mailto:d@acme.com")
        #expect(record.effectivePolicy(forSubdomain: false) == .reject)
        #expect(record.effectivePolicy(forSubdomain: true) == .quarantine)
    }

    @Test func defaults() {
        let record = DMARCRecord(parsing: "v=DMARC1;p=none")
        #expect(record.problems.isEmpty)
        #expect(record.removedTags.isEmpty && !record.testMode)
        #expect(record.dkimAlignment == .relaxed && record.spfAlignment == .relaxed)
        #expect(record.subdomainPolicy == nil)
        #expect(record.effectivePolicy(forSubdomain: true) == DMARCPolicy.none, "without sp=, subdomains get p=")
        // np= (RFC 9989) is for subdomains that do not exist; sp= for those that do.
        let np = DMARCRecord(parsing: "v=DMARC1; p=none; sp=quarantine; np=reject")
        #expect(np.nonExistentPolicy == .reject && np.problems.isEmpty && np.policyProblems.isEmpty)
        #expect(np.effectivePolicy(forSubdomain: true, nonExistent: true) == .reject)
        #expect(np.effectivePolicy(forSubdomain: true, nonExistent: false) == .quarantine)
        #expect(np.effectivePolicy(forSubdomain: false, nonExistent: true) == DMARCPolicy.none, "np= is for subdomains only")
        #expect(DMARCRecord(parsing: "v=DMARC1; p=none; sp=quarantine").effectivePolicy(forSubdomain: true, nonExistent: true) == .quarantine)
        #expect(DMARCRecord(parsing: " v = DMARC1 ; P = Reject ").policy == .reject, "spaces and case")
    }

    @Test func problems() {
        // RFC 7489 6.6.3, kept by RFC 9989: no valid p= (or a bad sp=/np=)
        // with a usable rua= reads as p=none; without one, no DMARC applies.
        let noPolicy = DMARCRecord(parsing: "v=DMARC1; rua=mailto:d@acme.com")
        #expect(noPolicy.problems.isEmpty && noPolicy.policyProblems == ["the record has no p= tag"])
        #expect(noPolicy.actsAsNone && noPolicy.policy == DMARCPolicy.none)
        let noReports = DMARCRecord(parsing: "v=DMARC1; p=rejct; rua=ftp://x")
        #expect(!noReports.actsAsNone && noReports.policy == nil && noReports.policyProblems == ["p=rejct is not none, quarantine or reject"])
        let badSub = DMARCRecord(parsing: "v=DMARC1; p=reject; sp=never; rua=mailto:d@acme.com")
        #expect(badSub.actsAsNone && badSub.policy == DMARCPolicy.none && badSub.subdomainPolicy == nil, "a bad sp= voids p=reject too")
        let bad = DMARCRecord(parsing: "v=DMARC1; p=block; pct=150; adkim=x; p=none")
        #expect(bad.policy == nil)
        #expect(bad.policyProblems.contains("p=block is not none, quarantine or reject"))
        #expect(!bad.problems.contains { $0.hasPrefix("pct=") }, "pct is ignored (RFC 9989), whatever it says")
        #expect(bad.ignored == ["adkim=x is not r (relaxed) or s (strict)"], "RFC 9989: the default applies, the record stands")
        #expect(bad.problems.contains("tag p= appears more than once"))
        #expect(bad.removedTags.map(\.name) == ["pct"])
        #expect(DMARCRecord(parsing: "v=DMARC1; p=reject; t=Y; rf=afrf; ri=86400").testMode)
        #expect(DMARCRecord(parsing: "v=DMARC1; p=reject; rf=afrf; ri=86400").removedTags.map(\.name) == ["rf", "ri"])
        let maybe = DMARCRecord(parsing: "v=DMARC1; p=reject; t=maybe; psd=q")
        #expect(maybe.problems.isEmpty && maybe.ignored == ["t=maybe is not y (testing) or n", "psd=q is not y, n or u"] && !maybe.testMode)

    }

    @Test func recognition() {
        #expect(DMARCRecord.isDMARCRecord("v=DMARC1; p=none"))
        #expect(!DMARCRecord.isDMARCRecord("v=dmarc1; p=none"), "the version is case-sensitive (RFC 9989 section 4.7)")
        #expect(DMARCRecord.isIgnoredVersion("v=dmarc1; p=none") && DMARCRecord.isIgnoredVersion("V = Dmarc1;p=reject"))
        #expect(DMARCRecord.isDMARCRecord("V=DMARC1; p=none") && !DMARCRecord.isIgnoredVersion("v=DMARC1; p=none"))
        #expect(!DMARCRecord.isDMARCRecord("p=none; v=DMARC1"), "v= must come first")
        #expect(!DMARCRecord.isDMARCRecord("v=spf1 -all"))
        #expect(!DMARCRecord.isDMARCRecord(""))
        // RFC 9989: "v=DMARC1 p=reject" has no ";" after the version: not a DMARC record, discarded.
        #expect(!DMARCRecord.isDMARCRecord("v=DMARC1 p=reject") && DMARCRecord.ignoredReason("v=DMARC1 p=reject")?.contains("not followed by") == true)
        #expect(DMARCRecord.isDMARCRecord("v=DMARC1 ; p=reject") && DMARCRecord.isDMARCRecord("v=DMARC1"))
    }
}
