/// What mailform shows of a DNS record a provider's answer lists.
///
/// The provider's server got the API key, so every byte of its answer is
/// treated as hostile: it could spell the key in any encoding (base32 in a
/// record name, rot13 in a value), and a filter for encodings is a list of
/// checks a server can always step around. So nothing of the answer is
/// passed on but what mailform can say in its own words:
/// - the record type, from a closed set (TXT, CNAME, MX);
/// - the provider's verdict (valid or not);
/// - the name, only as mailform builds it from the configured domain:
///   the domain itself, `SELECTOR._domainkey.DOMAIN` for a selector in
///   ``knownSelectors``, `LABEL.DOMAIN` for a label in ``knownLabels``;
///   any other name is shown as a placeholder (`<selector>._domainkey.DOMAIN`,
///   `<name>.DOMAIN`), which is never looked up;
/// - the value, only when it is one of the provider's published constants
///   (`APIProbe.publishedValues`, e.g. `include:mailgun.org`); otherwise a
///   placeholder that says where the provider lists it.
/// A record not under the domain is dropped.
public enum ProviderRecordView {
    /// DKIM selectors the providers use (Mailgun's, SendGrid's, Mandrill's).
    public static let knownSelectors: Set<String> = ["k1", "k2", "k3", "s1", "s2", "m1", "mte1", "mte2", "smtp", "mx", "pic", "krs",
                                                     "mailo", "pdk1", "pdk2", "email", "mg", "mandrill"]
    /// Other labels the providers' records sit at (tracking and return-path hosts).
    public static let knownLabels: Set<String> = ["email", "mail", "bounce", "links", "url", "mg"]

    /// The record as shown, or nil when it is not under `domain`.
    public static func view(_ record: ProviderDNSRecord, domain: String, provider: String, published: Set<String>) -> ProviderDNSRecord? {
        let type = record.recordType.uppercased()
        guard ["TXT", "CNAME", "MX"].contains(type) else { return nil }
        let domain = lowercasedName(domain)
        let name = lowercasedName(record.name)
        guard !domain.isEmpty, name == domain || name.hasSuffix("." + domain) else { return nil }
        let prefix = name == domain ? "" : String(name.dropLast(domain.count + 1))
        let shownName: String
        var purpose = record.purpose
        if prefix.isEmpty {
            shownName = domain
        } else if prefix.hasSuffix("._domainkey") {
            let selector = String(prefix.dropLast("._domainkey".count))
            shownName = (knownSelectors.contains(selector) ? selector : "<selector>") + "._domainkey." + domain
            if type == "TXT" || type == "CNAME" { purpose = .dkim }
        } else {
            shownName = (knownLabels.contains(prefix) ? prefix : "<name>") + "." + domain
        }
        let value = record.value.trimmingCharacters(in: .whitespaces)
        let shownValue: String
        if published.contains(value.lowercased()) {
            shownValue = value.lowercased()
        } else if purpose == .spf {
            // Still an SPF record (its verdict counts), without its terms.
            shownValue = "v=spf1 … (the record \(provider) lists)"
        } else if purpose == .dkim {
            shownValue = "(the DKIM key \(provider) lists)"
        } else {
            shownValue = "(the \(type == "MX" ? "mail server" : type == "CNAME" ? "target" : "text") \(provider) lists)"
        }
        return ProviderDNSRecord(recordType: type, name: shownName, value: shownValue, valid: record.valid, purpose: purpose)
    }

    /// The records as findings see them: one per purpose (SPF, DKIM, other),
    /// valid only when all of its records are, not valid when any is not;
    /// its name and value are mailform's own. Which records a server lists,
    /// and how many, is a choice it could spell the key in (64 records out of
    /// 656 shapes carried a whole key): only these three verdicts, and each
    /// group's record type, get through.
    public static func byPurpose(_ records: [ProviderDNSRecord], domain: String, provider: String) -> [ProviderDNSRecord] {
        let domain = lowercasedName(domain)
        var out: [ProviderDNSRecord] = []
        for purpose in [ProviderDNSRecord.Purpose.spf, .dkim, .other] {
            let group = records.filter { $0.purpose == purpose }
            guard !group.isEmpty else { continue }
            let valid: Bool? = group.contains { $0.valid == false } ? false : group.allSatisfy { $0.valid == true } ? true : nil
            let types = Set(group.map(\.recordType))
            let type = types.count == 1 ? types.first! : (purpose == .dkim ? "TXT" : "CNAME")
            switch purpose {
            case .spf:
                out.append(ProviderDNSRecord(recordType: "TXT", name: domain, value: "v=spf1 … (the record \(provider) lists)", valid: valid, purpose: .spf))
            case .dkim:
                out.append(ProviderDNSRecord(recordType: type, name: "<selector>._domainkey.\(domain)", value: "(the DKIM records \(provider) lists)",
                                             valid: valid, purpose: .dkim))
            case .other:
                out.append(ProviderDNSRecord(recordType: type, name: "<name>.\(domain)", value: "(the other records \(provider) lists: return path, tracking, MX)",
                                             valid: valid, purpose: .other))
            }
        }
        return out
    }

    static func lowercasedName(_ name: String) -> String {
        var lower = name.lowercased()
        if lower.hasSuffix(".") { lower.removeLast() }
        return lower
    }
}
