/// One DNS record Mailgun asks a sending domain to publish (its
/// `sending_dns_records` and `receiving_dns_records`), with Mailgun's own
/// verdict on it.
///
/// The checker does not look these records up itself: Mailgun already has,
/// from its side, and its verdict is what decides whether Mailgun signs and
/// sends for the domain. The caller copies them from the Mailgun API.
public struct MailgunDNSRecord: Sendable, Hashable {
    /// `TXT`, `CNAME` or `MX`, as Mailgun spells it.
    public var recordType: String
    /// The owner name (`mg.acme.com`, `pic._domainkey.mg.acme.com`).
    public var name: String
    /// The record data Mailgun expects (`v=spf1 include:mailgun.org ~all`, `mailgun.org`).
    public var value: String
    /// Mailgun's verdict: true for `valid`, false for `invalid`, nil when it
    /// has not decided (`unknown`) — nil is not treated as a failure.
    public var valid: Bool?

    public init(recordType: String, name: String, value: String, valid: Bool?) {
        self.recordType = recordType
        self.name = name
        self.value = value
        self.valid = valid
    }

    /// Whether this is the DKIM key Mailgun signs with: a TXT record under
    /// `_domainkey`. DMARC counts such a signature only when it is valid.
    var isDKIMKey: Bool {
        recordType.uppercased() == "TXT" && name.lowercased().contains("._domainkey.")
    }

    /// Whether this is the SPF record of the Mailgun domain (the envelope
    /// sender's domain when Mailgun sends).
    var isSPF: Bool {
        recordType.uppercased() == "TXT" && value.lowercased().hasPrefix("v=spf1")
    }

    /// The DKIM signing domain (`d=`) of a `_domainkey` record: everything
    /// after `._domainkey.`.
    var dkimDomain: String? {
        let lower = DomainNormalizer.normalize(name)
        guard let range = lower.range(of: "._domainkey.") else { return nil }
        return String(lower[range.upperBound...])
    }

    /// The record as a zone-file line, to publish as is.
    var zoneLine: String {
        RecordText.line(name: DomainNormalizer.normalize(name), type: recordType.uppercased(), value: value)
    }
}
