/// Where DMARC policy discovery (RFC 9989) ended for one domain: its own
/// record, else its organisational domain's, else its public suffix domain's.
enum DMARCLookup: Sendable {
    /// One DMARC record, found at `_dmarc.<at>`; `discarded`: names on the
    /// walk whose several records receivers discarded.
    case found(DMARCRecord, at: String, discarded: [(name: String, count: Int)] = [])
    /// More than one `v=DMARC1` record at `_dmarc.<at>`, and no other record
    /// to fall back on: receivers apply none.
    case several(count: Int, at: String)
    /// No DMARC record at any of the names asked (`_dmarc.…`, in order);
    /// `ignored`: records there meant as DMARC that receivers ignore
    /// (`v=dmarc1`), with the name they are at.
    case missing(asked: [String], ignored: [(at: String, text: String)] = [])
    /// A lookup failed, so whether there is a policy is unknown.
    case failure(DNSProblem)
}
