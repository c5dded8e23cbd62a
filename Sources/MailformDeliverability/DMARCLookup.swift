/// Where DMARC discovery (RFC 7489 section 6.6.3) ended for one domain:
/// `_dmarc.<domain>`, else `_dmarc.<organisational domain>`.
enum DMARCLookup: Sendable {
    /// One DMARC record, found at `_dmarc.<at>`.
    case found(DMARCRecord, at: String)
    /// More than one `v=DMARC1` record at `_dmarc.<at>`: receivers apply none.
    case several(count: Int, at: String)
    /// No DMARC record at any of the names asked (`_dmarc.…`, in order);
    /// `ignored`: records there meant as DMARC that receivers ignore
    /// (`v=dmarc1`), with the name they are at.
    case missing(asked: [String], ignored: [(at: String, text: String)] = [])
    /// A lookup failed, so whether there is a policy is unknown.
    case failure(DNSProblem)
}
