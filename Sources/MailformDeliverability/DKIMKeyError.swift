/// Why a DKIM `p=` value is not a usable key; becomes `dkim-no-key`.
struct DKIMKeyError: Error, Sendable, Hashable {
    /// Lowercase, stating the fact.
    var message: String

    init(_ message: String) {
        self.message = message
    }
}
