import Foundation
import MailformCore
import MailformProbe
import MailformStore

/// How an apply gets its go-ahead.
public enum Approval: Sendable {
    /// `--auto-approve`.
    case automatic
    /// Ask (on a terminal): true to go on.
    case ask(@Sendable (Plan) -> Bool)
    /// Not on a terminal and not approved: the run stops before the store.
    case unavailable

    var isAutomatic: Bool { if case .automatic = self { true } else { false } }
}
