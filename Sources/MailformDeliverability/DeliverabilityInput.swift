/// What the checker needs to know about one company's mail: which domains it
/// sends from and how the mail leaves (the company YAML, reduced).
///
/// The caller builds one per company; companies that share a domain share
/// that domain's DNS lookups within a run.
public struct DeliverabilityInput: Sendable {
    /// How the company's mail is sent, which decides what SPF must authorise
    /// and which DKIM key DMARC can count on.
    public enum Sending: Sendable {
        /// Through an SMTP relay: SPF must authorise the relay's addresses.
        case smtp(host: String)
        /// Through an HTTP-API provider (Mailgun, SendGrid, …): SPF and DKIM
        /// come from the provider's records for its sending domain, which
        /// DMARC counts only when aligned with the sender.
        case api(APISending)
        /// Through the platform's own servers: the sender domain's SPF must
        /// include the platform's record (`spfInclude`, nil when not configured).
        case platform(spfInclude: String?)
    }

    /// How an HTTP-API provider sends for the company.
    public struct APISending: Sendable {
        /// The provider's word (`mailgun`): findings' ids and fields start with it.
        public var provider: String
        /// Its sending domain.
        public var domain: String
        /// The records the provider lists with its verdicts, nil when not fetched.
        public var records: [ReportedDNSRecord]?
        /// Its SPF include (`mailgun.org`), suggested when the sender domain has no record.
        public var spfInclude: String

        public init(provider: String, domain: String, records: [ReportedDNSRecord]?, spfInclude: String) {
            self.provider = provider
            self.domain = domain
            self.records = records
            self.spfInclude = spfInclude
        }
    }

    /// The company's name, as findings are grouped and sorted by it.
    public var company: String
    /// The domain of `sender.email`.
    public var senderDomain: String
    /// The domain of `dsar_sender.email`, when the company has one.
    public var dsarDomain: String?
    public var sending: Sending
    /// `dkim.selector`: checked only when set.
    public var dkimSelector: String?
    /// Check the bulk-sender rules (`probe.bulk_sender`).
    public var bulkSender = false
    /// A domain without MTA-STS is a warning (`probe.require_mta_sts`); else not reported.
    public var requireMTASTS = false

    public init(company: String, senderDomain: String, dsarDomain: String?, sending: Sending, dkimSelector: String?) {
        self.company = company
        self.senderDomain = senderDomain
        self.dsarDomain = dsarDomain
        self.sending = sending
        self.dkimSelector = dkimSelector
    }
}

extension DeliverabilityInput.Sending {
    /// Through Mailgun (the form before providers were plug-ins).
    public static func mailgun(domain: String, records: [MailgunDNSRecord]?) -> Self {
        .api(.init(provider: "mailgun", domain: domain, records: records, spfInclude: "mailgun.org"))
    }
}
