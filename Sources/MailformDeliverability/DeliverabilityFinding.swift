/// One thing wrong (or worth knowing) about a company's mail DNS.
///
/// Issue 13: every finding has a stable `id` that scripts and suppressions can
/// rely on, a severity, and a hint that names the DNS record to add or change
/// — with the exact record text in `record` when it can be computed. `field`
/// names the YAML field the finding concerns; the caller maps it to a
/// `file:line:column`.
///
/// Ids: `spf-missing`, `spf-invalid`, `spf-lookup-limit`,
/// `spf-relay-not-authorized`, `spf-platform-include-missing`,
/// `platform-spf-include-unset`, `smtp-host-unresolved`,
/// `mailgun-dns-record-invalid`, `mailgun-not-aligned`, `dmarc-missing`,
/// `dmarc-invalid`, `dmarc-reject-misaligned`, `dmarc-test-mode`, `dmarc-removed-tag`, `bulk-sender-requirements`, `dmarc-tag-ignored`, `dkim-missing`, `dkim-no-key`,
/// `dkim-weak-key`, `mx-missing`, `mx-null-mixed`, `mx-implicit`, `mta-sts-missing`, `mta-sts-record-invalid`,
/// `mta-sts-policy-unavailable`, `mta-sts-policy-invalid`, `mta-sts-testing`, `mta-sts-none`,
/// `mta-sts-mx-mismatch`, `mta-sts-cert-expiring`, `mta-sts-not-checked`, `tlsrpt-missing`, `tlsrpt-invalid`, `dns-timeout`, `dns-servfail`.
public struct DeliverabilityFinding: Sendable, Hashable {
    public enum Severity: String, Sendable {
        /// Mail will fail (rejected, unsigned, unverifiable), or the check could not run.
        case error
        /// Mail works today but is at risk (spam folders, bulk-sender rules).
        case warning
        /// Worth knowing; nothing to fix right now.
        case note
    }

    /// Stable, kebab-case: see the list above.
    public var id: String
    public var severity: Severity
    public var company: String
    /// The domain the finding is about (sender, DSAR or Mailgun domain).
    public var domain: String
    /// The YAML field it concerns: "sender.email", "dsar_sender.email",
    /// "dkim.selector", "smtp.host", "mailgun.domain", "provider".
    public var field: String
    /// Lowercase, states the fact.
    public var message: String
    /// Imperative; names the DNS record to add or change.
    public var hint: String
    /// The record to publish when it can be computed, as a zone-file line:
    /// `acme.com TXT "v=spf1 include:mailgun.org ~all"`.
    public var record: String?
    /// Facts behind the finding: DMARC `p`, `sp`, `pct`, `adkim`, `aspf`;
    /// SPF `lookups`; the DNS `query` that failed; key `bits`.
    public var details: [String: String]

    public init(id: String, severity: Severity, company: String, domain: String, field: String, message: String,
                hint: String, record: String? = nil, details: [String: String] = [:]) {
        self.id = id
        self.severity = severity
        self.company = company
        self.domain = domain
        self.field = field
        self.message = message
        self.hint = hint
        self.record = record
        self.details = details
    }
}
