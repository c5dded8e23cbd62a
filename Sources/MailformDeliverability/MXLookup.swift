import SPF

/// The MX records of the domain data subjects reply to.
enum MXLookup: Sendable, Hashable {
    /// At least one real mail exchanger.
    case records([SPFMXRecord])
    /// No MX record (NXDOMAIN or NODATA), or only a null MX (RFC 7505).
    case missing(nonexistent: Bool, nullMX: Bool)
    case failure(DNSProblem)
}
