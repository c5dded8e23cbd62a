/// What RFC 9989's DNS Tree Walk found from one domain: the valid DMARC
/// records in walk order (longest name first), the names whose several
/// records were discarded, and where it stopped.
struct DMARCWalk: Sendable {
    /// The domain the walk started at.
    var domain: String
    /// One valid `v=DMARC1` record per name, longest name first.
    var records: [(name: String, record: DMARCRecord)] = []
    /// Names with more than one `v=DMARC1` record: all of them discarded.
    var discarded: [(name: String, count: Int)] = []
    /// Records meant as DMARC that receivers ignore (`v=dmarc1`), with their name.
    var ignored: [(at: String, text: String)] = []
    /// Every `_dmarc.` name asked, in order.
    var asked: [String] = []
    /// The lookup that failed and ended the walk.
    var failure: DNSProblem?

    /// The organisational domain (RFC 9989, "Identifier Alignment
    /// Evaluation"), choosing among the names with a record from the
    /// longest: one with `psd=n` is it; one with `psd=y` (other than where
    /// the walk started) makes it the name one label below, and is the
    /// public suffix domain whose record applies when that name has none;
    /// else the name with the fewest labels. Without any record, `domain`.
    func organizationalDomain() -> (domain: String, publicSuffix: String?) {
        for (name, record) in records {
            if record.psd == "n" { return (name, nil) }
            if record.psd == "y" && name != domain {
                return (DeliverabilityLookups.oneLabelBelow(name, toward: domain), name)
            }
        }
        return (records.last?.name ?? domain, nil)
    }
}
