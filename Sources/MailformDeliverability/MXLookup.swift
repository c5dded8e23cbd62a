import SPF

/// The MX records of the domain data subjects reply to.
enum MXLookup: Sendable, Hashable {
    /// At least one real mail exchanger; `withNullMX` when a null MX is
    /// published beside them (RFC 7505 section 3 forbids it: senders may
    /// take the domain as refusing mail).
    case records([SPFMXRecord], withNullMX: Bool = false)
    /// No MX record, but the domain has an address: senders deliver to it
    /// (the implicit MX of RFC 5321 section 5.1).
    case implicit
    /// No MX record (NXDOMAIN or NODATA), or only a null MX (RFC 7505).
    case missing(nonexistent: Bool, nullMX: Bool)
    /// MX records, but none names a host that can take mail: an address
    /// literal (RFC 5321 section 5.1 requires a host name), or a name with
    /// no A or AAAA record. Each exchange with why (the 10 most preferred are asked).
    case unusable([Unusable])

    struct Unusable: Sendable, Hashable {
        var exchange: String
        var why: String
    }
    case failure(DNSProblem)
}
