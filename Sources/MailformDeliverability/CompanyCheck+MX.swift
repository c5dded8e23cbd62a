/// The MX of the domain data subjects reply to (the DSAR sender's, else the
/// sender's): without one, replies to a DSAR request bounce.
extension CompanyCheck {
    func mxFindings(_ lookup: MXLookup) -> [DeliverabilityFinding] {
        let domain = replyDomain
        switch lookup {
        case .records(_, let withNullMX):
            guard withNullMX else { return [] }
            return [finding("mx-null-mixed", .warning, domain: domain, field: replyField,
                            message: "\(domain) publishes a null mx (\"MX 0 .\", no mail accepted) beside real mail exchangers; rfc 7505 section 3 forbids the mix, and senders may take the domain as refusing mail, so replies from data subjects may bounce",
                            hint: "remove the null MX record (MX 0 .) of \(domain), or the others if it should accept no mail",
                            details: ["query": "\(domain) MX"])]
        case .unusable(let exchanges):
            let list = exchanges.prefix(5).map { "\($0.exchange) is \($0.why)" }.joined(separator: "; ")
                + (exchanges.count > 5 ? "; and \(exchanges.count - 5) more" : "")
            return [finding("mx-missing", .warning, domain: domain, field: replyField,
                            message: "\(domain) has no mail exchanger that can take mail (\(list)), so replies from data subjects to \(domain) will bounce",
                            hint: "point the MX records of \(domain) at the host name of the server that receives its mail",
                            details: ["query": "\(domain) MX"])]
        case .implicit:
            return [finding("mx-implicit", .note, domain: domain, field: replyField,
                            message: "\(domain) has no MX record, so senders deliver replies from data subjects to its address record instead (the implicit MX of RFC 5321 section 5.1)",
                            hint: "publish an MX record for \(domain) naming the server that receives its mail, to make the route explicit",
                            details: ["query": "\(domain) MX"])]
        case .failure(let problem):
            return [dnsFinding(problem, domain: domain, field: replyField, purpose: "mx of \(domain)")]
        case .missing(let nonexistent, let nullMX):
            let why = nonexistent ? "the domain does not exist" : nullMX ? "it publishes a null mx, refusing all mail" : "no MX record"
            return [finding("mx-missing", .warning, domain: domain, field: replyField,
                            message: "\(domain) has no mail exchanger (\(why)), so replies from data subjects to \(domain) may bounce",
                            hint: "add an MX record for \(domain) pointing at the server that receives its mail",
                            details: ["query": "\(domain) MX"])]
        }
    }
}
