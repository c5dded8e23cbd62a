/// One DNS record an HTTP-API provider asks a sending domain to publish
/// (Mailgun's `sending_dns_records`, SendGrid's `dns`), with the provider's
/// own verdict on it.
///
/// The checker does not look these records up itself: the provider already
/// has, from its side, and its verdict is what decides whether it signs and
/// sends for the domain. The caller copies them from the provider's API.
public struct ReportedDNSRecord: Sendable, Hashable {
    /// `TXT`, `CNAME` or `MX`, as the provider spells it.
    public var recordType: String
    /// The owner name (`mg.acme.com`, `pic._domainkey.mg.acme.com`).
    public var name: String
    /// The record data the provider expects (`v=spf1 include:mailgun.org ~all`, `mailgun.org`).
    public var value: String
    /// The provider's verdict: true for valid, false for not valid, nil when
    /// it has not decided — nil is not treated as a failure.
    public var valid: Bool?

    public init(recordType: String, name: String, value: String, valid: Bool?) {
        self.recordType = recordType
        self.name = name
        self.value = value
        self.valid = valid
    }

    /// Whether this is the DKIM key the provider signs with: a TXT record, or
    /// a CNAME to the provider's key (SendGrid's), under `_domainkey`. DMARC
    /// counts such a signature only when it is valid.
    var isDKIMKey: Bool {
        ["TXT", "CNAME"].contains(recordType.uppercased()) && name.lowercased().contains("._domainkey.")
    }

    /// Whether this is the SPF record of the provider's domain (the envelope
    /// sender's domain when the provider sends).
    var isSPF: Bool {
        recordType.uppercased() == "TXT" && value.lowercased().hasPrefix("v=spf1")
    }

    /// The record as a zone-file line, to publish as is.
    var zoneLine: String {
        RecordText.line(name: DomainNormalizer.normalize(name), type: recordType.uppercased(), value: value)
    }
}

/// Mailgun's records, as the checker took them before providers were plug-ins.
public typealias MailgunDNSRecord = ReportedDNSRecord
