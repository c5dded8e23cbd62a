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
        /// Through Mailgun: SPF and DKIM come from Mailgun's records for
        /// `domain`, which DMARC counts only when aligned with the sender.
        /// `records` is Mailgun's list with its verdicts, nil when not fetched.
        case mailgun(domain: String, records: [MailgunDNSRecord]?)
        /// Through the platform's own servers: the sender domain's SPF must
        /// include the platform's record (`spfInclude`, nil when not configured).
        case platform(spfInclude: String?)
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
